"""Batched Nash solutions: projected Newton on the log Nash product, on arrays of points.

See :mod:`bargain.batch` for the method and :func:`bargain.batch.batch_nash` for
the public function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import batch_jit
from .batch_model import _grid
from .batch_newton import Objective, _negdef, _projected_newton, _reduce, _solve
from .batch_result import BatchResult, _Batch, _empty, _fill_fallback, _SubSet
from .frontier import Frontier
from .nash import nash_solution

__all__: list[str] = []

_GRAD_TOL = 1e-7  # KKT residual allowed at the end, relative
_GAIN_TOL = 1e-7  # scaled gains below this are too close to disagreement: fall back
_NO_DEAL = -1e-3  # best soft-minimum of scaled gains below this: no agreement
_TAU = 1e-2  # temperature of the soft minimum, scaled units


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


def _kkt_ok(
    batch: Any,
    objective: Objective,
    x: np.ndarray,
    flat: bool = False,
    converged: np.ndarray | None = None,
) -> np.ndarray:
    """First- and second-order conditions of a maximum over the box, at each point.

    With ``flat``, also maxima with directions along which neither utility changes
    (:func:`_flat_maximum`). Such a maximum is often not the global one (on the
    Korea-US flagship: no equity, where the say no longer matters, while a small
    equity share does better), so it is accepted only after a global check.
    With ``converged`` (the Newton method's own verdict), a point must also have
    converged or sit where the next Newton step is below ``1e-10`` of the box: at
    an ill-conditioned maximum the line search can stall at the noise floor of
    the objective one tiny step short.
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
    if converged is not None:
        step = _solve(hr, gr)
        with np.errstate(invalid="ignore"):
            near = np.abs(step / bm.span).max(axis=1) <= 1e-10
        ok &= converged | near
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
        for t in (-1.0, -0.5, -0.1, 0.1, 0.5, 1.0):
            if not check.any():
                break
            d = vec[check, :, j].T * bm.span[:, None]  # of the points still in
            trial = np.clip(x[:, check] + t * d, bm.lower[:, None], bm.upper[:, None])
            ut, _, _ = bm.evaluate(trial, ctx[:, check])
            same = np.all(np.abs(ut - u[:, check]) <= 1e-10 * (1 + np.abs(u[:, check])), axis=0)
            ok[np.flatnonzero(check)[~same]] = False
            check[np.flatnonzero(check)[~same]] = False
    return ok


def _start(batch: _Batch, alpha: np.ndarray, extra: Sequence[np.ndarray]) -> tuple:
    """The best grid point per parameter point: by Nash objective, else by the smallest gain."""
    if batch.kernels is not None:
        return batch_jit.nash_start(batch.kernels, batch, alpha, list(extra))
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
        if batch.kernels is not None:
            xs, _, its = batch_jit.ascent(batch.kernels, sub, alpha[:, idx], x[:, idx], soft=True)
        else:
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
    if batch.kernels is not None:
        xr, conv, its = batch_jit.ascent(batch.kernels, sub, alpha[:, run], x[:, run])
    else:
        xr, conv, its = _projected_newton(sub, objective, x[:, run])
    iterations[run] += its
    x[:, run] = xr
    u, _, _ = batch.bm.evaluate(xr, sub.ctx)
    low = ((u - sub.d) / sub.scale).min(axis=0)
    good = _kkt_ok(sub, objective, xr, converged=conv) & (low > _GAIN_TOL)
    code[run[~good]] = 2
    return x, code, iterations, u


def _feasible(sub: Any) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Stop the first phase as soon as both scaled gains are positive."""

    def stop(x: np.ndarray, which: np.ndarray) -> np.ndarray:
        u, _, _ = sub.bm.evaluate(x, sub.ctx[:, which])
        return ((u - sub.d[:, which]) / sub.scale[:, which]).min(axis=0) > 1e-6

    return stop


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
    fine = _kkt_ok(part, objective, xr, flat=True, converged=conv) & best_known
    fine &= gains.min(axis=0) > _GAIN_TOL
    x[:, idx[redo]] = xr
    code[idx[redo]] = np.where(fine, 0, 2)
