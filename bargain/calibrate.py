"""Calibration by revealed preference: the parameters that the observations allow.

Each scenario's parameters are drawn from their declared distributions (the
priors: exactly the draws of ``bargain sweep FILE --samples N --seed S``, by
:func:`bargain.sweep.points`), and each draw :math:`\\theta_j` is weighted by the
likelihood of every ``[[observations]]`` of every file
(:mod:`bargain.observations`),

.. math::

    w_j = \\prod_{f} \\prod_{o \\in f} L_o(\\theta_j),

importance sampling from the prior: the weighted draws are a sample of the
posterior. With hard observations only this is rejection sampling (:math:`w_j`
is 0 or 1). Each draw with positive weight is then solved by the batched
solution concepts (:func:`bargain.batch.batch_solve`): the weighted deals are the
posterior predictive.

Several files are calibrated together: a parameter marked ``shared = true``
gets one draw per point for all of them (the draw of the first file that
declares it; its prior must be the same in every file), every other parameter
is drawn per file from an independent stream (file ``k`` uses the seed
:func:`file_seed`). The run is chunked and resumable by the sweep machinery
(:func:`bargain.sweep.run_chunks`): the same seed gives the same bytes whatever
the number of workers or interruptions.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import batch_jit
from ._version import __version__
from .batch import BATCH_METHODS, batch_solve
from .errors import ScenarioError, suggest
from .observations import log_likelihood
from .scenario import Scenario, load
from .sweep import ChunkTask, SweepSpec, _model, points, run_chunks
from .sweep_files import _format, _part_path, _parts_dir, _write_part, read_sweep

__all__ = ["Calibration", "CalibrationSpec", "calibrate", "file_seed", "weighted_quantile"]

#: The central intervals of the posterior predictive, in percent.
INTERVALS = (50, 80, 90)
#: The status of a draw whose weight is zero (it is not solved).
NOT_SOLVED = "not_solved"


# ------------------------------------------------------------------ statistics
def weighted_quantile(values: Any, weights: Any, q: Any) -> np.ndarray:
    """Quantiles of a weighted sample: the inverse of its weighted distribution function.

    .. math::

        Q(q) = \\min \\{ v_{(k)} : \\textstyle\\sum_{i \\le k} w_{(i)} \\ge q \\sum_i w_i \\}

    over the values sorted :math:`v_{(1)} \\le v_{(2)} \\le \\dots` (numpy's
    ``method="inverted_cdf"`` when the weights are equal). Values that are not
    numbers, and their weights, are left out; with no weight left the answer is nan.

    Examples
    --------
    >>> weighted_quantile([1.0, 2.0, 3.0], [1.0, 0.0, 3.0], [0.25, 0.5]).tolist()
    [1.0, 3.0]
    >>> weighted_quantile([1.0, 2.0], [0.0, 0.0], 0.5).tolist()
    nan
    """
    v = np.asarray(values, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    keep = np.isfinite(v) & (w > 0)
    v, w = v[keep], w[keep]
    qs = np.asarray(q, dtype=float)
    if v.size == 0:
        return np.full(qs.shape, np.nan)
    order = np.argsort(v, kind="stable")
    v, cum = v[order], np.cumsum(w[order])
    k = np.searchsorted(cum, qs * cum[-1] * (1 - 1e-12), side="left")
    return v[np.minimum(k, v.size - 1)]


def ess(weights: Any) -> float:
    """The effective sample size :math:`(\\sum w)^2 / \\sum w^2` (0 without weight).

    Examples
    --------
    >>> ess([1.0, 1.0, 0.0, 1.0])
    3.0
    """
    w = np.asarray(weights, dtype=float)
    total = float(w.sum())
    return total**2 / float((w**2).sum()) if total > 0 else 0.0


def _normalised(log_weight: np.ndarray) -> np.ndarray:
    """Weights ``exp(log w - max log w)`` (all zero when every draw is excluded)."""
    top = np.max(log_weight, initial=-np.inf)
    if not np.isfinite(top):
        return np.zeros_like(log_weight)
    return np.exp(log_weight - top)


# ------------------------------------------------------------------------ spec
@dataclass(frozen=True)
class CalibrationSpec:
    """Everything that determines a calibration's output.

    Attributes
    ----------
    files : tuple of str
        The scenario files (absolute paths), in order.
    sha256 : tuple of str
        Their hashes (workers check them).
    overrides : tuple of dict
        Parameter values set on each scenario outside its file.
    samples, seed : int
        Prior draws and the master seed.
    solvers : tuple of str
        The posterior predictive's solution concepts (may be empty).
    weighted : tuple of bool
        Whether each file's observations enter the weight (``False``: held out,
        still evaluated).
    fallback : str
        ``"trace"``, ``"full"`` or ``"none"``; see :func:`calibrate`.
    check_convexity : bool
        As :func:`bargain.batch.batch_solve`.
    """

    files: tuple[str, ...]
    sha256: tuple[str, ...]
    overrides: tuple[dict[str, float], ...]
    samples: int
    seed: int = 0
    solvers: tuple[str, ...] = ("nash",)
    weighted: tuple[bool, ...] = ()
    fallback: str = "trace"
    check_convexity: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "files": list(self.files),
            "sha256": list(self.sha256),
            "overrides": [dict(o) for o in self.overrides],
            "samples": self.samples,
            "seed": self.seed,
            "solvers": list(self.solvers),
            "weighted": list(self.weighted),
            "fallback": self.fallback,
            "check_convexity": self.check_convexity,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CalibrationSpec:
        """The inverse of :meth:`to_dict`."""
        return cls(
            tuple(data["files"]),
            tuple(data["sha256"]),
            tuple(dict(o) for o in data["overrides"]),
            int(data["samples"]),
            int(data["seed"]),
            tuple(data["solvers"]),
            tuple(bool(b) for b in data["weighted"]),
            str(data["fallback"]),
            bool(data["check_convexity"]),
        )


def file_seed(seed: int, position: int) -> int:
    """The seed of the draws of the file at ``position``: ``seed`` itself for the first
    file (its draws are those of ``bargain sweep --samples N --seed seed``), else a
    child derived from ``(seed, position)`` by :class:`numpy.random.SeedSequence`.

    Examples
    --------
    >>> file_seed(7, 0), file_seed(7, 1) == file_seed(7, 1), file_seed(7, 1) != file_seed(7, 2)
    (7, True, True)
    """
    if position == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), position]).generate_state(1, np.uint32)[0])


def labels(paths: Sequence[str]) -> list[str]:
    """Short unique names of the files (their stems; ``stem~k`` for repeats).

    Examples
    --------
    >>> labels(["a/x.toml", "b/x.toml", "y.toml"])
    ['x', 'x~1', 'y']
    """
    out: list[str] = []
    for k, p in enumerate(paths):
        stem = Path(p).stem
        out.append(stem if stem not in out else f"{stem}~{k}")
    return out


def shared_names(scenarios: Sequence[Scenario]) -> dict[str, int]:
    """Each shared parameter's name and the position of the first file that declares it.

    Raises :class:`ScenarioError` naming both files when two files give a shared
    parameter different priors (value where there is no distribution, range,
    distribution, bounds), or one marks it shared and the other does not.
    """
    first: dict[str, int] = {}
    for k, s in enumerate(scenarios):
        for name, p in s.parameters.items():
            if p.shared and name not in first:
                first[name] = k
    for name, k in first.items():
        ref = scenarios[k].parameters[name]
        for j, s in enumerate(scenarios):
            other = s.parameters.get(name)
            if other is None or j == k:
                continue
            if _prior(other) != _prior(ref) or not other.shared:
                ref_path = scenarios[k].path
                problem = (
                    f"the parameter '{name}' is shared in {ref_path} but not in {s.path}"
                    if not other.shared
                    else f"the shared parameter '{name}' has different priors in {ref_path} "
                    f"and {s.path}"
                )
                raise ScenarioError(
                    problem,
                    key=f"parameters.{name}",
                    file=s.path,
                    fix="give it the same shared = true, range, distribution and bounds in "
                    "every file",
                )
    return first


def _prior(p: Any) -> tuple:
    dist = dict(p.distribution) if p.distribution else None
    point = p.value if p.range is None and dist is None else None
    return (point, p.range, json.dumps(dist, sort_keys=True), p.bounds)


def draws(
    scenarios: Sequence[Scenario], spec: CalibrationSpec, start: int, stop: int
) -> list[dict[str, np.ndarray]]:
    """Every file's parameter values at the draws ``start, ..., stop - 1``.

    The prior of a parameter is its declared ``distribution``; a parameter with a
    ``range`` but no distribution keeps its value (a range alone is a sensitivity
    range for sweeps and the tornado, not a belief: the flagship's swap line of 0
    has a range [0, 100] to explore, but no swap line was granted). The draws of
    the others are those of ``bargain sweep --samples`` with the file's seed.
    """
    out = []
    for k, s in enumerate(scenarios):
        sweep_spec = SweepSpec(samples=spec.samples, seed=file_seed(spec.seed, k))
        values = points(s, sweep_spec, start, stop)
        for name, p in s.parameters.items():
            if p.distribution is None:
                values[name] = np.full(stop - start, p.value, dtype=float)
        out.append(values)
    for name, k in shared_names(scenarios).items():
        for values in out:
            if name in values:
                values[name] = out[k][name]
    return out


# --------------------------------------------------------------------- columns
def _columns(
    loaded: Sequence[tuple[Scenario, Any]],
    spec: CalibrationSpec,
    start: int,
    stop: int,
    compiled: bool = False,
) -> dict[str, np.ndarray]:
    """The rows ``start, ..., stop - 1`` of a calibration, as named numpy columns."""
    scenarios = [s for s, _ in loaded]
    names = labels([s.path for s in scenarios])
    multi = len(scenarios) > 1
    size = stop - start
    values = draws(scenarios, spec, start, stop) if size else [{} for _ in scenarios]
    cols: dict[str, np.ndarray] = {"draw": np.arange(start, stop, dtype=np.int64)}
    log_weight = np.zeros(size)
    thetas = []
    for k, (s, bm) in enumerate(loaded):
        pre = f"{names[k]}:" if multi else ""
        theta = bm.theta(values[k], size) if size else np.zeros((len(s.parameters), 0))
        thetas.append(theta)
        for j, name in enumerate(s.parameters):
            cols[pre + name] = theta[j] if size else np.empty(0)
        cache: dict = {}  # observations of one deal share its evaluation
        for obs in s.observations:
            ll = log_likelihood(obs, bm, theta, compiled, cache) if size else np.empty(0)
            cols[f"{pre}loglik.{obs.name}"] = ll
            if spec.weighted[k]:
                log_weight = log_weight + ll
    cols["log_weight"] = log_weight
    with np.errstate(under="ignore"):
        cols["weight"] = np.exp(log_weight)
    solve = np.flatnonzero(log_weight > -np.inf)
    for k, (s, bm) in enumerate(loaded):
        pre = f"{names[k]}:" if multi else ""
        cols.update(_predictive(s, bm, thetas[k], solve, spec, compiled, pre))
    return cols


def output_column(scenario: Scenario, concept: str, name: str) -> str:
    """The column of an ``[outputs]`` formula at a concept's deal."""
    taken = set(scenario.issue_names) | {"status", "fallback"}
    return f"{concept}.{'output_' if name in taken else ''}{name}"


