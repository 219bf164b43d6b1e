"""Reproductions of published results: record them, compare them, find and run them.

Every folder ``papers/<slug>/`` with a script ``reproduce.py`` is a paper. The
script rebuilds the paper's numbers with the public API, states each published
number next to the reproduced one through a :class:`Reproduction`, and writes
its output folder:

- ``checks.csv`` and ``checks.md``: one row per number, with the published
  value, the reproduced value, the difference :math:`r - p`, the tolerance and
  ``ok`` when :math:`|r - p| \\le \\text{tolerance}`;
- its own tables (CSV and Markdown) and figures (PNG and SVG, written
  deterministically);
- ``metadata.json``: package and library versions, the seed, the sha256 of
  every scenario and of the script, and the git commit; no timestamps, so that
  running twice gives byte-identical files.

The script exits with status 1 if any number misses its tolerance. Adding a
paper means adding a folder: :func:`discover` finds it, :func:`run_paper` runs
its script in a fresh interpreter (``--out DIR`` chooses the output folder) and
reads back ``checks.csv``. A script that sets ``SLOW = True`` at module level is
reported as slow (the test suite runs it only with ``--runslow``).
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ._version import __version__
from .errors import BargainError, suggest
from .scenario import Scenario, load

__all__ = [
    "CHECK_COLUMNS",
    "Check",
    "Paper",
    "PaperRun",
    "Reproduction",
    "discover",
    "format_checks",
    "papers_root",
    "read_checks",
    "run_paper",
]

#: The columns of every paper's ``checks.csv``.
CHECK_COLUMNS = (
    "paper",
    "quantity",
    "published",
    "reproduced",
    "difference",
    "tolerance",
    "ok",
    "source",
)
_LIBRARIES = ("numpy", "scipy", "sympy", "networkx", "nashpy", "matplotlib")


def _num(value: float, digits: int = 12) -> str:
    """A float as text with ``digits`` significant digits (the same bytes every run)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if math.isnan(value):
        return "nan"
    text = format(value, f".{digits}g")
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class Check:
    """One reproduced number set against the published one.

    Attributes
    ----------
    paper, quantity : str
        The paper's slug and what the number is.
    published, reproduced : float
        The number as printed (or a printed formula evaluated at stated
        parameter values: ``source`` says which) and as computed now.
    tolerance : float
        The largest allowed absolute difference.
    source : str
        Where the published number is printed, or the formula and parameters.

    Examples
    --------
    >>> c = Check("rubinstein_1982", "share", 0.689655172, 0.6896551724, 1e-6, "abstract")
    >>> c.ok, f"{c.difference:.1e}"
    (True, '4.0e-10')
    """

    paper: str
    quantity: str
    published: float
    reproduced: float
    tolerance: float
    source: str = ""

    @property
    def difference(self) -> float:
        """Reproduced minus published."""
        return float(self.reproduced) - float(self.published)

    @property
    def ok(self) -> bool:
        """Whether the difference is within the tolerance (never for a nan)."""
        return bool(abs(self.difference) <= self.tolerance)

    def row(self) -> list[str]:
        """The check as one row of ``checks.csv`` (see :data:`CHECK_COLUMNS`)."""
        return [
            self.paper,
            self.quantity,
            repr(float(self.published)),  # exact: read back by read_checks
            repr(float(self.reproduced)),
            _num(self.difference, 3),
            _num(self.tolerance, 3),
            "ok" if self.ok else "MISMATCH",
            self.source,
        ]


def _markdown(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(columns), line(["---"] * len(columns)), *map(line, rows)]) + "\n"


