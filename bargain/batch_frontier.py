"""The utility-possibility frontier of many parameter points at once.

:class:`bargain.Frontier` traces one problem's frontier with SLSQP, one level at
a time. :func:`trace_frontier` traces it for an array of parameter points, every
(point, level) pair a problem of its own solved side by side on numpy arrays
with the exact gradients and Hessians of :class:`bargain.batch.BatchModel`. In
scaled gains :math:`g_i = (u_i - d_i) / s_i` (the scale of
:class:`bargain.Frontier`) the frontier is

.. math::

    P(v) = \\max_{x \\in [l, u]} g_1(x) \\quad \\text{s.t.} \\quad g_2(x) \\ge v,
    \\qquad v \\in [0, m_2], \\quad m_2 = \\max \\{g_2(x) : g_1(x) \\ge 0\\}.

Each problem is solved in two steps:

1. a log-barrier ascent, :math:`\\max g_1 + \\mu \\log(g_2 - v)` for a falling
   :math:`\\mu`, by the projected Newton method of :mod:`bargain.batch` (the box is
   held by projection; every step increases the objective, so the method does
   not stop at a saddle), from the best strictly feasible deal known (a coarse
   grid over the box, each party's ideal deal) and from the deal that gives party
   2 its ideal gain :math:`m_2`;
2. a Newton polish of the first-order (KKT) conditions,
   :math:`\\nabla g_1 + \\lambda \\nabla g_2 = 0` on the issues not held by a bound,
   :math:`g_2 = v` (or :math:`\\lambda = 0` where the constraint is slack), to
   machine precision.

Since :math:`P` is non-increasing, every deal found at a higher level is feasible
at a lower one: a level whose value is beaten by a deal known elsewhere is solved
again from that deal. A point is ``certified`` when every level meets the
first-order conditions (residual below ``1e-9``, multiplier non-negative, bound
multipliers of the right sign) and no known deal beats any level. Like the
per-scenario :class:`~bargain.Frontier` (multi-start SLSQP) this is a local
method made global by its starts; neither proves global optimality for
utilities that are not concave.

The multiplier :math:`\\lambda(v) = -P'(v)` is returned too (envelope theorem);
the batched Kalai-Smorodinsky, egalitarian and utilitarian solutions
(:mod:`bargain.batch_axiomatic`) polish their roots on the traced curve with it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .batch_model import BatchModel, _grid
from .batch_newton import _negdef, _newton_step, _projected_newton
from .frontier import _CONCAVITY_TOL, _FEAS_TOL, FrontierSample

__all__ = ["FrontierTrace", "trace_frontier"]

_MUS = (1e-4, 1e-7)  # barrier weights, in scaled gains
_POLISH_IT = 25  # Newton iterations of the polish
_KKT_TOL = 1e-9  # largest first-order residual of a certified level (scaled units)
_BETTER = 1e-10  # a known deal beats a level by more than this: solve it again
_REPAIRS = 3  # rounds of re-solving beaten levels
_BARRIER_FTOL = 1e-6  # the barrier stage stops here; the KKT polish makes it exact


@dataclass(frozen=True)
class FrontierTrace:
    """The frontier of ``N`` parameter points on a grid of ``R`` levels.

    Attributes
    ----------
    scale, d : ndarray, shape (N, 2)
        The scale of each party's gains and the disagreement utilities.
    m1, m2 : ndarray, shape (N,)
        Ideal scaled gains (as :attr:`bargain.Frontier.m1`, ``m2``).
    agreement : ndarray of bool, shape (N,)
        Whether some deal gives both parties a gain (as ``Frontier.agreement``).
    v, p : ndarray, shape (N, R)
        ``v = linspace(0, m2, R)`` and :math:`P(v)`, in scaled gains (nan where
        there is no agreement).
    deals : ndarray, shape (N, R, n)
        A deal attaining :math:`P(v)` at each level.
    multiplier : ndarray, shape (N, R)
        :math:`\\lambda(v) = -P'(v)` (0 on a flat part; ``inf`` at the top if
        :math:`g_1 \\ge 0` does not bind there).
    concavity_violation : ndarray, shape (N,)
        Largest positive second difference of ``p`` (as ``Frontier.concavity_violation``).
    convex : ndarray of bool, shape (N,)
        ``concavity_violation <= 1e-6`` (as ``Frontier.convex``).
    certified : ndarray of bool, shape (N,)
        Every level solved and verified by the first-order conditions; uncertified
        points should be solved by :class:`bargain.Frontier`.
    """

    scale: np.ndarray
    d: np.ndarray
    m1: np.ndarray
    m2: np.ndarray
    agreement: np.ndarray
    v: np.ndarray
    p: np.ndarray
    deals: np.ndarray
    multiplier: np.ndarray
    concavity_violation: np.ndarray
    convex: np.ndarray
    certified: np.ndarray

    def take(self, idx: np.ndarray) -> FrontierTrace:
        """The trace of the points ``idx`` only."""
        return FrontierTrace(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def utilities(self, i: int) -> np.ndarray:
        """Point ``i``'s frontier in utilities, ``(R, 2)``: ``d + (P(v), v) * scale``."""
        return self.d[i] + np.column_stack([self.p[i], self.v[i]]) * self.scale[i]

    def sample(self, i: int) -> FrontierSample:
        """Point ``i``'s frontier as :meth:`bargain.Frontier.sample` gives it (empty if no deal)."""
        n = self.deals.shape[2]
        if not self.agreement[i]:
            empty = np.empty((0, 2))
            return FrontierSample(empty, np.empty((0, n)), True, 0.0, np.full(2, np.nan), self.d[i])
        p = self.p[i]
        first = int(np.flatnonzero(p >= p[0] - 1e-12)[-1])  # end of the flat start
        ideal = self.d[i] + self.scale[i] * [self.m1[i], self.m2[i]]
        return FrontierSample(
            self.utilities(i)[first:],
            self.deals[i, first:],
            bool(self.convex[i]),
            float(self.concavity_violation[i]),
            ideal,
            self.d[i].copy(),
        )


