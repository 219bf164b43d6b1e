"""The numerical core shared by the batched solvers: stacked linear algebra and a
projected Newton method that maximises an objective over a box on many points at once
(Bertsekas 1982).

References
----------
.. [1] Bertsekas, D. P. (1982). Projected Newton methods for optimization
   problems with simple constraints. SIAM J. Control and Optimization 20(2),
   221-246.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__: list[str] = []

_MAXIT = 60  # Newton iterations (Nash)
_STEP_TOL = 1e-12  # converged when the Newton step is below this share of the box


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


Objective = Callable[[np.ndarray, Any, Any, np.ndarray], tuple[np.ndarray, Any, Any]]


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
            # the noise floor of f: sums of logs cancel, so it is absolute as well as relative
            ok = ft >= f[pending] + 1e-4 * gain - 1e-14 * (1 + np.abs(f[pending]))
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


def _newton_step(jac: np.ndarray, res: np.ndarray) -> np.ndarray:
    step = np.full(res.shape, np.nan)
    with np.errstate(all="ignore"):
        finite = np.all(np.isfinite(jac), axis=(1, 2)) & np.all(np.isfinite(res), axis=1)
        good = np.zeros(res.shape[0], dtype=bool)
        good[finite] = np.abs(np.linalg.det(jac[finite])) > 1e-300
        if good.any():
            step[good] = -np.linalg.solve(jac[good], res[good][..., None])[..., 0]
    return step