def _csv(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git_commit(where: Path) -> str | None:
    """The commit checked out at ``where``, or ``None`` outside a git work tree."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


class Reproduction:
    """The record of one paper's reproduction, written to its output folder.

    Parameters
    ----------
    script : str or Path
        The paper's ``reproduce.py`` (pass ``__file__``); the folder it is in
        names the paper.
    argv : sequence of str, optional
        Command-line arguments (default ``sys.argv[1:]``): ``--out DIR`` writes
        the outputs to ``DIR`` instead of ``output/`` beside the script.
    seed : int
        The seed of every random choice the script makes (recorded).

    Examples
    --------
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> rep = Reproduction("papers/nash_1950/reproduce.py", ["--out", out])
    >>> rep.check("Bill's gain", 12, 12.0000000026, tolerance=1e-6, source="p. 161").ok
    True
    >>> rep.finish(echo=False)
    0
    >>> sorted(p.name for p in Path(out).iterdir())
    ['checks.csv', 'checks.md', 'metadata.json']
    """

    def __init__(
        self, script: str | Path, argv: Sequence[str] | None = None, *, seed: int = 0
    ) -> None:
        self.script = Path(script).resolve()
        self.slug = self.script.parent.name
        self.root = self.script.parent.parent.parent
        parser = argparse.ArgumentParser(prog=f"papers/{self.slug}/reproduce.py")
        parser.add_argument("--out", default=None, help="output folder (default: output/)")
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
        self.out = Path(args.out) if args.out else self.script.parent / "output"
        self.out.mkdir(parents=True, exist_ok=True)
        self.seed = int(seed)
        self.checks: list[Check] = []
        self.scenarios: dict[str, str] = {}
        self.files: list[str] = []

    def scenario(self, relative: str) -> Scenario:
        """Load a scenario by its path from the repository root, recording its hash."""
        path = self.root / relative
        scenario = load(path)
        self.scenarios[relative] = scenario.sha256
        return scenario

    def check(
        self,
        quantity: str,
        published: float,
        reproduced: float,
        *,
        tolerance: float,
        source: str,
    ) -> Check:
        """Record one number against its published value."""
        check = Check(
            self.slug, quantity, float(published), float(reproduced), float(tolerance), source
        )
        self.checks.append(check)
        return check

    def table(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Write ``name.csv`` and ``name.md``; floats get 12 significant digits."""
        text = [[c if isinstance(c, str) else _num(c) for c in row] for row in rows]
        self._write(f"{name}.csv", _csv(columns, text))
        self._write(f"{name}.md", _markdown(columns, text))

    def figure(self, fig: Any, name: str) -> None:
        """Write a matplotlib figure as ``name.png`` and ``name.svg``, byte-reproducibly."""
        import matplotlib

        matplotlib.rcParams["svg.hashsalt"] = f"bargain-{self.slug}-{name}"
        fig.savefig(self.out / f"{name}.svg", metadata={"Date": None, "Creator": None})
        fig.savefig(self.out / f"{name}.png", dpi=120, metadata={"Software": None})
        self.files += [f"{name}.png", f"{name}.svg"]

    def finish(self, *, echo: bool = True) -> int:
        """Write ``checks.csv``, ``checks.md`` and ``metadata.json``; 0 if every check is ok."""
        rows = [c.row() for c in self.checks]
        self._write("checks.csv", _csv(CHECK_COLUMNS, rows))
        self._write("checks.md", _markdown(CHECK_COLUMNS[1:], [r[1:] for r in rows]))
        bad = sum(not c.ok for c in self.checks)
        self._write("metadata.json", json.dumps(self._metadata(bad), indent=2) + "\n")
        if echo:
            print(format_checks(self.checks))
            print(f"{self.slug}: {len(self.checks) - bad} of {len(self.checks)} numbers ok")
        return 1 if bad or not self.checks else 0

    def _metadata(self, mismatches: int) -> dict[str, Any]:
        versions: dict[str, str | None] = {}
        for name in _LIBRARIES:
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                versions[name] = None
        return {
            "paper": self.slug,
            "package": "bargaining-toolkit",
            "version": __version__,
            "python": platform.python_version(),
            "libraries": versions,
            "seed": self.seed,
            "script_sha256": _sha256(self.script),
            "scenarios": dict(sorted(self.scenarios.items())),
            "commit": _git_commit(self.root),
            "files": sorted({*self.files, "checks.csv", "checks.md", "metadata.json"}),
            "checks": len(self.checks),
            "mismatches": mismatches,
        }

    def _write(self, name: str, text: str) -> None:
        (self.out / name).write_text(text, encoding="utf-8", newline="\n")
        self.files.append(name)


def format_checks(checks: Sequence[Check]) -> str:
    """One line per check: paper, quantity, published, reproduced, difference, ok.

    Examples
    --------
    >>> print(format_checks([Check("p", "share", 0.5, 0.5000001, 1e-6)]))
    paper quantity   published  reproduced  difference  ok
    p     share            0.5   0.5000001       1e-07  ok
    """
    wp = max([5, *(len(c.paper) for c in checks)])
    wq = max([8, *(len(c.quantity) for c in checks)])
    lines = [
        f"{'paper':<{wp}} {'quantity':<{wq}} {'published':>11} {'reproduced':>11} "
        f"{'difference':>11}  ok"
    ]
    for c in checks:
        lines.append(
            f"{c.paper:<{wp}} {c.quantity:<{wq}} {_num(c.published, 7):>11} "
            f"{_num(c.reproduced, 7):>11} {_num(c.difference, 2):>11}  "
            f"{'ok' if c.ok else 'MISMATCH'}"
        )
    return "\n".join(lines)


def read_checks(path: str | Path) -> list[Check]:
    """Read a paper's ``checks.csv`` back into :class:`Check` objects."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            Check(
                row["paper"],
                row["quantity"],
                float(row["published"]),
                float(row["reproduced"]),
                float(row["tolerance"]),
                row["source"],
            )
            for row in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class Paper:
    """A folder of ``papers/`` with a ``reproduce.py``.

    Attributes
    ----------
    slug : str
        The folder name, e.g. ``"rubinstein_1982"``.
    folder : Path
    title : str
        The first line of the script's docstring.
    slow : bool
        Whether the script sets ``SLOW = True``.
    """

    slug: str
    folder: Path
    title: str = ""
    slow: bool = False

    @property
    def script(self) -> Path:
        """The paper's ``reproduce.py``."""
        return self.folder / "reproduce.py"


@dataclass(frozen=True)
class PaperRun:
    """The outcome of running one paper's script.

    Attributes
    ----------
    paper : Paper
    returncode : int
        The script's exit status (0: every number reproduced).
    checks : list of Check
        Read back from the ``checks.csv`` it wrote.
    out : Path
        Where its outputs went.
    stderr : str
        What the script printed on stderr (a traceback if it crashed).
    """

    paper: Paper
    returncode: int
    checks: list[Check] = field(default_factory=list)
    out: Path = Path()
    stderr: str = ""

    @property
    def ok(self) -> bool:
        """Whether the script succeeded and every number is within tolerance."""
        return self.returncode == 0 and bool(self.checks) and all(c.ok for c in self.checks)


def papers_root(root: str | Path | None = None) -> Path:
    """The ``papers/`` folder: ``root`` if given, else ``./papers``, else the repository's."""
    candidates = (
        [Path(root)]
        if root is not None
        else [Path.cwd() / "papers", Path(__file__).resolve().parent.parent / "papers"]
    )
    for path in candidates:
        if path.is_dir():
            return path
    raise BargainError(
        f"no papers folder at {candidates[0]}: run from the repository root or pass --papers DIR"
    )


def _describe(script: Path) -> tuple[str, bool]:
    """The first docstring line of a script and whether it sets ``SLOW = True`` (not run)."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    doc = (ast.get_docstring(tree) or "").strip().splitlines()
    slow = any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "SLOW" for t in node.targets)
        and isinstance(node.value, ast.Constant)
        and node.value.value is True
        for node in tree.body
    )
    return (doc[0] if doc else ""), slow


def discover(root: str | Path | None = None, names: Sequence[str] | None = None) -> list[Paper]:
    """Every paper under ``papers/`` (sorted by slug), or the ones named.

    Raises :class:`~bargain.errors.BargainError` for a name that is not a paper.

    Examples
    --------
    >>> slugs = [p.slug for p in discover()]
    >>> "nash_1950" in slugs and "rubinstein_1982" in slugs
    True
    """
    base = papers_root(root)
    found = {}
    for script in sorted(base.glob("*/reproduce.py")):
        title, slow = _describe(script)
        found[script.parent.name] = Paper(script.parent.name, script.parent, title, slow)
    if not names:
        return list(found.values())
    unknown = [n for n in names if n not in found]
    if unknown:
        raise BargainError(f"no paper named {unknown[0]!r} in {base}; {suggest(unknown[0], found)}")
    return [found[n] for n in dict.fromkeys(names)]


def run_paper(paper: Paper, out: str | Path | None = None, *, timeout: float = 3600) -> PaperRun:
    """Run a paper's script in a fresh interpreter and read back its checks.

    Parameters
    ----------
    paper : Paper
    out : str or Path, optional
        Output folder; default ``output/`` in the paper's folder.
    timeout : float
        Seconds before the script is stopped (it then counts as failed).
    """
    target = Path(out) if out is not None else paper.folder / "output"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    command = [sys.executable, str(paper.script), "--out", str(target)]
    checks_file = target / "checks.csv"
    checks_file.unlink(missing_ok=True)  # never read back a stale result
    try:
        done = subprocess.run(
            command,
            cwd=paper.folder.parent.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return PaperRun(paper, 124, [], target, f"stopped after {timeout:g} s")
    checks = read_checks(checks_file) if checks_file.is_file() else []
    return PaperRun(paper, done.returncode, checks, target, done.stderr)