def _predictive(
    s: Scenario,
    bm: Any,
    theta: np.ndarray,
    solve: np.ndarray,
    spec: CalibrationSpec,
    compiled: bool,
    pre: str,
) -> dict[str, np.ndarray]:
    size = theta.shape[1]
    out: dict[str, np.ndarray] = {}
    results = {}
    if solve.size and spec.solvers:
        values = dict(zip(s.parameters, theta[:, solve], strict=True))
        results = batch_solve(
            bm,
            values,
            spec.solvers,
            fallback=spec.fallback == "full",
            check_convexity=spec.check_convexity,
            compiled=compiled,
        )
        if spec.fallback == "trace":
            _retrace(bm, values, results, compiled)
    d = bm.settings(theta[:, solve])["disagreement"] if solve.size else np.zeros((2, 0))
    model = bm.model
    for concept in spec.solvers:
        deal = np.full((size, bm.n), np.nan)
        util = np.full((size, 2), np.nan)
        status = np.full(size, NOT_SOLVED, dtype="<U13")
        fallback = np.zeros(size, dtype=bool)
        if concept in results:
            r = results[concept]
            deal[solve], util[solve], status[solve] = r.deal, r.utilities, r.status
            fallback[solve] = r.fallback
        gain = util.copy()
        gain[solve] -= d.T
        for i, issue in enumerate(s.issue_names):
            out[f"{pre}{concept}.{issue}"] = deal[:, i]
        for p, party in enumerate(s.party_names):
            out[f"{pre}{concept}.u_{party}"] = util[:, p]
            out[f"{pre}{concept}.gain_{party}"] = gain[:, p]
        for j, value in enumerate(_outputs(model, deal, theta, status == "ok")):
            out[pre + output_column(s, concept, list(s.outputs)[j])] = value
        out[f"{pre}{concept}.status"] = status
        out[f"{pre}{concept}.fallback"] = fallback
    return out