class _Pts:
    """Problems side by side: the model, per-problem context, disagreement and scale."""

    def __init__(self, bm: Any, ctx: np.ndarray, d: np.ndarray, scale: np.ndarray):
        self.bm, self.ctx, self.d, self.scale = bm, ctx, d, scale
        self.size = ctx.shape[1]

    def take(self, idx: np.ndarray) -> _Pts:
        return _Pts(self.bm, self.ctx[:, idx], self.d[:, idx], self.scale[:, idx])


def _gains(pts: _Pts, x: np.ndarray, derivatives: bool = False) -> tuple[Any, Any, Any]:
    """Scaled gains ``(2, m)``; if asked, gradients ``(2, m, n)`` and Hessians ``(2, m, n, n)``."""
    u, g, h = pts.bm.evaluate(x, pts.ctx, derivatives)
    z = (u - pts.d) / pts.scale
    if not derivatives:
        return z, None, None
    s = pts.scale
    return z, np.moveaxis(g / s[:, None], -1, 1), np.moveaxis(h / s[:, None, None], -1, 1)


# ------------------------------------------------------------------- objectives
def _linear(pts: _Pts, who: int) -> Any:
    """Objective ``g_who`` for the projected Newton method."""

    def objective(u, g, h, sel):
        s = pts.scale[who, sel]
        z = (u[who] - pts.d[who, sel]) / s
        f = np.where(np.isfinite(z), z, -np.inf)
        if g is None:
            return f, None, None
        return f, (g[who] / s).T, np.moveaxis(h[who] / s, -1, 0)

    return objective


