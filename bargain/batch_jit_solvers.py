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

import numba
import numpy as np
from numba import types

__all__ = ["KERNEL", "best_start", "nash_newton", "offers_newton"]

_F1 = types.float64[::1]
_F2 = types.float64[:, ::1]
_F3 = types.float64[:, :, ::1]
_B1 = types.boolean[::1]
_B2 = types.boolean[:, ::1]
_I1 = types.int64[::1]

#: The type of a scenario's kernels: ``k(x, c, out) -> 0``.
KERNEL = types.FunctionType(types.int64(_F1, _F1, _F1))

_jit = numba.njit(cache=True, error_model="numpy")

_MAXIT = 60  # as bargain.batch_newton._MAXIT
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
        if not np.isfinite(out[k]):
            bad = True
    if bad:
        for j in range(x.size):
            xin[j] = x[j] + 1e-10 * ((lower[j] + upper[j]) / 2 - x[j])
        full(xin, c, spare)
        for k in range(2, out.size):
            if not np.isfinite(out[k]):
                out[k] = spare[k]
    for k in range(2, out.size):
        v = out[k]
        if np.isnan(v):
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
    if not np.all(np.isfinite(m)):
        return False
    return np.linalg.eigvalsh(m).max() < 0


@_jit
def _lu_solve(a, b, out):
    """Solve ``a out = b`` by Gaussian elimination with partial pivoting; nan where
    ``|det a| <= 1e-300`` or anything is not finite (as numpy's stacked solves)."""
    m = b.size
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        out[:] = np.nan
        return
    lu = a.copy()
    y = b.copy()
    det = 1.0
    for k in range(m):
        p = k
        for i in range(k + 1, m):
            if abs(lu[i, k]) > abs(lu[p, k]):
                p = i
        if p != k:
            for j in range(m):
                lu[k, j], lu[p, j] = lu[p, j], lu[k, j]
            y[k], y[p] = y[p], y[k]
            det = -det
        det *= lu[k, k]
        if lu[k, k] == 0.0:
            out[:] = np.nan
            return
        for i in range(k + 1, m):
            f = lu[i, k] / lu[k, k]
            for j in range(k + 1, m):
                lu[i, j] -= f * lu[k, j]
            y[i] -= f * y[k]
    if not abs(det) > 1e-300:
        out[:] = np.nan
        return
    for i in range(m - 1, -1, -1):
        s = y[i]
        for j in range(i + 1, m):
            s -= lu[i, j] * out[j]
        out[i] = s / lu[i, i]


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
        _lu_solve(m, b, out)


@_jit
def _modified_step(hess, grad, span, out):
    """As :func:`bargain.batch_newton._modified_step` for one point."""
    n = grad.size
    out[:] = 0.0
    if np.all(np.isfinite(hess)) and np.all(np.isfinite(grad)):
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
        g = grad[k] if np.isfinite(grad[k]) else 0.0
        norm = max(norm, abs(g * span[k]))
    for k in range(n):
        g = grad[k] if np.isfinite(grad[k]) else 0.0
        out[k] = g * span[k] ** 2 / (norm if norm > 0 else 1.0)


@_jit
def _log_nash(u, d, alpha):
    """``sum_i alpha_i log(u_i - d_i)``, ``-inf`` unless both gain."""
    f = 0.0
    for i in range(2):
        gain = u[i] - d[i]
        if not gain > 0:
            return -np.inf
        f += alpha[i] * np.log(gain)
    return f