def _retrace(bm: Any, values: dict[str, np.ndarray], results: dict, compiled: bool) -> None:
    """Nash draws Newton's method could not certify, solved again from their traced
    frontier (which also checks their convexity); in place."""
    for concept, r in results.items():
        bad = np.flatnonzero(r.status == "not_converged")
        if concept == "rubinstein" or bad.size == 0:
            continue
        sub = {n: v[bad] for n, v in values.items()}
        again = batch_solve(
            bm, sub, [concept], fallback=False, check_convexity=True, compiled=compiled
        )[concept]
        r.status[bad], r.deal[bad], r.utilities[bad] = again.status, again.deal, again.utilities


def _outputs(model: Any, deal: np.ndarray, theta: np.ndarray, ok: np.ndarray) -> list[np.ndarray]:
    """The ``[outputs]`` formulas at the deals (nan where there is none)."""
    size = deal.shape[0]
    if not model.outputs:
        return []
    rows = [np.full(size, np.nan) for _ in model.outputs]
    idx = np.flatnonzero(ok)
    if idx.size:
        with np.errstate(all="ignore"):
            raw = model.output_function(*deal[idx].T, *theta[:, idx])
        for row, value in zip(rows, raw, strict=True):
            row[idx] = np.broadcast_to(np.asarray(value, dtype=float), (idx.size,))
    return rows


