"""The interactive explorer's work: change an assumption, watch the split move.

``bargain explore FILE`` serves one page on ``127.0.0.1`` (nothing is fetched
from the internet): a slider for every parameter that has a ``range`` (with its
unit and source), a field for every utility component's formula, the predicted
deal, equity share and dollar split (the scenario's ``[outputs]``) under every
solution concept, the component decomposition and the frontier figure; a button
saves the edited scenario as a new TOML file and one downloads the figures.

The explorer is three modules:

* this one holds :class:`Explorer`, which does the work and knows nothing of
  HTTP (the unit tests call it directly);
* :mod:`bargain.explore_app`: :func:`~bargain.explore_app.make_app` wraps an
  :class:`Explorer` in a small Starlette app of JSON endpoints, and
  :func:`~bargain.explore_app.serve` / :func:`~bargain.explore_app.start_server`
  run that app with uvicorn;
* :mod:`bargain.explore_page`: the page (HTML, CSS and JavaScript).

Every edit is applied to the file's own TOML data, written out as TOML text and
read back with :func:`bargain.loads`, so every validation of the scenario loader
applies (formulas go through :func:`bargain.formula.parse_formula`); parameter
values are checked by :meth:`bargain.Scenario.with_parameters`. Errors come back
as :class:`~bargain.errors.ScenarioError` and are shown on the page next to the
field they concern.

An update has two stages, so the numbers follow a slider at once:

* **quick**: Nash, asymmetric Nash and Rubinstein by the batched solvers
  (:mod:`bargain.batch`), with the outputs and the decomposition at the Nash
  deal: tens of milliseconds on the Korea-US flagship;
* **full**: every concept on the frontier traced by
  :func:`bargain.batch_frontier.trace_frontier` (or :func:`bargain.solve` where
  the trace is not certified) and the frontier figure as SVG.

Of the ``explore`` extra only tomli-w is used here, imported when needed, so
``import bargain.explore`` works without the extra (Starlette and uvicorn are
used by :mod:`bargain.explore_app` alone).

See Also
--------
bargain.explore_app : the web app and server around an :class:`Explorer`.
bargain.explore_page : the page the app serves.

Examples
--------
>>> from bargain.explore import Explorer
>>> ex = Explorer("scenarios/textbook/unit_pie.toml")
>>> [p["name"] for p in ex.controls()["parameters"]]
['dA', 'dB']
>>> quick = ex.quick({"dA": 0.9, "dB": 0.9})
>>> round(quick["solutions"]["rubinstein"]["deal"]["x"], 6)  # 1 / (1 + dB)
0.526316
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import tempfile
import threading
import time
import tomllib
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ._version import __version__
from .errors import BargainError, ScenarioError, suggest
from .result import STATUSES, Solution, _jsonable, no_solution, solution_at_deal
from .scenario import Scenario, loads
from .solve import SOLVERS, Report, _decomposition, solve

__all__ = ["Explorer", "default_save_path"]

#: Solution concepts of the quick stage (the batched solvers cover these).
QUICK_METHODS = ("nash", "asymmetric_nash", "rubinstein")
_CACHE_SIZE = 8  # compiled scenarios kept, one per set of formulas
_SLIDER_STEPS = 200


def default_save_path(path: str | Path) -> Path:
    """The first free ``<stem>_edited[_N].toml`` next to a scenario file.

    Examples
    --------
    >>> default_save_path("scenarios/textbook/unit_pie.toml").name
    'unit_pie_edited.toml'
    """
    path = Path(path).resolve()
    for n in range(1, 1000):
        suffix = "_edited" if n == 1 else f"_edited_{n}"
        candidate = path.with_name(f"{path.stem}{suffix}.toml")
        if not candidate.exists():
            return candidate
    raise BargainError(f"no free file name next to {str(path)!r}; choose one yourself")


def _formula_keys(raw: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
    """The TOML key of every utility formula: ``parties.<p>.utility[.<component>]``."""
    keys: dict[str, tuple[str, str | None]] = {}
    for party, table in raw.get("parties", {}).items():
        utility = table.get("utility")
        if isinstance(utility, dict):
            for comp in utility:
                keys[f"parties.{party}.utility.{comp}"] = (party, comp)
        else:
            keys[f"parties.{party}.utility"] = (party, None)
    return keys


class Explorer:
    """The explorer's state and handlers for one scenario file (no HTTP here).

    Every handler takes the page's state, ``values`` (parameter name to value)
    and ``formulas`` (``"parties.<party>.utility.<component>"`` to formula
    text), and raises :class:`~bargain.errors.ScenarioError` for bad input.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario file; it is read once and never written.
    resolution : int, optional
        Frontier points of the full stage and of the figure (``bargain solve``
        uses 81; fewer is faster and only changes where roots are bracketed and
        how finely the frontier curve is drawn).
    """

    def __init__(self, path: str | Path, *, resolution: int = 41) -> None:
        if resolution < 5:
            raise BargainError("--resolution must be at least 5")
        self.path = Path(path)
        self.resolution = resolution
        self.original = loads(_read(self.path), path=str(self.path))
        self._raw = tomllib.loads(_read(self.path).decode("utf-8"))
        self._cache: OrderedDict[str, tuple[Scenario, Any]] = OrderedDict()
        self._lock = threading.RLock()  # guards the cache; solving runs unlocked
        self._keys = _formula_keys(self._raw)
        self._cache[self._formula_id({})] = (self.original, None)

    # ---------------------------------------------------------------- controls
    def controls(self) -> dict[str, Any]:
        """What the page shows: parameters with a range, formulas, issues, outputs."""
        sc = self.original
        params = []
        for p in sc.parameters.values():
            if p.range is None:
                continue
            lo, hi = min(p.range[0], p.value), max(p.range[1], p.value)
            params.append(
                {
                    "name": p.name,
                    "value": p.value,
                    "unit": p.unit,
                    "source": p.source,
                    "note": p.note,
                    "min": lo,
                    "max": hi,
                    "step": (hi - lo) / _SLIDER_STEPS if hi > lo else 1.0,
                }
            )
        labels = {p.name: p.label for p in sc.parties}
        formulas = [
            {
                "key": key,
                "party": party,
                "label": labels[party],
                "component": comp or "utility",
                "formula": str(self._file_formula(key)),
            }
            for key, (party, comp) in self._keys.items()
        ]
        return _jsonable(
            {
                "title": sc.title,
                "path": str(self.path),
                "issues": [{"name": i.name, "unit": i.unit, "label": i.label} for i in sc.issues],
                "outputs": list(sc.outputs),
                "parties": {p.name: p.label for p in sc.parties},
                "methods": list(SOLVERS),
                "quick_methods": list(QUICK_METHODS),
                "parameters": params,
                "formulas": formulas,
                "save_path": default_save_path(self.path).name,  # saved beside the scenario
                "resolution": self.resolution,
            }
        )

    # ---------------------------------------------------------------- building
    def toml_text(
        self, values: Mapping[str, Any] | None = None, formulas: Mapping[str, Any] | None = None
    ) -> str:
        """The edited scenario as TOML text (comments of the file are not kept)."""
        import tomli_w

        raw = self._edited_raw(values or {}, formulas or {})
        return self._header(values or {}, formulas or {}) + tomli_w.dumps(raw)

    def scenario(
        self, values: Mapping[str, Any] | None = None, formulas: Mapping[str, Any] | None = None
    ) -> Scenario:
        """The edited scenario, validated by :func:`bargain.loads`.

        Formulas are compiled once per set of formulas (a cache of the last few);
        the values that differ from the file's are then applied with
        :meth:`Scenario.with_parameters`, which checks them as the loader does
        (known names, finite numbers, bounds, the model at those values).
        """
        values, formulas = dict(values or {}), dict(formulas or {})
        base = self._compiled(formulas)[0]
        known = base.parameters
        # an unknown name or a bool equal to the file's value (True == 1.0) is not "changed"
        # by `!=` alone: it is passed on too, for with_parameters to refuse it
        changed = {
            k: v
            for k, v in values.items()
            if k not in known or isinstance(v, bool) or v != known[k].value
        }
        return base.with_parameters(**changed) if changed else base

    def _compiled(self, formulas: Mapping[str, Any]) -> tuple[Scenario, Any]:
        key = self._formula_id(formulas)
        with self._lock:
            if key not in self._cache:
                text = self.toml_text({}, formulas)
                self._cache[key] = (loads(text, path=str(self.path)), None)
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(key)
            return self._cache[key]

    def _batch_model(self, formulas: Mapping[str, Any]) -> Any:
        from .batch import BatchModel

        key = self._formula_id(formulas)
        with self._lock:
            scenario, bm = self._compiled(formulas)
            if bm is None:
                bm = BatchModel(scenario)
                self._cache[key] = (scenario, bm)
            return bm

    def _formula_id(self, formulas: Mapping[str, Any]) -> str:
        edited = {k: v for k, v in sorted(formulas.items()) if v != self._file_formula(k)}
        return json.dumps(edited, sort_keys=True, default=str)

    def _file_formula(self, key: str) -> Any:
        if key not in self._keys:
            return None
        party, comp = self._keys[key]
        utility = self._raw["parties"][party]["utility"]
        return utility if comp is None else utility[comp]

    def _edited_raw(self, values: Mapping[str, Any], formulas: Mapping[str, Any]) -> dict:
        # the values' checks, by scenario() under the edited formulas; none when _compiled asks
        # for the text of the formulas alone (which also ends the recursion)
        if values:
            self.scenario(values, formulas)
        raw = copy.deepcopy(self._raw)
        for name, value in values.items():
            raw["parameters"][name]["value"] = float(value)
        for key, text in formulas.items():
            if key not in self._keys:
                raise ScenarioError(
                    "not a utility formula of the scenario",
                    key=key,
                    fix=suggest(key, self._keys),
                    file=str(self.path),
                )
            if not isinstance(text, str) or not text.strip():
                raise ScenarioError(
                    "the formula is empty",
                    key=key,
                    fix="write a formula, e.g. 0",
                    file=str(self.path),
                )
            party, comp = self._keys[key]
            if comp is None:
                raw["parties"][party]["utility"] = text
            else:
                raw["parties"][party]["utility"][comp] = text
        return raw

    def _header(self, values: Mapping[str, Any], formulas: Mapping[str, Any]) -> str:
        params = self.original.parameters
        lines = [f"# Edited with `bargain explore` from {self.path.name}; the comments of"]
        lines.append("# that file (notes on sources) are not repeated here.")
        changed = [n for n, v in values.items() if float(v) != params[n].value]
        for name in changed:
            lines.append(
                f"# changed: {name} = {float(values[name])!r} (file: {params[name].value!r})"
            )
        for key, text in formulas.items():
            if text != self._file_formula(key):
                lines.append(f"# changed: {key}")
        return "\n".join(lines) + "\n\n"

    # ---------------------------------------------------------------- handlers
    def quick(
        self, values: Mapping[str, Any] | None = None, formulas: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Nash, asymmetric Nash and Rubinstein by the batched solvers, in milliseconds.

        Returns ``{"solutions": {method: solution dict}, "decomposition": dict or
        None, "seconds": float}``; the decomposition is at the Nash deal.
        """
        start = time.perf_counter()
        scenario = self.scenario(values, formulas)
        solutions = self._quick_solutions(scenario, formulas or {})
        decomposition = None
        if solutions["nash"].ok:
            from .decompose import decompose

            decomposition = decompose(scenario, solutions["nash"]).to_dict()
        return _jsonable(
            {
                "solutions": {k: _solution_dict(s) for k, s in solutions.items()},
                "decomposition": decomposition,
                "seconds": time.perf_counter() - start,
            }
        )

    def _quick_solutions(self, scenario: Scenario, formulas: Mapping[str, Any]) -> dict:
        from .batch import batch_solve

        problem = scenario.problem()
        values = {k: [v] for k, v in scenario.parameter_values().items()}
        batch = batch_solve(self._batch_model(formulas), values, methods=QUICK_METHODS)
        out: dict[str, Solution] = {}
        for method, result in batch.items():
            status = str(result.status[0])
            if status == "ok":
                out[method] = solution_at_deal(method, problem, result.deal[0], {}, {})
            else:
                out[method] = Solution(
                    method, status, "", None, None, None, problem.named(problem.disagreement)
                )
        return out

    def full(
        self,
        values: Mapping[str, Any] | None = None,
        formulas: Mapping[str, Any] | None = None,
        *,
        stale: Callable[[], bool] = lambda: False,
    ) -> dict[str, Any]:
        """Every solution concept and the frontier figure as SVG.

        The frontier is traced by :func:`bargain.batch_frontier.trace_frontier` and
        every concept solved by the batched solvers; where the trace cannot be
        certified, :func:`bargain.solve` (the exact per-scenario solver) does it all
        and ``"exact_solver"`` is true. Returns ``{"solutions", "decomposition",
        "frontier", "figure_svg", "exact_solver", "seconds"}``, or ``{"stale":
        True}`` if ``stale()`` turns true after solving (a newer edit has arrived,
        so the figure is not drawn).
        """
        start = time.perf_counter()
        scenario = self.scenario(values, formulas)
        report, sample = self._report(scenario, formulas or {})
        if stale():
            return {"stale": True}
        figure = self._frontier_svg(scenario, report, sample)
        return _jsonable(
            {
                "solutions": {k: _solution_dict(s) for k, s in report.solutions.items()},
                "decomposition": report.decomposition,
                "frontier": report.frontier,
                "figure_svg": figure,
                "exact_solver": sample is None,
                "seconds": time.perf_counter() - start,
            }
        )

    def _report(self, scenario: Scenario, formulas: Mapping[str, Any]) -> tuple[Any, Any]:
        """Every concept by the batched solvers, with the frontier sample; else bargain.solve."""
        from .batch_frontier import trace_frontier
        from .batch_zone import zone_of_agreement

        bm = self._batch_model(formulas)
        values = {k: [v] for k, v in scenario.parameter_values().items()}
        theta = bm.theta(values)
        trace = trace_frontier(bm, theta, self.resolution)
        if not trace.certified[0]:
            return solve(scenario, resolution=self.resolution), None
        solutions = self._batched_solutions(scenario, bm, values, theta, trace)
        problem = scenario.problem()
        summary: dict[str, Any] = {"agreement_possible": bool(trace.agreement[0])}
        zone = None
        if trace.agreement[0]:
            ideal = trace.d[0] + trace.scale[0] * [trace.m1[0], trace.m2[0]]
            summary |= {
                "convex": bool(trace.convex[0]),
                "concavity_violation": float(trace.concavity_violation[0]),
                "ideal": problem.named(ideal),
            }
            ends = zone_of_agreement(bm, theta, trace)[0]
            zone = {
                k: (float(lo), float(hi))
                for k, (lo, hi) in zip(scenario.issue_names, ends, strict=True)
            }
        report = Report(
            scenario={"title": scenario.title, "path": scenario.path, "sha256": scenario.sha256},
            version=__version__,
            parameters=scenario.parameter_values(),
            overrides=dict(scenario.overrides),
            issues={},
            parties={p.name: p.label for p in scenario.parties},
            solutions=solutions,
            frontier=summary,
            zone_of_agreement=zone,
            decomposition=_decomposition(scenario, solutions),
        )
        return report, trace.sample(0)

    def _batched_solutions(
        self, scenario: Scenario, bm: Any, values: Mapping[str, Any], theta: Any, trace: Any
    ) -> dict[str, Solution]:
        from .batch_axiomatic import batch_axiomatic
        from .batch_nash import _nash
        from .batch_result import _Batch
        from .batch_rubinstein import _rubinstein, other_first

        batch = _Batch(bm, theta)
        pairs = (("nash", "equal"), ("asymmetric_nash", "own"))
        results = {m: _nash(batch, p, True, check_convexity=True, trace=trace) for m, p in pairs}
        results["rubinstein"] = _rubinstein(batch, results["nash"], True)
        # the other proposer's offer: the second offer of the same equilibrium
        results["rubinstein_other_first"] = other_first(batch, results["rubinstein"])
        results |= batch_axiomatic(bm, theta, trace)
        problem = scenario.problem()
        out: dict[str, Solution] = {}
        for method in SOLVERS:
            result = results[method]
            status = str(result.status[0])
            if status == "ok":
                out[method] = solution_at_deal(method, problem, result.deal[0], {}, {})
            elif method == "rubinstein_other_first" and status != "no_agreement":
                out[method] = SOLVERS[method](problem, batch.frontier_at(0))
            else:
                out[method] = no_solution(method, problem, status, _message(method, status))
        return out

    def _frontier_svg(self, scenario: Scenario, report: Any, sample: Any = None) -> str:
        from .frontier import pareto_frontier
        from .plot import frontier_svg

        if sample is None:  # the exact solver's report: sample its frontier
            sample = pareto_frontier(scenario.problem(), resolution=self.resolution)
        return frontier_svg(scenario, report, sample)

    def figures_zip(
        self, values: Mapping[str, Any] | None = None, formulas: Mapping[str, Any] | None = None
    ) -> bytes:
        """A zip of the current figures (frontier, decomposition) as SVG and PNG."""
        from .plot import decomposition_figure

        scenario = self.scenario(values, formulas)
        report, sample = self._report(scenario, formulas or {})
        figures = {"frontier": _frontier_figure(scenario, report, self.resolution, sample)}
        if report.decomposition is not None:
            figures["decomposition"] = decomposition_figure(
                report.decomposition, parties=report.parties
            )
        files = _save_figures(figures, ("svg", "png"))
        files["scenario.toml"] = self.toml_text(values, formulas).encode("utf-8")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                zf.writestr(info, data)
        return buffer.getvalue()

    def save(
        self,
        path: str | Path,
        values: Mapping[str, Any] | None = None,
        formulas: Mapping[str, Any] | None = None,
        *,
        overwrite: bool = False,
        folder_only: bool = False,
    ) -> dict[str, Any]:
        """Write the edited scenario to a new TOML file; never to the original.

        A relative ``path`` is taken from the current folder (where ``bargain
        explore`` was started). With ``folder_only`` (the web page's saves),
        ``path`` must be a plain file name, written in the scenario's folder. The
        original is refused by name and by device and inode (a hard link to it
        too); ``overwrite`` must be a real boolean. The text is validated with
        :func:`bargain.loads` before it is written, to a temporary file in the same
        folder that then replaces the target (atomic).

        Returns ``{"path", "sha256"}``.
        """
        if not isinstance(overwrite, bool):
            raise ScenarioError(
                f"overwrite must be true or false, not {overwrite!r}", fix="send a JSON boolean"
            )
        target = self._target(self._in_folder(path) if folder_only else path, overwrite)
        text = self.toml_text(values, formulas)
        loads(text, path=str(target))  # every validation, before anything is written
        data = text.encode("utf-8")
        try:
            _write_atomic(target, data)
        except OSError as exc:
            raise ScenarioError(
                f"cannot write the file ({exc.strerror or exc})",
                file=str(target),
                fix="choose a folder you can write to",
            ) from None
        return {"path": str(target), "sha256": hashlib.sha256(data).hexdigest()}

    def _in_folder(self, path: str | Path) -> Path:
        """A plain file name in the scenario's folder (no folders, ``..``, ``~`` or drive)."""
        name = str(path).strip()
        if not name or name != Path(name).name or name in (".", "..") or "\\" in name:
            raise ScenarioError(
                f"{name!r} is not a plain file name",
                fix="the explorer saves next to the scenario: type a name such as "
                + default_save_path(self.path).name,
            )
        if name.startswith(("~", ".")):
            raise ScenarioError(f"{name!r} is not a plain file name", fix="start with a letter")
        return self.path.resolve().parent / name

    def _target(self, path: str | Path, overwrite: bool) -> Path:
        text = str(path).strip()
        if not text:
            raise ScenarioError("no file name given", fix="type a path ending in .toml")
        target = Path(text).expanduser().absolute()
        if target.suffix.lower() != ".toml":
            raise ScenarioError(
                "the file name must end in .toml", file=str(target), fix="add .toml to the name"
            )
        if target.resolve() == self.path.resolve() or _same_file(target, self.path):
            raise ScenarioError(
                "that is the original file, which the explorer never overwrites",
                file=str(target),
                fix="choose a new name, e.g. " + default_save_path(self.path).name,
            )
        if not target.parent.is_dir():
            raise ScenarioError(
                "the folder does not exist", file=str(target), fix="create it or choose another"
            )
        if target.exists() and not overwrite:
            raise ScenarioError(
                "the file exists", file=str(target), fix="choose a new name or tick 'overwrite'"
            )
        return target


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths are one file (device and inode: a hard link counts)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to a fresh temporary file beside ``target``, then rename it over."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ScenarioError(
            f"cannot read the file ({exc.strerror or exc})", file=str(path), fix="check the path"
        ) from None


def _frontier_figure(scenario: Scenario, report: Any, resolution: int, sample: Any) -> Any:
    from .plot import frontier_figure

    return frontier_figure(scenario, report, resolution=resolution, sample=sample)


def _message(method: str, status: str) -> str:
    if method == "utilitarian" and status == "not_unique":
        return (
            "the total utility is the same along a segment of the frontier (transferable "
            "utility): every deal on it is utilitarian"
        )
    return STATUSES[status]


def _solution_dict(sol: Solution) -> dict[str, Any]:
    keys = ("method", "status", "message", "deal", "utilities", "gains", "outputs")
    return {k: getattr(sol, k) for k in keys}


def _save_figures(figures: Mapping[str, Any], formats: tuple[str, ...]) -> dict[str, bytes]:
    from .plot import save

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, fig in figures.items():
            for fmt in formats:
                out[f"{name}.{fmt}"] = save(fig, Path(tmp) / f"{name}.{fmt}").read_bytes()
    return out