@_jit
def _nash_derivatives(out, d, alpha, n, grad, hess):
    """The log Nash product at ``out = (u, g, h)`` with its gradient and Hessian."""
    f = _log_nash(out, d, alpha)
    grad[:] = 0.0
    hess[:] = 0.0
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
def _nash_one(full, value, x, c, d, alpha, lower, upper, span):
    """Projected Newton ascent of the log Nash product from ``x`` (in place):
    :func:`bargain.batch_newton._projected_newton` for one point."""
    n = x.size
    out = np.empty(2 + 2 * n + 2 * n * n)
    spare = np.empty_like(out)
    xin = np.empty(n)
    u = np.empty(2)
    grad = np.empty(n)
    hess = np.empty((n, n))
    hr = np.empty((n, n))
    gr = np.empty(n)
    free = np.empty(n, dtype=np.bool_)
    step = np.empty(n)
    trial = np.empty(n)
    _evaluate(full, x, c, lower, upper, out, spare, xin)
    f = _nash_derivatives(out, d, alpha, n, grad, hess)
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
        bad = not _negdef(hr) or not np.all(np.isfinite(step)) or not ascent > 0
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
        small = small or (np.isfinite(f) and ascent <= 0.0)
        t = 1.0
        accepted = False
        for _ls in range(45):
            gain = 0.0
            for k in range(n):
                trial[k] = min(max(x[k] + t * step[k], lower[k]), upper[k])
                gain += grad[k] * (trial[k] - x[k])
            value(trial, c, u)
            ft = _log_nash(u, d, alpha)
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
        if small or (accepted and moved <= _STEP_TOL) or not accepted:
            converged = accepted or small
            break
        _evaluate(full, x, c, lower, upper, out, spare, xin)
        f = _nash_derivatives(out, d, alpha, n, grad, hess)
    return converged, iterations


@numba.njit(
    types.void(KERNEL, KERNEL, _F2, _F2, _F2, _F2, _F1, _F1, _F1, _B1, _I1),
    cache=True,
    error_model="numpy",
)
def nash_newton(full, value, x, ctx, d, alpha, lower, upper, span, converged, iterations):
    """The projected Newton ascent of the log Nash product at every point (in place).

    ``x`` ``(N, n)`` holds the starts and receives the deals; ``ctx`` ``(N, C)``,
    ``d`` and ``alpha`` ``(N, 2)`` are the points' contexts, disagreement points
    and powers; ``converged`` and ``iterations`` ``(N,)`` are written.
    """
    for i in range(x.shape[0]):
        xi = x[i].copy()
        converged[i], iterations[i] = _nash_one(
            full, value, xi, ctx[i], d[i], alpha[i], lower, upper, span
        )
        x[i] = xi


@numba.njit(
    types.void(KERNEL, _F2, _F3, _F2, _F2, _F2, _F2, _F1, _F1, _F2, _B1),
    cache=True,
    error_model="numpy",
)
def best_start(value, grid, extra, ctx, d, alpha, scale, lower, upper, x, feasible):
    """The start of the Nash ascent at every point: :func:`bargain.batch_nash._start`.

    Of the grid ``(K, n)`` (the same for all points) and the points' own extra
    starts ``extra`` ``(E, N, n)``: the one of largest log Nash product, or where
    none gives both parties a gain (``feasible`` False), the one of largest
    smallest scaled gain (the box's centre if none is finite). ``x`` ``(N, n)``
    receives the start.
    """
    u = np.empty(2)
    n = grid.shape[1]
    xe = np.empty(n)
    best_x = np.empty(n)
    best_mx = np.empty(n)
    for i in range(x.shape[0]):
        c = ctx[i]
        best_f = -np.inf
        best_m = -np.inf
        for k in range(n):
            best_x[k] = best_mx[k] = (lower[k] + upper[k]) / 2
        for s in range(grid.shape[0] + extra.shape[0]):
            if s < grid.shape[0]:
                xe[:] = grid[s]
            else:
                xe[:] = extra[s - grid.shape[0], i]
            value(xe, c, u)
            f = _log_nash(u, d[i], alpha[i])
            m0 = (u[0] - d[i, 0]) / scale[i, 0]
            m1 = (u[1] - d[i, 1]) / scale[i, 1]
            m = np.nan if np.isnan(m0) or np.isnan(m1) else min(m0, m1)
            if f > best_f:
                best_f = f
                best_x[:] = xe
            if m > best_m:
                best_m = m
                best_mx[:] = xe
        feasible[i] = np.isfinite(best_f)
        x[i] = best_x if feasible[i] else best_mx