def _barrier(pts: _Pts, who: int, level: np.ndarray, mu: float) -> Any:
    """Objective ``g_who + mu log(g_other - level)`` (-inf where infeasible)."""
    other = 1 - who

    def objective(u, g, h, sel):
        s = pts.scale[:, sel]
        z = (u - pts.d[:, sel]) / s
        slack = z[other] - level[sel]
        with np.errstate(all="ignore"):
            f = np.where(slack > 0, z[who] + mu * np.log(slack), -np.inf)
            f = np.where(np.isfinite(f), f, -np.inf)
            if g is None:
                return f, None, None
            w = np.where(slack > 0, mu / slack, 0.0)
            ga, gb = (g[who] / s[who]).T, (g[other] / s[other]).T
            ha = np.moveaxis(h[who] / s[who], -1, 0)
            hb = np.moveaxis(h[other] / s[other], -1, 0)
            outer = np.einsum("mk,ml->mkl", gb, gb)
            hess = (
                ha
                + w[:, None, None] * hb
                - (w / np.where(slack > 0, slack, 1.0))[:, None, None] * outer
            )
        return f, ga + w[:, None] * gb, hess

    return objective


# ---------------------------------------------------------------------- polish
# closing equation of the polish: the level is given (binding or slack), a ratio of
# gain to level is given (``a g_who = b v``), or the multiplier is given
FIXED, SLACK, RATIO, WEIGHT = 0, 1, 2, 3


