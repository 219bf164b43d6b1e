"""Sensitivity sweeps: grids, Monte Carlo, tornado; chunked, resumable, on a pool or Dask.

A sweep is a :class:`SweepSpec`: a grid over a few parameters (``--vary
NAME=LO:HI:N``, the Cartesian product), optionally crossed with ``samples``
Monte Carlo draws of every other parameter that has a ``range`` or a
``distribution`` in the scenario (uniform on the range when there is only a
range; parameters with neither stay at their values). Point ``i`` of the sweep
is grid point ``i // samples`` with draw ``i``; draws come in blocks of
:data:`BLOCK` points, block ``b`` from the stream
``SeedSequence(seed).spawn(...)[b]``, so every point's values depend on the seed
alone, never on the chunk size or the number of workers.

The points are solved by the batched solvers of :mod:`bargain.batch`, chunk by
chunk. :func:`run_sweep` writes each chunk to a part file as soon as it is done
(atomically) and appends the parts in order to one Parquet or CSV file while the
rest run (:mod:`bargain.sweep_files`); a run that was killed is finished by
running it again with ``resume=True``, which solves only the missing chunks and
gives a byte-identical file. Memory stays
flat: a chunk is solved, written and dropped. Every output records the package
version, the scenario's SHA-256, the sweep spec and the seed.

Engines: ``"local"`` (a process pool; one worker runs in-process) and
``"dask"`` (``dask.distributed``: the scheduler at ``address``, or a local
cluster when none is given; workers write the part files, so they must see the
output directory).
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import batch_jit
from ._version import __version__
from .batch import BATCH_METHODS, BatchModel, batch_solve
from .errors import ScenarioError, suggest
from .scenario import Scenario, load
from .sweep_files import (
    _PART_SUFFIX,
    Joiner,
    _format,
    _frame,
    _part_path,
    _parts_dir,
    _write_part,
    read_metadata,
    read_sweep,
)

__all__ = [
    "BLOCK",
    "ChunkTask",
    "SweepSpec",
    "Vary",
    "metadata",
    "parse_vary",
    "points",
    "read_metadata",
    "read_sweep",
    "run_chunks",
    "run_sweep",
    "solve_points",
    "sweep",
    "tornado",
]

#: Monte Carlo draws come in blocks of this many points, one random stream per block.
BLOCK = 1024


# ------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class Vary:
    """One grid axis: ``n`` evenly spaced values of ``name`` from ``lo`` to ``hi``."""

    name: str
    lo: float
    hi: float
    n: int

    def values(self) -> np.ndarray:
        """The grid values."""
        return np.linspace(self.lo, self.hi, self.n)


def parse_vary(text: str, file: str = "") -> Vary:
    """Parse ``NAME=LO:HI:N``.

    Examples
    --------
    >>> parse_vary("A=100:400:4")
    Vary(name='A', lo=100.0, hi=400.0, n=4)
    """
    name, sep, rest = text.partition("=")
    parts = rest.split(":")
    fix = "write --vary NAME=LO:HI:N, e.g. --vary A=100:400:7"
    if not sep or not name.strip() or len(parts) != 3:
        raise ScenarioError(f"--vary {text!r} is not NAME=LO:HI:N", fix=fix, file=file)
    try:
        lo, hi = float(parts[0]), float(parts[1])
        n = int(parts[2])
    except ValueError:
        raise ScenarioError(
            f"--vary {text!r}: LO and HI must be numbers and N a whole number",
            key=f"parameters.{name.strip()}",
            fix=fix,
            file=file,
        ) from None
    return Vary(name.strip(), lo, hi, n)


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep computes (everything that determines its output).

    Attributes
    ----------
    vary : tuple of Vary
        Grid axes (their product); empty for a pure Monte Carlo.
    samples : int
        Monte Carlo draws per grid point (0: the other parameters keep their values).
    seed : int
        Seed of the Monte Carlo draws.
    solvers : tuple of str
        Batched solution concepts (:data:`bargain.batch.BATCH_METHODS`).
    fallback : bool
        Whether points the batched solvers cannot certify go to the per-scenario solvers.
    check_convexity : bool
        Whether the Nash solutions check that the bargaining set is convex (status
        ``nonconvex`` if not), as the per-scenario solver does; see
        :func:`bargain.batch.batch_nash` for what skipping it means and saves.
    """

    vary: tuple[Vary, ...] = ()
    samples: int = 0
    seed: int = 0
    solvers: tuple[str, ...] = ("nash", "rubinstein")
    fallback: bool = True
    check_convexity: bool = True

    @property
    def size(self) -> int:
        """The number of points."""
        grid = math.prod(v.n for v in self.vary) if self.vary else 1
        return grid * max(self.samples, 1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return asdict(self)

    def validate(self, scenario: Scenario) -> None:
        """Raise :class:`ScenarioError` for a spec that cannot run, before any work."""
        params = scenario.parameters
        path = scenario.path
        seen = set()
        for v in self.vary:
            key = f"parameters.{v.name}"
            if v.name not in params:
                raise ScenarioError(
                    f"--vary: unknown parameter '{v.name}'",
                    key=key,
                    file=path,
                    fix=suggest(v.name, params),
                )
            if v.name in seen:
                raise ScenarioError(
                    f"--vary names '{v.name}' twice", key=key, file=path, fix="vary it once"
                )
            seen.add(v.name)
            if not (math.isfinite(v.lo) and math.isfinite(v.hi)):
                raise ScenarioError("--vary: LO and HI must be finite", key=key, file=path)
            if v.lo > v.hi:
                raise ScenarioError(
                    f"--vary {v.name}: LO {v.lo:g} is above HI {v.hi:g}",
                    key=key,
                    file=path,
                    fix="swap LO and HI",
                )
            if v.n <= 0:
                raise ScenarioError(
                    f"--vary {v.name}: N is {v.n}; it must be at least 1",
                    key=key,
                    file=path,
                    fix="give a positive number of grid points",
                )
            bounds = params[v.name].bounds
            if bounds and not bounds[0] <= v.lo <= v.hi <= bounds[1]:
                raise ScenarioError(
                    f"--vary {v.name}: [{v.lo:g}, {v.hi:g}] leaves the parameter's bounds "
                    f"[{bounds[0]:g}, {bounds[1]:g}]",
                    key=key,
                    file=path,
                    fix=f"keep LO and HI within [{bounds[0]:g}, {bounds[1]:g}]",
                )
        if self.samples < 0:
            raise ScenarioError(
                f"--samples is {self.samples}; it must be 0 or more", file=path, fix="give N >= 0"
            )
        if self.size > MAX_POINTS:  # an integer product: nothing is allocated yet
            raise ScenarioError(
                f"the sweep has {self.size:,} points, above the limit of {MAX_POINTS:,}",
                file=path,
                fix="use fewer --samples or --vary points, or raise the limit with --max-points",
            )
        unknown = [s for s in self.solvers if s not in BATCH_METHODS]
        if unknown or not self.solvers:
            raise ScenarioError(
                f"--solver: unknown solution concept(s) {unknown}",
                file=path,
                fix=f"choose from {', '.join(BATCH_METHODS)}",
            )


#: Most points in one sweep (``bargain sweep --max-points`` raises it).
MAX_POINTS = 100_000_000


# ----------------------------------------------------------------------- points
def _random_parameters(scenario: Scenario, spec: SweepSpec) -> list[str]:
    varied = {v.name for v in spec.vary}
    return [
        name
        for name, p in scenario.parameters.items()
        if name not in varied and (p.range is not None or p.distribution is not None)
    ]


def _draw(rng: np.random.Generator, param: Any, size: int) -> np.ndarray:
    dist = param.distribution or {"type": "uniform", "low": param.range[0], "high": param.range[1]}
    kind = dist["type"]
    if kind == "uniform":
        out = rng.uniform(dist["low"], dist["high"], size)
    elif kind == "triangular":
        lo, mode, hi = dist["low"], dist["mode"], dist["high"]
        out = np.full(size, lo) if hi == lo else rng.triangular(lo, mode, hi, size)
    elif kind == "normal":
        out = rng.normal(dist["mean"], dist["sd"], size)
    else:  # lognormal: mean and sd of the logarithm
        out = rng.lognormal(dist["mean"], dist["sd"], size)
    if param.bounds:  # a draw never leaves the parameter's hard bounds
        out = np.clip(out, param.bounds[0], param.bounds[1])
    return out


def points(scenario: Scenario, spec: SweepSpec, start: int, stop: int) -> dict[str, np.ndarray]:
    """Every parameter's value at the sweep's points ``start, ..., stop - 1``.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> spec = SweepSpec(vary=(Vary("dA", 0.5, 0.9, 3),))
    >>> points(pie, spec, 0, 3)["dA"].tolist()
    [0.5, 0.7, 0.9]
    """
    index = np.arange(start, stop)
    samples = max(spec.samples, 1)
    out = {
        name: np.full(index.size, p.value, dtype=float) for name, p in scenario.parameters.items()
    }
    grid = index // samples
    for v in reversed(spec.vary):
        out[v.name] = v.values()[grid % v.n]
        grid = grid // v.n
    if spec.samples:
        names = _random_parameters(scenario, spec)
        for block in range(start // BLOCK, (stop - 1) // BLOCK + 1 if stop > start else 0):
            seq = np.random.SeedSequence(spec.seed, spawn_key=(block,))
            rng = np.random.default_rng(seq)
            drawn = {n: _draw(rng, scenario.parameters[n], BLOCK) for n in names}
            lo, hi = max(start, block * BLOCK), min(stop, (block + 1) * BLOCK)
            for n in names:
                out[n][lo - start : hi - start] = drawn[n][lo - block * BLOCK : hi - block * BLOCK]
    return out


# ----------------------------------------------------------------------- solving
_MODELS: dict[tuple[str, str, str], tuple[Scenario, BatchModel]] = {}


def _model(
    path: str,
    sha256: str | None = None,
    overrides: Mapping[str, float] | None = None,
    loaded: Scenario | None = None,
) -> tuple[Scenario, BatchModel]:
    """The scenario (with its parameter ``overrides``) and its batched model, compiled
    once per process.

    ``loaded``: that scenario already in memory (the sweep's own process need not
    read and parse the file again).
    """
    overrides = dict(overrides or {})
    key = (path, sha256 or "", json.dumps(overrides, sort_keys=True))
    if key not in _MODELS:
        if loaded is not None and (loaded.sha256, dict(loaded.overrides)) == (sha256, overrides):
            scenario = loaded
        else:
            scenario = load(path)
            if sha256 and scenario.sha256 != sha256:
                raise ScenarioError(
                    "the scenario file changed while the sweep ran",
                    file=path,
                    fix="start the sweep again",
                )
            if overrides:
                scenario = scenario.with_parameters(**overrides)
        _MODELS[key] = (scenario, BatchModel(scenario))
    return _MODELS[key]


def solve_points(
    scenario: Scenario,
    spec: SweepSpec,
    start: int,
    stop: int,
    model: BatchModel | None = None,
    compiled: bool | None = None,
) -> Any:
    """The rows ``start, ..., stop - 1`` of a sweep, as a pandas DataFrame.

    ``compiled``: whether the batched solvers run compiled (:mod:`bargain.batch_jit`);
    by default as :func:`run_sweep` decides for the whole sweep, so that the rows
    do not depend on how the sweep is cut into chunks.
    """
    if compiled is None:
        compiled = _compiled(spec)
    return _frame(_columns(scenario, spec, start, stop, model, compiled), spec.solvers)


def _compiled(spec: SweepSpec) -> bool:
    """Whether a sweep runs the compiled solvers: decided once, for all its chunks."""
    return spec.size >= batch_jit.MIN_POINTS and batch_jit.available()


def _columns(
    scenario: Scenario,
    spec: SweepSpec,
    start: int,
    stop: int,
    model: BatchModel | None = None,
    compiled: bool = False,
) -> dict[str, np.ndarray]:
    """The columns of the rows ``start, ..., stop - 1`` as numpy arrays (statuses: str)."""
    values = points(scenario, spec, start, stop)
    columns: dict[str, np.ndarray] = {"point": np.arange(start, stop, dtype=np.int64)}
    columns.update(values)
    if stop > start:
        results = batch_solve(
            model or BatchModel(scenario),
            values,
            spec.solvers,
            fallback=spec.fallback,
            check_convexity=spec.check_convexity,
            compiled=compiled,
        )
        for name in spec.solvers:
            found = results[name].columns(name)
            if not scenario.parameters:  # one point solved stands for every row
                found = {k: np.repeat(v, stop - start) for k, v in found.items()}
            columns.update(found)
        return columns
    for name in spec.solvers:  # no rows: the names and types only, no model needed
        for issue in scenario.issue_names:
            columns[f"{name}.{issue}"] = np.empty(0)
        for party in scenario.party_names:
            columns[f"{name}.u_{party}"] = np.empty(0)
        columns[f"{name}.status"] = np.empty(0, dtype=str)
        columns[f"{name}.fallback"] = np.empty(0, dtype=bool)
    return columns


def sweep(
    scenario: Scenario,
    *,
    vary: Sequence[Vary | str] = (),
    samples: int = 0,
    seed: int = 0,
    solvers: Sequence[str] = ("nash", "rubinstein"),
    fallback: bool = True,
    check_convexity: bool = True,
) -> Any:
    """Run a (small) sweep in memory and return a pandas DataFrame, one row per point.

    Columns: ``point``, every parameter, then for each solver ``<solver>.<issue>``,
    ``<solver>.u_<party>``, ``<solver>.status`` and ``<solver>.fallback``. For
    large sweeps use :func:`run_sweep`, which streams chunks to a file.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> df = sweep(pie, vary=["a=0.2:0.8:3"], solvers=["asymmetric_nash"])
    >>> df["asymmetric_nash.x"].round(10).tolist()  # 0.2 + a (1 - 0.2 - 0.1)
    [0.34, 0.55, 0.76]
    """
    spec = SweepSpec(
        tuple(parse_vary(v, scenario.path) if isinstance(v, str) else v for v in vary),
        int(samples),
        int(seed),
        tuple(solvers),
        bool(fallback),
        bool(check_convexity),
    )
    spec.validate(scenario)
    return solve_points(scenario, spec, 0, spec.size)


# ------------------------------------------------------------------------ tornado
def tornado(
    scenario: Scenario,
    *,
    solver: str = "nash",
    issue: str | None = None,
    fallback: bool = True,
    check_convexity: bool = True,
) -> Any:
    """Each parameter from the low to the high end of its range, the others at their values.

    Returns a DataFrame with one row per parameter that has a range (or a
    distribution's low/high), sorted by the swing of ``issue`` (default the
    first issue): ``parameter``, ``low``, ``high``, ``at_low``, ``at_high``,
    ``swing`` (``|at_high - at_low|``), and the statuses at both ends.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> t = tornado(pie, solver="asymmetric_nash")
    >>> t["parameter"].tolist()
    ['a', 'dB0', 'dA0']
    >>> t["swing"].round(10).tolist()  # 0.8 * 0.7 (a); a * 0.4 (dB0); (1 - a) * 0.4 (dA0)
    [0.56, 0.28, 0.12]
    """
    import pandas as pd

    if solver not in BATCH_METHODS:
        raise ScenarioError(
            f"unknown solution concept '{solver}'", fix=suggest(solver, BATCH_METHODS)
        )
    issue = issue or scenario.issue_names[0]
    if issue not in scenario.issue_names:
        raise ScenarioError(
            f"unknown issue '{issue}'", file=scenario.path, fix=suggest(issue, scenario.issue_names)
        )
    names, lows, highs = [], [], []
    for name, p in scenario.parameters.items():
        ends = p.range or _distribution_ends(p.distribution)
        if ends is not None:
            names.append(name)
            lows.append(ends[0])
            highs.append(ends[1])
    if not names:
        raise ScenarioError(
            "no parameter has a range or a distribution: the tornado has nothing to vary",
            file=scenario.path,
            fix="give a parameter range = [low, high], or use bargain solve",
        )
    base = scenario.parameter_values()
    k = len(names)
    values = {n: np.full(2 * k, v, dtype=float) for n, v in base.items()}
    for j, name in enumerate(names):
        values[name][2 * j] = lows[j]
        values[name][2 * j + 1] = highs[j]
    res = batch_solve(
        BatchModel(scenario), values, [solver], fallback=fallback, check_convexity=check_convexity
    )[solver]
    col = res.deal[:, scenario.issue_names.index(issue)]
    frame = pd.DataFrame(
        {
            "parameter": names,
            "low": lows,
            "high": highs,
            "at_low": col[0::2],
            "at_high": col[1::2],
            "status_low": res.status[0::2].astype(object),
            "status_high": res.status[1::2].astype(object),
        }
    )
    frame["swing"] = (frame["at_high"] - frame["at_low"]).abs()
    frame.attrs.update({"solver": solver, "issue": issue})
    order = frame["swing"].fillna(-1.0).to_numpy().argsort(kind="stable")[::-1]
    return frame.iloc[order].reset_index(drop=True) if k else frame


def _distribution_ends(dist: Mapping[str, Any] | None) -> tuple[float, float] | None:
    if dist is None:
        return None
    if "low" in dist:
        return float(dist["low"]), float(dist["high"])
    return None


# -------------------------------------------------------------------- files
def metadata(scenario: Scenario, spec: SweepSpec, compiled: bool = False) -> dict[str, Any]:
    """What every output records: version, scenario and its hash, spec, seed,
    whether the solvers ran compiled (the two paths agree to rounding, not bit for
    bit) and, if any, the parameter values that override the file's."""
    meta = {
        "bargain_version": __version__,
        "scenario": scenario.path,
        "scenario_sha256": scenario.sha256,
        "spec": spec.to_dict(),
        "seed": spec.seed,
        "compiled": compiled,
    }
    if scenario.overrides:  # values set with Scenario.with_parameters, not in the file
        meta["overrides"] = dict(scenario.overrides)
    return meta


def _run_chunk(
    path: str,
    sha256: str,
    spec_json: str,
    chunk: int,
    chunk_size: int,
    out: str,
    compiled: bool = False,
    overrides_json: str = "{}",
) -> int:
    """Solve one chunk and write its part file; returns the number of points."""
    scenario, bm = _model(path, sha256, json.loads(overrides_json))
    if compiled and batch_jit.kernels(bm) is None:
        raise ScenarioError(
            "this sweep runs the compiled solvers (numba), but this worker cannot compile them",
            file=path,
            fix="install bargaining-toolkit[fast] on every worker, or set BARGAIN_JIT=0 "
            "for the whole sweep",
        )
    spec = _spec_from_dict(json.loads(spec_json))
    start = chunk * chunk_size
    stop = min(spec.size, start + chunk_size)
    columns = _columns(scenario, spec, start, stop, bm, compiled)
    target = Path(out)
    fmt = _format(target)
    _write_part(columns, spec.solvers, _part_path(_parts_dir(target), chunk, fmt), fmt)
    return stop - start


def _spec_from_dict(data: Mapping[str, Any]) -> SweepSpec:
    return SweepSpec(
        tuple(Vary(**v) for v in data["vary"]),
        int(data["samples"]),
        int(data["seed"]),
        tuple(data["solvers"]),
        bool(data["fallback"]),
        bool(data.get("check_convexity", True)),
    )


# ------------------------------------------------------------------------- engines
def _progress(total: int, quiet: bool) -> Any:
    disable = quiet or not sys.stderr.isatty()
    try:
        from tqdm import tqdm
    except ImportError:  # the progress bar is optional
        return _NoBar()
    return tqdm(total=total, unit="pt", unit_scale=True, disable=disable, file=sys.stderr)


class _NoBar:
    def update(self, n: int) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


@dataclass(frozen=True)
class ChunkTask:
    """``func(*before, chunk, *after)``: one chunk's work, picklable for a worker.

    ``func`` (a module-level function) solves chunk ``chunk``, writes its part
    file and returns its number of rows.
    """

    func: Callable[..., int]
    before: tuple = ()
    after: tuple = ()

    def __call__(self, chunk: int) -> int:
        """Run chunk ``chunk``; returns its number of rows."""
        return self.func(*self.before, chunk, *self.after)


def _local(
    work: ChunkTask, todo: list[int], workers: int, done: Callable[[int, int], None]
) -> None:
    """Run the chunks on a process pool (in this process with one worker);
    ``done(chunk, points)`` as each finishes."""
    if workers <= 1:
        for chunk in todo:
            done(chunk, work(chunk))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(work, chunk): chunk for chunk in todo}
        try:
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
        except BaseException:  # fail now: chunks not yet started are not waited for
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _dask(
    work: ChunkTask,
    todo: list[int],
    workers: int,
    address: str | None,
    done: Callable[[int, int], None],
) -> None:
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    if address is None:
        cluster = LocalCluster(
            n_workers=max(workers, 1),
            threads_per_worker=1,
            processes=workers > 1,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        futures = {client.submit(work, chunk, pure=False): chunk for chunk in todo}
        for fut in dask_completed(list(futures)):
            done(futures[fut], fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_sweep(
    scenario: Scenario,
    spec: SweepSpec,
    out: str | Path,
    *,
    chunk_size: int = 50_000,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    resume: bool = False,
    quiet: bool = False,
) -> dict[str, Any]:
    """Run a sweep chunk by chunk and write it to ``out`` (``.parquet`` or ``.csv``).

    Parameters
    ----------
    scenario : Scenario
        Loaded from a file (workers load it again by path and check its hash).
    spec : SweepSpec
    out : path
        The output file; part files go to ``<out>.parts/`` while the sweep runs,
        and are appended in order to ``<out>.tmp``, renamed ``out`` at the end.
    chunk_size : int
        Points per chunk (memory use is proportional to it, not to the sweep).
    engine : "local" or "dask"
    workers : int, optional
        Processes (local) or Dask workers (local cluster); default the CPU count.
    address : str, optional
        A Dask scheduler's address; without it a local cluster is started.
    resume : bool
        Finish a sweep that was interrupted: only the chunks without a part file run.
        Without it, part files left by an earlier run are an error.
    quiet : bool
        No progress bar (there is none anyway when stderr is not a terminal).

    Returns
    -------
    dict
        The metadata written to the file, with the number of points, chunks and
        chunks run.
    """
    spec.validate(scenario)
    out = Path(out)
    _format(out)  # an unknown file type fails before any work
    if chunk_size <= 0:
        raise ScenarioError(f"chunk size {chunk_size} must be positive", fix="give N >= 1")
    if engine not in ("local", "dask"):
        raise ScenarioError(f"unknown engine '{engine}'", fix="choose local or dask")
    # workers (perhaps on other machines of a Dask cluster) get absolute paths
    where, target = str(Path(scenario.path).resolve()), str(Path(out).resolve())
    compiled = _compiled(spec)
    if compiled:  # compile here, once: forked workers inherit the model and kernels
        model = _model(where, scenario.sha256, scenario.overrides, scenario)[1]
        compiled = batch_jit.kernels(model) is not None
    meta = metadata(scenario, spec, compiled)
    spec_json = json.dumps(spec.to_dict())
    overrides = json.dumps(dict(scenario.overrides), sort_keys=True)
    work = ChunkTask(
        _run_chunk, (where, scenario.sha256, spec_json), (chunk_size, target, compiled, overrides)
    )
    header = list(_columns(scenario, spec, 0, 0))
    return run_chunks(
        out,
        work,
        size=spec.size,
        chunk_size=chunk_size,
        meta=meta,
        header=header,
        engine=engine,
        workers=workers,
        address=address,
        resume=resume,
        quiet=quiet,
    )


def run_chunks(
    out: Path,
    work: ChunkTask,
    *,
    size: int,
    chunk_size: int,
    meta: dict[str, Any],
    header: Sequence[str],
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    resume: bool = False,
    quiet: bool = False,
    what: str = "sweep",
) -> dict[str, Any]:
    """Run ``work`` on every chunk of ``size`` rows and join the parts into ``out``.

    The machinery of :func:`run_sweep`, for any chunked computation (also
    :mod:`bargain.calibrate`): ``work(chunk)`` writes the part file of rows
    ``chunk * chunk_size`` to ``(chunk + 1) * chunk_size - 1`` (see
    :mod:`bargain.sweep_files`) and returns its number of rows; the parts are
    joined in order while the rest run. ``meta`` (recorded in the output) and the
    chunk size are stamped in the parts folder, so that ``resume`` only finishes
    the same computation. ``header``: the column names. ``what`` names the
    computation in messages.

    Returns
    -------
    dict
        ``meta`` with the number of points, chunks and chunks run now.
    """
    fmt = _format(out)
    parts = _parts_dir(out)
    stamp = json.dumps(
        {**meta, "chunk_size": chunk_size, "format": fmt, "parts": _PART_SUFFIX[fmt]},
        sort_keys=True,
    )
    stamp_file = parts / "sweep.json"
    if parts.exists():
        if not resume:
            raise ScenarioError(
                f"{parts} holds the parts of an earlier, unfinished {what}",
                fix="add --resume to finish it, or delete that folder",
            )
        if not stamp_file.exists() or stamp_file.read_text() != stamp:
            raise ScenarioError(
                f"{parts} belongs to a different {what} (spec, scenario, version or chunk size)",
                fix="run the same command as before, or delete that folder",
            )
    parts.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(stamp)
    chunks = max(1, math.ceil(size / chunk_size))
    todo = [k for k in range(chunks) if not _part_path(parts, k, fmt).exists()]
    nworkers = workers or os.cpu_count() or 1
    # the parts are appended to the output as they arrive (in order), while the rest run
    joiner = Joiner(out, chunks, meta, list(header))
    bar: Any = _NoBar()

    def done(chunk: int, count: int) -> None:
        bar.update(count)
        joiner.add(chunk)

    try:
        bar = _progress(size, quiet)
        for k in sorted(set(range(chunks)) - set(todo)):  # parts left by an earlier run
            done(k, min(chunk_size, size - k * chunk_size))
        if engine == "local":
            _local(work, todo, nworkers, done)
        else:
            _dask(work, todo, nworkers, address, done)
        joiner.close()
    finally:
        joiner.abort()  # nothing to do once closed; else the parts stay for --resume
        bar.close()
    for k in range(chunks):
        _part_path(parts, k, fmt).unlink()
    stamp_file.unlink()
    parts.rmdir()
    return {**meta, "points": size, "chunks": chunks, "chunks_run": len(todo)}


def spec_from_args(
    scenario: Scenario,
    vary: Iterable[str] | None,
    samples: int | None,
    seed: int | None,
    solvers: str | None,
    fallback: bool = True,
    check_convexity: bool = True,
) -> SweepSpec:
    """Build and validate a spec from command-line strings."""
    names = tuple(s.strip() for s in (solvers or "nash,rubinstein").split(",") if s.strip())
    spec = SweepSpec(
        tuple(parse_vary(v, scenario.path) for v in (vary or ())),
        int(samples or 0),
        int(seed or 0),
        names,
        fallback,
        check_convexity,
    )
    spec.validate(scenario)
    return spec