@_jit
def _system(full, xs, w, delta, slack, c, d, tiny, lower, upper, buf, res, jac, free, gains):
    """:func:`bargain.batch_rubinstein._rubinstein_system` for one point.

    Fills the residual ``res`` ``(2n+2,)``, the Jacobian ``jac``, the free flags
    ``free`` ``(2, n)`` and the gains ``gains[k, i]`` of party ``i`` at offer ``k``.
    ``buf`` is ``(4, 2 + 2n + 2n^2)`` of scratch: rows 0-1 the two offers'
    evaluations.
    """
    n = xs.shape[1]
    size = 2 * n + 2
    res[:] = 0.0
    jac[:] = 0.0
    lag_g = np.empty(n)
    fr0 = np.empty(n, dtype=np.bool_)
    xin = np.empty(n)
    for k in range(2):
        out = buf[k]
        _evaluate(full, xs[k], c, lower, upper, out, buf[2], xin)
        gains[k, 0] = out[0] - d[0]
        gains[k, 1] = out[1] - d[1]
        wk = w[k]
        for j in range(n):
            lag_g[j] = (1 - wk) * out[2 + j] + wk * out[2 + n + j]
            fr0[j] = not (
                (xs[k, j] <= lower[j] and lag_g[j] < 0) or (xs[k, j] >= upper[j] and lag_g[j] > 0)
            )
        h0 = 2 + 2 * n
        for j in range(n):
            # an issue that no longer matters (e.g. a say over zero cash) is held where it is
            row = 0.0
            for m in range(n):
                if fr0[j] and fr0[m]:
                    lag_h = (1 - wk) * out[h0 + j * n + m] + wk * out[h0 + n * n + j * n + m]
                    row = max(row, abs(lag_h))
            dw = out[2 + n + j] - out[2 + j]
            if not slack[k]:
                row += abs(dw)
            free[k, j] = fr0[j] and not (row <= tiny and abs(lag_g[j]) <= tiny)
        for j in range(n):
            r = k * n + j
            if free[k, j]:
                res[r] = lag_g[j]
                for m in range(n):
                    if free[k, m]:
                        jac[r, k * n + m] = (1 - wk) * out[h0 + j * n + m] + wk * out[
                            h0 + n * n + j * n + m
                        ]
                jac[r, 2 * n + k] = out[2 + n + j] - out[2 + j]
            else:
                jac[r, r] = 1.0
    # offer 0's responder (party 1) is indifferent; offer 1's responder (party 0)
    if slack[0]:
        res[2 * n] = w[0]
        jac[2 * n, 2 * n] = 1.0
    else:
        res[2 * n] = gains[0, 1] - delta[1] * gains[1, 1]
        for j in range(n):
            jac[2 * n, j] = buf[0, 2 + n + j]
            jac[2 * n, n + j] = -delta[1] * buf[1, 2 + n + j]
    if slack[1]:
        res[2 * n + 1] = w[1] - 1.0
        jac[2 * n + 1, 2 * n + 1] = 1.0
    else:
        res[2 * n + 1] = gains[1, 0] - delta[0] * gains[0, 0]
        for j in range(n):
            jac[2 * n + 1, n + j] = buf[1, 2 + j]
            jac[2 * n + 1, j] = -delta[0] * buf[0, 2 + j]
    return size


@_jit
def _max_abs(v):
    """``np.abs(v).max()`` with numpy's nan: nan if any entry is."""
    top = 0.0
    for k in range(v.size):
        if np.isnan(v[k]):
            return np.nan
        top = max(top, abs(v[k]))
    return top


