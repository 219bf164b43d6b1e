"""Batched Nash and Rubinstein solutions for many parameter points at once.

The per-scenario solvers (:mod:`bargain.nash`, :mod:`bargain.rubinstein`) trace
the frontier with a scalar optimiser; a sweep over a million parameter points
needs the same answers as whole-array operations. Here every point's problem is
solved side by side on numpy arrays, with the exact gradients and Hessians of
the compiled utilities (sympy, then lambdify):

* **Nash** (symmetric or asymmetric) maximises, over the box of issues,

  .. math::

      f(x) = \\alpha_1 \\log (u_1(x) - d_1) + \\alpha_2 \\log (u_2(x) - d_2),

  by a projected Newton method (Bertsekas 1982) on all points at once: the
  binding bounds are held, the Newton step is taken on the free issues, and a
  backtracking (Armijo) line search on :math:`f` along the projected path keeps
  every step an ascent. It starts from the best point of a coarse grid over the
  box. Where no grid point gives both parties a gain, a first phase maximises
  the soft minimum of the scaled gains,
  :math:`-\\tau \\log \\sum_i e^{-g_i/\\tau}`, to find one, or to show there is
  none (status ``no_agreement``).
* **Rubinstein** (discounting and breakdown risk, :mod:`bargain.rubinstein`)
  solves the stationary equilibrium's two offers :math:`x^1, x^2` together:
  both on the Pareto frontier (:math:`\\nabla g_1 + \\lambda_k \\nabla g_2 = 0` on
  the free issues) and each making the responder indifferent,

  .. math::

      g_2(x^1) = \\delta_2' g_2(x^2), \\qquad g_1(x^2) = \\delta_1' g_1(x^1),
      \\qquad \\delta_j' = (1 - p) \\delta_j,

  by a damped Newton method on this system of :math:`2n + 2` equations with an
  active set for the bounds, started at the Nash solution.

Every point is checked at the end (first- and second-order conditions, both
gains positive, the offers on the decreasing part of the frontier).

* **Convexity** (``check_convexity=True``, the default): like
  :func:`bargain.nash_solution`, the batched Nash solver traces each point's
  frontier on the same 81-level grid (:mod:`bargain.batch_frontier`) and reports
  ``nonconvex`` where it is not concave. On a concave frontier a local maximum
  that no grid point beats is the solution, so the trace also certifies maxima
  that the local check cannot (a flat direction: no equity, where the say no
  longer matters), and points are solved again from the best grid point's deal
  where needed. The trace costs about 10 ms per point; without it an ``ok`` is a
  local maximum of the Nash product with a negative definite reduced Hessian.
* **Fallback** (``fallback=True``): a point that fails its check is solved again
  from its traced frontier (Nash as above; Rubinstein's offers started on the
  frontier by :mod:`bargain.batch_offers`), and what is still left, or not
  covered by the batched Rubinstein (per-round costs, outside options, a
  deadline, a party with :math:`\\delta' = 1`), by the per-scenario solver.
  ``BatchResult.fallback`` marks the points solved one by one.

References
----------
.. [1] Bertsekas, D. P. (1982). Projected Newton methods for optimization
   problems with simple constraints. SIAM J. Control and Optimization 20(2),
   221-246.
.. [2] Rubinstein, A. (1982). Perfect equilibrium in a bargaining model.
   Econometrica 50(1), 97-109.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from .frontier import Frontier
from .model import _SETTINGS, NUMPY_MODULES
from .nash import nash_solution
from .rubinstein import rubinstein_solution
from .scenario import Scenario

__all__ = ["BatchModel", "BatchResult", "batch_nash", "batch_rubinstein", "batch_solve"]

_MAXIT = 60  # Newton iterations (Nash)
_MAXIT_OFFERS = 30  # Newton iterations (Rubinstein offers)
_STEP_TOL = 1e-12  # converged when the Newton step is below this share of the box
_GRAD_TOL = 1e-7  # KKT residual allowed at the end, relative
_GAIN_TOL = 1e-7  # scaled gains below this are too close to disagreement: fall back
_NO_DEAL = -1e-3  # best soft-minimum of scaled gains below this: no agreement
_TAU = 1e-2  # temperature of the soft minimum, scaled units
_GRID_POINTS = 64  # at most this many grid points in the starting search
_RESOLUTION = 81  # frontier grid of the convexity check, as bargain.Frontier's default


# ---------------------------------------------------------------------------- model
def _hoist(expr: sp.Expr, issues: set[sp.Symbol], table: dict[sp.Expr, sp.Symbol]) -> Any:
    """Replace every issue-free subexpression by a symbol computed once per point."""
    if not expr.free_symbols & issues:
        if expr.is_Atom:
            return expr
        if expr not in table:
            table[expr] = sp.Symbol(f"_h{len(table)}", real=True)
        return table[expr]
    if isinstance(expr, sp.Add | sp.Mul):
        fixed = [a for a in expr.args if not a.free_symbols & issues]
        moving = [_hoist(a, issues, table) for a in expr.args if a.free_symbols & issues]
        if fixed:
            moving.append(_hoist(expr.func(*fixed), issues, table))
        return expr.func(*moving)
    if not expr.args:
        return expr
    return expr.func(*[_hoist(a, issues, table) for a in expr.args])


def _no_delta(expr: sp.Expr) -> sp.Expr:
    """Second derivatives of kinks (``max``, ``abs``) are zero almost everywhere."""
    return expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero)


class BatchModel:
    """A scenario's utilities with exact gradients and Hessians, for arrays of points.

    Sub-expressions that depend on the parameters only are computed once per
    parameter point (:meth:`prepare`); the issue-dependent rest is evaluated at
    every Newton step (:meth:`evaluate`). Points run along the last axis.

    Examples
    --------
    >>> import bargain, numpy as np
    >>> bm = BatchModel(bargain.load("scenarios/textbook/unit_pie.toml"))
    >>> ctx = bm.prepare(bm.theta({}, 1))
    >>> u, g, h = bm.evaluate(np.array([[0.25]]), ctx, derivatives=True)
    >>> u[:, 0].tolist(), g[:, :, 0].tolist()
    ([0.25, 0.75], [[1.0], [-1.0]])
    """

    def __init__(self, scenario: Scenario) -> None:
        model = scenario.model
        self.scenario = scenario
        self.model = model
        self.n = len(model.issues)
        self.lower = np.asarray(model.lower, dtype=float)
        self.upper = np.asarray(model.upper, dtype=float)
        self.span = np.where(self.upper > self.lower, self.upper - self.lower, 1.0)
        xs = list(model.issues)
        utils = [model.utilities[p] for p in model.party_names]
        grads = [sp.diff(u, x) for u in utils for x in xs]
        hess = [_no_delta(sp.diff(u, a, b)) for u in utils for a in xs for b in xs]
        table: dict[sp.Expr, sp.Symbol] = {}
        issues = set(xs)
        values = [_hoist(e, issues, table) for e in utils]
        full = [_hoist(e, issues, table) for e in (*utils, *grads, *hess)]
        params = list(model.parameters)
        used = set().union(*(sp.sympify(e).free_symbols for e in full)) & set(params)
        self._stage2_params = [i for i, p in enumerate(params) if p in used]
        stage2 = [*xs, *(params[i] for i in self._stage2_params), *table.values()]
        self._pre = sp.lambdify(params, list(table), NUMPY_MODULES, cse=True)
        self._value = sp.lambdify(stage2, values, NUMPY_MODULES, cse=True)
        self._full = sp.lambdify(stage2, full, NUMPY_MODULES, cse=True)
        self._hoisted = len(table)
        self._breakdown = sp.lambdify(params, model.breakdown_expr, NUMPY_MODULES)

    def theta(self, values: Mapping[str, ArrayLike], size: int | None = None) -> np.ndarray:
        """Parameter arrays of shape ``(P, N)`` in model order; missing names take file values."""
        base = self.scenario.parameter_values()
        arrays = [np.asarray(values.get(n, base[n]), dtype=float) for n in base]
        shape = np.broadcast_shapes(*(a.shape for a in arrays), (size,) if size else (1,))
        if len(shape) != 1:
            raise ValueError("parameter values must be scalars or 1-d arrays of one length")
        rows = [np.broadcast_to(a, shape) for a in arrays]
        return np.array(rows, dtype=float).reshape(len(base), shape[0])

    def prepare(self, theta: np.ndarray) -> np.ndarray:
        """The per-point context: stage-two parameters and hoisted sub-expressions."""
        size = theta.shape[1]
        with np.errstate(all="ignore"):
            pre = self._pre(*theta) if self._hoisted else []
        rows = [theta[i] for i in self._stage2_params] + [
            np.broadcast_to(np.asarray(v, dtype=float), (size,)) for v in pre
        ]
        return np.array(rows, dtype=float).reshape(len(rows), size)

    def evaluate(
        self, x: np.ndarray, ctx: np.ndarray, derivatives: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Utilities ``(2, N)``; if asked, gradients ``(2, n, N)``, Hessians ``(2, n, n, N)``."""
        size, n = x.shape[1], self.n
        with np.errstate(all="ignore"):
            if not derivatives:
                raw = self._value(*x, *ctx)
                return _rows(raw, size).reshape(2, size), np.empty(0), np.empty(0)
            out = _rows(self._full(*x, *ctx), size)
            # 0/0 at the edge of the box (e.g. d/dx x**k = k x**k / x at 0): take the
            # one-sided derivatives a hair inside; cap what stays infinite (sqrt at 0)
            bad = ~np.isfinite(out[2:]).all(axis=0)
            if bad.any():
                mid = ((self.lower + self.upper) / 2)[:, None]
                inside = x[:, bad] + 1e-10 * (mid - x[:, bad])
                near = _rows(self._full(*inside, *ctx[:, bad]), int(bad.sum()))[2:]
                here = out[2:, bad]
                out[2:, bad] = np.where(np.isfinite(here), here, near)
        u = out[:2]
        out[2:] = np.nan_to_num(out[2:], nan=0.0, posinf=1e12, neginf=-1e12)
        g = out[2 : 2 + 2 * n].reshape(2, n, size)
        h = out[2 + 2 * n :].reshape(2, n, n, size)
        return u, g, h

    def settings(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Disagreement, discount, outside option, power, cost per round: ``(2, N)`` each.

        Also ``"breakdown"``, the per-round breakdown probability ``(N,)`` (it may be a
        formula of the parameters, so it differs from point to point).
        """
        size = theta.shape[1]
        with np.errstate(all="ignore"):
            raw = _rows(self.model.settings_function(*theta), size)
            breakdown = np.broadcast_to(np.asarray(self._breakdown(*theta), dtype=float), (size,))
        table = raw.reshape(2, len(_SETTINGS), size)
        out = {key: table[:, j] for j, key in enumerate(_SETTINGS)}
        out["breakdown"] = breakdown.copy()
        powers = out["power"]
        both_nan = np.isnan(powers).all(axis=0)
        filled = np.where(np.isnan(powers), 1.0 - np.nansum(powers, axis=0), powers)
        filled = np.where(both_nan, 0.5, filled)
        out["power"] = filled / filled.sum(axis=0)
        return out

    def scale(self, theta: np.ndarray, ctx: np.ndarray, d: np.ndarray) -> np.ndarray:
        """The frontier's scale of each party's gains (as :class:`bargain.Frontier` sets it)."""
        spread = np.zeros_like(d)
        for x in _start_points(self.lower, self.upper):
            u, _, _ = self.evaluate(np.repeat(x[:, None], d.shape[1], axis=1), ctx)
            with np.errstate(invalid="ignore"):
                spread = np.fmax(spread, np.abs(u - d))
        return np.where(np.isfinite(spread) & (spread > 1e-12), spread, 1.0)


def _rows(raw: Any, size: int) -> np.ndarray:
    return np.array([np.broadcast_to(np.asarray(r, dtype=float), (size,)) for r in raw])


def _start_points(lower: np.ndarray, upper: np.ndarray, count: int = 8) -> list[np.ndarray]:
    """The starting points of :class:`bargain.Frontier` (seed 0), which set its scale."""
    rng = np.random.default_rng(0)
    n = lower.size
    pts = [(lower + upper) / 2]
    corners = min(2**n, max(count // 2, 2))
    for k in rng.permutation(2**n)[:corners] if n <= 20 else range(corners):
        bits = (int(k) >> np.arange(n)) & 1
        pts.append(lower + 0.9 * bits * (upper - lower) + 0.05 * (upper - lower))
    while len(pts) < count:
        pts.append(lower + rng.random(n) * (upper - lower))
    return pts


def _grid(lower: np.ndarray, upper: np.ndarray) -> list[np.ndarray]:
    """A coarse grid over the box (or seeded random points in many dimensions)."""
    n = lower.size
    k = int(np.floor(_GRID_POINTS ** (1.0 / n) + 1e-9))
    if k >= 3:
        axes = [np.linspace(0.0, 1.0, k)] * n
        unit = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, n)
    else:
        unit = np.random.default_rng(1).random((_GRID_POINTS, n))
    return [lower + u * (upper - lower) for u in unit] + _start_points(lower, upper)


# ------------------------------------------------------------------------ results
@dataclass(frozen=True)
class BatchResult:
    """One solution concept at many parameter points.

    Attributes
    ----------
    method : str
        ``"nash"``, ``"asymmetric_nash"`` or ``"rubinstein"``.
    issues, parties : tuple of str
    status : ndarray of str, shape (N,)
        As the per-scenario solver's (see :data:`bargain.STATUSES`).
    deal : ndarray, shape (N, n)
        Issue values (nan unless the status is ok).
    utilities : ndarray, shape (N, 2)
        Both parties' utilities at the deal (nan unless ok).
    iterations : ndarray of int, shape (N,)
        Newton iterations (0 where the point fell back).
    fallback : ndarray of bool, shape (N,)
        Points solved by the per-scenario solver instead.
    """

    method: str
    issues: tuple[str, ...]
    parties: tuple[str, str]
    status: np.ndarray
    deal: np.ndarray
    utilities: np.ndarray
    iterations: np.ndarray
    fallback: np.ndarray
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def fallback_rate(self) -> float:
        """The share of points solved by the per-scenario solver."""
        return float(self.fallback.mean()) if self.fallback.size else 0.0

    def columns(self, prefix: str | None = None) -> dict[str, np.ndarray]:
        """Flat named columns: ``<method>.<issue>``, ``<method>.u_<party>``, ``<method>.status``."""
        p = self.method if prefix is None else prefix
        out: dict[str, np.ndarray] = {}
        for k, name in enumerate(self.issues):
            out[f"{p}.{name}"] = self.deal[:, k]
        for k, name in enumerate(self.parties):
            out[f"{p}.u_{name}"] = self.utilities[:, k]
        out[f"{p}.status"] = self.status
        out[f"{p}.fallback"] = self.fallback
        return out


class _Batch:
    """Everything the solvers share for one array of parameter points."""

    def __init__(self, bm: BatchModel, theta: np.ndarray) -> None:
        self.bm = bm
        self.theta = theta
        self.size = theta.shape[1]
        self.ctx = bm.prepare(theta)
        self.settings = bm.settings(theta)
        self.d = self.settings["disagreement"]
        self.scale = bm.scale(theta, self.ctx, self.d)
        self._frontiers: dict[int, Frontier] = {}
        self._traced = np.zeros(0, dtype=int)
        self._traces: list[Any] = []

    def problem_at(self, i: int) -> Any:
        values = dict(zip(self.bm.model.parameter_names, self.theta[:, i], strict=True))
        return self.bm.model.problem({k: float(v) for k, v in values.items()})

    def trace(self, idx: np.ndarray) -> Any:
        """The traced frontiers of the points ``idx`` (each point traced once per batch)."""
        from .batch_frontier import trace_frontier

        missing = np.setdiff1d(idx, self._traced)
        if missing.size:
            new = trace_frontier(self.bm, self.theta[:, missing], resolution=_RESOLUTION)
            self._traced = np.concatenate([self._traced, missing])
            self._traces.append(new)
            order = np.argsort(self._traced, kind="stable")
            merged = _concat_traces(self._traces)
            self._traced, self._traces = self._traced[order], [merged.take(order)]
        rows = np.searchsorted(self._traced, idx)
        return self._traces[0].take(rows)

    def frontier_at(self, i: int) -> Frontier:
        if i not in self._frontiers:
            self._frontiers[i] = Frontier(self.problem_at(i))
        return self._frontiers[i]


def _concat_traces(traces: list[Any]) -> Any:
    """One trace from several (of different points, the same resolution)."""
    if len(traces) == 1:
        return traces[0]
    first = traces[0]
    return type(first)(
        **{f: np.concatenate([getattr(t, f) for t in traces]) for f in first.__dataclass_fields__}
    )


def _empty(batch: _Batch, method: str) -> BatchResult:
    bm, size = batch.bm, batch.size
    return BatchResult(
        method,
        bm.model.issue_names,
        bm.model.party_names,
        np.full(size, "not_converged", dtype="<U13"),
        np.full((size, bm.n), np.nan),
        np.full((size, 2), np.nan),
        np.zeros(size, dtype=int),
        np.zeros(size, dtype=bool),
    )


def _fill_fallback(result: BatchResult, batch: _Batch, which: np.ndarray, solver: Callable) -> None:
    for i in np.flatnonzero(which):
        sol = solver(int(i), batch.problem_at(int(i)), batch.frontier_at(int(i)))
        result.status[i] = sol.status
        result.fallback[i] = True
        result.iterations[i] = 0
        if sol.ok:
            result.deal[i] = [sol.deal[k] for k in result.issues]
            result.utilities[i] = [sol.utilities[p] for p in result.parties]
        else:
            result.deal[i] = np.nan
            result.utilities[i] = np.nan


# ---------------------------------------------------------------- linear algebra
def _negdef(m: np.ndarray, slack: float = 0.0) -> np.ndarray:
    """Whether each matrix of a stack ``(N, n, n)`` is negative definite.

    With ``slack > 0``: negative semidefinite up to ``slack`` times its largest entry.
    """
    n = m.shape[-1]
    if slack:
        size = np.abs(m).max(axis=(1, 2), keepdims=True)
        m = m - slack * size * np.eye(n)[None]
    if n == 1:
        return m[:, 0, 0] < 0
    if n == 2:
        det = m[:, 0, 0] * m[:, 1, 1] - m[:, 0, 1] * m[:, 1, 0]
        return (m[:, 0, 0] < 0) & (det > 0)
    ok = np.all(np.isfinite(m), axis=(1, 2))
    out = np.zeros(m.shape[0], dtype=bool)
    if ok.any():
        out[ok] = np.linalg.eigvalsh(m[ok]).max(axis=1) < 0
    return out


def _solve(m: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve the stack of systems ``m x = b`` (nan where singular)."""
    with np.errstate(all="ignore"):
        if m.shape[-1] == 1:
            return b / m[:, :, 0]
        if m.shape[-1] == 2:
            det = m[:, 0, 0] * m[:, 1, 1] - m[:, 0, 1] * m[:, 1, 0]
            x0 = (m[:, 1, 1] * b[:, 0] - m[:, 0, 1] * b[:, 1]) / det
            x1 = (m[:, 0, 0] * b[:, 1] - m[:, 1, 0] * b[:, 0]) / det
            return np.stack([x0, x1], axis=1)
        out = np.full(b.shape, np.nan)
        good = np.all(np.isfinite(m), axis=(1, 2)) & np.all(np.isfinite(b), axis=1)
        good[good] = np.abs(np.linalg.det(m[good])) > 1e-300
        if good.any():
            out[good] = np.linalg.solve(m[good], b[good][..., None])[..., 0]
        return out


def _modified_step(hess: np.ndarray, grad: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Newton step on ``-|H|`` (eigenvalues made negative) where ``H`` is not negative definite.

    Falls back to a box-sized steepest-ascent step where the Hessian is not finite.
    """
    out = np.zeros_like(grad)
    finite = np.all(np.isfinite(hess), axis=(1, 2)) & np.all(np.isfinite(grad), axis=1)
    if finite.any():
        lam, vec = np.linalg.eigh(hess[finite])
        floor = 1e-8 * np.abs(lam).max(axis=1, keepdims=True) + 1e-300
        mod = np.maximum(np.abs(lam), floor)
        coef = np.einsum("mkj,mk->mj", vec, grad[finite]) / mod
        out[finite] = np.einsum("mkj,mj->mk", vec, coef)
    steep = ~finite
    norm = np.abs(np.nan_to_num(grad[steep]) * span).max(axis=1, initial=0.0)
    out[steep] = np.nan_to_num(grad[steep]) * span**2 / np.where(norm > 0, norm, 1.0)[:, None]
    return out


def _reduce(hess: np.ndarray, grad: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hessian and gradient on the free issues: fixed ones get a -1 diagonal, 0 gradient."""
    both = free[:, :, None] & free[:, None, :]
    eye = np.eye(free.shape[1], dtype=bool)[None]
    h = np.where(both, hess, np.where(eye, -1.0, 0.0))
    return h, np.where(free, grad, 0.0)


# ------------------------------------------------------------------- objectives
Objective = Callable[[np.ndarray, Any, Any, np.ndarray], tuple[np.ndarray, Any, Any]]


def _nash_objective(alpha: np.ndarray, d: np.ndarray) -> Objective:
    """``f = sum_i alpha_i log(u_i - d_i)`` with gradient ``(N, n)`` and Hessian ``(N, n, n)``."""

    def objective(u, g, h, sel):
        gain = u - d[:, sel]
        a = alpha[:, sel]
        with np.errstate(all="ignore"):
            f = np.where((gain > 0).all(axis=0), (a * np.log(gain)).sum(axis=0), -np.inf)
            if g is None:
                return f, g, h
            w = a / gain  # (2, m)
            grad = np.einsum("im,ikm->mk", w, g)
            hess = np.einsum("im,iklm->mkl", w, h) - np.einsum("im,ikm,ilm->mkl", w / gain, g, g)
        return f, grad, hess

    return objective


def _softmin_objective(d: np.ndarray, scale: np.ndarray) -> Objective:
    """The soft minimum of scaled gains, ``-tau log sum_i exp(-g_i / tau)``."""

    def objective(u, g, h, sel):
        z = (u - d[:, sel]) / scale[:, sel]
        low = z.min(axis=0)
        with np.errstate(all="ignore"):
            e = np.exp(-(z - low) / _TAU)
            f = low - _TAU * np.log(e.sum(axis=0))
            if g is None:
                return f, g, h
            w = e / e.sum(axis=0)
            gs = g / scale[:, None, sel]
            hs = h / scale[:, None, None, sel]
            grad = np.einsum("im,ikm->mk", w, gs)
            second = np.einsum("im,ikm,ilm->mkl", w, gs, gs) - np.einsum("mk,ml->mkl", grad, grad)
            hess = np.einsum("im,iklm->mkl", w, hs) - second / _TAU
        return f, grad, hess

    return objective


# ------------------------------------------------------------------ the method
def _projected_newton(
    batch: Any,
    objective: Objective,
    x: np.ndarray,
    ftol: float = 0.0,
    stop: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximise ``objective`` over the box from ``x`` (n, N); returns x, converged, iterations.

    Stops a point when its Newton step is below ``_STEP_TOL`` of the box, when the
    predicted increase is below ``ftol * (1 + |f|)``, or when ``stop(x, which)`` says so.
    """
    bm = batch.bm
    lo, hi, span = bm.lower[:, None], bm.upper[:, None], bm.span
    size = x.shape[1]
    x = np.clip(x, lo, hi)
    converged = np.zeros(size, dtype=bool)
    iterations = np.zeros(size, dtype=int)
    active = np.arange(size)
    u, g, h = bm.evaluate(x, batch.ctx, derivatives=True)
    f, grad, hess = objective(u, g, h, active)
    for _ in range(_MAXIT):
        if active.size == 0:
            break
        xa = x[:, active].T  # (m, n)
        free = ~(((xa <= bm.lower) & (grad < 0)) | ((xa >= bm.upper) & (grad > 0)))
        hr, gr = _reduce(hess, grad, free)
        step = -_solve(hr, gr)
        ascent = np.einsum("mk,mk->m", step, gr)
        bad = ~_negdef(hr) | ~np.all(np.isfinite(step), axis=1) | ~(ascent > 0)
        step[bad] = _modified_step(hr[bad], gr[bad], span)
        small = ~bad & (np.abs(step / span).max(axis=1) <= _STEP_TOL)
        ascent = np.einsum("mk,mk->m", step, gr)
        small |= np.isfinite(f) & (ascent <= ftol * (1 + np.abs(f)))
        t = np.ones(active.size)
        accepted = np.zeros(active.size, dtype=bool)
        x_new = xa.copy()
        pending = np.arange(active.size)
        for _ls in range(45):
            trial = np.clip(xa[pending] + t[pending, None] * step[pending], bm.lower, bm.upper)
            ut, _, _ = bm.evaluate(trial.T, batch.ctx[:, active[pending]])
            ft, _, _ = objective(ut, None, None, active[pending])
            gain = np.einsum("mk,mk->m", grad[pending], trial - xa[pending])
            ok = ft >= f[pending] + 1e-4 * gain - 1e-15 * np.abs(f[pending])
            x_new[pending[ok]] = trial[ok]
            accepted[pending[ok]] = True
            pending = pending[~ok]
            if pending.size == 0:
                break
            t[pending] *= 0.5
        x[:, active] = x_new.T
        iterations[active] += 1
        moved = np.abs((x_new - xa) / span).max(axis=1)
        done = small | (accepted & (moved <= _STEP_TOL)) | ~accepted
        if stop is not None:
            done |= stop(x[:, active], active)
        converged[active[done & accepted]] = True
        converged[active[done & small]] = True
        active = active[~done]
        if active.size:
            u, g, h = bm.evaluate(x[:, active], batch.ctx[:, active], derivatives=True)
            f, grad, hess = objective(u, g, h, active)
    return x, converged, iterations


def _kkt_ok(batch: Any, objective: Objective, x: np.ndarray, flat: bool = False) -> np.ndarray:
    """First- and second-order conditions of a maximum over the box, at each point.

    With ``flat``, also maxima with directions along which neither utility changes
    (:func:`_flat_maximum`). Such a maximum is often not the global one (on the
    Korea-US flagship: no equity, where the say no longer matters, while a small
    equity share does better), so it is accepted only after a global check.
    """
    bm = batch.bm
    sel = np.arange(x.shape[1])
    u, g, h = bm.evaluate(x, batch.ctx, derivatives=True)
    f, grad, hess = objective(u, g, h, sel)
    xt = x.T
    at_lo, at_hi = xt <= bm.lower, xt >= bm.upper
    # a bound holds an issue only with a multiplier clearly away from zero (strict
    # complementarity); a bound with a zero multiplier counts as free, and must curve down
    push = 1e-9 * (1.0 + np.abs(grad).max(axis=1, keepdims=True))
    free = ~((at_lo & (grad < -push)) | (at_hi & (grad > push)))
    hr, gr = _reduce(hess, np.where(at_lo | at_hi, 0.0, grad), free)
    # the gradient is tiny on the free issues next to the curvature over the box
    curvature = np.abs(hr).max(axis=(1, 2)) * bm.span.max() + 1e-300
    first = np.abs(gr).max(axis=1) <= _GRAD_TOL * np.maximum(curvature, 1.0)
    ok = np.isfinite(f) & first
    second = _negdef(hr)
    semi = ok & ~second
    if flat and semi.any():
        second[semi] = _flat_maximum(batch, x[:, semi], u[:, semi], hr[semi], semi)
    return ok & second


def _flat_maximum(
    batch: Any, x: np.ndarray, u: np.ndarray, hr: np.ndarray, which: np.ndarray
) -> np.ndarray:
    """A maximum with flat directions along which neither utility changes at all.

    E.g. Korea's say over projects when there is no equity (``e = 0``): the reduced
    Hessian is only negative semidefinite. Such a point is still a local maximum
    (every deal near it gives the same utilities as one with a negative definite
    reduced Hessian or a strictly binding bound), and its utilities are unique; the
    issue along the flat direction is then indeterminate. Certified when the
    utilities are equal, to 1e-10, at six points along each flat direction across
    the box.
    """
    bm = batch.bm
    lam, vec = np.linalg.eigh(np.nan_to_num(hr))
    size = np.abs(lam).max(axis=1, keepdims=True) + 1e-300
    null = np.abs(lam) <= 1e-9 * size
    ok = np.all((lam < 0) | null, axis=1) & null.any(axis=1)
    ctx = batch.ctx[:, which]
    for j in range(bm.n):
        check = ok & null[:, j]
        if not check.any():
            continue
        d = vec[check, :, j].T * bm.span[:, None]
        for t in (-1.0, -0.5, -0.1, 0.1, 0.5, 1.0):
            trial = np.clip(x[:, check] + t * d, bm.lower[:, None], bm.upper[:, None])
            ut, _, _ = bm.evaluate(trial, ctx[:, check])
            same = np.all(np.abs(ut - u[:, check]) <= 1e-10 * (1 + np.abs(u[:, check])), axis=0)
            ok[np.flatnonzero(check)[~same]] = False
            check[np.flatnonzero(check)[~same]] = False
    return ok


def _start(batch: _Batch, alpha: np.ndarray, extra: Sequence[np.ndarray]) -> tuple:
    """The best grid point per parameter point: by Nash objective, else by the smallest gain."""
    bm = batch.bm
    size = batch.size
    best_x = np.repeat(((bm.lower + bm.upper) / 2)[:, None], size, axis=1)
    best_f = np.full(size, -np.inf)
    best_m = np.full(size, -np.inf)
    best_mx = best_x.copy()
    nash = _nash_objective(alpha, batch.d)
    sel = np.arange(size)
    points = [np.repeat(p[:, None], size, axis=1) for p in _grid(bm.lower, bm.upper)]
    for x in [*points, *extra]:
        u, _, _ = bm.evaluate(x, batch.ctx)
        f, _, _ = nash(u, None, None, sel)
        with np.errstate(invalid="ignore"):
            m = ((u - batch.d) / batch.scale).min(axis=0)
        better = f > best_f
        best_f = np.where(better, f, best_f)
        best_x = np.where(better, x, best_x)
        closer = m > best_m
        best_m = np.where(closer, m, best_m)
        best_mx = np.where(closer, x, best_mx)
    feasible = np.isfinite(best_f)
    return np.where(feasible, best_x, best_mx), feasible


def _nash_core(
    batch: Any, alpha: np.ndarray, extra: Sequence[np.ndarray] = ()
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Batched Nash: deal (n, N), status code (0 ok, 1 no agreement, 2 fall back), iterations."""
    x, feasible = _start(batch, alpha, extra)
    iterations = np.zeros(batch.size, dtype=int)
    code = np.zeros(batch.size, dtype=int)
    if not feasible.all():
        idx = np.flatnonzero(~feasible)
        sub = _SubSet(batch, idx)
        soft = _softmin_objective(sub.d, sub.scale)
        xs, _, its = _projected_newton(sub, soft, x[:, idx], 1e-12, _feasible(sub))
        iterations[idx] = its
        u, _, _ = batch.bm.evaluate(xs, sub.ctx)
        low = ((u - sub.d) / sub.scale).min(axis=0)
        x[:, idx] = xs
        code[idx] = np.where(low > 0, 0, np.where(low < _NO_DEAL, 1, 2))
    run = np.flatnonzero(code == 0)
    sub = _SubSet(batch, run)
    objective = _nash_objective(alpha[:, run], sub.d)
    xr, conv, its = _projected_newton(sub, objective, x[:, run])
    iterations[run] += its
    x[:, run] = xr
    u, _, _ = batch.bm.evaluate(xr, sub.ctx)
    low = ((u - sub.d) / sub.scale).min(axis=0)
    good = conv & _kkt_ok(sub, objective, xr) & (low > _GAIN_TOL)
    code[run[~good]] = 2
    return x, code, iterations, u


def _feasible(sub: Any) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Stop the first phase as soon as both scaled gains are positive."""

    def stop(x: np.ndarray, which: np.ndarray) -> np.ndarray:
        u, _, _ = sub.bm.evaluate(x, sub.ctx[:, which])
        return ((u - sub.d[:, which]) / sub.scale[:, which]).min(axis=0) > 1e-6

    return stop


# ------------------------------------------------------------------- public API
def batch_nash(
    scenario: Scenario | BatchModel,
    values: Mapping[str, ArrayLike],
    *,
    powers: str | Sequence[float] = "equal",
    fallback: bool = True,
    check_convexity: bool = True,
) -> BatchResult:
    """The Nash bargaining solution at many parameter points at once.

    Parameters
    ----------
    scenario : Scenario or BatchModel
    values : mapping of str to array
        Parameter values (scalars or 1-d arrays of one length); parameters not
        given keep the scenario's values.
    powers : "equal", "own" or pair of float
        ``"equal"`` is the symmetric solution (``"nash"``), ``"own"`` the parties'
        powers from the scenario (``"asymmetric_nash"``), or two numbers.
    fallback : bool
        Solve the points Newton's method cannot certify again, first from their
        traced frontier (:mod:`bargain.batch_frontier`, about 100 points a second),
        then with :func:`bargain.nash_solution` (else their status is
        ``not_converged``). The trace also checks those points' convexity.
    check_convexity : bool
        Trace each point's frontier and report ``nonconvex`` where the bargaining
        set is not convex, as :func:`bargain.nash_solution` does (about 100 points
        a second on the Korea-US flagship). With ``False`` (over 100 times faster)
        an ``ok`` is a certified local maximum of the Nash product, which is the
        Nash solution when the set is convex; the convexity is not checked.

    Returns
    -------
    BatchResult

    Examples
    --------
    >>> import bargain, numpy as np
    >>> pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> res = batch_nash(pie, {"dA0": [0.0, 0.2], "a": [0.5, 0.7]}, powers="own")
    >>> res.deal[:, 0].round(10).tolist()  # dA0 + a (1 - dA0 - dB0)
    [0.45, 0.69]
    >>> res.status.tolist()
    ['ok', 'ok']
    """
    bm = scenario if isinstance(scenario, BatchModel) else BatchModel(scenario)
    batch = _Batch(bm, bm.theta(values))
    return _nash(batch, powers, fallback, check_convexity=check_convexity)


def _alpha(batch: _Batch, powers: str | Sequence[float]) -> tuple[np.ndarray, str]:
    if isinstance(powers, str):
        if powers == "equal":
            return np.full((2, batch.size), 0.5), "nash"
        if powers == "own":
            return batch.settings["power"], "asymmetric_nash"
        raise ValueError(f"powers must be 'equal', 'own' or two numbers, got {powers!r}")
    a = np.asarray(powers, dtype=float)
    if a.shape != (2,) or not np.all(a > 0):
        raise ValueError(f"powers must be two positive numbers, got {powers!r}")
    method = "nash" if np.isclose(a[0], a[1]) else "asymmetric_nash"
    return np.repeat((a / a.sum())[:, None], batch.size, axis=1), method


def _nash(
    batch: _Batch,
    powers: str | Sequence[float],
    fallback: bool,
    extra: Sequence = (),
    check_convexity: bool = False,
    trace: Any = None,
) -> BatchResult:
    alpha, method = _alpha(batch, powers)
    x, code, iterations, _ = _nash_core(batch, alpha, extra)
    if check_convexity:
        _convexity(batch, alpha, x, code, trace)
    elif fallback and (code == 2).any():  # the trace first: far faster than per scenario
        _convexity(batch, alpha, x, code, trace, only=code == 2)
    result = _empty(batch, method)
    ok = code == 0
    result.status[ok] = "ok"
    result.status[code == 1] = "no_agreement"
    result.status[code == 3] = "nonconvex"
    result.deal[ok] = x[:, ok].T
    u, _, _ = batch.bm.evaluate(x[:, ok], batch.ctx[:, ok])
    result.utilities[ok] = u.T
    result.iterations[:] = iterations
    if fallback:

        def solver(i: int, problem: Any, frontier: Frontier) -> Any:
            pw = None if method == "nash" else (float(alpha[0, i]), float(alpha[1, i]))
            return nash_solution(problem, powers=pw, frontier=frontier)

        _fill_fallback(result, batch, code == 2, solver)
    result.diagnostics["batched_ok"] = int(ok.sum())
    result.diagnostics["convexity_checked"] = check_convexity
    return result


def _convexity(
    batch: _Batch,
    alpha: np.ndarray,
    x: np.ndarray,
    code: np.ndarray,
    trace: Any = None,
    only: np.ndarray | None = None,
) -> None:
    """Check the bargaining set is convex, as the per-scenario Nash solver does; in place.

    The frontier of every point with a possible deal is traced on the grid of
    :class:`bargain.Frontier` (:func:`bargain.batch_frontier.trace_frontier`).
    A traced frontier that is not concave gives code 3 (``nonconvex``). On a
    concave one the log Nash product is concave along the frontier, so a local
    maximum is the solution: a point the batched solver could not certify, or
    whose Nash product a grid point beats, is solved again from the best grid
    point's deal. Points whose frontier cannot be traced keep or get code 2.
    ``trace``, if given, is the trace of all the batch's points; ``only`` limits
    the work to these points (a mask).
    """
    idx = np.flatnonzero((code != 1) & (True if only is None else only))
    if idx.size == 0:
        return
    trace = batch.trace(idx) if trace is None else trace.take(idx)
    sure = trace.certified
    code[idx[~sure]] = 2
    code[idx[sure & ~trace.agreement & (code[idx] == 2)]] = 1
    code[idx[sure & ~trace.agreement & (code[idx] == 0)]] = 2  # the two disagree
    code[idx[sure & trace.agreement & ~trace.convex]] = 3
    good = sure & trace.agreement & trace.convex
    with np.errstate(all="ignore"):
        grid = alpha[0, idx, None] * np.log(trace.p) + alpha[1, idx, None] * np.log(trace.v)
    grid = np.where(np.isfinite(grid), grid, -np.inf)
    best = grid.argmax(axis=1)
    sub = _SubSet(batch, idx)
    u, _, _ = batch.bm.evaluate(x[:, idx], sub.ctx)
    with np.errstate(all="ignore"):
        here = (alpha[:, idx] * np.log((u - sub.d) / sub.scale)).sum(axis=0)
    beaten = here < grid.max(axis=1) - 1e-12 * (1 + np.abs(here))
    redo = np.flatnonzero(good & ((code[idx] == 2) | beaten))
    if redo.size == 0:
        return
    part = _SubSet(batch, idx[redo])
    objective = _nash_objective(alpha[:, idx[redo]], part.d)
    x0 = trace.deals[redo, best[redo]].T
    xr, conv, _ = _projected_newton(part, objective, x0)
    ur, _, _ = batch.bm.evaluate(xr, part.ctx)
    gains = (ur - part.d) / part.scale
    with np.errstate(all="ignore"):
        value = (alpha[:, idx[redo]] * np.log(gains)).sum(axis=0)
    top = grid.max(axis=1)[redo]
    best_known = value >= top - 1e-12 * (1 + np.abs(top))
    # on a concave frontier a local maximum that no grid point beats is the maximum,
    # flat directions included (e.g. no equity, where the say no longer matters)
    fine = conv & _kkt_ok(part, objective, xr, flat=True) & best_known
    fine &= gains.min(axis=0) > _GAIN_TOL
    x[:, idx[redo]] = xr
    code[idx[redo]] = np.where(fine, 0, 2)


def _rubinstein_system(
    sub: Any, xs: np.ndarray, w: np.ndarray, delta: np.ndarray, slack: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residual ``(m, 2n+2)``, Jacobian ``(m, 2n+2, 2n+2)`` and free flags ``(2, m, n)``.

    Offer ``k`` is Pareto optimal with weight ``w_k``: ``(1 - w_k) grad g_1 + w_k grad g_2 = 0``
    on its free issues. Its indifference condition holds unless ``slack[k]``: then the
    proposer takes its ideal deal (``w_1 = 0``, ``w_2 = 1``) and the responder gets more
    than it needs.
    """
    bm = sub.bm
    n, m = bm.n, xs.shape[2]
    size = 2 * n + 2
    res = np.zeros((m, size))
    jac = np.zeros((m, size, size))
    grads, gains, free = [], [], np.zeros((2, m, n), dtype=bool)
    eye = np.eye(n)[None]
    for k in (0, 1):
        u, g, h = bm.evaluate(xs[k], sub.ctx, derivatives=True)
        gains.append(u - sub.d)
        grads.append(g)
        lag_g = ((1 - w[k]) * g[0] + w[k] * g[1]).T  # (m, n)
        lag_h = np.moveaxis((1 - w[k]) * h[0] + w[k] * h[1], -1, 0)  # (m, n, n)
        dw = (g[1] - g[0]).T
        xt = xs[k].T
        fr = ~(((xt <= bm.lower) & (lag_g < 0)) | ((xt >= bm.upper) & (lag_g > 0)))
        # an issue that no longer matters (e.g. a say over zero cash) is held where it is
        both = fr[:, :, None] & fr[:, None, :]
        row = np.abs(np.where(both, lag_h, 0.0)).max(axis=2) + np.abs(dw) * ~slack[k][:, None]
        tiny = 1e-12 * (1 + sub.scale.max(axis=0))[:, None]
        fr &= ~((row <= tiny) & (np.abs(lag_g) <= tiny))
        free[k] = fr
        rows = slice(k * n, (k + 1) * n)
        res[:, rows] = np.where(fr, lag_g, 0.0)
        block = np.where(fr[:, :, None] & fr[:, None, :], lag_h, 0.0)
        jac[:, rows, rows] = np.where(fr[:, :, None], block, eye)
        jac[:, rows, 2 * n + k] = np.where(fr, dw, 0.0)
    cond = [
        gains[0][1] - delta[1] * gains[1][1],  # the responder to offer 1 is indifferent
        gains[1][0] - delta[0] * gains[0][0],  # the responder to offer 2 is indifferent
    ]
    for k, target in ((0, 0.0), (1, 1.0)):
        r = 2 * n + k
        res[:, r] = np.where(slack[k], w[k] - target, cond[k])
        jac[:, r, 2 * n + k] = np.where(slack[k], 1.0, 0.0)
    keep = ~slack[0][:, None]
    jac[:, 2 * n, :n] = np.where(keep, grads[0][1].T, 0.0)
    jac[:, 2 * n, n : 2 * n] = np.where(keep, -delta[1, :, None] * grads[1][1].T, 0.0)
    keep = ~slack[1][:, None]
    jac[:, 2 * n + 1, n : 2 * n] = np.where(keep, grads[1][0].T, 0.0)
    jac[:, 2 * n + 1, :n] = np.where(keep, -delta[0, :, None] * grads[0][0].T, 0.0)
    return res, jac, free


def _newton_step(jac: np.ndarray, res: np.ndarray) -> np.ndarray:
    step = np.full(res.shape, np.nan)
    with np.errstate(all="ignore"):
        finite = np.all(np.isfinite(jac), axis=(1, 2)) & np.all(np.isfinite(res), axis=1)
        good = np.zeros(res.shape[0], dtype=bool)
        good[finite] = np.abs(np.linalg.det(jac[finite])) > 1e-300
        if good.any():
            step[good] = -np.linalg.solve(jac[good], res[good][..., None])[..., 0]
    return step


def _rubinstein_core(
    sub: Any,
    x0: np.ndarray,
    w0: np.ndarray,
    delta: np.ndarray,
    nudge: float = 1e-3,
    slack0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Damped Newton on the two offers: offers (2, n, m), weights, slack, converged, iterations.

    The offers start at ``x0`` (one deal ``(n, m)`` for both, or ``(2, n, m)``) moved
    ``nudge`` of the way to the box's centre, so that the active sets can form
    freely, with weights ``w0`` (``(m,)`` or ``(2, m)``) and, if given, ``slack0``
    ``(2, m)`` marking offers that start as their proposer's ideal deal.
    """
    bm = sub.bm
    n, m = bm.n, x0.shape[-1]
    mid = ((bm.lower + bm.upper) / 2)[:, None]
    x0 = x0 + nudge * (mid - x0)
    xs = np.broadcast_to(x0, (2, n, m)).astype(float)
    w = np.broadcast_to(w0, (2, m)).astype(float)
    slack = np.zeros((2, m), dtype=bool) if slack0 is None else slack0.astype(bool).copy()
    iterations = np.zeros(m, dtype=int)
    converged = np.zeros(m, dtype=bool)
    active = np.arange(m)
    span = np.concatenate([bm.span, bm.span, [1.0, 1.0]])
    for _ in range(_MAXIT_OFFERS):
        if active.size == 0:
            break
        part = _SubSet(sub, active)
        xa, wa, da, sa = xs[:, :, active], w[:, active], delta[:, active], slack[:, active]
        # a proposer whose weight left [0, 1] takes its ideal deal; it returns to the
        # indifference condition when that deal gives the responder too little
        u0, _, _ = bm.evaluate(xa[0], part.ctx)
        u1, _, _ = bm.evaluate(xa[1], part.ctx)
        g0, g1 = u0 - part.d, u1 - part.d
        sa[0] = np.where(sa[0], g0[1] >= da[1] * g1[1], wa[0] < 0)
        sa[1] = np.where(sa[1], g1[0] >= da[0] * g0[0], wa[1] > 1)
        wa = np.where(sa, np.array([[0.0], [1.0]]), wa)
        res, jac, free = _rubinstein_system(part, xa, wa, da, sa)
        norm0 = np.abs(res).max(axis=1)
        step = _newton_step(jac, res)
        # an issue held at a bound stays exactly there (round-off would free it)
        held = ~np.concatenate([free[0], free[1]], axis=1)
        step[:, : 2 * n][held] = 0.0
        t = np.ones(active.size)
        accepted = np.zeros(active.size, dtype=bool)
        pending = np.flatnonzero(np.all(np.isfinite(step), axis=1))
        new_x, new_w = xa.copy(), wa.copy()
        for _ls in range(12):
            if pending.size == 0:
                break
            tp = t[pending, None]
            cand = np.empty((2, n, pending.size))
            for k in (0, 1):
                trial = xa[k][:, pending].T + tp * step[pending, k * n : (k + 1) * n]
                cand[k] = np.clip(trial, bm.lower, bm.upper).T
            cw = wa[:, pending] + (tp * step[pending, 2 * n :]).T
            r2, _, _ = _rubinstein_system(
                _SubSet(part, pending), cand, cw, da[:, pending], sa[:, pending]
            )
            size2 = np.abs(r2).max(axis=1)
            better = size2 <= (1 - 1e-4 * t[pending]) * norm0[pending]
            new_x[:, :, pending[better]] = cand[:, :, better]
            new_w[:, pending[better]] = cw[:, better]
            accepted[pending[better]] = True
            pending = pending[~better]
            t[pending] *= 0.5
        moved = np.abs(step / span).max(axis=1)
        xs[:, :, active], w[:, active], slack[:, active] = new_x, new_w, sa
        iterations[active] += 1
        # at the noise floor of the residual, no trial can improve on it
        floor = norm0 <= 1e-11 * (1 + part.scale.max(axis=0))
        finished = (accepted & (moved <= _STEP_TOL)) | (~accepted & floor)
        converged[active[finished]] = True
        active = active[~(finished | ~accepted)]
    return xs, w, slack, converged, iterations


class _SubSet:
    """A subset of a batch's points (shares the model)."""

    def __init__(self, sub: Any, idx: np.ndarray) -> None:
        self.bm = sub.bm
        self.ctx = sub.ctx[:, idx]
        self.d = sub.d[:, idx]
        self.scale = sub.scale[:, idx]
        self.size = int(np.size(self.d, 1))


def _offers_ok(
    sub: Any, xs: np.ndarray, w: np.ndarray, delta: np.ndarray, slack: np.ndarray
) -> np.ndarray:
    """Residual tiny, weights in [0, 1], gains positive, second-order conditions."""
    bm = sub.bm
    res, _, free = _rubinstein_system(sub, xs, w, delta, slack)
    ok = np.abs(res).max(axis=1) <= 1e-9 * (1 + sub.scale.max(axis=0))
    ok &= ((w >= 0) & (w <= 1)).all(axis=0)
    gains = []
    for k in (0, 1):
        u, g, h = bm.evaluate(xs[k], sub.ctx, derivatives=True)
        gains.append(u - sub.d)
        ok &= (((u - sub.d) / sub.scale) > _GAIN_TOL).all(axis=0)
        lag = np.moveaxis((1 - w[k]) * h[0] + w[k] * h[1], -1, 0)
        # on the constraint's tangent space when it binds, on the free issues when slack
        b = np.where(free[k] & ~slack[k][:, None], g[1].T, 0.0)
        bb = np.einsum("mk,mk->m", b, b)[:, None, None]
        with np.errstate(all="ignore"):
            outer = np.where(bb > 0, np.einsum("mk,ml->mkl", b, b) / bb, 0.0)
        proj = np.eye(bm.n)[None] - outer
        lag_r, _ = _reduce(lag, np.zeros_like(b), free[k])
        bend = np.abs(lag_r).max(axis=(1, 2))[:, None, None] + 1.0
        tangent = proj @ lag_r @ proj - outer * bend
        ok &= np.all(np.isfinite(tangent), axis=(1, 2))
        ok &= _negdef(np.nan_to_num(tangent), 1e-9)
    ok &= ~slack[0] | (gains[0][1] >= delta[1] * gains[1][1])
    ok &= ~slack[1] | (gains[1][0] >= delta[0] * gains[0][0])
    return ok


def batch_rubinstein(
    scenario: Scenario | BatchModel, values: Mapping[str, ArrayLike], *, fallback: bool = True
) -> BatchResult:
    """Rubinstein's alternating-offers equilibrium at many parameter points at once.

    Parameters
    ----------
    scenario : Scenario or BatchModel
    values : mapping of str to array
        Parameter values; parameters not given keep the scenario's values.
    fallback : bool
        Solve the points Newton's method cannot certify again, first with starts on
        their traced frontier (:mod:`bargain.batch_offers`), then, with the points
        it does not cover, with :func:`bargain.rubinstein.rubinstein_solution`
        (else ``not_converged``).

    Returns
    -------
    BatchResult
        The first proposer's offer, as :func:`~bargain.rubinstein.rubinstein_solution`.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> res = batch_rubinstein(pie, {"dA": [0.9, 0.5], "dB": [0.8, 0.5]})
    >>> res.deal[:, 0].round(10).tolist()  # (1 - dB) / (1 - dA dB)
    [0.7142857143, 0.6666666667]
    """
    bm = scenario if isinstance(scenario, BatchModel) else BatchModel(scenario)
    batch = _Batch(bm, bm.theta(values))
    nash = _nash(batch, "equal", fallback=False)
    return _rubinstein(batch, nash, fallback)


def _offers(
    sub: Any, x_nash: np.ndarray, u_nash: np.ndarray, delta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both stationary offers ``(2, n, m)``, whether certified, and Newton iterations.

    The first attempt starts at the symmetric Nash deal. Points it cannot certify
    (typically a Nash deal in a corner of the box, where the frontier has a kink)
    get a second attempt from the asymmetric Nash deal with powers proportional to
    ``1 / -log(delta_i')``, the limit of the offers as the time between them
    shrinks (Binmore, Rubinstein and Wolinsky 1986), started exactly on its bounds.
    """
    gains = u_nash - sub.d
    w0 = gains[0] / (gains[0] + gains[1])  # the symmetric Nash point's weight
    xs, w, slack, conv, its = _rubinstein_core(sub, x_nash, w0, delta)
    good = conv & _offers_ok(sub, xs, w, delta, slack)
    retry = np.flatnonzero(~good)
    if retry.size:
        part = _SubSet(sub, retry)
        with np.errstate(divide="ignore"):
            patience = 1.0 / -np.log(delta[:, retry])
        alpha = patience / patience.sum(axis=0)
        x2, code, its2, _ = _nash_core(part, alpha)
        fine = np.flatnonzero(code == 0)
        if fine.size:
            inner = _SubSet(part, fine)
            u2, _, _ = sub.bm.evaluate(x2[:, fine], inner.ctx)
            g2 = u2 - inner.d
            w2 = g2[0] / (g2[0] + g2[1])
            d2 = delta[:, retry[fine]]
            xr, wr, sr, cr, itr = _rubinstein_core(inner, x2[:, fine], w2, d2, 0.0)
            ok2 = cr & _offers_ok(inner, xr, wr, d2, sr)
            done = retry[fine[ok2]]
            xs[:, :, done] = xr[:, :, ok2]
            good[done] = True
            its[retry[fine]] += itr + its2[fine]
    return xs, good, its


def _offers_on_trace(
    batch: _Batch, idx: np.ndarray, delta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Both offers ``(2, n, m)`` of the points ``idx``, started on their traced frontiers.

    See :mod:`bargain.batch_offers`; returns whether each point is certified.
    """
    from .batch_offers import offer_starts, stationary_level

    trace = batch.trace(idx)
    sub = _SubSet(batch, idx)
    xs = np.full((2, batch.bm.n, idx.size), np.nan)
    usable = trace.certified & trace.agreement
    w, unique = stationary_level(trace, delta)
    run = np.flatnonzero(usable & unique)
    good = np.zeros(idx.size, dtype=bool)
    if run.size == 0:
        return xs, good
    part = _SubSet(sub, run)
    x0, w0, slack0 = offer_starts(trace.take(run), delta[:, run], w[run])
    xr, wr, sr, cr, _ = _rubinstein_core(part, x0, w0, delta[:, run], 0.0, slack0)
    ok = cr & _offers_ok(part, xr, wr, delta[:, run], sr)
    xs[:, :, run[ok]] = xr[:, :, ok]
    good[run[ok]] = True
    return xs, good


def _rubinstein(batch: _Batch, nash: BatchResult, fallback: bool) -> BatchResult:
    bm, st = batch.bm, batch.settings
    result = _empty(batch, "rubinstein")
    breakdown = st["breakdown"]
    delta = (1.0 - breakdown) * st["discount"]
    covered = (
        (bm.model.rounds == 0)
        & (breakdown >= 0)
        & (breakdown < 1)
        & np.all(st["cost_per_round"] == 0, axis=0)
        & np.all(np.isnan(st["outside_option"]), axis=0)
        & np.all(delta < 1 - 1e-9, axis=0)
    )
    result.status[covered & (nash.status == "no_agreement")] = "no_agreement"
    run = np.flatnonzero(covered & (nash.status == "ok"))
    if run.size:
        sub = _SubSet(batch, run)
        xs, good, its = _offers(sub, nash.deal[run].T, nash.utilities[run].T, delta[:, run])
        if fallback and not good.all():  # the trace first: far faster than per scenario
            bad = np.flatnonzero(~good)
            xt, gt = _offers_on_trace(batch, run[bad], delta[:, run[bad]])
            xs[:, :, bad[gt]] = xt[:, :, gt]
            good[bad[gt]] = True
        first = bm.model.first_proposer
        result.iterations[run] = its
        result.status[run[good]] = "ok"
        result.deal[run[good]] = xs[first][:, good].T
        u, _, _ = bm.evaluate(xs[first][:, good], sub.ctx[:, good])
        result.utilities[run[good]] = u.T
        other = np.full((batch.size, bm.n), np.nan)
        other[run[good]] = xs[1 - first][:, good].T
        result.diagnostics["other_deal"] = other
    if fallback:
        todo = ~np.isin(result.status, ("ok", "no_agreement"))

        def solver(i: int, problem: Any, frontier: Frontier) -> Any:
            return rubinstein_solution(problem, frontier=frontier)

        _fill_fallback(result, batch, todo, solver)
    return result


def other_first(batch: _Batch, result: BatchResult) -> BatchResult:
    """The other proposer's stationary offer (``rubinstein_other_first``) from a result.

    Points the batched solver did not certify keep status ``not_converged`` (solve
    them with :func:`bargain.rubinstein.rubinstein_solution` and ``first_proposer``
    swapped); those without agreement keep ``no_agreement``.
    """
    out = _empty(batch, "rubinstein_other_first")
    out.status[result.status == "no_agreement"] = "no_agreement"
    deal = result.diagnostics.get("other_deal", np.full((batch.size, batch.bm.n), np.nan))
    ok = np.all(np.isfinite(deal), axis=1)
    out.status[ok] = "ok"
    out.deal[ok] = deal[ok]
    u, _, _ = batch.bm.evaluate(deal[ok].T, batch.ctx[:, ok])
    out.utilities[ok] = u.T
    return out


def batch_solve(
    scenario: Scenario | BatchModel,
    values: Mapping[str, ArrayLike],
    methods: Sequence[str] = ("nash", "rubinstein"),
    *,
    fallback: bool = True,
    check_convexity: bool = True,
) -> dict[str, BatchResult]:
    """Several batched solutions at once, sharing the compiled model and the Nash start.

    ``methods`` from ``"nash"``, ``"asymmetric_nash"`` and ``"rubinstein"``;
    ``fallback`` and ``check_convexity`` as :func:`batch_nash` (Rubinstein's
    equilibrium does not need a convex set, so the check applies to the Nash
    solutions only).

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> out = batch_solve(pie, {"dA": [0.9]})
    >>> {k: round(float(r.deal[0, 0]), 10) for k, r in out.items()}
    {'nash': 0.5, 'rubinstein': 0.7142857143}
    """
    unknown = [m for m in methods if m not in BATCH_METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {list(BATCH_METHODS)}")
    bm = scenario if isinstance(scenario, BatchModel) else BatchModel(scenario)
    batch = _Batch(bm, bm.theta(values))
    out: dict[str, BatchResult] = {}
    for m in methods:
        if m != "rubinstein":
            powers = "equal" if m == "nash" else "own"
            out[m] = _nash(batch, powers, fallback, check_convexity=check_convexity)
    if "rubinstein" in methods:
        start = out.get("nash")
        if start is None or (start.status == "nonconvex").any():
            start = _nash(batch, "equal", fallback=False)  # any local maximum is a start
        out["rubinstein"] = _rubinstein(batch, start, fallback)
    return {m: out[m] for m in methods}


#: The solution concepts the batched solvers cover.
BATCH_METHODS = ("nash", "asymmetric_nash", "rubinstein")
