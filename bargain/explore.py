"""An interactive explorer: change an assumption in the browser, watch the split move.

``bargain explore FILE`` serves one page on ``127.0.0.1`` (nothing is fetched
from the internet): a slider for every parameter that has a ``range`` (with its
unit and source), a field for every utility component's formula, the predicted
deal, equity share and dollar split (the scenario's ``[outputs]``) under every
solution concept, the component decomposition and the frontier figure; a button
saves the edited scenario as a new TOML file and one downloads the figures.

The work is done by :class:`Explorer`, which knows nothing of HTTP (the unit
tests call it directly); :func:`make_app` wraps it in a small Starlette app of
JSON endpoints and :func:`serve` / :func:`start_server` run that app with
uvicorn. Every edit is applied to the file's own TOML data, written out as TOML
text and read back with :func:`bargain.loads`, so every validation of the
scenario loader applies (formulas go through :func:`bargain.formula.parse_formula`);
errors come back as :class:`~bargain.errors.ScenarioError` and are shown on the
page next to the field they concern.

An update has two stages, so the numbers follow a slider at once:

* **quick**: Nash, asymmetric Nash and Rubinstein by the batched solvers
  (:mod:`bargain.batch`), with the outputs and the decomposition at the Nash
  deal: tens of milliseconds on the Korea-US flagship;
* **full**: :func:`bargain.solve` (every concept, at ``resolution`` frontier
  points) and :func:`bargain.plot.frontier_figure`: one to a few seconds.

Starlette, uvicorn and tomli-w (the ``explore`` extra) are imported only when
needed, so ``import bargain.explore`` works without them.

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

import copy
import hashlib
import io
import json
import logging
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

__all__ = ["Explorer", "RunningServer", "default_save_path", "make_app", "serve", "start_server"]

log = logging.getLogger("bargain.explore")

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
                "save_path": str(self.path.with_name(default_save_path(self.path).name)),
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
        parameter values are then applied with :meth:`Scenario.with_parameters`,
        which checks the same bounds and finiteness as the loader.
        """
        values, formulas = dict(values or {}), dict(formulas or {})
        base = self._compiled(formulas)[0]
        self._check_values(values)
        changed = {k: v for k, v in values.items() if v != base.parameters[k].value}
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

    def _check_values(self, values: Mapping[str, Any]) -> None:
        known = self.original.parameters
        for name, value in values.items():
            if name not in known:
                raise ScenarioError(
                    f"unknown parameter '{name}'",
                    key=f"parameters.{name}",
                    fix=suggest(name, known),
                    file=str(self.path),
                )
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScenarioError(
                    f"expected a number, got {value!r}",
                    key=f"parameters.{name}.value",
                    fix="move the slider or give a plain number",
                    file=str(self.path),
                )

    def _edited_raw(self, values: Mapping[str, Any], formulas: Mapping[str, Any]) -> dict:
        self._check_values(values)
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
    ) -> dict[str, Any]:
        """Write the edited scenario to a new TOML file; never to the original.

        A relative ``path`` is taken from the current folder (where ``bargain
        explore`` was started). The text is validated with :func:`bargain.loads`
        before it is written.

        Returns ``{"path", "sha256"}``.
        """
        target = self._target(path, overwrite)
        text = self.toml_text(values, formulas)
        loads(text, path=str(target))  # every validation, before anything is written
        data = text.encode("utf-8")
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise ScenarioError(
                f"cannot write the file ({exc.strerror or exc})",
                file=str(target),
                fix="choose a folder you can write to",
            ) from None
        return {"path": str(target), "sha256": hashlib.sha256(data).hexdigest()}

    def _target(self, path: str | Path, overwrite: bool) -> Path:
        text = str(path).strip()
        if not text:
            raise ScenarioError("no file name given", fix="type a path ending in .toml")
        target = Path(text).expanduser().absolute()
        if target.suffix.lower() != ".toml":
            raise ScenarioError(
                "the file name must end in .toml", file=str(target), fix="add .toml to the name"
            )
        if target.resolve() == self.path.resolve():
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