def _status_columns(columns: Mapping[str, np.ndarray]) -> list[str]:
    """The prefixes ``p`` of the columns ``p.status`` (written as strings)."""
    return [c[: -len(".status")] for c in columns if c.endswith(".status")]


def _run_chunk(spec_json: str, chunk: int, chunk_size: int, out: str, compiled: bool) -> int:
    """Compute one chunk of a calibration and write its part file; returns its rows."""
    spec = CalibrationSpec.from_dict(json.loads(spec_json))
    loaded = [
        _model(path, sha, overrides)
        for path, sha, overrides in zip(spec.files, spec.sha256, spec.overrides, strict=True)
    ]
    start = chunk * chunk_size
    stop = min(spec.samples, start + chunk_size)
    columns = _columns(loaded, spec, start, stop, compiled)
    target = Path(out)
    fmt = _format(target)
    _write_part(columns, _status_columns(columns), _part_path(_parts_dir(target), chunk, fmt), fmt)
    return stop - start


# ----------------------------------------------------------------------- run
def _scenarios(items: Sequence[Scenario | str | Path]) -> list[Scenario]:
    if isinstance(items, str | Path | Scenario):
        items = [items]
    out = [s if isinstance(s, Scenario) else load(s) for s in items]
    if not out:
        raise ScenarioError("no scenario to calibrate", fix="name at least one scenario file")
    return out


