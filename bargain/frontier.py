"""The utility-possibility frontier of a bargaining problem with any number of issues.

Work in gains over disagreement scaled to order one,
:math:`\\tilde u_i(x) = (u_i(x) - d_i) / s_i`. The individually rational part of
the Pareto frontier is the graph of

.. math::

    P(v) = \\max_{x \\in [l, u]} \\tilde u_1(x) \\quad \\text{s.t.} \\quad
    \\tilde u_2(x) \\ge v, \\qquad 0 \\le v \\le m_2,

where :math:`m_2 = \\max \\{\\tilde u_2(x) : \\tilde u_1(x) \\ge 0\\}` and
:math:`m_1 = P(0)` are the ideal gains. Each evaluation of :math:`P` is a smooth
constrained maximisation solved by SLSQP with exact gradients from several
starting points. By the envelope theorem the slope is :math:`P'(v) = -\\lambda(v)`,
the multiplier of the constraint, recovered from the gradients at the optimum.
The bargaining set is convex exactly when :math:`P` is concave, which is checked
on a grid. Every solution concept of the package is then a one-dimensional root
on this curve (see :mod:`bargain.nash` and the other solver modules).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from .problem import BargainingProblem

__all__ = ["Frontier", "FrontierSample", "pareto_frontier", "zone_of_agreement"]

_FEAS_TOL = 1e-9  # constraint tolerance, in scaled utility units
_CONCAVITY_TOL = 1e-6  # allowed second difference on the grid, in scaled units


def start_points(
    lower: np.ndarray, upper: np.ndarray, rng: np.random.Generator, count: int
) -> list[np.ndarray]:
    """Starting deals: the box's centre, some corners pulled 5% inside, random points."""
    n = lower.size
    pts = [(lower + upper) / 2]
    corners = min(2**n, max(count // 2, 2))
    for k in rng.permutation(2**n)[:corners] if n <= 20 else range(corners):
        bits = (int(k) >> np.arange(n)) & 1
        pts.append(lower + 0.9 * bits * (upper - lower) + 0.05 * (upper - lower))
    while len(pts) < count:
        pts.append(lower + rng.random(n) * (upper - lower))
    return pts


@dataclass(frozen=True)
class FrontierSample:
    """Points of the individually rational Pareto frontier, in original utility units.

    Attributes
    ----------
    utilities : ndarray of shape (k, 2)
        Both parties' utilities along the frontier, party 2's increasing.
    deals : ndarray of shape (k, n)
        The issue values that reach each point.
    convex : bool
        Whether the bargaining set is convex (the frontier is concave).
    concavity_violation : float
        The largest convexity violation found on the grid, in scaled units.
    ideal : ndarray of shape (2,)
        Each party's best utility among deals the other accepts.
    disagreement : ndarray of shape (2,)
    """

    utilities: np.ndarray
    deals: np.ndarray
    convex: bool
    concavity_violation: float
    ideal: np.ndarray
    disagreement: np.ndarray


class Frontier:
    """Evaluate the frontier :math:`P(v)` of a problem, with caching and warm starts.

    Parameters
    ----------
    problem : BargainingProblem
    resolution : int
        Number of grid points used to locate solutions and check convexity.
    starts : int
        Number of starting points of each cold maximisation (more is safer for
        non-concave utilities).
    seed : int
        Seed of the random starting points.

    Attributes
    ----------
    agreement : bool
        Whether some deal gives both parties more than disagreement.
    m1, m2 : float
        Ideal scaled gains of party 1 and party 2.
    """

    def __init__(
        self, problem: BargainingProblem, *, resolution: int = 81, starts: int = 8, seed: int = 0
    ) -> None:
        self.problem = problem
        self.resolution = int(resolution)
        self.d = np.asarray(problem.disagreement, dtype=float)
        lo, hi = problem.lower, problem.upper
        self.span = np.where(hi > lo, hi - lo, 1.0)
        rng = np.random.default_rng(seed)
        self.starts = self._start_points(rng, starts)
        self.scale = self._scale()
        self.cache: dict[float, tuple[float, np.ndarray]] = {}
        self.evaluations = 0
        self.m2, self.x_m2 = self._maximize(1, 0.0, self.starts)
        p0, _ = self._maximize(0, 0.0, self.starts)
        self.m1 = p0
        self.agreement = bool(
            np.isfinite(self.m1)
            and np.isfinite(self.m2)
            and self.m1 > _FEAS_TOL
            and self.m2 > _FEAS_TOL
        )
        if self.agreement:  # some deal must be strictly better for both
            self.agreement = self._balanced_gain() > _FEAS_TOL

    # --- scaled utilities ---------------------------------------------------------
    def gains(self, x: np.ndarray) -> np.ndarray:
        """Scaled gains :math:`(u(x) - d) / s` at a deal."""
        return (self.problem.utility(x) - self.d) / self.scale

    def _gains_jac(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # e.g. sqrt at 0: an infinite slope, capped
            jac = self.problem.jacobian(x) / self.scale[:, None]
        return np.nan_to_num(jac, nan=0.0, posinf=1e12, neginf=-1e12)

    def to_utilities(self, gains: ArrayLike) -> np.ndarray:
        """Map scaled gains back to utilities."""
        return self.d + np.asarray(gains) * self.scale

    def _start_points(self, rng: np.random.Generator, count: int) -> list[np.ndarray]:
        return start_points(self.problem.lower, self.problem.upper, rng, count)

    def _scale(self) -> np.ndarray:
        pts = np.array(self.starts)
        with np.errstate(all="ignore"):
            values = np.array([self.problem.utility(x) for x in pts])
        spread = np.nanmax(np.abs(values - self.d), axis=0)
        return np.where(np.isfinite(spread) & (spread > 1e-12), spread, 1.0)

    # --- the inner problem --------------------------------------------------------
    def _maximize(
        self, who: int, level: float, starts: list[np.ndarray]
    ) -> tuple[float, np.ndarray]:
        """Max of scaled gain ``who`` s.t. the other's scaled gain >= level."""
        other = 1 - who
        bounds = list(zip(self.problem.lower, self.problem.upper, strict=True))
        cons = {
            "type": "ineq",
            "fun": lambda x: self.gains(x)[other] - level,
            "jac": lambda x: self._gains_jac(x)[other],
        }
        best_val, best_x = -np.inf, starts[0]
        failed = []
        for x0 in starts:
            x = self._slsqp(who, x0, bounds, cons)
            g = self.gains(x)
            if not np.all(np.isfinite(g)) or g[other] < level - _FEAS_TOL:
                failed.append(x)
            elif g[who] > best_val + 1e-13:
                best_val, best_x = float(g[who]), x
        if failed:
            # SLSQP can jump onto a bound where a gradient is infinite (sqrt, log) and stall
            # there infeasible: walk back towards a feasible deal and polish from there
            anchor = self.x_m2 if who == 0 and hasattr(self, "x_m2") else self._best_for(other)
            for bad in failed[:2]:
                repaired = self._back_to_feasible(bad, anchor, other, level)
                if repaired is None:
                    continue
                polished = self._slsqp(who, repaired, bounds, cons)
                for cand in (repaired, polished):
                    g = self.gains(cand)
                    if (
                        np.all(np.isfinite(g))
                        and g[other] >= level - _FEAS_TOL
                        and g[who] > best_val + 1e-13
                    ):
                        best_val, best_x = float(g[who]), cand
        if not np.isfinite(best_val):
            return -np.inf, starts[0]
        return best_val, best_x

    def _best_for(self, party: int) -> np.ndarray:
        """A deal that maximises one party's gain over the box, ignoring the other."""
        bounds = list(zip(self.problem.lower, self.problem.upper, strict=True))
        free = {"type": "ineq", "fun": lambda x: np.ones(1), "jac": lambda x: np.zeros_like(x)}
        found = [self._slsqp(party, x0, bounds, free) for x0 in self.starts[:3]]
        return max(found, key=lambda x: float(self.gains(x)[party]))

    def _slsqp(
        self, who: int, x0: np.ndarray, bounds: list[tuple[float, float]], cons: dict[str, Any]
    ) -> np.ndarray:
        self.evaluations += 1
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = optimize.minimize(
                lambda x: -self.gains(x)[who],
                x0,
                jac=lambda x: -self._gains_jac(x)[who],
                method="SLSQP",
                bounds=bounds,
                constraints=[cons],
                options={"ftol": 1e-14, "maxiter": 300},
            )
        return np.clip(res.x, self.problem.lower, self.problem.upper)

    def _back_to_feasible(
        self, bad: np.ndarray, good: np.ndarray, other: int, level: float
    ) -> np.ndarray | None:
        """The point nearest ``bad`` on the segment to ``good`` that meets the constraint."""

        def slack(t: float) -> float:
            return float(self.gains(bad + t * (good - bad))[other] - level)

        if not slack(1.0) >= 0:
            return None
        t = optimize.brentq(slack, 0.0, 1.0, xtol=1e-15) if slack(0.0) < 0 else 0.0
        for _ in range(60):  # make sure we land on the feasible side
            if slack(t) >= -_FEAS_TOL:
                break
            t = min(1.0, t + max(t, 1e-15))
        return bad + t * (good - bad)

    def value(self, v: float) -> float:
        """:math:`P(v)`: party 1's best scaled gain when party 2 gets at least ``v``."""
        return self.solve(v)[0]

    def solve(self, v: float) -> tuple[float, np.ndarray]:
        """:math:`P(v)` and a deal that attains it."""
        v = float(v)
        if v in self.cache:
            return self.cache[v]
        starts = self._warm_starts(v)
        result = self._maximize(0, v, starts)
        self.cache[v] = result
        return result

    def deal(self, v: float) -> np.ndarray:
        """The deal attaining :math:`P(v)`, polished by Newton's method on its KKT conditions.

        SLSQP stops where the objective stops changing in floating point: along a
        direction in which the objective is flat to second order (an issue that the
        other side's constraint prices at par) the deal is then only accurate to about
        the square root of machine precision, ~1e-8. The polish solves the first-order
        conditions on the issues strictly inside the box,

        .. math::

            \\nabla g_1(x) + \\lambda \\nabla g_2(x) = 0, \\qquad g_2(x) = v

        (or :math:`\\nabla g_1 = 0` where the constraint is slack), with the exact
        gradients and a Jacobian by central differences of them. The polished deal is
        kept only if it stays in the box, meets the constraint, moves no more than
        1e-6 of the box (the same local optimum) and has a smaller residual.

        Examples
        --------
        With transferable utility the project is efficient on the frontier, q = a + b:

        >>> import bargain
        >>> problem = bargain.load("scenarios/textbook/transferable_project.toml").problem()
        >>> t, q = Frontier(problem).deal(0.3)
        >>> bool(abs(q - 0.8) < 1e-12)
        True
        """
        value, x = self.solve(v)
        if not np.isfinite(value):
            return x
        with np.errstate(all="ignore"):  # differences may step just outside the box
            return self._polish(x, float(v))

    def _kkt_residual(self, x: np.ndarray, lam: float, v: float, free: np.ndarray, binds: bool):
        jac = self._gains_jac(x)
        lag = jac[0, free] + lam * jac[1, free]
        last = self.gains(x)[1] - v if binds else lam
        return np.append(lag, last)

    def _polish(self, x: np.ndarray, v: float) -> np.ndarray:
        lo, hi = self.problem.lower, self.problem.upper
        free = (x > lo + 1e-9 * self.span) & (x < hi - 1e-9 * self.span)
        if not free.any():
            return x
        g0 = self.gains(x)
        binds = bool(g0[1] <= v + 1e-7)
        jac = self._gains_jac(x)
        a, b = jac[0, free], jac[1, free]
        lam = float(-(a @ b) / (b @ b)) if binds and b @ b > 1e-24 else 0.0
        k = int(free.sum())

        def unpack(z: np.ndarray) -> tuple[np.ndarray, float]:
            y = x.copy()
            y[free] = z[:k]
            return y, float(z[k])

        z = np.append(x[free], lam)
        start = float(np.abs(self._kkt_residual(x, lam, v, free, binds)).max())
        for _ in range(8):
            r = self._kkt_residual(*unpack(z), v, free, binds)
            if not np.all(np.isfinite(r)) or np.abs(r).max() <= 1e-15:
                break
            step = np.append(1e-7 * self.span[free], 1e-7 * (1 + abs(z[k])))
            jmat = np.empty((k + 1, k + 1))
            for j in range(k + 1):
                e = np.zeros(k + 1)
                e[j] = step[j]
                hi_r = self._kkt_residual(*unpack(z + e), v, free, binds)
                lo_r = self._kkt_residual(*unpack(z - e), v, free, binds)
                jmat[:, j] = (hi_r - lo_r) / (2 * step[j])
            try:
                z_new = z - np.linalg.solve(jmat, r)
            except np.linalg.LinAlgError:
                break
            inside = (z_new[:k] >= lo[free]) & (z_new[:k] <= hi[free])
            if not (np.all(np.isfinite(z_new)) and inside.all()):
                break
            z = z_new
        y, lam = unpack(z)
        g = self.gains(y)
        r = self._kkt_residual(y, lam, v, free, binds)
        ok = (
            np.all((y >= lo) & (y <= hi))
            and np.all(np.isfinite(g))
            and g[1] >= v - _FEAS_TOL
            and np.abs((y - x) / self.span).max() <= 1e-6
            and np.abs(r).max() < start
            and (not binds or lam >= 0)
        )
        return y if ok else x

    def _warm_starts(self, v: float) -> list[np.ndarray]:
        if not self.cache:
            return self.starts
        known = sorted(self.cache, key=lambda w: abs(w - v))[:2]
        warm = [self.cache[w][1] for w in known]
        return [*warm, self.x_m2, self.starts[0]]

    def slope(self, v: float) -> float:
        """:math:`P'(v)`, by the envelope theorem from the multiplier at the optimum.

        The multiplier is read at the polished deal (:meth:`deal`): at SLSQP's own
        deal it can be off by ~1e-8 along a flat direction, and so then is the root
        of a first-order condition that uses the slope.
        """
        value, _ = self.solve(v)
        x = self.deal(v)
        g = self.gains(x)
        if g[1] > v + 1e-7:  # the constraint does not bind: flat part of P
            return 0.0
        jac = self._gains_jac(x)
        lo, hi = self.problem.lower, self.problem.upper
        free = (x > lo + 1e-9 * self.span) & (x < hi - 1e-9 * self.span)
        a, b = jac[0, free], jac[1, free]
        if 1e-14 < b @ b < 1e20:
            return float((a @ b) / (b @ b))
        h = 1e-6 * max(self.m2, 1e-6)  # no free issue: a one-sided difference
        v2 = v - h if v + h > self.m2 else v + h
        return float((self.value(v2) - value) / (v2 - v))

    def _balanced_gain(self) -> float:
        """The largest t with both scaled gains >= t (egalitarian in scaled units)."""
        f = lambda v: self.value(v) - v  # noqa: E731 -- decreasing in v
        if f(self.m2) >= 0:
            return self.m2
        v = optimize.brentq(f, 0.0, self.m2, xtol=1e-13)
        return min(v, self.value(v))

    # --- the whole curve ----------------------------------------------------------
    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """``v`` on a uniform grid over ``[0, m2]`` and ``P(v)`` there."""
        v = np.linspace(0.0, self.m2, self.resolution)
        return v, np.array([self.value(w) for w in v])

    def concavity_violation(self) -> float:
        """Largest positive second difference of ``P`` on the grid (0 if concave)."""
        _, p = self.grid()
        if p.size < 3:
            return 0.0
        second = p[:-2] - 2 * p[1:-1] + p[2:]
        return float(max(second.max(), 0.0))

    @property
    def convex(self) -> bool:
        """Whether the bargaining set is convex (within tolerance)."""
        return self.concavity_violation() <= _CONCAVITY_TOL

    def sample(self) -> FrontierSample:
        """The frontier on the grid, in original units."""
        v, p = self.grid()
        deals = np.array([self.solve(w)[1] for w in v])
        util = self.to_utilities(np.column_stack([p, v]))
        first = int(np.flatnonzero(p >= p[0] - 1e-12)[-1])  # end of the flat start
        keep = slice(first, None)  # points before it are weakly dominated
        return FrontierSample(
            util[keep],
            deals[keep],
            self.convex,
            self.concavity_violation(),
            self.to_utilities(np.array([self.m1, self.m2])),
            self.d.copy(),
        )

    def find_root(self, func: Any, lo: float = 0.0, hi: float | None = None) -> float:
        """Root of a function of ``v`` that is positive at ``lo`` (``hi`` if none)."""
        hi = self.m2 if hi is None else hi
        if func(hi) >= 0:
            return hi
        return float(
            optimize.brentq(func, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
        )


def pareto_frontier(problem: BargainingProblem, *, resolution: int = 81) -> FrontierSample:
    """Sample the individually rational Pareto frontier of a problem.

    Parameters
    ----------
    problem : BargainingProblem
    resolution : int, optional
        Number of grid points.

    Returns
    -------
    FrontierSample

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> sample = bargain.pareto_frontier(pie, resolution=5)
    >>> sample.utilities.round(3).tolist()
    [[1.0, 0.0], [0.75, 0.25], [0.5, 0.5], [0.25, 0.75], [0.0, 1.0]]
    >>> sample.convex
    True
    """
    frontier = Frontier(problem, resolution=resolution)
    if not frontier.agreement:
        empty = np.empty((0, 2))
        return FrontierSample(
            empty, np.empty((0, problem.n_issues)), True, 0.0, np.full(2, np.nan), frontier.d.copy()
        )
    return frontier.sample()


def zone_of_agreement(
    problem: BargainingProblem, frontier: Frontier | None = None
) -> dict[str, tuple[float, float]] | None:
    """The range of each issue over the deals both parties weakly prefer to no deal.

    Returns ``None`` when no deal is better for both than disagreement.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> {k: tuple(round(v, 6) for v in r) for k, r in zone_of_agreement(pie).items()}
    {'x': (0.0, 1.0)}
    """
    frontier = frontier or Frontier(problem)
    if not frontier.agreement:
        return None
    bounds = list(zip(problem.lower, problem.upper, strict=True))
    cons = [
        {
            "type": "ineq",
            "fun": lambda x, i=i: frontier.gains(x)[i],
            "jac": lambda x, i=i: frontier._gains_jac(x)[i],
        }
        for i in (0, 1)
    ]
    seeds = [frontier.x_m2, frontier.solve(0.0)[1], *frontier.starts]
    zone = {}
    for k, name in enumerate(problem.issues):
        ends = []
        for sign in (1.0, -1.0):
            best = np.inf
            for x0 in seeds:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    res = optimize.minimize(
                        lambda x, k=k, s=sign: s * x[k],
                        x0,
                        jac=lambda x, k=k, s=sign: s * np.eye(x.size)[k],
                        method="SLSQP",
                        bounds=bounds,
                        constraints=cons,
                        options={"ftol": 1e-14},
                    )
                x = np.clip(res.x, problem.lower, problem.upper)
                if np.all(frontier.gains(x) >= -_FEAS_TOL) and sign * x[k] < best:
                    best = sign * x[k]
            ends.append(sign * best)
        zone[name] = (float(ends[0]), float(ends[1]))
    return zone