# ------------------------------------------------------------------------ web app
def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ScenarioError):
        return {
            "message": exc.message,
            "key": exc.key,
            "problem": exc.problem,
            "fix": exc.fix,
        }
    return {"message": str(exc) or type(exc).__name__, "key": "", "problem": str(exc), "fix": ""}


def make_app(explorer: Explorer) -> Any:
    """The Starlette app: the page and its JSON endpoints.

    ``GET /`` the page; ``GET /api/controls``; ``POST /api/quick``,
    ``/api/full``, ``/api/save`` and ``/api/figures`` (a zip), each with the
    JSON body ``{"values": {...}, "formulas": {...}}`` (and ``"path"``,
    ``"overwrite"`` for save). Errors come back as ``{"ok": false, "error":
    {...}}`` with status 400 (bad input) or 500, never as a traceback.
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    latest: dict[str, int] = {}  # each page's newest edit, by the page's random id

    def reply(data: Any, status: int = 200) -> JSONResponse:
        body = json.dumps(_jsonable(data), allow_nan=False)
        return JSONResponse(json.loads(body), status_code=status)

    async def state(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise BargainError(f"the request is not JSON ({exc})") from None
        if not isinstance(body, dict):
            raise BargainError("the request must be a JSON object")
        for key in ("values", "formulas"):
            if not isinstance(body.get(key, {}), dict):
                raise BargainError(f"'{key}' must be a JSON object")
        return body

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            if not _same_origin(request.headers):  # another site's page, or DNS rebinding
                return reply({"ok": False, "error": _error(BargainError("forbidden"))}, 403)
            try:
                return await handler(request)
            except BargainError as exc:
                return reply({"ok": False, "error": _error(exc)}, 400)
            except Exception as exc:  # noqa: BLE001 -- the page must never break
                log.error(
                    "bargain explore: %s failed: %s: %s", request.url.path, type(exc).__name__, exc
                )
                return reply({"ok": False, "error": _error(exc)}, 500)

        return endpoint

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def controls(request: Request) -> Response:
        return reply({"ok": True, **explorer.controls()})

    async def quick(request: Request) -> Response:
        body = await state(request)
        client = str(body.get("client", ""))[:64]
        latest[client] = max(latest.get(client, 0), _seq(body))
        while len(latest) > 256:  # one entry per open page; forget the oldest
            latest.pop(next(iter(latest)))
        result = await _in_thread(explorer.quick, body.get("values"), body.get("formulas"))
        return reply({"ok": True, **result})

    async def full(request: Request) -> Response:
        body = await state(request)
        client, seq = str(body.get("client", ""))[:64], _seq(body)

        def stale() -> bool:  # a newer edit from the same page has arrived
            return seq < latest.get(client, 0)

        if stale():
            return reply({"ok": True, "stale": True})
        result = await _in_thread(
            lambda: explorer.full(body.get("values"), body.get("formulas"), stale=stale)
        )
        return reply({"ok": True, **result})

    async def save(request: Request) -> Response:
        body = await state(request)
        result = await _in_thread(
            lambda: explorer.save(
                str(body.get("path") or ""),
                body.get("values"),
                body.get("formulas"),
                overwrite=bool(body.get("overwrite")),
            )
        )
        return reply({"ok": True, **result})

    async def figures(request: Request) -> Response:
        body = await state(request)
        data = await _in_thread(explorer.figures_zip, body.get("values"), body.get("formulas"))
        name = f"{explorer.path.stem}_figures.zip"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type="application/zip", headers=headers)

    routes = [
        Route("/", guarded(page)),
        Route("/api/controls", guarded(controls)),
        Route("/api/quick", guarded(quick), methods=["POST"]),
        Route("/api/full", guarded(full), methods=["POST"]),
        Route("/api/save", guarded(save), methods=["POST"]),
        Route("/api/figures", guarded(figures), methods=["POST"]),
    ]
    return Starlette(routes=routes)


def _same_origin(headers: Mapping[str, str]) -> bool:
    """Whether a request comes from the explorer's own page on 127.0.0.1 or localhost."""
    host = headers.get("host", "")
    if host.rpartition(":")[0] not in ("127.0.0.1", "localhost"):
        return False
    origin = headers.get("origin")
    return origin is None or origin == f"http://{host}"