def _path(s: Scenario) -> str:
    return str(Path(s.path).resolve()) if Path(s.path).is_file() else s.path


def metadata(scenarios: Sequence[Scenario], spec: CalibrationSpec, compiled: bool) -> dict:
    """What a calibration's output records: version, each scenario and its hash, the
    seed and file seeds, the number of draws, the spec, the observations, and the
    parameters that are drawn (the priors)."""
    return {
        "bargain_version": __version__,
        "kind": "calibration",
        "scenarios": [
            {
                "path": s.path,
                "sha256": s.sha256,
                "overrides": dict(s.overrides),
                "seed": file_seed(spec.seed, k),
                "drawn": [n for n, p in s.parameters.items() if p.range or p.distribution],
                "observations": [o.name for o in s.observations],
            }
            for k, s in enumerate(scenarios)
        ],
        "seed": spec.seed,
        "samples": spec.samples,
        "shared": sorted(shared_names(scenarios)),
        "spec": spec.to_dict(),
        "compiled": compiled,
    }


def _run(
    scenarios: Sequence[Scenario],
    spec: CalibrationSpec,
    out: Path,
    *,
    chunk_size: int,
    workers: int | None,
    resume: bool,
    quiet: bool,
) -> dict[str, Any]:
    compiled = spec.samples >= batch_jit.MIN_POINTS and batch_jit.available()
    loaded = []
    for s, path in zip(scenarios, spec.files, strict=True):
        # compiled here, once: forked workers inherit the models (and the kernels)
        loaded.append(_model(path, s.sha256, s.overrides, s))
    if compiled:
        compiled = all(batch_jit.kernels(bm) is not None for _, bm in loaded)
    meta = metadata(scenarios, spec, compiled)
    header = list(_columns(loaded, spec, 0, 0))
    work = ChunkTask(
        _run_chunk, (json.dumps(spec.to_dict()),), (chunk_size, str(out.resolve()), compiled)
    )
    return run_chunks(
        out,
        work,
        size=spec.samples,
        chunk_size=chunk_size,
        meta=meta,
        header=header,
        workers=workers,
        resume=resume,
        quiet=quiet,
        what="calibration",
    )


