"""The zone of agreement of many parameter points at once, for drawing it.

The range of each issue over the deals both parties weakly prefer to no deal
(as :func:`bargain.frontier.zone_of_agreement`), by a log-barrier ascent on the
points side by side; see :func:`zone_of_agreement`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .batch_frontier import FrontierTrace, _Pts
from .batch_model import BatchModel
from .batch_newton import _projected_newton

__all__ = ["zone_of_agreement"]


def zone_of_agreement(model: BatchModel, theta: np.ndarray, trace: FrontierTrace) -> np.ndarray:
    """The range of each issue over the deals both parties weakly prefer to no deal.

    As :func:`bargain.frontier.zone_of_agreement`, for many points, by a log-barrier
    ascent (:math:`\\max \\pm x_k + \\mu \\sum_i \\log g_i` down to
    :math:`\\mu = 10^{-8}`) from the traced deal where the smaller gain is largest:
    accurate to about ``1e-7`` of the box, enough to draw it (no polish).

    Returns
    -------
    ndarray, shape (N, n, 2)
        Low and high end per issue (nan without agreement).

    Examples
    --------
    >>> import bargain
    >>> from bargain.batch_frontier import trace_frontier
    >>> bm = BatchModel(bargain.load("scenarios/textbook/unit_pie.toml"))
    >>> th = bm.theta({}, 1)
    >>> zone_of_agreement(bm, th, trace_frontier(bm, th, 5)).round(6).tolist()
    [[[0.0, 1.0]]]
    """
    bm, size, n = model, theta.shape[1], model.n
    out = np.full((size, n, 2), np.nan)
    run = np.flatnonzero(trace.agreement)
    if run.size == 0:
        return out
    both = np.minimum(trace.p[run], trace.v[run])
    start = trace.deals[run, np.argmax(both, axis=1)]  # (m, n)
    ctx = bm.prepare(theta[:, run])
    d = bm.settings(theta[:, run])["disagreement"]
    scale = trace.scale[run].T
    reps = 2 * n
    issue = np.repeat(np.arange(n), 2 * run.size)
    sign = np.repeat(np.tile([-1.0, 1.0], n), run.size)
    ctx_k = np.vstack([np.tile(ctx, reps), issue[None]])
    pts = _Pts(_WithIssue(bm), ctx_k, np.tile(d, reps), np.tile(scale, reps))
    x = np.tile(start.T, reps)
    for mu in (1e-2, 1e-5, 1e-8):
        x, _, _ = _projected_newton(pts, _zone_objective(pts, sign, mu), x, 1e-15)
    ends = (x[issue, np.arange(x.shape[1])]).reshape(n, 2, run.size)
    out[run] = ends.transpose(2, 0, 1)
    return out


class _WithIssue:
    """A model whose third "utility" is the issue named by the context's last row."""

    def __init__(self, bm: BatchModel) -> None:
        self.bm, self.n = bm, bm.n
        self.lower, self.upper, self.span = bm.lower, bm.upper, bm.span

    def evaluate(self, x: np.ndarray, ctx: np.ndarray, derivatives: bool = False) -> Any:
        k, cols = ctx[-1].astype(int), np.arange(x.shape[1])
        u, g, h = self.bm.evaluate(x, ctx[:-1], derivatives)
        u = np.vstack([u, x[k, cols][None]])
        if not derivatives:
            return u, g, h
        gk = np.zeros((1, *g.shape[1:]))
        gk[0, k, cols] = 1.0
        return u, np.concatenate([g, gk]), np.concatenate([h, np.zeros((1, *h.shape[1:]))])


def _zone_objective(pts: _Pts, sign: np.ndarray, mu: float) -> Any:
    """``sign x_k / span_k + mu (log g_1 + log g_2)`` (-inf where a gain is not positive)."""

    def objective(u, g, h, sel):
        s = pts.scale[:, sel]
        z = (u[:2] - pts.d[:, sel]) / s
        k = pts.ctx[-1, sel].astype(int)
        c = sign[sel] / pts.bm.span[k]
        with np.errstate(all="ignore"):
            f = np.where((z > 0).all(axis=0), c * u[2] + mu * np.log(z).sum(axis=0), -np.inf)
            if g is None:
                return f, None, None
            w = mu / z  # (2, m)
            gs = np.moveaxis(g[:2] / s[:, None], -1, 1)  # (2, m, n)
            hs = np.moveaxis(h[:2] / s[:, None, None], -1, 1)
            grad = c[:, None] * g[2].T + np.einsum("im,imk->mk", w, gs)
            hess = np.einsum("im,imkl->mkl", w, hs) - np.einsum("im,imk,iml->mkl", w / z, gs, gs)
        return f, grad, hess

    return objective