def _seq(body: Mapping[str, Any]) -> int:
    """The page's edit counter (newer edits have larger numbers); 0 if absent or bad."""
    seq = body.get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else 0


async def _in_thread(func: Any, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args)


class RunningServer:
    """A server started by :func:`start_server`: its ``url`` and :meth:`stop`."""

    def __init__(self, server: Any, thread: threading.Thread, url: str) -> None:
        self._server = server
        self._thread = thread
        self.url = url

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise BargainError(f"the explorer server did not stop within {timeout} s")


def _server(explorer: Explorer, port: int) -> tuple[Any, Any, str]:
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise BargainError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})") from None
    config = uvicorn.Config(
        make_app(explorer), log_level="warning", access_log=False, lifespan="off"
    )
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    return uvicorn.Server(config), sock, url


def start_server(explorer: Explorer, *, port: int = 0, timeout: float = 10.0) -> RunningServer:
    """Run the explorer on ``127.0.0.1`` in a background thread (for tests and notebooks)."""
    server, sock, url = _server(explorer, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise BargainError("the explorer server did not start")
        time.sleep(0.02)
    return RunningServer(server, thread, url)


def serve(explorer: Explorer, *, port: int = 0, open_browser: bool = True) -> int:
    """Serve the explorer on ``127.0.0.1`` until Ctrl-C; returns the exit status."""
    server, sock, url = _server(explorer, port)
    print(f"bargain explore: {explorer.path} at {url} (Ctrl-C to stop)", flush=True)
    if open_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("bargain explore: stopped", flush=True)
    return 0


# The page: plain HTML, CSS and a little JavaScript (fetch + DOM), nothing external.
_PAGE_TEMPLATE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bargain explore</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:.6em 1em;background:#1f3b57;color:#fff}
header h1{font-size:1.1em;margin:0} header .path{opacity:.8;font-size:.85em}
main{display:grid;grid-template-columns:minmax(300px,28%) 1fr;gap:1em;padding:0 1em;
     height:calc(100vh - 3.6em)}
main>div{overflow-y:auto;padding-top:1em}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em .8em;margin-bottom:1em}
h2{font-size:1em;margin:.2em 0 .5em}
.param{margin-bottom:.7em} .param label{display:flex;justify-content:space-between;font-weight:600}
.param input[type=range]{width:100%} .unit{font-weight:400;color:#555}
.src{font-size:.78em;color:#666;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.formula{margin-bottom:.6em} .formula label{font-weight:600;font-size:.9em}
.formula input{width:100%;font-family:ui-monospace,monospace;font-size:.85em;box-sizing:border-box}
.formula input.bad{border:2px solid #c0392b;background:#fdecea}
.error{color:#c0392b;font-size:.85em;white-space:pre-wrap}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #eee;padding:.2em .4em;text-align:right}
th:first-child,td:first-child,#decomposition :is(td,th):nth-child(2){text-align:left}
tr.pending td{color:#999} .status{font-size:.85em;color:#555}
#figure img{width:100%;height:auto} button{margin-right:.5em}
#save-path{width:60%}
</style></head>
<body>
<header><h1 id="title">bargain explore</h1><div class="path" id="path"></div></header>
<main>
<div>
<section><h2>Parameters</h2><div id="params"></div>
<button id="reset">Reset to the file</button></section>
<section><h2>Utility components</h2><div id="formulas"></div></section>
</div>
<div>
<section><h2>Predicted deal under each solution concept</h2>
<div id="general-error" class="error" role="alert"></div>
<table id="results"></table>
<div class="status" id="timing"></div></section>
<section><h2>Frontier and solutions</h2><div id="figure"><em>computing...</em></div>
<button id="download">Download figures (zip)</button>
<span class="status" id="download-status"></span></section>
<section><h2>Why the Nash deal sits where it does</h2><table id="decomposition"></table></section>
<section><h2>Save the edited scenario</h2>
<input id="save-path" aria-label="save to">
<label><input type="checkbox" id="overwrite"> overwrite</label>
<button id="save">Save as TOML</button><div class="status" id="save-status"></div></section>
</div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const DIGITS = __DIGITS__;
let C = null, values = {}, applied = {}, seq = 0, quickTimer = null, fullTimer = null;
const fmt = (v) => (v === null || v === undefined) ? "" :
  (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)) ? v.toExponential(DIGITS - 1) :
  Number(v.toPrecision(DIGITS)).toString();
async function post(url, body) {
  const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify(body)});
  return r.headers.get("Content-Type").startsWith("application/json") ? r.json() : r;
}
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function buildControls() {
  $("title").textContent = C.title; $("path").textContent = C.path;
  $("save-path").value = C.save_path;
  const box = $("params"); box.replaceChildren();
  for (const p of C.parameters) {
    values[p.name] = p.value;
    const d = el("div", {class: "param"});
    const lab = el("label", {for: "p-" + p.name});
    lab.append(el("span", {}, p.name), el("span", {class: "unit", id: "v-" + p.name}));
    const s = el("input", {type: "range", id: "p-" + p.name, "data-name": p.name,
                           min: p.min, max: p.max, step: p.step});
    s.value = p.value;
    s.addEventListener("input", () => {
      values[p.name] = Number(s.value); showValue(p); schedule();
    });
    d.append(lab, s, el("div", {class: "src", title: p.source + (p.note ? "\n" + p.note : "")},
                            "source: " + p.source));
    box.append(d); showValue(p);
  }
  const fb = $("formulas"); fb.replaceChildren();
  for (const f of C.formulas) {
    const d = el("div", {class: "formula"});
    const inp = el("input", {id: "f-" + f.key, "data-key": f.key, spellcheck: "false"});
    inp.value = f.formula;
    let t = null;
    inp.addEventListener("input", () => {
      clearTimeout(t); t = setTimeout(() => tryFormula(f.key, inp), 500);
    });
    inp.addEventListener("change", () => { clearTimeout(t); tryFormula(f.key, inp); });
    d.append(el("label", {for: "f-" + f.key}, f.label + " · " + f.component), inp,
             el("div", {class: "error", id: "e-" + f.key, role: "alert"}));
    fb.append(d);
  }
  const head = el("tr"); head.append(el("th", {}, "concept"));
  for (const i of C.issues) head.append(el("th", {}, i.name + (i.unit ? " [" + i.unit + "]" : "")));
  for (const o of C.outputs) head.append(el("th", {}, o));
  for (const p of Object.keys(C.parties)) head.append(el("th", {}, "u " + p));
  const rows = [head];
  for (const m of C.methods) {
    const tr = el("tr", {id: "row-" + m}); tr.append(el("td", {}, m));
    const cols = [...C.issues.map((i) => "deal." + i.name), ...C.outputs.map((o) => "outputs." + o),
                  ...Object.keys(C.parties).map((p) => "utilities." + p)];
    for (const c of cols) tr.append(el("td", {id: "r-" + m + "-" + c, "data-col": c}));
    rows.push(tr);
  }
  $("results").replaceChildren(...rows);
}
function showValue(p) { $("v-" + p.name).textContent = fmt(values[p.name]) + " " + p.unit; }
const CLIENT = Math.random().toString(36).slice(2);
function state() { return {values: values, formulas: applied, client: CLIENT}; }
function schedule() {
  seq += 1; const mine = seq;
  clearTimeout(quickTimer); clearTimeout(fullTimer);
  for (const m of C.methods) {
    if (!C.quick_methods.includes(m)) $("row-" + m).classList.add("pending");
  }
  quickTimer = setTimeout(() => quick(mine), 20);
  fullTimer = setTimeout(() => full(mine), 350);
}
function fillRow(method, sol) {
  for (const td of $("row-" + method).querySelectorAll("td[data-col]")) {
    const [part, name] = td.dataset.col.split(".");
    const v = sol[part] ? sol[part][name] : null;
    td.textContent = sol.status === "ok" ? fmt(v) : sol.status;
    td.dataset.value = (sol.status === "ok" && v !== null) ? String(v) : "";
    td.classList.remove("pending");
  }
}
function showError(res) {
  $("general-error").textContent = res.ok ? "" : res.error.message;
}
async function quick(mine) {
  const res = await post("/api/quick", {...state(), seq: mine});
  if (mine !== seq) return;
  showError(res); if (!res.ok) return;
  for (const [m, sol] of Object.entries(res.solutions)) fillRow(m, sol);
  fillDecomposition(res.decomposition);
  $("timing").textContent = "quick update (Nash, asymmetric Nash, Rubinstein): " +
      (1000 * res.seconds).toFixed(0) + " ms; every concept and the figure follow.";
  $("results").dataset.quickSeq = String(mine);
}
async function full(mine) {
  const res = await post("/api/full", {...state(), seq: mine});
  if (mine !== seq || res.stale) return;
  showError(res); if (!res.ok) return;
  for (const [m, sol] of Object.entries(res.solutions)) {
    fillRow(m, sol); $("row-" + m).classList.remove("pending");
  }
  fillDecomposition(res.decomposition);
  const svg = btoa(unescape(encodeURIComponent(res.figure_svg)));
  const img = el("img", {alt: "frontier and solutions", id: "frontier-img",
                         src: "data:image/svg+xml;base64," + svg});
  $("figure").replaceChildren(img);
  $("timing").textContent = "every concept (frontier resolution " + C.resolution +
      ") and the figure: " + (1000 * res.seconds).toFixed(0) + " ms" + (res.exact_solver ?
      " (exact solver: the batched frontier could not be certified here)." : ".");
  $("timing").dataset.exact = res.exact_solver ? "1" : "0";
  $("results").dataset.fullSeq = String(mine);
}
function fillDecomposition(d) {
  const t = $("decomposition");
  if (!d) {
    t.replaceChildren(el("tr", {}, "no decomposition: the Nash solution is not unique"));
    return;
  }
  const head = el("tr");
  const heads = ["party", "component", "value at the deal", "d/d" + d.issue, "pull on " + d.issue];
  for (const h of heads) head.append(el("th", {}, h));
  const rows = [head];
  for (const r of d.rows) {
    const tr = el("tr");
    tr.append(el("td", {}, r.party), el("td", {}, r.component), el("td", {}, fmt(r.value)),
              el("td", {}, fmt(r.derivative)), el("td", {}, fmt(r.pull)));
    rows.push(tr);
  }
  t.replaceChildren(...rows);
}
async function tryFormula(key, inp) {
  const formulas = {...applied, [key]: inp.value};
  const res = await post("/api/quick", {...state(), formulas: formulas, seq: seq});
  if (res.ok) {
    applied = formulas; inp.classList.remove("bad"); $("e-" + key).textContent = ""; schedule();
  } else if (res.error.key === key || res.error.key.startsWith(key + ".") || !res.error.key) {
    inp.classList.add("bad"); $("e-" + key).textContent = res.error.message;
  } else { showError(res); }
}
$("reset").addEventListener("click", () => {
  applied = {}; buildControls(); schedule();
});
$("save").addEventListener("click", async () => {
  const res = await post("/api/save", {...state(), path: $("save-path").value,
                                       overwrite: $("overwrite").checked});
  $("save-status").textContent = res.ok ? "saved to " + res.path
                                        : "not saved: " + res.error.message;
  $("save-status").dataset.saved = res.ok ? res.path : "";
});
$("download").addEventListener("click", async () => {
  $("download-status").textContent = " preparing...";
  const r = await post("/api/figures", state());
  if (!(r instanceof Response)) {
    $("download-status").textContent = " " + r.error.message;
    return;
  }
  const a = el("a", {href: URL.createObjectURL(await r.blob()),
                     download: (C.path.split("/").pop().replace(/\.toml$/, "")) + "_figures.zip"});
  document.body.append(a); a.click(); a.remove(); $("download-status").textContent = "";
});
(async () => {
  C = await (await fetch("/api/controls")).json();
  buildControls(); schedule();
})();
</script>
</body></html>
"""

#: The page served at ``/``.
PAGE = _PAGE_TEMPLATE.replace("__DIGITS__", "4")