def calibrate(
    scenarios: Sequence[Scenario | str | Path] | Scenario | str | Path,
    *,
    samples: int = 10_000,
    seed: int = 0,
    solvers: Sequence[str] = ("nash",),
    out: str | Path | None = None,
    resume: bool = False,
    workers: int | None = 1,
    chunk_size: int = 50_000,
    hold_out: bool = False,
    fallback: str = "trace",
    check_convexity: bool = False,
    quiet: bool = True,
) -> Calibration:
    """Calibrate one or several scenarios by their ``[[observations]]``.

    Parameters
    ----------
    scenarios : Scenario, path, or a sequence of them
        Calibrated together: shared parameters get one draw per point, and the
        weight of a draw is the product of every file's observation likelihoods.
    samples, seed : int
        Prior draws and the master seed (file ``k`` draws with :func:`file_seed`).
    solvers : sequence of str
        The posterior predictive's concepts, from :data:`bargain.batch.BATCH_METHODS`
        (empty: no predictive). Only draws with positive weight are solved.
    out : path, optional
        Write the draws to this ``.parquet`` or ``.csv`` file (else a temporary one).
    resume : bool
        Finish an interrupted run to ``out`` (only its missing chunks run).
    workers : int, optional
        Processes (default 1; ``None``: the CPU count).
    chunk_size : int
        Draws per chunk (the memory use grows with it).
    hold_out : bool
        Also, for each file with a ``signed`` observation, calibrate on the other
        files only and check the signed deal against that file's predictive
        (:attr:`Calibration.holdout`).
    fallback : {"trace", "full", "none"}
        What happens to the draws whose solution Newton's method cannot certify:
        ``"trace"`` (default) solves the Nash ones again from their traced frontier
        (:mod:`bargain.batch_frontier`, which also checks their convexity);
        ``"full"`` also sends what is left, and Rubinstein's, to the per-scenario
        solvers (:func:`bargain.batch.batch_solve` with ``fallback=True``: about
        4 s a draw on the flagship); ``"none"`` leaves them ``not_converged``.
        Every status other than ``ok``, ``no_agreement`` and ``not_solved`` is
        reported as not certified, never as a deal.
    check_convexity : bool
        As :func:`bargain.batch.batch_solve`. The convexity check costs about
        20 times the solve on the flagship, so it is off by default: an ``ok`` is
        then a certified local maximum of the Nash product (see
        docs/howto/calibrate.md).

    Returns
    -------
    Calibration

    Examples
    --------
    >>> import bargain
    >>> cal = bargain.calibrate("tests/calibrate/pie_observed.toml", samples=2000, seed=1)
    >>> round(float(cal.table["dA0"][cal.table["weight"] > 0].max()), 2)  # A accepted x = 0.3
    0.3
    """
    loaded = _scenarios(scenarios)  # type: ignore[arg-type]
    spec = _spec(loaded, samples, seed, solvers, fallback, check_convexity)
    table, meta = _table(loaded, spec, out, chunk_size, workers, resume, quiet)
    cal = Calibration(table, meta, tuple(loaded), spec)
    if hold_out:
        cal = replace(cal, holdout=tuple(_holdout(cal, chunk_size, workers)))
    return cal


def _spec(
    scenarios: Sequence[Scenario],
    samples: int,
    seed: int,
    solvers: Sequence[str],
    fallback: str,
    check_convexity: bool,
) -> CalibrationSpec:
    if isinstance(samples, bool) or int(samples) < 1:
        raise ScenarioError(f"--samples is {samples}; it must be at least 1", fix="give N >= 1")
    unknown = [m for m in solvers if m not in BATCH_METHODS]
    if unknown:
        raise ScenarioError(
            f"--solver: unknown solution concept '{unknown[0]}'",
            fix=suggest(unknown[0], BATCH_METHODS),
        )
    if fallback not in ("trace", "full", "none"):
        raise ScenarioError(f"unknown fallback {fallback!r}", fix="choose trace, full or none")
    shared_names(scenarios)  # different priors for one shared name: an error before any work
    return CalibrationSpec(
        tuple(_path(s) for s in scenarios),
        tuple(s.sha256 for s in scenarios),
        tuple(dict(s.overrides) for s in scenarios),
        int(samples),
        int(seed),
        tuple(solvers),
        tuple(True for _ in scenarios),
        str(fallback),
        bool(check_convexity),
    )


def _table(
    scenarios: Sequence[Scenario],
    spec: CalibrationSpec,
    out: str | Path | None,
    chunk_size: int,
    workers: int | None,
    resume: bool,
    quiet: bool,
) -> tuple[Any, dict[str, Any]]:
    if chunk_size <= 0:
        raise ScenarioError(f"chunk size {chunk_size} must be positive", fix="give N >= 1")
    if out is None:
        if resume:
            raise ScenarioError("--resume needs --out", fix="name the file of the interrupted run")
        with tempfile.TemporaryDirectory(prefix="bargain-calibrate-") as tmp:
            target = Path(tmp) / "draws.parquet"
            _run(
                scenarios,
                spec,
                target,
                chunk_size=chunk_size,
                workers=workers,
                resume=False,
                quiet=quiet,
            )
            table = read_sweep(target)
    else:
        target = Path(out)
        _format(target)
        _run(
            scenarios,
            spec,
            target,
            chunk_size=chunk_size,
            workers=workers,
            resume=resume,
            quiet=quiet,
        )
        table = read_sweep(target)
    return table, dict(table.attrs["bargain"])


