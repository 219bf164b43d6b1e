"""A sweep's files: part files written chunk by chunk, joined in order into one output.

Each chunk of a sweep is written (atomically) to a part file in ``<out>.parts/``:
Arrow IPC for a Parquet output, CSV lines for a CSV output. A :class:`Joiner`
appends the parts to ``<out>.tmp`` in chunk order as they arrive, so that the
joining overlaps the solving; the parts stay until the output is complete and
renamed into place, so a sweep killed at any moment resumes from them. The
bytes of the output depend on the rows alone: Parquet row groups hold
:data:`ROW_GROUP` rows whatever chunks they came from.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ScenarioError

__all__ = ["ROW_GROUP", "Joiner", "read_metadata", "read_sweep"]

_META_KEY = "bargain"

#: Rows per Parquet row group of a sweep's output (independent of the chunk size).
ROW_GROUP = 65_536

#: Part files: Arrow IPC (uncompressed, written and mapped back at memory speed) for a
#: Parquet output, CSV lines for a CSV output.
_PART_SUFFIX = {"parquet": "arrow", "csv": "csv"}


def _parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def _part_path(parts: Path, chunk: int, fmt: str) -> Path:
    return parts / f"chunk-{chunk:08d}.{_PART_SUFFIX[fmt]}"


def _format(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".csv":
        return "csv"
    raise ScenarioError(
        f"--out {out}: unknown file type '{suffix}'", fix="end the file name in .parquet or .csv"
    )


def _frame(columns: Mapping[str, np.ndarray], solvers: Sequence[str]) -> Any:
    """A pandas DataFrame of the columns, the statuses as Python strings."""
    import pandas as pd

    frame = pd.DataFrame(columns)
    for name in solvers:
        frame[f"{name}.status"] = frame[f"{name}.status"].astype(object)
    return frame


def _arrow_table(columns: Mapping[str, np.ndarray]) -> Any:
    """The columns as an Arrow table, straight from numpy's buffers (NaN stored as
    null, as pandas does).

    Built with ``Array.from_buffers`` rather than ``pa.array``: the latter imports
    pandas on first use (to look for categoricals), about 0.4 s in every worker.

    Examples
    --------
    >>> table = _arrow_table({"x": np.array([0.5, np.nan]), "s": np.array(["ok", "no"])})
    >>> table.to_pydict()
    {'x': [0.5, None], 's': ['ok', 'no']}
    """
    import pyarrow as pa

    return pa.table({name: _arrow_array(col) for name, col in columns.items()})


def _arrow_array(col: np.ndarray) -> Any:
    """One numpy column (numbers, bools or strings) as an Arrow array of the same type."""
    import pyarrow as pa

    def bits(mask: np.ndarray) -> Any:
        return pa.py_buffer(np.packbits(mask, bitorder="little"))

    n = col.size
    kind = col.dtype.kind
    if kind in "iuf":
        values = np.ascontiguousarray(col)
        missing = np.isnan(values) if kind == "f" else np.zeros(n, dtype=bool)
        nulls = int(np.count_nonzero(missing))
        valid = bits(~missing) if nulls else None
        kind_type = pa.from_numpy_dtype(values.dtype)
        return pa.Array.from_buffers(kind_type, n, [valid, pa.py_buffer(values)], null_count=nulls)
    if kind == "b":
        return pa.Array.from_buffers(pa.bool_(), n, [None, bits(col)], null_count=0)
    if kind not in "UO":
        raise TypeError(f"no Arrow column for numpy dtype {col.dtype}")
    # strings (the statuses, a few distinct values): the UTF-8 bytes of each row
    unique, code = np.unique(col.astype(str), return_inverse=True)
    encoded = [s.encode() for s in unique]
    length = np.array([len(b) for b in encoded], dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(length[code], out=offsets[1:])
    if offsets[-1] >= 2**31:
        raise ValueError("a string column of over 2 GiB: use smaller chunks")
    first = np.cumsum(length) - length  # where each distinct string starts in `pool`
    pool = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    data = pool[np.repeat(first[code] - offsets[:-1], length[code]) + np.arange(offsets[-1])]
    buffers = [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count=0)


def _write_part(
    columns: Mapping[str, np.ndarray], solvers: Sequence[str], path: Path, fmt: str
) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    if fmt == "parquet":
        import pyarrow as pa

        table = _arrow_table(columns)
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    else:
        frame = _frame(columns, solvers)
        frame.to_csv(tmp, index=False, header=False, float_format="%.17g", lineterminator="\n")
    os.replace(tmp, path)  # atomic: a part file is either whole or absent


def _read_part(path: Path) -> Any:
    """A part file as an Arrow table, memory-mapped (no copy until it is encoded)."""
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _parquet_options(schema: Any) -> dict[str, Any]:
    """How the output is encoded: chosen by measurement on a 1M-point flagship sweep.

    Floats are byte-stream split (each byte of the doubles in its own stream, so
    the sign, exponent and leading mantissa bytes compress), strings (the
    statuses) dictionary encoded, everything Snappy compressed. Dictionary
    encoding of the doubles (Arrow's default) costs more time than anything else
    and makes random draws larger, not smaller: the flagship's 1M rows took 5.0 s
    and 413 MB with Arrow's defaults, 1.4 s and 299 MB so (zstd level 1: 2.1 s and
    281 MB; Snappy without the split: 1.4 s and 334 MB).
    """
    import pyarrow as pa

    return {
        "compression": "snappy",
        "use_dictionary": [f.name for f in schema if pa.types.is_string(f.type)],
        "column_encoding": {
            f.name: "BYTE_STREAM_SPLIT" for f in schema if pa.types.is_floating(f.type)
        },
    }


class Joiner:
    """Append a sweep's part files, in chunk order, to ``<out>.tmp`` as they arrive.

    :meth:`add` marks a chunk's part file as written and appends every part that
    is now next in order; :meth:`close` renames the complete file to ``out``;
    :meth:`abort` removes the unfinished one (the part files stay, for a resume).
    About one part and one row group are in memory.

    Parameters
    ----------
    out : Path
        The output file (``.parquet``/``.pq`` or ``.csv``).
    chunks : int
        The number of chunks (part files) of the sweep.
    meta : dict
        The metadata recorded in the file.
    header : list of str
        The column names (written as the CSV header).
    """

    def __init__(self, out: Path, chunks: int, meta: dict, header: Sequence[str]) -> None:
        self.out = out
        self.fmt = _format(out)
        self.tmp = out.with_name(out.name + ".tmp")
        self.paths = [_part_path(_parts_dir(out), k, self.fmt) for k in range(chunks)]
        self.ready = [False] * chunks
        self.next = 0
        self.meta = json.dumps(meta, sort_keys=True)
        self.pending: list[Any] = []  # Parquet: rows not yet in a row group
        self.count = 0
        self.writer: Any = None
        if self.fmt == "parquet":
            import pyarrow.parquet  # noqa: F401 - here, so that forked workers inherit it
        else:
            self.writer = open(self.tmp, "wb")  # noqa: SIM115 - closed by close/abort
            self.writer.write(f"# {_META_KEY}: {self.meta}\n".encode())
            self.writer.write((",".join(header) + "\n").encode())

    def add(self, chunk: int) -> None:
        """Chunk ``chunk``'s part file is written: append every part now next in order."""
        self.ready[chunk] = True
        while self.next < len(self.ready) and self.ready[self.next]:
            self._append(self.paths[self.next])
            self.next += 1

    def _append(self, path: Path) -> None:
        if self.fmt == "csv":
            with open(path, "rb") as part:
                shutil.copyfileobj(part, self.writer, 1 << 20)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = _read_part(path)
        if self.writer is None:
            schema = table.schema.with_metadata({_META_KEY: self.meta})
            self.writer = pq.ParquetWriter(self.tmp, schema, **_parquet_options(schema))
        self.pending.append(table)
        self.count += table.num_rows
        while self.count >= ROW_GROUP:
            whole = pa.concat_tables(self.pending)  # no copy: the chunks are kept
            group = whole.slice(0, ROW_GROUP).combine_chunks()  # bytes independent of chunks
            self.writer.write_table(group, row_group_size=ROW_GROUP)
            self.pending, self.count = [whole.slice(ROW_GROUP)], self.count - ROW_GROUP

    def close(self) -> None:
        """Write the last rows and rename the complete file to ``out``."""
        if self.next < len(self.ready):
            raise RuntimeError(f"part {self.next} of {len(self.ready)} was never added")
        if self.fmt == "parquet" and self.count:
            import pyarrow as pa

            last = pa.concat_tables(self.pending).combine_chunks()
            self.writer.write_table(last, row_group_size=ROW_GROUP)
        self.pending = []
        writer, self.writer = self.writer, None
        writer.close()
        os.replace(self.tmp, self.out)

    def abort(self) -> None:
        """Close and remove the unfinished file (no-op after :meth:`close`)."""
        self.pending = []
        writer, self.writer = self.writer, None
        try:
            if writer is not None:
                writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata recorded in a sweep's output file (Parquet or CSV)."""
    out = Path(path)
    if _format(out) == "parquet":
        import pyarrow.parquet as pq

        return dict(json.loads(pq.read_schema(out).metadata[_META_KEY.encode()]))
    with open(out, encoding="utf-8") as fh:
        first = fh.readline()
    return dict(json.loads(first.split(":", 1)[1]))


def read_sweep(path: str | Path) -> Any:
    """Read a sweep's output file into a pandas DataFrame (metadata in ``.attrs``)."""
    import pandas as pd

    out = Path(path)
    frame = pd.read_parquet(out) if _format(out) == "parquet" else pd.read_csv(out, comment="#")
    frame.attrs[_META_KEY] = read_metadata(out)
    return frame
