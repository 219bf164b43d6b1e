"""The batched Newton methods, point by point in machine code (numba).

The same algorithms as :func:`bargain.batch_newton._projected_newton` (with the
log Nash product), :func:`bargain.batch_nash._start` and
:func:`bargain.batch_rubinstein._rubinstein_core`, run one parameter point at a
time inside one compiled loop instead of one numpy operation at a time on arrays
of points. The scenario enters through two compiled kernels passed as
first-class functions of one fixed type (:data:`KERNEL`), so these solvers are
compiled once per installation (numba's on-disk cache) and every scenario's
kernels once per scenario (:mod:`bargain.batch_jit`).

A kernel ``k(x, c, out)`` writes, for the deal ``x`` ``(n,)`` at the point whose
context is ``c``, the two utilities (``value``) or the utilities, their
gradients and Hessians (``full``, ``2 + 2n + 2n^2`` numbers, row-major as
:meth:`bargain.batch_model.BatchModel.evaluate` stacks them).

Nothing here certifies an answer: the callers check each point with the numpy
first- and second-order conditions. Importing this module compiles the solvers
(or loads them from numba's cache); it needs numba.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types

__all__ = ["KERNEL", "ROWS_KERNEL", "ascent", "best_start", "offers_newton"]

_F1 = types.float64[::1]
_F2 = types.float64[:, ::1]
_F3 = types.float64[:, :, ::1]
_B1 = types.boolean[::1]
_B2 = types.boolean[:, ::1]
_I1 = types.int64[::1]

#: The type of a scenario's kernels: ``k(x, c, out) -> 0``.
KERNEL = types.FunctionType(types.int64(_F1, _F1, _F1))
#: The type of a kernel at many deals of one point: ``k(xs, c, out) -> 0``, a row each.
ROWS_KERNEL = types.FunctionType(types.int64(_F2, _F1, _F2))

#: Most helpers are inlined into their callers (numba's IR inlining): that lets numba drop
#: the reference counting of the many array views passed between them. On the flagship it
#: made the Rubinstein offers 20% faster and the Nash ascent 15% (at about 13 s more to
#: compile, once per installation); inlined, the two in the start grid's loop
#: (``_log_nash``, ``_lowest``) made that loop 75% slower, so they are called (``_call``).
_jit = numba.njit(cache=True, error_model="numpy", inline="always")
_call = numba.njit(cache=True, error_model="numpy")

_MAXIT = 60  # as bargain.batch_newton._MAXIT
_TAU = 1e-2  # as bargain.batch_nash._TAU
_MAXIT_OFFERS = 30  # as bargain.batch_rubinstein._MAXIT_OFFERS
_STEP_TOL = 1e-12  # as bargain.batch_newton._STEP_TOL


@_jit
def _evaluate(full, x, c, lower, upper, out, spare, xin):
    """``full`` with :meth:`BatchModel.evaluate`'s rules for derivatives that are not finite.

    Where a derivative is not finite (0/0 at the edge of the box) the one-sided one
    a hair inside is taken; what stays infinite is capped at 1e12, nan becomes 0.
    """
    full(x, c, out)
    bad = False
    for k in range(2, out.size):
        if not math.isfinite(out[k]):
            bad = True
            break
    if not bad:  # the usual case: nothing to mend
        return 0
    for j in range(x.size):
        xin[j] = x[j] + 1e-10 * ((lower[j] + upper[j]) / 2 - x[j])
    full(xin, c, spare)
    for k in range(2, out.size):
        if not math.isfinite(out[k]):
            out[k] = spare[k]
        v = out[k]
        if math.isnan(v):
            out[k] = 0.0
        elif v == np.inf:
            out[k] = 1e12
        elif v == -np.inf:
            out[k] = -1e12
    return 0


@_jit
def _negdef(m):
    """As :func:`bargain.batch_newton._negdef` for one matrix."""
    n = m.shape[0]
    if n == 1:
        return m[0, 0] < 0
    if n == 2:
        return m[0, 0] < 0 and m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0] > 0
    if not _finite(m):
        return False
    return np.linalg.eigvalsh(m).max() < 0


@_jit
def _finite(a):
    """Whether every entry of ``a`` is finite (without a temporary array)."""
    for v in a.flat:  # noqa: SIM110 - numba compiles the loop, not a generator
        if not math.isfinite(v):
            return False
    return True


@_jit
def _lu_solve(a, b, out, lu, y):
    """Solve ``a out = b`` by Gaussian elimination with partial pivoting; nan where
    ``|det a| <= 1e-300`` or anything is not finite (as numpy's stacked solves).
    ``lu`` and ``y`` (shaped as ``a`` and ``b``) are scratch."""
    m = b.size
    finite = True
    for i in range(m):  # copy, and check that everything is finite
        y[i] = b[i]
        finite &= math.isfinite(b[i])
        for j in range(m):
            lu[i, j] = a[i, j]
            finite &= math.isfinite(a[i, j])
    if not finite:
        for i in range(m):
            out[i] = np.nan
        return
    det = 1.0
    for k in range(m):
        p = k
        for i in range(k + 1, m):
            if abs(lu[i, k]) > abs(lu[p, k]):
                p = i
        if p != k:
            for j in range(k, m):  # the columns left of k are not read again
                lu[k, j], lu[p, j] = lu[p, j], lu[k, j]
            y[k], y[p] = y[p], y[k]
            det = -det
        pivot = lu[k, k]
        det *= pivot
        if pivot == 0.0:
            for i in range(m):
                out[i] = np.nan
            return
        for i in range(k + 1, m):
            f = lu[i, k] / pivot
            for j in range(k + 1, m):
                lu[i, j] -= f * lu[k, j]
            y[i] -= f * y[k]
    if not abs(det) > 1e-300:
        for i in range(m):
            out[i] = np.nan
        return
    for i in range(m - 1, -1, -1):
        acc = y[i]
        for j in range(i + 1, m):
            acc -= lu[i, j] * out[j]
        out[i] = acc / lu[i, i]


@_jit
def _solve_small(m, b, out):
    """As :func:`bargain.batch_newton._solve` for one system."""
    n = b.size
    if n == 1:
        out[0] = b[0] / m[0, 0]
    elif n == 2:
        det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
        out[0] = (m[1, 1] * b[0] - m[0, 1] * b[1]) / det
        out[1] = (m[0, 0] * b[1] - m[1, 0] * b[0]) / det
    else:
        _lu_solve(m, b, out, np.empty_like(m), np.empty_like(b))


@_jit
def _modified_step(hess, grad, span, out):
    """As :func:`bargain.batch_newton._modified_step` for one point."""
    n = grad.size
    out[:] = 0.0
    if _finite(hess) and _finite(grad):
        lam, vec = np.linalg.eigh(hess)
        floor = 1e-8 * np.abs(lam).max() + 1e-300
        for j in range(n):
            coef = 0.0
            for k in range(n):
                coef += vec[k, j] * grad[k]
            coef /= max(abs(lam[j]), floor)
            for k in range(n):
                out[k] += vec[k, j] * coef
        return
    norm = 0.0
    for k in range(n):
        g = grad[k] if math.isfinite(grad[k]) else 0.0
        norm = max(norm, abs(g * span[k]))
    for k in range(n):
        g = grad[k] if math.isfinite(grad[k]) else 0.0
        out[k] = g * span[k] ** 2 / (norm if norm > 0 else 1.0)


@_call
def _log_nash(u, d, alpha):
    """``sum_i alpha_i log(u_i - d_i)``, ``-inf`` unless both gain."""
    f = 0.0
    for i in range(2):
        gain = u[i] - d[i]
        if not gain > 0:
            return -np.inf
        f += alpha[i] * np.log(gain)
    return f


@_call
def _lowest(u, d, scale):
    """The smaller scaled gain (nan if either is, as numpy's ``min``)."""
    z0 = (u[0] - d[0]) / scale[0]
    z1 = (u[1] - d[1]) / scale[1]
    if math.isnan(z0) or math.isnan(z1):
        return np.nan
    return min(z0, z1)


@_jit
def _softmin(u, d, scale):
    """The soft minimum of the scaled gains, ``-tau log sum_i exp(-z_i / tau)``, and
    the weights ``w_i`` of its gradient (as :func:`bargain.batch_nash._softmin_objective`)."""
    z0 = (u[0] - d[0]) / scale[0]
    z1 = (u[1] - d[1]) / scale[1]
    low = _lowest(u, d, scale)
    e0 = np.exp(-(z0 - low) / _TAU)
    e1 = np.exp(-(z1 - low) / _TAU)
    total = e0 + e1
    return low - _TAU * np.log(total), e0 / total, e1 / total


@_jit
def _objective(u, d, alpha, scale, soft):
    """The objective's value: the log Nash product, or with ``soft`` the soft minimum."""
    if soft:
        return _softmin(u, d, scale)[0]
    return _log_nash(u, d, alpha)


@_jit
def _derivatives(out, d, alpha, scale, soft, grad, hess):
    """The objective at ``out = (u, g, h)`` with its gradient and Hessian."""
    n = grad.size
    grad[:] = 0.0
    hess[:, :] = 0.0
    if soft:
        f, w0, w1 = _softmin(out, d, scale)
        for i in range(2):
            w = w0 if i == 0 else w1
            for k in range(n):
                grad[k] += w * out[2 + i * n + k] / scale[i]
        for i in range(2):
            w = w0 if i == 0 else w1
            for k in range(n):
                gk = out[2 + i * n + k] / scale[i]
                for m in range(n):
                    gm = out[2 + i * n + m] / scale[i]
                    hess[k, m] += w * out[2 + 2 * n + i * n * n + k * n + m] / scale[i]
                    hess[k, m] -= w * gk * gm / _TAU
        for k in range(n):
            for m in range(n):
                hess[k, m] += grad[k] * grad[m] / _TAU
        return f
    f = _log_nash(out, d, alpha)
    for i in range(2):
        gain = out[i] - d[i]
        w = alpha[i] / gain
        for k in range(n):
            gk = out[2 + i * n + k]
            grad[k] += w * gk
            for m in range(n):
                hess[k, m] += w * out[2 + 2 * n + i * n * n + k * n + m]
                hess[k, m] -= w / gain * gk * out[2 + i * n + m]
    return f


@_jit
def _ascent_work(n):
    """Scratch arrays of :func:`_ascent_one` for ``n`` issues."""
    width = 2 + 2 * n + 2 * n * n
    return (
        np.empty(width),
        np.empty(width),
        np.empty(n),
        np.empty(2),
        np.empty(n),
        np.empty((n, n)),
        np.empty((n, n)),
        np.empty(n),
        np.empty(n, dtype=np.bool_),
        np.empty(n),
        np.empty(n),
    )


@_jit
def _ascent_one(full, value, x, c, d, alpha, scale, soft, lower, upper, span, work):
    """Projected Newton ascent from ``x`` (in place): one point of
    :func:`bargain.batch_newton._projected_newton`.

    The objective is the log Nash product, or with ``soft`` the soft minimum of the
    scaled gains with the first phase's rules of :func:`bargain.batch_nash._nash_core`
    (``ftol`` 1e-12; stop once both scaled gains exceed 1e-6).
    """
    out, spare, xin, u, grad, hess, hr, gr, free, step, trial = work
    n = x.size
    ftol = 1e-12 if soft else 0.0
    _evaluate(full, x, c, lower, upper, out, spare, xin)
    f = _derivatives(out, d, alpha, scale, soft, grad, hess)
    converged = False
    iterations = 0
    for _ in range(_MAXIT):
        for k in range(n):
            free[k] = not ((x[k] <= lower[k] and grad[k] < 0) or (x[k] >= upper[k] and grad[k] > 0))
        for k in range(n):
            gr[k] = grad[k] if free[k] else 0.0
            for m in range(n):
                if free[k] and free[m]:
                    hr[k, m] = hess[k, m]
                else:
                    hr[k, m] = -1.0 if k == m else 0.0
        _solve_small(hr, gr, step)
        ascent = 0.0
        for k in range(n):
            step[k] = -step[k]
            ascent += step[k] * gr[k]
        bad = not _negdef(hr) or not _finite(step) or not ascent > 0
        if bad:
            _modified_step(hr, gr, span, step)
        small = False
        if not bad:
            small = True
            for k in range(n):
                if not abs(step[k] / span[k]) <= _STEP_TOL:
                    small = False
        ascent = 0.0
        for k in range(n):
            ascent += step[k] * gr[k]
        small = small or (math.isfinite(f) and ascent <= ftol * (1 + abs(f)))
        t = 1.0
        accepted = False
        for _ls in range(45):
            gain = 0.0
            for k in range(n):
                trial[k] = min(max(x[k] + t * step[k], lower[k]), upper[k])
                gain += grad[k] * (trial[k] - x[k])
            value(trial, c, u)
            ft = _objective(u, d, alpha, scale, soft)
            # the noise floor of f: sums of logs cancel, so it is absolute as well as relative
            if ft >= f + 1e-4 * gain - 1e-14 * (1 + abs(f)):
                accepted = True
                break
            t *= 0.5
        moved = 0.0
        if accepted:
            for k in range(n):
                moved = max(moved, abs((trial[k] - x[k]) / span[k]))
                x[k] = trial[k]
        iterations += 1
        done = small or (accepted and moved <= _STEP_TOL) or not accepted
        if soft and not done:  # the first phase ends as soon as both parties gain
            value(x, c, u)
            done = _lowest(u, d, scale) > 1e-6
        if done:
            converged = accepted or small
            break
        _evaluate(full, x, c, lower, upper, out, spare, xin)
        f = _derivatives(out, d, alpha, scale, soft, grad, hess)
    return converged, iterations


@numba.njit(
    types.void(KERNEL, KERNEL, _F2, _F2, _F2, _F2, _F2, types.boolean, _F1, _F1, _F1, _B1, _I1),
    cache=True,
    error_model="numpy",
)
def ascent(full, value, x, ctx, d, alpha, scale, soft, lower, upper, span, converged, iterations):
    """The projected Newton ascent at every point (in place): the log Nash product
    with powers ``alpha``, or with ``soft`` the first phase's soft minimum.

    ``x`` ``(N, n)`` holds the starts and receives the results; ``ctx`` ``(N, C)``,
    ``d``, ``alpha`` and ``scale`` ``(N, 2)`` are the points' contexts,
    disagreement points, powers and frontier scales; ``converged`` and
    ``iterations`` ``(N,)`` are written.
    """
    work = _ascent_work(x.shape[1])
    for i in range(x.shape[0]):
        converged[i], iterations[i] = _ascent_one(
            full, value, x[i], ctx[i], d[i], alpha[i], scale[i], soft, lower, upper, span, work
        )


@numba.njit(
    types.void(KERNEL, ROWS_KERNEL, _F2, _F3, _F2, _F2, _F2, _F2, _F1, _F1, _F2, _B1),
    cache=True,
    error_model="numpy",
)
def best_start(value, values, grid, extra, ctx, d, alpha, scale, lower, upper, x, feasible):
    """The start of the Nash ascent at every point: :func:`bargain.batch_nash._start`.

    Of the grid ``(K, n)`` (the same for all points; ``values`` evaluates it in
    one call) and the points' own extra starts ``extra`` ``(E, N, n)``: the one
    of largest log Nash product, or where none gives both parties a gain
    (``feasible`` False), the one of largest smallest scaled gain (the box's
    centre if none is finite). ``x`` ``(N, n)`` receives the start.
    """
    n = grid.shape[1]
    at_grid = np.empty((grid.shape[0], 2))
    at_extra = np.empty(2)
    for i in range(x.shape[0]):
        c = ctx[i]
        values(grid, c, at_grid)
        best_f = -np.inf
        best_m = -np.inf
        best = best_m_at = -1
        for s in range(grid.shape[0] + extra.shape[0]):
            if s < grid.shape[0]:
                u = at_grid[s]
            else:
                u = at_extra
                value(extra[s - grid.shape[0], i], c, u)
            f = _log_nash(u, d[i], alpha[i])
            if f > best_f:
                best_f = f
                best = s
            m = _lowest(u, d[i], scale[i])
            if m > best_m:
                best_m = m
                best_m_at = s
        feasible[i] = math.isfinite(best_f)
        s = best if feasible[i] else best_m_at
        if s < 0:  # nothing finite: the box's centre
            for k in range(n):
                x[i, k] = (lower[k] + upper[k]) / 2
        elif s < grid.shape[0]:
            x[i] = grid[s]
        else:
            x[i] = extra[s - grid.shape[0], i]


@_jit
def _evaluate_offers(full, xs, c, lower, upper, buf, xin):
    """``full`` at both offers: rows 0 and 1 of ``buf`` (row 2 is scratch)."""
    for k in range(2):
        _evaluate(full, xs[k], c, lower, upper, buf[k], buf[2], xin)


@_jit
def _system(buf, xs, w, delta, slack, d, tiny, lower, upper, lag_g, fr0, res, jac, free):
    """:func:`bargain.batch_rubinstein._rubinstein_system` for one point, from the
    offers' evaluations ``buf`` (:func:`_evaluate_offers`).

    Fills the residual ``res`` ``(2n+2,)``, the Jacobian ``jac`` and the free flags
    ``free`` ``(2, n)``; ``lag_g`` and ``fr0`` ``(n,)`` are scratch.
    """
    n = xs.shape[1]
    h0 = 2 + 2 * n
    res[:] = 0.0
    jac[:, :] = 0.0
    for k in range(2):
        out = buf[k]
        wk = w[k]
        for j in range(n):
            lag_g[j] = (1 - wk) * out[2 + j] + wk * out[2 + n + j]
            fr0[j] = not (
                (xs[k, j] <= lower[j] and lag_g[j] < 0) or (xs[k, j] >= upper[j] and lag_g[j] > 0)
            )
        for j in range(n):
            # an issue that no longer matters (e.g. a say over zero cash) is held where it is
            row = 0.0
            for m in range(n):
                if fr0[j] and fr0[m]:
                    lag_h = (1 - wk) * out[h0 + j * n + m] + wk * out[h0 + n * n + j * n + m]
                    row = max(row, abs(lag_h))
            if not slack[k]:
                row += abs(out[2 + n + j] - out[2 + j])
            free[k, j] = fr0[j] and not (row <= tiny and abs(lag_g[j]) <= tiny)
        for j in range(n):
            r = k * n + j
            if not free[k, j]:
                jac[r, r] = 1.0
                continue
            res[r] = lag_g[j]
            for m in range(n):
                if free[k, m]:
                    lag_h = (1 - wk) * out[h0 + j * n + m] + wk * out[h0 + n * n + j * n + m]
                    jac[r, k * n + m] = lag_h
            jac[r, 2 * n + k] = out[2 + n + j] - out[2 + j]
    # offer 0's responder (party 1) is indifferent; so is offer 1's (party 0)
    if slack[0]:
        res[2 * n] = w[0]
        jac[2 * n, 2 * n] = 1.0
    else:
        res[2 * n] = buf[0, 1] - d[1] - delta[1] * (buf[1, 1] - d[1])
        for j in range(n):
            jac[2 * n, j] = buf[0, 2 + n + j]
            jac[2 * n, n + j] = -delta[1] * buf[1, 2 + n + j]
    if slack[1]:
        res[2 * n + 1] = w[1] - 1.0
        jac[2 * n + 1, 2 * n + 1] = 1.0
    else:
        res[2 * n + 1] = buf[1, 0] - d[0] - delta[0] * (buf[0, 0] - d[0])
        for j in range(n):
            jac[2 * n + 1, n + j] = buf[1, 2 + j]
            jac[2 * n + 1, j] = -delta[0] * buf[0, 2 + j]


@_jit
def _max_abs(v):
    """``np.abs(v).max()`` with numpy's nan: nan if any entry is."""
    top = 0.0
    for k in range(v.size):
        if math.isnan(v[k]):
            return np.nan
        top = max(top, abs(v[k]))
    return top


@_jit
def _offers_one(full, xs, w, slack, c, d, delta, tiny, floor, lower, upper, span, work):
    """Damped Newton on the two stationary offers of one point (in place):
    :func:`bargain.batch_rubinstein._rubinstein_core` for one point.

    The offers' evaluations at an accepted trial are those of the next iterate,
    so each iteration evaluates ``full`` only at its trials. ``work`` is scratch
    (:func:`_offers_work`).
    """
    cur, trial, res, jac, free, res2, jac2, free2, step, cand, cw, lag_g, fr0, xin, lu, y = work
    n = xs.shape[1]
    size = 2 * n + 2
    converged = False
    accepted = False
    iterations = 0
    _evaluate_offers(full, xs, c, lower, upper, cur, xin)
    for _ in range(_MAXIT_OFFERS):
        was0, was1, w0, w1 = slack[0], slack[1], w[0], w[1]
        # a proposer whose weight left [0, 1] takes its ideal deal; it returns to the
        # indifference condition when that deal gives the responder too little
        if slack[0]:
            slack[0] = cur[0, 1] - d[1] >= delta[1] * (cur[1, 1] - d[1])
        else:
            slack[0] = w[0] < 0
        if slack[1]:
            slack[1] = cur[1, 0] - d[0] >= delta[0] * (cur[0, 0] - d[0])
        else:
            slack[1] = w[1] > 1
        if slack[0]:
            w[0] = 0.0
        if slack[1]:
            w[1] = 1.0
        if accepted and slack[0] == was0 and slack[1] == was1 and w[0] == w0 and w[1] == w1:
            # the system at the accepted trial is the system here: the same inputs
            res, res2, jac, jac2, free, free2 = res2, res, jac2, jac, free2, free
        else:
            _system(cur, xs, w, delta, slack, d, tiny, lower, upper, lag_g, fr0, res, jac, free)
        norm0 = _max_abs(res)
        _lu_solve(jac, res, step, lu, y)
        # an issue held at a bound stays exactly there (round-off would free it)
        for k in range(2):
            for j in range(n):
                if not free[k, j]:
                    step[k * n + j] = 0.0
        finite = True
        for r in range(size):
            step[r] = -step[r]
            if not math.isfinite(step[r]):
                finite = False
        accepted = False
        if finite:
            t = 1.0
            for _ls in range(12):
                for k in range(2):
                    for j in range(n):
                        v = xs[k, j] + t * step[k * n + j]
                        cand[k, j] = min(max(v, lower[j]), upper[j])
                    cw[k] = w[k] + t * step[2 * n + k]
                _evaluate_offers(full, cand, c, lower, upper, trial, xin)
                _system(
                    trial,
                    cand,
                    cw,
                    delta,
                    slack,
                    d,
                    tiny,
                    lower,
                    upper,
                    lag_g,
                    fr0,
                    res2,
                    jac2,
                    free2,
                )
                if _max_abs(res2) <= (1 - 1e-4 * t) * norm0:
                    accepted = True
                    xs[:, :] = cand
                    w[:] = cw
                    cur[:2] = trial[:2]
                    break
                if norm0 <= floor:  # at the noise floor only the full step is tried
                    break
                t *= 0.5
        moved = 0.0  # only read when a step was accepted, so finite
        for r in range(size):
            moved = max(moved, abs(step[r] / (span[r % n] if r < 2 * n else 1.0)))
        iterations += 1
        # at the noise floor of the residual, no trial can improve on it
        if (accepted and moved <= _STEP_TOL) or (not accepted and norm0 <= floor):
            converged = True
            break
        if not accepted:
            break
    return converged, iterations


@_jit
def _offers_work(n):
    """Scratch arrays of :func:`_offers_one` for ``n`` issues."""
    size = 2 * n + 2
    width = 2 + 2 * n + 2 * n * n
    return (
        np.empty((3, width)),
        np.empty((3, width)),
        np.empty(size),
        np.empty((size, size)),
        np.empty((2, n), dtype=np.bool_),
        np.empty(size),
        np.empty((size, size)),
        np.empty((2, n), dtype=np.bool_),
        np.empty(size),
        np.empty((2, n)),
        np.empty(2),
        np.empty(n),
        np.empty(n, dtype=np.bool_),
        np.empty(n),
        np.empty((size, size)),
        np.empty(size),
    )


@numba.njit(
    types.void(KERNEL, _F3, _F2, _B2, _F2, _F2, _F2, _F1, _F1, _F1, _F1, _B1, _I1),
    cache=True,
    error_model="numpy",
)
def offers_newton(
    full, xs, w, slack, ctx, d, delta, scale_max, lower, upper, span, converged, iterations
):
    """The damped Newton method on the two Rubinstein offers at every point (in place).

    ``xs`` ``(N, 2, n)`` the offers, ``w`` ``(N, 2)`` their Pareto weights,
    ``slack`` ``(N, 2)`` whether each offer is its proposer's ideal deal; ``ctx``
    ``(N, C)``, ``d`` and ``delta`` ``(N, 2)``, ``scale_max`` ``(N,)`` the larger
    frontier scale. ``converged`` and ``iterations`` ``(N,)`` are written.
    """
    work = _offers_work(xs.shape[2])
    for i in range(xs.shape[0]):
        tiny = 1e-12 * (1 + scale_max[i])
        floor = 1e-11 * (1 + scale_max[i])
        converged[i], iterations[i] = _offers_one(
            full,
            xs[i],
            w[i],
            slack[i],
            ctx[i],
            d[i],
            delta[i],
            tiny,
            floor,
            lower,
            upper,
            span,
            work,
        )