def _holdout(cal: Calibration, chunk_size: int, workers: int | None) -> list[dict[str, Any]]:
    """Each file with a ``signed`` observation, against the others' posterior."""
    out = []
    names = labels([s.path for s in cal.scenarios])
    concept = "nash"  # the percentile is taken in the Nash deal's predictive
    for k, s in enumerate(cal.scenarios):
        signed = [o for o in s.observations if o.kind == "signed"]
        if not signed:
            continue
        weighted = tuple(j != k for j in range(len(cal.scenarios)))
        spec = replace(cal.spec, weighted=weighted, solvers=(concept,))
        table, _ = _table(cal.scenarios, spec, None, chunk_size, workers, False, True)
        w = _normalised(table["log_weight"].to_numpy())
        pre = f"{names[k]}:" if len(cal.scenarios) > 1 else ""
        for obs in signed:
            like = np.exp(table[f"{pre}loglik.{obs.name}"].to_numpy())
            given = [i for i in s.issue_names if i in obs.deal]
            entry: dict[str, Any] = {
                "file": s.path,
                "observation": obs.name,
                "calibrated_on": [c.path for j, c in enumerate(cal.scenarios) if j != k],
                "draws_with_weight": int((w > 0).sum()),
                "p_both_accept": float((w * like).sum() / w.sum()) if w.sum() > 0 else None,
            }
            if given:
                issue = given[0]
                deals = table[f"{pre}{concept}.{issue}"].to_numpy()
                ok = np.isfinite(deals) & (w > 0)
                total = w[ok].sum()
                below = w[ok & (deals <= obs.deal[issue])].sum()
                entry.update(
                    issue=issue,
                    signed_value=obs.deal[issue],
                    percentile=float(100 * below / total) if total > 0 else None,
                )
            out.append(entry)
    return out


# ---------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class Calibration:
    """A calibration's draws, their weights and posterior predictive, and summaries.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per draw: ``draw``; every parameter; ``loglik.<observation>``;
        ``log_weight`` and ``weight``; for each concept ``<concept>.<issue>``,
        ``.u_<party>``, ``.gain_<party>``, the outputs, ``.status`` (``not_solved``
        where the weight is zero) and ``.fallback``. With several files every
        column but ``draw``, ``log_weight`` and ``weight`` starts with the file's
        label and a colon (``standoff:nash.e``).
    meta : dict
        What the output file records (version, hashes, seeds, spec).
    scenarios : tuple of Scenario
    spec : CalibrationSpec
    holdout : tuple of dict
        The hold-out checks, if asked for.
    """

    table: Any
    meta: dict[str, Any]
    scenarios: tuple[Scenario, ...]
    spec: CalibrationSpec
    holdout: tuple[dict[str, Any], ...] = field(default=())

    @property
    def weights(self) -> np.ndarray:
        """The draws' weights, scaled so that the largest is 1."""
        return _normalised(self.table["log_weight"].to_numpy())

    def _prefix(self, k: int) -> str:
        return f"{labels([s.path for s in self.scenarios])[k]}:" if len(self.scenarios) > 1 else ""

    def summary(self) -> dict[str, Any]:
        """Everything the report prints, JSON-ready (nan as None)."""
        from .calibrate_report import summary

        data = summary(self)
        data["holdout"] = list(self.holdout)
        return data

    def report(self) -> str:
        """The text report: draws, acceptance, ESS, parameters, observations, predictive."""
        from .calibrate_report import render

        return render(self.summary())

    def to_json(self) -> str:
        """:meth:`summary` as JSON."""
        return json.dumps(self.summary(), indent=2, allow_nan=False)
