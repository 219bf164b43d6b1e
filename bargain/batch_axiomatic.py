"""Batched Kalai-Smorodinsky, egalitarian and utilitarian solutions on a traced frontier.

The three concepts are each a point of the frontier :math:`P` (see
:mod:`bargain.kalai_smorodinsky`, :mod:`bargain.egalitarian`,
:mod:`bargain.utilitarian` for the definitions); given the frontier of many
parameter points from :func:`bargain.batch_frontier.trace_frontier` they are
found side by side, in two steps:

1. on the traced grid, the bracket of the root (Kalai-Smorodinsky:
   :math:`P(v)/m_1 - v/m_2`; egalitarian: :math:`s_1 P(v) - s_2 v`) or the grid
   maximum of the total utility :math:`s_1 P(v) + s_2 v` (utilitarian), with the
   per-scenario solvers' rules for the ends and for ties (``not_unique``);
2. a Newton polish of the first-order conditions of the frontier point,
   :math:`\\nabla g_1 + \\lambda \\nabla g_2 = 0` on the free issues and
   :math:`g_2 = v`, closed by the concept's own equation (:math:`a g_1 = b v`
   for the two roots, :math:`\\lambda = s_2 / s_1` for the utilitarian
   marginal condition :math:`s_1 P'(v) + s_2 = 0`), started from the
   interpolated bracket. The answer is certified when the polished point meets
   these conditions and lies inside its bracket.

They share one module because they share every step but the closing equation
(a module each would repeat the bracketing and the polish three times).
Points whose trace or polish is not certified are solved by the per-scenario
solvers when ``fallback`` is true, else reported ``not_converged``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .batch_frontier import RATIO, WEIGHT, FrontierTrace, _certify, _gains, _polish, _Pts
from .batch_frontier import trace_frontier as _trace
from .batch_model import BatchModel
from .batch_result import BatchResult, _Batch, _empty, _fill_fallback
from .egalitarian import egalitarian_solution
from .frontier import Frontier
from .kalai_smorodinsky import kalai_smorodinsky_solution
from .utilitarian import _FLAT_TOL, utilitarian_solution

__all__ = ["AXIOMATIC_METHODS", "batch_axiomatic"]

#: The concepts :func:`batch_axiomatic` solves, with their per-scenario solvers.
AXIOMATIC_METHODS = {
    "kalai_smorodinsky": kalai_smorodinsky_solution,
    "egalitarian": egalitarian_solution,
    "utilitarian": utilitarian_solution,
}


def batch_axiomatic(
    model: BatchModel,
    theta: np.ndarray,
    trace: FrontierTrace | None = None,
    *,
    methods: Sequence[str] = tuple(AXIOMATIC_METHODS),
    resolution: int = 81,
    fallback: bool = True,
) -> dict[str, BatchResult]:
    """Kalai-Smorodinsky, egalitarian and utilitarian solutions at many parameter points.

    Parameters
    ----------
    model : BatchModel
    theta : ndarray, shape (P, N)
        Parameter values in model order (:meth:`BatchModel.theta`).
    trace : FrontierTrace, optional
        ``trace_frontier(model, theta, resolution)``, traced here if not given.
    methods : sequence of str
        From :data:`AXIOMATIC_METHODS`.
    resolution : int
        Grid levels of the trace if it is traced here (``bargain solve`` uses 81).
    fallback : bool
        Solve uncertified points with the per-scenario solvers (else ``not_converged``).

    Returns
    -------
    dict of str to BatchResult
        The utilitarian result's ``diagnostics`` hold ``utilities_low`` and
        ``utilities_high`` ``(N, 2)``: the ends of the tied segment where the
        status is ``not_unique``.

    Examples
    --------
    >>> import bargain
    >>> bm = BatchModel(bargain.load("scenarios/textbook/concave_sqrt.toml"))
    >>> out = batch_axiomatic(bm, bm.theta({}, 1), resolution=21)
    >>> round(float(out["egalitarian"].deal[0, 0]), 10)  # x = sqrt(1 - x)
    0.6180339887
    >>> out["utilitarian"].deal[0, 0].round(10)  # 1 = 1 / (2 sqrt(1 - x))
    np.float64(0.75)
    """
    unknown = [m for m in methods if m not in AXIOMATIC_METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {list(AXIOMATIC_METHODS)}")
    trace = trace if trace is not None else _trace(model, theta, resolution)
    batch = _Batch(model, theta)
    pts = _Pts(model, batch.ctx, batch.d, batch.scale)
    out = {}
    for method in methods:
        result = _empty(batch, method)
        result.status[trace.certified & ~trace.agreement] = "no_agreement"
        run = np.flatnonzero(trace.certified & trace.agreement)
        if method == "utilitarian":
            _utilitarian(pts, trace, run, result)
        elif run.size:
            _root(pts, trace, run, result)
        if fallback:
            solver = AXIOMATIC_METHODS[method]

            def call(i: int, problem: Any, frontier: Frontier, solver: Any = solver) -> Any:
                return solver(problem, frontier=frontier)

            _fill_fallback(result, batch, result.status == "not_converged", call)
        out[method] = result
    return out


def _root(pts: _Pts, tr: FrontierTrace, run: np.ndarray, result: BatchResult) -> None:
    """Kalai-Smorodinsky or egalitarian: the root of ``a P(v) - b v`` on the frontier."""
    if result.method == "kalai_smorodinsky":
        a, b = 1.0 / tr.m1[run], 1.0 / tr.m2[run]
    else:
        a, b = tr.scale[run, 0], tr.scale[run, 1]
    gap = a[:, None] * tr.p[run] - b[:, None] * tr.v[run]  # decreasing in v
    top = gap[:, -1] >= 0  # the root is the top of the frontier (as Frontier.find_root)
    j = np.clip((gap >= 0).sum(axis=1) - 1, 0, tr.v.shape[1] - 2)
    _take(tr, run[top], np.full(top.sum(), tr.v.shape[1] - 1), result, pts)
    inner = ~top
    _bracketed(pts, tr, run[inner], j[inner], gap[inner], RATIO, (a[inner], b[inner]), result)


def _utilitarian(pts: _Pts, tr: FrontierTrace, run: np.ndarray, result: BatchResult) -> None:
    """The largest total utility, as :func:`bargain.utilitarian.utilitarian_solution`."""
    size, res = tr.v.shape
    low, high = np.full((size, 2), np.nan), np.full((size, 2), np.nan)
    result.diagnostics.update(utilities_low=low, utilities_high=high)
    if run.size == 0:
        return
    s1, s2 = tr.scale[run, 0], tr.scale[run, 1]
    total = s1[:, None] * tr.p[run] + s2[:, None] * tr.v[run]
    best = np.argmax(total, axis=1)
    rows = np.arange(run.size)
    tied = total >= (total[rows, best] - _FLAT_TOL * np.maximum(s1, s2))[:, None]
    first = np.argmax(tied, axis=1)
    last = res - 1 - np.argmax(tied[:, ::-1], axis=1)
    flat = (tied.sum(axis=1) > 2) & (last - first > 1)
    for k in np.flatnonzero(flat):
        i = run[k]
        result.status[i] = "not_unique"
        low[i] = tr.d[i] + tr.scale[i] * [tr.p[i, last[k]], tr.v[i, first[k]]]
        high[i] = tr.d[i] + tr.scale[i] * [tr.p[i, first[k]], tr.v[i, last[k]]]
    lo, hi = np.maximum(best - 1, 0), np.minimum(best + 1, res - 1)
    with np.errstate(invalid="ignore"):  # marginal total s1 P'(v) + s2, P' = -multiplier
        m_lo = s2 - s1 * tr.multiplier[run, lo]
        m_hi = s2 - s1 * tr.multiplier[run, hi]
    at_lo, at_hi = ~flat & (m_lo <= 0), ~flat & (m_lo > 0) & (m_hi >= 0)
    _take(tr, run[at_lo], lo[at_lo], result, pts)
    _take(tr, run[at_hi], hi[at_hi], result, pts)
    inner = ~flat & ~at_lo & ~at_hi
    # polish from the grid maximum with the weight fixed; it must land in [lo, hi]
    weight = (s2 / s1)[inner]
    _bracketed(pts, tr, run[inner], lo[inner], None, WEIGHT, (weight, hi[inner]), result)


def _take(tr: FrontierTrace, idx: np.ndarray, level: np.ndarray, result: BatchResult, pts: _Pts):
    """The traced grid deal at ``level`` of the points ``idx``."""
    if idx.size == 0:
        return
    x = tr.deals[idx, level]
    u, _, _ = pts.bm.evaluate(x.T, pts.ctx[:, idx])
    result.status[idx] = "ok"
    result.deal[idx], result.utilities[idx] = x, u.T


def _bracketed(
    pts: _Pts,
    tr: FrontierTrace,
    idx: np.ndarray,
    j: np.ndarray,
    gap: np.ndarray | None,
    mode: int,
    coef: tuple[np.ndarray, np.ndarray],
    result: BatchResult,
) -> None:
    """Polish the frontier point between levels ``j`` and its bracket's other end."""
    if idx.size == 0:
        return
    m = idx.size
    rows = np.arange(m)
    if gap is not None:  # the root of the gap, linear between levels j and j + 1
        g0, g1 = gap[rows, j], gap[rows, j + 1]
        t = np.clip(g0 / (g0 - g1), 0.0, 1.0)
        end = j + 1
        aux = (np.zeros(m), *coef)
    else:  # from the grid maximum j + 1 (j = lo), between lo and hi
        t = np.where(j + 1 < coef[1], 1.0, 0.0)
        end = coef[1].astype(int)
        aux = (coef[0], np.zeros(m), np.zeros(m))
    k0, k1 = j, np.where(mode == RATIO, j + 1, np.minimum(j + 1, end))
    x0 = (1 - t)[:, None] * tr.deals[idx, k0] + t[:, None] * tr.deals[idx, k1]
    lam0 = np.nan_to_num((1 - t) * tr.multiplier[idx, k0] + t * tr.multiplier[idx, k1])
    if mode == WEIGHT:
        lam0 = coef[0]
    v0 = (1 - t) * tr.v[idx, k0] + t * tr.v[idx, k1]
    sub = pts.take(idx)
    modes = np.full(m, mode)
    x, lam, v, md, _ = _polish(sub, 0, x0.T, lam0, v0, modes, aux)
    ok = _certify(sub, 0, x, lam, v, md, aux) & (md == mode)
    # inside the bracket: between its levels, and on the traced curve there
    vlo, vhi = tr.v[idx, j], tr.v[idx, end]
    z, _, _ = _gains(sub, x)
    tol = 1e-9 * (1 + np.abs(tr.p[idx, j]))
    ok &= (v >= vlo - tol) & (v <= vhi + tol)
    ok &= (z[0] <= tr.p[idx, j] + tol) & (z[0] >= tr.p[idx, end] - tol)
    good = idx[ok]
    u, _, _ = pts.bm.evaluate(x[:, ok], pts.ctx[:, good])
    result.status[good] = "ok"
    result.deal[good], result.utilities[good] = x[:, ok].T, u.T
