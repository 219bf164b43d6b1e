"""Rubinstein's stationary offers located on a traced frontier, for many points at once.

The batched Rubinstein solver (:mod:`bargain.batch`) runs Newton's method on the
two offers from the Nash deal. Where that start is poor (a Nash deal in a corner
of the box, where the frontier has a kink) it is started again from here: on
each point's frontier :math:`P`, traced on a grid by
:func:`bargain.batch_frontier.trace_frontier` (values and slopes
:math:`P' = -\\lambda`), the equilibrium condition of :mod:`bargain.rubinstein`
with discounting and breakdown risk,

.. math::

    F(w) = P(w) - \\delta_1' P(\\delta_2' w) = 0, \\qquad
    \\delta_j' = (1 - p) \\delta_j,

is solved for party 2's gain :math:`w` in its own offer, with :math:`P` between
grid levels the cubic Hermite interpolant of the traced values and slopes. As
in :func:`bargain.rubinstein_solution`, every sign change of :math:`F` on the
grid is a root; a point with exactly one gets it refined by bisection on the
interpolant, and the two offers' deals and Pareto weights interpolated from the
trace start the Newton polish of :mod:`bargain.batch`, which certifies the
result. Points with no root, several, or one at the top of the frontier are
left to the per-scenario solver.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["hermite", "offer_starts", "stationary_level"]


def _slopes(trace: Any) -> np.ndarray:
    """``P'`` at the grid levels, ``(N, R)``: minus the multiplier, else the secant."""
    secant = np.gradient(trace.p, axis=1) / np.gradient(trace.v, axis=1)
    slope = -np.asarray(trace.multiplier, dtype=float)
    return np.where(np.isfinite(slope), slope, secant)


def hermite(trace: Any, z: np.ndarray) -> np.ndarray:
    """:math:`P(z)` for each point (``z`` of shape ``(N,)`` or ``(N, K)``), cubic Hermite.

    Examples
    --------
    >>> import bargain, numpy as np
    >>> from bargain.batch import BatchModel
    >>> from bargain.batch_frontier import trace_frontier
    >>> bm = BatchModel(bargain.load("scenarios/textbook/concave_sqrt.toml"))
    >>> tr = trace_frontier(bm, bm.theta({}, 1), resolution=9)
    >>> s1, s2 = tr.scale[0]  # u_A = x, u_B = sqrt(1 - x): P(v) = (1 - (s2 v)^2) / s1
    >>> z = np.array([[0.3 * tr.m2[0]]])
    >>> bool(abs(hermite(tr, z)[0, 0] - (1 - (s2 * z[0, 0]) ** 2) / s1) < 1e-12)
    True
    """
    z = np.asarray(z, dtype=float)
    flat = z.ndim == 1
    zz = z[:, None] if flat else z
    v, p, dp = trace.v, trace.p, _slopes(trace)
    res = v.shape[1]
    rows = np.arange(v.shape[0])[:, None]
    with np.errstate(all="ignore"):
        step = v[:, 1:2] - v[:, :1]
        k = np.clip(np.floor(zz / step).astype(int, copy=False), 0, res - 2)
    k = np.where(np.isfinite(zz), k, 0)
    h = v[rows, k + 1] - v[rows, k]
    with np.errstate(all="ignore"):
        t = (zz - v[rows, k]) / h
    h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
    h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
    left = h00 * p[rows, k] + h10 * h * dp[rows, k]
    out = left + h01 * p[rows, k + 1] + h11 * h * dp[rows, k + 1]
    return out[:, 0] if flat else out


def _linear(trace: Any, z: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of per-level ``values`` ``(N, R, ...)`` at ``z`` ``(N,)``."""
    v = trace.v
    rows = np.arange(v.shape[0])
    with np.errstate(all="ignore"):
        step = v[:, 1] - v[:, 0]
        k = np.clip(np.floor(z / step), 0, v.shape[1] - 2)
    k = np.where(np.isfinite(k), k, 0).astype(int)
    with np.errstate(all="ignore"):
        t = np.clip((z - v[rows, k]) / (v[rows, k + 1] - v[rows, k]), 0.0, 1.0)
    t = np.where(np.isfinite(t), t, 0.0).reshape((-1,) + (1,) * (values.ndim - 2))
    return (1 - t) * values[rows, k] + t * values[rows, k + 1]


def stationary_level(trace: Any, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Party 2's scaled gain ``w`` in its own offer, and whether it is the unique root.

    Parameters
    ----------
    trace : FrontierTrace
        Traced frontiers of ``N`` points (certified, with agreement).
    delta : ndarray, shape (2, N)
        Effective discount factors :math:`\\delta_j' = (1 - p) \\delta_j`.

    Returns
    -------
    w : ndarray, shape (N,)
    unique : ndarray of bool, shape (N,)
        Exactly one sign change of :math:`F` on the grid, strictly below the top.
    """
    v = trace.v
    with np.errstate(all="ignore"):
        f = trace.p - delta[0, :, None] * hermite(trace, delta[1, :, None] * v)
    sign = np.sign(np.where(np.abs(f) <= 1e-13 * (1 + np.abs(trace.p)), 0.0, f))
    change = (sign[:, :-1] > 0) & (sign[:, 1:] <= 0)
    unique = (change.sum(axis=1) == 1) & (sign[:, 0] > 0) & (sign[:, -1] < 0)
    k = change.argmax(axis=1)
    rows = np.arange(v.shape[0])
    lo, hi = v[rows, k], v[rows, k + 1]
    for _ in range(60):  # bisection on the interpolant: F(lo) > 0 >= F(hi)
        mid = (lo + hi) / 2
        with np.errstate(all="ignore"):
            fm = hermite(trace, mid) - delta[0] * hermite(trace, delta[1] * mid)
        above = fm > 0
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return (lo + hi) / 2, unique


def offer_starts(trace: Any, delta: np.ndarray, w: np.ndarray) -> tuple[Any, Any, Any]:
    """Starting deals ``(2, n, N)``, Pareto weights ``(2, N)`` and slack flags of both offers.

    Party 1's offer gives party 2 :math:`\\delta_2' w`, party 2's gives it ``w``; the
    weight of the frontier point at scaled level ``z`` is
    :math:`\\lambda s_1 / (s_2 + \\lambda s_1)` in utilities (``0`` on a flat part,
    where party 1's offer is its ideal deal and party 2's indifference is slack).
    """
    levels = (delta[1] * w, w)
    s1, s2 = trace.scale[:, 0], trace.scale[:, 1]
    mult = np.where(np.isfinite(trace.multiplier), trace.multiplier, 1e12)
    deals, weights, slack = [], [], []
    for z in levels:
        deals.append(_linear(trace, z, trace.deals).T)
        lam = _linear(trace, z, mult[:, :, None])[:, 0]
        weights.append(lam * s1 / (s2 + lam * s1))
        slack.append(lam <= 0)
    return np.stack(deals), np.stack(weights), np.array([slack[0], np.zeros_like(slack[1])])
