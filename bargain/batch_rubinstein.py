"""Batched Rubinstein equilibria: Newton's method on the two stationary offers.

See :mod:`bargain.batch` for the method and :func:`bargain.batch.batch_rubinstein`
for the public function.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import batch_jit
from .batch_nash import _GAIN_TOL, _nash, _nash_core
from .batch_newton import _STEP_TOL, _negdef, _newton_step, _reduce
from .batch_result import BatchResult, _Batch, _empty, _fill_fallback, _SubSet
from .frontier import Frontier
from .rubinstein import rubinstein_solution

__all__ = ["other_first"]

_MAXIT_OFFERS = 30  # Newton iterations (Rubinstein offers)


def _rubinstein_system(
    sub: Any,
    xs: np.ndarray,
    w: np.ndarray,
    delta: np.ndarray,
    slack: np.ndarray,
    evaluations: list | None = None,
    jacobian: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residual ``(m, 2n+2)``, Jacobian ``(m, 2n+2, 2n+2)`` and free flags ``(2, m, n)``.

    Offer ``k`` is Pareto optimal with weight ``w_k``: ``(1 - w_k) grad g_1 + w_k grad g_2 = 0``
    on its free issues. Its indifference condition holds unless ``slack[k]``: then the
    proposer takes its ideal deal (``w_1 = 0``, ``w_2 = 1``) and the responder gets more
    than it needs. ``evaluations``, if given, receives each offer's ``(u, g, h)``.
    Without ``jacobian`` the Jacobian is not assembled (an empty array is returned).
    """
    bm = sub.bm
    n, m = bm.n, xs.shape[2]
    size = 2 * n + 2
    res = np.zeros((m, size))
    jac = np.zeros((m, size, size) if jacobian else (0, size, size))
    grads, gains, free = [], [], np.zeros((2, m, n), dtype=bool)
    eye = np.eye(n)[None]
    for k in (0, 1):
        u, g, h = bm.evaluate(xs[k], sub.ctx, derivatives=True)
        if evaluations is not None:
            evaluations.append((u, g, h))
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
        if jacobian:
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
        if jacobian:
            jac[:, r, 2 * n + k] = np.where(slack[k], 1.0, 0.0)
    if not jacobian:
        return res, jac, free
    keep = ~slack[0][:, None]
    jac[:, 2 * n, :n] = np.where(keep, grads[0][1].T, 0.0)
    jac[:, 2 * n, n : 2 * n] = np.where(keep, -delta[1, :, None] * grads[1][1].T, 0.0)
    keep = ~slack[1][:, None]
    jac[:, 2 * n + 1, n : 2 * n] = np.where(keep, grads[1][0].T, 0.0)
    jac[:, 2 * n + 1, :n] = np.where(keep, -delta[0, :, None] * grads[0][0].T, 0.0)
    return res, jac, free


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
    if sub.kernels is not None:
        return batch_jit.offers(sub.kernels, sub, xs, w, slack, delta)
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
        # at the noise floor of the residual, no trial can improve on it
        floor = norm0 <= 1e-11 * (1 + part.scale.max(axis=0))
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
                _SubSet(part, pending), cand, cw, da[:, pending], sa[:, pending], jacobian=False
            )
            size2 = np.abs(r2).max(axis=1)
            better = size2 <= (1 - 1e-4 * t[pending]) * norm0[pending]
            new_x[:, :, pending[better]] = cand[:, :, better]
            new_w[:, pending[better]] = cw[:, better]
            accepted[pending[better]] = True
            pending = pending[~better]
            if _ls == 0:  # at the noise floor of the residual only the full step is tried
                pending = pending[~floor[pending]]
            t[pending] *= 0.5
        moved = np.abs(step / span).max(axis=1)
        xs[:, :, active], w[:, active], slack[:, active] = new_x, new_w, sa
        iterations[active] += 1
        finished = (accepted & (moved <= _STEP_TOL)) | (~accepted & floor)
        converged[active[finished]] = True
        active = active[~(finished | ~accepted)]
    return xs, w, slack, converged, iterations


def _offers_ok(
    sub: Any, xs: np.ndarray, w: np.ndarray, delta: np.ndarray, slack: np.ndarray
) -> np.ndarray:
    """Residual tiny, weights in [0, 1], gains positive, second-order conditions."""
    bm = sub.bm
    evaluations: list = []
    res, _, free = _rubinstein_system(sub, xs, w, delta, slack, evaluations, jacobian=False)
    ok = np.abs(res).max(axis=1) <= 1e-9 * (1 + sub.scale.max(axis=0))
    ok &= ((w >= 0) & (w <= 1)).all(axis=0)
    gains = []
    for k in (0, 1):
        u, g, h = evaluations[k]
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


def _rubinstein(batch: _Batch, nash: BatchResult | None, fallback: bool) -> BatchResult:
    """Batched Rubinstein, started at ``nash`` (symmetric Nash results of the batch).

    Without ``nash``, or where it says ``nonconvex`` (no deal to start from), the
    start is the batch's unchecked Nash solution: any local maximum will do.
    """
    if nash is None or (nash.status == "nonconvex").any():
        nash = _nash(batch, "equal", False)
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