@_jit
def _offers_one(full, value, xs, w, slack, c, d, delta, tiny, floor, lower, upper, span):
    """Damped Newton on the two stationary offers of one point (in place):
    :func:`bargain.batch_rubinstein._rubinstein_core` for one point."""
    n = xs.shape[1]
    size = 2 * n + 2
    buf = np.empty((3, 2 + 2 * n + 2 * n * n))
    res = np.empty(size)
    jac = np.empty((size, size))
    free = np.empty((2, n), dtype=np.bool_)
    gains = np.empty((2, 2))
    res2 = np.empty(size)
    jac2 = np.empty((size, size))
    free2 = np.empty((2, n), dtype=np.bool_)
    gains2 = np.empty((2, 2))
    step = np.empty(size)
    cand = np.empty((2, n))
    cw = np.empty(2)
    u0 = np.empty(2)
    u1 = np.empty(2)
    converged = False
    iterations = 0
    for _ in range(_MAXIT_OFFERS):
        # a proposer whose weight left [0, 1] takes its ideal deal; it returns to the
        # indifference condition when that deal gives the responder too little
        value(xs[0], c, u0)
        value(xs[1], c, u1)
        if slack[0]:
            slack[0] = u0[1] - d[1] >= delta[1] * (u1[1] - d[1])
        else:
            slack[0] = w[0] < 0
        if slack[1]:
            slack[1] = u1[0] - d[0] >= delta[0] * (u0[0] - d[0])
        else:
            slack[1] = w[1] > 1
        if slack[0]:
            w[0] = 0.0
        if slack[1]:
            w[1] = 1.0
        _system(full, xs, w, delta, slack, c, d, tiny, lower, upper, buf, res, jac, free, gains)
        norm0 = _max_abs(res)
        _lu_solve(jac, res, step)
        # an issue held at a bound stays exactly there (round-off would free it)
        for k in range(2):
            for j in range(n):
                if not free[k, j]:
                    step[k * n + j] = 0.0
        finite = True
        for r in range(size):
            step[r] = -step[r]
            if not np.isfinite(step[r]):
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
                _system(
                    full,
                    cand,
                    cw,
                    delta,
                    slack,
                    c,
                    d,
                    tiny,
                    lower,
                    upper,
                    buf,
                    res2,
                    jac2,
                    free2,
                    gains2,
                )
                if _max_abs(res2) <= (1 - 1e-4 * t) * norm0:
                    accepted = True
                    xs[:, :] = cand
                    w[:] = cw
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


@numba.njit(
    types.void(KERNEL, KERNEL, _F3, _F2, _B2, _F2, _F2, _F2, _F1, _F1, _F1, _F1, _B1, _I1),
    cache=True,
    error_model="numpy",
)
def offers_newton(
    full, value, xs, w, slack, ctx, d, delta, scale_max, lower, upper, span, converged, iterations
):
    """The damped Newton method on the two Rubinstein offers at every point (in place).

    ``xs`` ``(N, 2, n)`` the offers, ``w`` ``(N, 2)`` their Pareto weights,
    ``slack`` ``(N, 2)`` whether each offer is its proposer's ideal deal; ``ctx``
    ``(N, C)``, ``d`` and ``delta`` ``(N, 2)``, ``scale_max`` ``(N,)`` the larger
    frontier scale. ``converged`` and ``iterations`` ``(N,)`` are written.
    """
    for i in range(xs.shape[0]):
        xi = xs[i].copy()
        wi = w[i].copy()
        si = slack[i].copy()
        tiny = 1e-12 * (1 + scale_max[i])
        floor = 1e-11 * (1 + scale_max[i])
        converged[i], iterations[i] = _offers_one(
            full, value, xi, wi, si, ctx[i], d[i], delta[i], tiny, floor, lower, upper, span
        )
        xs[i] = xi
        w[i] = wi
        slack[i] = si