def _kkt(
    pts: _Pts, who: int, x: np.ndarray, lam: np.ndarray, v: np.ndarray, mode: np.ndarray, aux: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Residual ``(m, n+2)``, Jacobian, free issues ``(m, n)`` and gains of the polish system.

    Unknowns ``(x, lam, v)``; rows: ``grad g_who + lam grad g_other = 0`` on the free
    issues, ``g_other = v`` (``lam = 0`` if slack), and the closing equation.
    """
    bm, other = pts.bm, 1 - who
    n, m = bm.n, x.shape[1]
    z, g, h = _gains(pts, x, derivatives=True)
    lag = g[who] + lam[:, None] * g[other]
    hess = h[who] + lam[:, None, None] * h[other]
    xt = x.T
    free = ~(((xt <= bm.lower) & (lag < 0)) | ((xt >= bm.upper) & (lag > 0)))
    # an issue that no longer matters (e.g. a say over zero cash) is held where it is
    row = np.abs(np.where(free[:, None, :], hess, 0.0)).max(axis=2) + np.abs(g[other])
    free &= ~((row <= 1e-12) & (np.abs(lag) <= 1e-12))
    target, a, b = aux
    res = np.zeros((m, n + 2))
    jac = np.zeros((m, n + 2, n + 2))
    both = free[:, :, None] & free[:, None, :]
    jac[:, :n, :n] = np.where(both, hess, np.eye(n)[None] * ~free[:, :, None])
    res[:, :n] = np.where(free, lag, 0.0)
    jac[:, :n, n] = np.where(free, g[other], 0.0)
    slack = mode == SLACK
    res[:, n] = np.where(slack, lam, z[other] - v)
    jac[:, n, :n] = np.where(slack[:, None], 0.0, np.where(free, g[other], 0.0))
    jac[:, n, n] = slack
    jac[:, n, n + 1] = np.where(slack, 0.0, -1.0)
    fixed = (mode == FIXED) | slack
    res[:, n + 1] = np.select(
        [fixed, mode == RATIO], [v - target, a * z[who] - b * v], default=lam - target
    )
    jac[:, n + 1, :n] = np.where(
        (mode == RATIO)[:, None], a[:, None] * np.where(free, g[who], 0), 0
    )
    jac[:, n + 1, n] = mode == WEIGHT
    jac[:, n + 1, n + 1] = np.select([fixed, mode == RATIO], [1.0, -b], default=0.0)
    return res, jac, free, z


def _size(res: np.ndarray, span: np.ndarray) -> np.ndarray:
    n = span.size
    return np.maximum(np.abs(res[:, :n] * span).max(axis=1), np.abs(res[:, n:]).max(axis=1))


def _polish(
    pts: _Pts, who: int, x: np.ndarray, lam: np.ndarray, v: np.ndarray, mode: np.ndarray, aux: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Damped Newton on the KKT system; returns x, lam, v, mode and the final residual."""
    bm, other = pts.bm, 1 - who
    x, lam, v, mode = x.copy(), lam.astype(float), v.astype(float), mode.copy()
    n = bm.n
    norm = np.full(x.shape[1], np.inf)
    active = np.arange(x.shape[1])
    for _ in range(_POLISH_IT):
        if active.size == 0:
            break
        sub = pts.take(active)
        xa, la, va, ma = x[:, active], lam[active], v[active], mode[active]
        aux_a = tuple(np.asarray(q)[active] for q in aux)
        z, _, _ = _gains(sub, xa)
        # a slack constraint that is violated binds again; a binding one with lam < 0 is let go
        ma = np.where((ma == SLACK) & (z[other] < va), FIXED, ma)
        ma = np.where((ma == FIXED) & (la < 0), SLACK, ma)
        la = np.where(ma == SLACK, 0.0, la)
        res, jac, _, _ = _kkt(sub, who, xa, la, va, ma, aux_a)
        size0 = _size(res, bm.span)
        step = _newton_step(jac, res)
        t = np.ones(active.size)
        done = size0 <= 1e-13
        new = (xa.copy(), la.copy(), va.copy(), size0.copy())
        pending = np.flatnonzero(~done & np.all(np.isfinite(step), axis=1))
        for _ls in range(10):
            if pending.size == 0:
                break
            tp = t[pending, None]
            cx = np.clip(xa[:, pending].T + tp * step[pending, :n], bm.lower, bm.upper).T
            cl = la[pending] + t[pending] * step[pending, n]
            cv = va[pending] + t[pending] * step[pending, n + 1]
            aux_p = tuple(q[pending] for q in aux_a)
            r2, _, _, _ = _kkt(sub.take(pending), who, cx, cl, cv, ma[pending], aux_p)
            s2 = _size(r2, bm.span)
            ok = s2 <= (1 - 1e-4 * t[pending]) * size0[pending]
            idx = pending[ok]
            new[0][:, idx], new[1][idx], new[2][idx], new[3][idx] = (
                cx[:, ok],
                cl[ok],
                cv[ok],
                s2[ok],
            )
            pending = pending[~ok]
            t[pending] *= 0.5
        moved = ~done & (new[3] < size0)
        x[:, active], lam[active], v[active], mode[active] = new[0], new[1], new[2], ma
        norm[active] = new[3]
        active = active[moved & (new[3] > 1e-13)]
    return x, lam, v, mode, norm


def _first_order(
    pts: _Pts, who: int, x: np.ndarray, lam: np.ndarray, v: np.ndarray, mode: np.ndarray, aux: Any
) -> np.ndarray:
    """Residual small, multiplier >= 0 (or the constraint slack and met), gains finite."""
    res, _, _, z = _kkt(pts, who, x, lam, v, mode, aux)
    ok = _size(res, pts.bm.span) <= _KKT_TOL * (1 + np.abs(lam))
    ok &= np.where(mode == SLACK, z[1 - who] >= v - _FEAS_TOL, lam >= -_KKT_TOL)
    return ok & np.all(np.isfinite(z), axis=0)


def _certify(pts: _Pts, who: int, x, lam, v, mode, aux) -> np.ndarray:
    """First- and second-order conditions with the polished multiplier, or with none."""
    ok = _first_order(pts, who, x, lam, v, mode, aux) & _second_order(pts, who, x, lam, mode)
    if not ok.all():  # a constraint that binds at a bound may hold with a zero multiplier
        b = np.flatnonzero(~ok)
        sb, zero, slack = pts.take(b), np.zeros(b.size), np.full(b.size, SLACK)
        aux_b = tuple(q[b] for q in aux)
        ok[b] = _first_order(sb, who, x[:, b], zero, v[b], slack, aux_b) & _second_order(
            sb, who, x[:, b], zero, slack
        )
        lam[b[ok[b]]] = 0.0
    return ok


def _snap(bm: BatchModel, x: np.ndarray) -> np.ndarray:
    """Issues within 1e-3 of the box's width from a bound, moved onto it."""
    lo, hi, span = bm.lower[:, None], bm.upper[:, None], bm.span[:, None]
    x = np.where(x - lo <= 1e-3 * span, lo, x)
    return np.where(hi - x <= 1e-3 * span, hi, x)


def _second_order(pts: _Pts, who: int, x: np.ndarray, lam: np.ndarray, mode: np.ndarray):
    """The Lagrangian curves down on the free issues along the constraint (semidefinite)."""
    aux = (np.zeros(x.shape[1]),) * 3
    _, _, free, _ = _kkt(pts, who, x, lam, np.zeros(x.shape[1]), mode, aux)
    _, g, h = _gains(pts, x, derivatives=True)
    lag = np.where(free[:, :, None] & free[:, None, :], h[who] + lam[:, None, None] * h[1 - who], 0)
    b = np.where(free & (mode != SLACK)[:, None], g[1 - who], 0.0)
    bb = np.einsum("mk,mk->m", b, b)[:, None, None]
    with np.errstate(all="ignore"):
        outer = np.where(bb > 0, np.einsum("mk,ml->mkl", b, b) / bb, 0.0)
    proj = np.eye(pts.bm.n)[None] - outer
    fixed = np.eye(pts.bm.n)[None] * ~free[:, :, None]
    bend = np.abs(lag).max(axis=(1, 2))[:, None, None] + 1.0
    tangent = proj @ lag @ proj - (outer + fixed) * bend
    return _negdef(np.nan_to_num(tangent), 1e-7)


# --------------------------------------------------------------------- solving
def _solve(
    pts: _Pts, who: int, level: np.ndarray, starts: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Max ``g_who`` s.t. ``g_other >= level`` from strictly feasible ``starts`` (n, m).

    Returns the deal, its value, multiplier and whether it is certified (nan value
    where ``ok`` is false or the polish failed).
    """
    n, m = pts.bm.n, pts.size
    x = np.full((n, m), np.nan)
    value, lam = np.full(m, -np.inf), np.full(m, np.nan)
    good = np.zeros(m, dtype=bool)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return x, value, lam, good
    sub = pts.take(idx)
    xs = starts[:, idx]
    for mu in _MUS:
        xs, _, _ = _projected_newton(sub, _barrier(sub, who, level[idx], mu), xs, _BARRIER_FTOL)
    z, _, _ = _gains(sub, xs)
    gap = z[1 - who] - level[idx]
    l0 = np.where(gap > 0, _MUS[-1] / gap, 0.0)
    mode = np.where(gap < 1e-3, FIXED, SLACK)
    aux = (level[idx], np.zeros(idx.size), np.zeros(idx.size))
    xp, lp, vp, mp, _ = _polish(sub, who, xs, l0, level[idx], mode, aux)
    cert = _certify(sub, who, xp, lp, vp, mp, aux)
    if not cert.all():  # the barrier's multiplier can free a held issue: the least-squares one
        b = np.flatnonzero(~cert)
        sb, aux_b = sub.take(b), tuple(q[b] for q in aux)
        lb = _multiplier(sb, who, xs[:, b], l0[b])
        xq, lq, vq, mq, _ = _polish(sb, who, xs[:, b], lb, level[idx][b], mode[b], aux_b)
        cq = _certify(sb, who, xq, lq, vq, mq, aux_b)
        put = b[cq]
        xp[:, put], lp[put], vp[put], mp[put] = xq[:, cq], lq[cq], vq[cq], mq[cq]
        cert[put] = True
    snapped = _snap(sub.bm, xp)
    moved = np.any(snapped != xp, axis=0)
    if (~cert | moved).any():  # degenerate: the constraint meets a bound; snap near-bounds
        b = np.flatnonzero(~cert | moved)
        near = _snap(sub.bm, np.where(cert, xp, xs)[:, b])
        sb = sub.take(b)
        aux_b = tuple(q[b] for q in aux)
        xq, lq, vq, mq, _ = _polish(sb, who, near, l0[b], level[idx][b], mode[b], aux_b)
        cq = _certify(sb, who, xq, lq, vq, mq, aux_b)
        zq, _, _ = _gains(sb, xq)
        zp0, _, _ = _gains(sb, xp[:, b])
        cq &= (zq[1 - who] >= level[idx][b] - _FEAS_TOL) & (~cert[b] | (zq[who] > zp0[who]))
        xp[:, b[cq]], lp[b[cq]], vp[b[cq]], mp[b[cq]] = xq[:, cq], lq[cq], vq[cq], mq[cq]
        cert[b[cq]] = True
    zp, _, _ = _gains(sub, xp)
    feasible = zp[1 - who] >= level[idx] - _FEAS_TOL
    # keep the barrier point if the polish lost its way (then uncertified)
    use = feasible & np.isfinite(zp[who])
    x[:, idx] = np.where(use, xp, xs)
    value[idx] = np.where(use, zp[who], np.where(gap > 0, z[who], -np.inf))
    lam[idx] = np.where(use, np.where(mp == SLACK, 0.0, lp), l0)
    good[idx] = use & cert
    return x, value, lam, good


def _multiplier(pts: _Pts, who: int, x: np.ndarray, barrier: np.ndarray) -> np.ndarray:
    """A second first estimate of the multiplier for the polish: least squares, interior issues.

    :math:`\\lambda = -\\langle \\nabla g_w, \\nabla g_o \\rangle / \\|\\nabla g_o\\|^2`
    over the issues strictly inside the box. The barrier's own estimate ``mu / slack``
    is exact only at the barrier's optimum, which the barrier stage stops short of;
    a wrong sign of ``grad g_w + lam grad g_o`` then frees an issue held by a bound
    (e.g. ``transferable_project``'s top). Levels the barrier's estimate leaves
    uncertified are polished again from this one. Where no interior issue moves
    ``g_o`` the barrier's estimate is kept.
    """
    bm = pts.bm
    _, g, _ = _gains(pts, x, derivatives=True)
    xt = x.T
    inside = (xt > bm.lower) & (xt < bm.upper)
    go, gw = np.where(inside, g[1 - who], 0.0), np.where(inside, g[who], 0.0)
    norm = np.einsum("mk,mk->m", go, go)
    with np.errstate(all="ignore"):
        fit = np.maximum(-np.einsum("mk,mk->m", gw, go) / norm, 0.0)
    return np.where((norm > 1e-24) & np.isfinite(fit), fit, barrier)


def _best(
    results: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per problem, the certified result of largest value (else the largest value)."""
    x, value, lam, good = (np.copy(a) for a in results[0])
    for xr, vr, lr, gr in results[1:]:
        rank_new = np.where(gr, 1, 0) * 1.0
        better = (vr > value + _BETTER) | ((vr >= value - _BETTER) & (rank_new > good))
        better &= np.isfinite(vr)
        x[:, better], value[better], lam[better], good[better] = (
            xr[:, better],
            vr[better],
            lr[better],
            gr[better],
        )
    return x, value, lam, good


def _pool(pts: _Pts) -> tuple[np.ndarray, np.ndarray]:
    """Candidate deals ``(K, n, N)`` (a coarse grid and each party's ideal deal) and gains."""
    bm, size = pts.bm, pts.size
    grid = np.array(_grid(bm.lower, bm.upper))  # (K, n)
    k = grid.shape[0]
    flat = np.repeat(grid.T[:, :, None], size, axis=2).reshape(bm.n, k * size)
    z, _, _ = _gains(_Pts(bm, *(np.tile(a, k) for a in (pts.ctx, pts.d, pts.scale))), flat)
    xs, zs = (
        [flat.reshape(bm.n, k, size).transpose(1, 0, 2)],
        [z.reshape(2, k, size).swapaxes(0, 1)],
    )
    for who in (0, 1):  # each party's ideal deal over the box, from its three best grid points
        order = np.argsort(-np.nan_to_num(zs[0][:, who], nan=-np.inf), axis=0)[:3]
        found = []
        for r in order:
            start = xs[0][r, :, np.arange(size)].T
            xb, _, _ = _projected_newton(pts, _linear(pts, who), start)
            found.append(xb)
        for xb in found:
            zb, _, _ = _gains(pts, xb)
            xs.append(xb[None])
            zs.append(zb[None])
    return np.concatenate(xs), np.nan_to_num(np.concatenate(zs), nan=-np.inf)


def _pick(xs: np.ndarray, zs: np.ndarray, who: int, level: np.ndarray) -> tuple[Any, Any]:
    """The strictly feasible candidate of largest ``g_who``: deal ``(n, m)`` and whether any."""
    feasible = zs[:, 1 - who] > level
    score = np.where(feasible, zs[:, who], -np.inf)
    best = np.argmax(score, axis=0)
    m = np.arange(level.size)
    return xs[best, :, m].T, np.isfinite(score[best, m])


def trace_frontier(model: BatchModel, theta: np.ndarray, resolution: int = 81) -> FrontierTrace:
    """The frontier :math:`P(v)` of every parameter point on a grid of levels.

    Parameters
    ----------
    model : BatchModel
    theta : ndarray, shape (P, N)
        Parameter values in model order (:meth:`BatchModel.theta`).
    resolution : int
        Grid levels ``R``: ``v = linspace(0, m2, R)`` as :meth:`bargain.Frontier.grid`.

    Returns
    -------
    FrontierTrace

    Examples
    --------
    >>> import bargain, numpy as np
    >>> from bargain.batch import BatchModel
    >>> bm = BatchModel(bargain.load("scenarios/textbook/concave_sqrt.toml"))
    >>> tr = trace_frontier(bm, bm.theta({}, 1), resolution=5)
    >>> tr.certified.tolist(), tr.convex.tolist()
    ([True], [True])
    >>> s1, s2 = tr.scale[0]  # u_A = x, u_B = sqrt(1 - x): P(v) = (1 - (s2 v)^2) / s1
    >>> bool(np.allclose(tr.p[0], (1 - (s2 * tr.v[0]) ** 2) / s1, atol=1e-12))
    True
    """
    if resolution < 3:
        raise ValueError("resolution must be at least 3")
    bm, size, res = model, theta.shape[1], int(resolution)
    ctx = bm.prepare(theta)
    d = bm.settings(theta)["disagreement"]
    scale = bm.scale(theta, ctx, d)
    pts = _Pts(bm, ctx, d, scale)
    xs, zs = _pool(pts)
    # the top: max g2 s.t. g1 >= 0
    zero = np.zeros(size)
    start, ok = _pick(xs, zs, 1, zero)
    x2, m2, mu2, cert2 = _best(
        [_solve(pts, 1, zero, start, ok), _solve(pts, 1, zero, xs[-1], zs[-1, 0] > 0)]
    )
    has = np.isfinite(m2) & (m2 > _FEAS_TOL)
    cert2 |= ~ok & ~(zs[:, 0] > 0).any(axis=0)  # no deal gives party 1 a gain: certain
    v = np.linspace(0.0, 1.0, res)[None] * np.where(has, m2, 0.0)[:, None]  # (N, R)
    p = np.full((size, res), np.nan)
    deals = np.full((size, res, bm.n), np.nan)
    mult = np.full((size, res), np.nan)
    good = np.zeros((size, res), dtype=bool)
    pts_i = np.flatnonzero(has)
    if pts_i.size:
        p[pts_i, -1] = _gains(pts.take(pts_i), x2[:, pts_i])[0][0]
        deals[pts_i, -1] = x2[:, pts_i].T
        with np.errstate(divide="ignore"):
            mult[pts_i, -1] = 1.0 / mu2[pts_i]
        good[pts_i, -1] = cert2[pts_i]
        _levels(pts, pts_i, v, xs, zs, x2, p, deals, mult, good)
    return _finish(scale, d, p[:, 0], m2, has, v, p, deals, mult, good, cert2)


def _levels(pts, pts_i, v, xs, zs, x2, p, deals, mult, good) -> None:
    """Solve every level below the top of the points ``pts_i``, in place."""
    res = v.shape[1]
    rows = np.repeat(pts_i, res - 1)  # (point, level) pairs
    cols = np.tile(np.arange(res - 1), pts_i.size)
    sub = pts.take(rows)
    level = v[rows, cols]
    start, ok = _pick(xs[:, :, rows], zs[:, :, rows], 0, level)
    top = x2[:, rows]
    x, val, lam, cert = _best(
        [_solve(sub, 0, level, start, ok), _solve(sub, 0, level, top, v[rows, -1] > level)]
    )
    p[rows, cols], deals[rows, cols], mult[rows, cols], good[rows, cols] = val, x.T, lam, cert
    for _ in range(_REPAIRS):
        # a deal found at a higher level is feasible here: if it does better, start from it
        here = p[pts_i]  # (m, R), the points' levels in the order of ``rows``
        known = np.maximum.accumulate(np.nan_to_num(here[:, ::-1], nan=-np.inf), axis=1)
        with np.errstate(invalid="ignore"):
            better = known[:, ::-1][:, :-1] > here[:, :-1] + _BETTER * (1 + np.abs(here[:, :-1]))
        beat = better.ravel()
        arg = _argmax_above(here)
        src = deals[pts_i[:, None], arg[:, :-1]].reshape(-1, pts.bm.n).T
        if not beat.any():
            break
        b = np.flatnonzero(beat)
        out = _solve(sub.take(b), 0, level[b], src[:, b], np.ones(b.size, dtype=bool))
        keep = (
            deals[rows[b], cols[b]].T,
            np.nan_to_num(p[rows[b], cols[b]], nan=-np.inf),
            mult[rows[b], cols[b]],
            good[rows[b], cols[b]],
        )
        xb, vb, lb, gb = _best([keep, out])
        fin = np.isfinite(vb)
        r, c = rows[b][fin], cols[b][fin]
        p[r, c], deals[r, c], mult[r, c], good[r, c] = vb[fin], xb[:, fin].T, lb[fin], gb[fin]


def _argmax_above(p: np.ndarray) -> np.ndarray:
    """For each level (last axis), the index of the best value at this level or above.

    Ties go to the lowest index; nan counts as minus infinity. The answer at level
    ``j`` is the first "record" at or after ``j``: a level at least as good as
    every level above it.

    >>> _argmax_above(np.array([[1.0, 3.0, np.nan, 3.0, 2.0]])).tolist()
    [[1, 1, 3, 3, 4]]
    """
    q = np.nan_to_num(p, nan=-np.inf)
    after = np.maximum.accumulate(q[..., ::-1], axis=-1)[..., ::-1]  # max(q[j:])
    tail = np.full(q.shape[:-1] + (1,), -np.inf)
    record = q >= np.concatenate([after[..., 1:], tail], axis=-1)
    pos = np.where(record, np.arange(q.shape[-1]), q.shape[-1])
    return np.minimum.accumulate(pos[..., ::-1], axis=-1)[..., ::-1]


def _finish(scale, d, m1, m2, has, v, p, deals, mult, good, cert2) -> FrontierTrace:
    """Agreement, concavity and certification, as :class:`bargain.Frontier` defines them."""
    with np.errstate(invalid="ignore"):
        second = p[:, :-2] - 2 * p[:, 1:-1] + p[:, 2:]
        violation = np.where(has, np.maximum(np.nanmax(second, axis=1, initial=0.0), 0.0), 0.0)
        # the largest t with both gains >= t, on the piecewise-linear trace
        balanced = np.nanmax(np.minimum(p, v), axis=1, initial=-np.inf)
    agreement = has & (m1 > _FEAS_TOL) & (balanced > _FEAS_TOL)
    monotone = np.all(np.diff(np.nan_to_num(p, nan=0.0), axis=1) <= _BETTER * 10, axis=1)
    certified = np.where(has, good.all(axis=1) & monotone, cert2)
    nan = ~agreement
    p, v, deals, mult = p.copy(), v.copy(), deals.copy(), mult.copy()
    p[nan], v[nan], deals[nan], mult[nan] = np.nan, np.nan, np.nan, np.nan
    return FrontierTrace(
        scale=scale.T.copy(),
        d=d.T.copy(),
        m1=np.where(has, m1, np.nan),
        m2=np.where(has, m2, np.nan),
        agreement=agreement,
        v=v,
        p=p,
        deals=deals,
        multiplier=mult,
        concavity_violation=np.where(agreement, violation, 0.0),
        convex=np.where(agreement, violation <= _CONCAVITY_TOL, True),
        certified=certified,
    )
