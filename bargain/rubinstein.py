"""Rubinstein's alternating-offers bargaining: the stationary subgame-perfect equilibrium.

Two parties take turns to propose a deal; the responder accepts, rejects (the
game moves to the next round, with the roles swapped) or, if it has one, takes
its outside option. Time is discounted in gains over disagreement, so the
disagreement point is what perpetual disagreement is worth. In scaled gains on the frontier
:math:`g_1 = P(g_2)` (see :mod:`bargain.frontier`), a responder who would
propose next and get :math:`z` there accepts any offer worth at least
:math:`R_j(z) = \\max\\{o_j, (1 - p)\\delta_j z - c_j, 0\\}` (see
:mod:`bargain.deadline` for the terms). A stationary equilibrium is a pair of
offers, party 1's :math:`(P(R_2(w)), R_2(w))` and party 2's :math:`(P(w), w)`,
each making the responder indifferent:

.. math::

    F(w) = P(w) - R_1\\big(P(R_2(w))\\big) = 0, \\qquad 0 \\le w \\le m_2,

or :math:`w = m_2` if :math:`F(m_2) > 0` (party 2 may keep everything when it
proposes). With discounting alone this is :math:`P(w) = \\delta_1 P(\\delta_2 w)`;
on the unit pie the first proposer's share is
:math:`(1 - \\delta_2)/(1 - \\delta_1 \\delta_2)` (Rubinstein 1982, fixed discounting factors).
The terms add breakdown risk (Binmore, Rubinstein and Wolinsky 1986: with
:math:`\\delta = 1` the share is :math:`1/(2 - p)`), the outside-option principle
(an option changes the outcome only if it beats the responder's equilibrium
share; Binmore, Shaked and Sutton 1989; Osborne and Rubinstein 1990, ch. 3.12),
and fixed per-round costs (Rubinstein 1982, fixed bargaining costs: with :math:`c_1 < c_2`
the first proposer gets everything, with :math:`c_1 > c_2` it gets :math:`c_2`,
and with :math:`c_1 = c_2 = c` every share in :math:`[c, 1]` is an equilibrium).

:math:`F` is evaluated on a grid over :math:`[0, m_2]`; every sign change is
refined by bracketed root finding (never by fixed-point iteration, which can
cycle), and a stretch where :math:`F` vanishes is an interval of equilibria.
One root gives status ``ok``; several, or an interval, give ``not_unique`` with
all of them in the diagnostics. The first proposer's offer is accepted at once.
Each root is a stationary subgame-perfect equilibrium; by the argument of Shaked
and Sutton (1984) every subgame-perfect payoff lies between the extreme ones, so
a single root means the equilibrium is unique. Two roots closer than one grid
step, or a root where :math:`F` touches zero without changing sign, can be
missed: raise the frontier's ``resolution`` for wiggly frontiers.

As the time between offers :math:`\\Delta \\to 0`, with
:math:`\\delta_i = e^{-r_i \\Delta}`, both offers converge to the asymmetric Nash
solution with powers proportional to :math:`1/r_i` (Binmore, Rubinstein and
Wolinsky 1986): the two offers have equal generalised Nash products for every
:math:`\\Delta`, so on a convex set the Nash solution lies between them.

References
----------
.. [1] Rubinstein, A. (1982). Perfect equilibrium in a bargaining model.
   Econometrica 50(1), 97-109.
.. [2] Binmore, K., Rubinstein, A. and Wolinsky, A. (1986). The Nash bargaining
   solution in economic modelling. RAND Journal of Economics 17(2), 176-188.
.. [3] Binmore, K., Shaked, A. and Sutton, J. (1989). An outside option
   experiment. Quarterly Journal of Economics 104(4), 753-770.
.. [4] Osborne, M. J. and Rubinstein, A. (1990). Bargaining and Markets.
   Academic Press, ch. 3.
.. [5] Shaked, A. and Sutton, J. (1984). Involuntary unemployment as a perfect
   equilibrium in a bargaining model. Econometrica 52(6), 1351-1364.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import optimize

from .deadline import Terms, deadline_solution, describe, refusal, settings_of
from .frontier import Frontier
from .problem import BargainingProblem
from .result import Solution, no_solution, solution_at

__all__ = ["rubinstein_solution", "stationary_offers"]

_ZERO_ABS = 1e-12  # |F| below this (plus a relative part) counts as zero, scaled units
_ZERO_REL = 1e-8  # relative to the largest |F| on the grid


def rubinstein_solution(
    problem: BargainingProblem,
    *,
    first_proposer: int | None = None,
    rounds: int | None = None,
    frontier: Frontier | None = None,
) -> Solution:
    """Solve a problem by Rubinstein's alternating offers.

    Parameters
    ----------
    problem : BargainingProblem
        Its ``discount``, ``breakdown``, ``cost_per_round`` and ``outside_options``
        set the terms of bargaining.
    first_proposer : int, optional
        0 or 1; default ``problem.first_proposer``.
    rounds : int, optional
        A deadline; default ``problem.rounds``. With ``rounds > 0`` the game is
        solved by backward induction (:func:`bargain.deadline.deadline_solution`).
    frontier : Frontier, optional
        A frontier already computed for this problem's utilities.

    Returns
    -------
    Solution
        Method ``"rubinstein"``; the deal is the first proposer's offer, accepted
        at once. ``diagnostics["other_offer"]`` is the offer the other party would
        make. Status ``no_agreement`` if no deal beats disagreement and the outside
        options, and ``not_unique`` if several stationary equilibria exist, with
        ``diagnostics["equilibria"]`` (each isolated equilibrium and each end of an
        interval of them: the first proposer's offer with the other's as
        ``other_offer``) and ``diagnostics["interval"]`` (each party's range of
        utilities over them).

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> sol = rubinstein_solution(pie)  # dA = 0.9, dB = 0.8: (1 - 0.8) / (1 - 0.72)
    >>> round(sol.deal["x"], 10), round((1 - 0.8) / (1 - 0.72), 10)
    (0.7142857143, 0.7142857143)
    >>> round(sol.diagnostics["other_offer"]["deal"]["x"], 10)  # 0.9 * 0.714...
    0.6428571429
    >>> round(rubinstein_solution(pie, first_proposer=1).deal["x"], 10)
    0.6428571429
    """
    first = problem.first_proposer if first_proposer is None else int(first_proposer)
    rounds = problem.rounds if rounds is None else int(rounds)
    if rounds > 0:
        return deadline_solution(problem, rounds=rounds, first_proposer=first, frontier=frontier)
    settings = settings_of(problem, first, 0)
    frontier = frontier or Frontier(problem)
    terms = Terms.of(problem, frontier)
    refused = refusal(problem, frontier, terms, settings)
    if refused:
        return refused
    roots, intervals = stationary_offers(frontier, terms)
    if len(roots) == 1 and not intervals:
        return _unique(problem, frontier, terms, first, roots[0], settings)
    return _many(problem, frontier, terms, first, roots, intervals, settings)


def stationary_offers(
    frontier: Frontier, terms: Terms
) -> tuple[list[float], list[tuple[float, float]]]:
    """Every stationary equilibrium, as party 2's scaled gain ``w`` in its own offer.

    Returns the isolated roots of :math:`F` (see the module docstring) and the
    intervals on which :math:`F` vanishes.
    """
    gap = _gap(frontier, terms)
    w = np.linspace(0.0, frontier.m2, max(frontier.resolution, 3))
    f = np.array([gap(v) for v in w])
    tol = _ZERO_ABS + _ZERO_REL * float(np.max(np.abs(f)))
    zero = np.abs(f) <= tol
    roots: list[float] = [0.0] if f[0] < -tol else []
    intervals: list[tuple[float, float]] = []
    k = 0
    while k < w.size:
        if zero[k]:
            j = k
            while j + 1 < w.size and zero[j + 1]:
                j += 1
            if j > k:
                intervals.append(_zero_stretch(gap, w, k, j, tol))
            else:
                roots.append(_refine_zero(gap, w, f, k))
            k = j + 1
            continue
        if k + 1 < w.size and not zero[k + 1] and f[k] * f[k + 1] < 0:
            roots.append(_brentq(gap, w[k], w[k + 1]))
        k += 1
    if f[-1] > tol:  # party 2 keeps everything in its own offer and party 1 accepts
        roots.append(float(frontier.m2))
    return roots, intervals


def _gap(frontier: Frontier, terms: Terms) -> Callable[[float], float]:
    """:math:`F(w) = P(w) - R_1(P(R_2(w)))`: zero at a stationary equilibrium."""

    def gap(w: float) -> float:
        offer_2 = min(terms.reservation(1, w), frontier.m2)
        return frontier.value(w) - terms.reservation(0, frontier.value(offer_2))

    return gap


def _brentq(func: Callable[[float], float], lo: float, hi: float) -> float:
    return float(
        optimize.brentq(func, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
    )


def _refine_zero(gap: Callable[[float], float], w: np.ndarray, f: np.ndarray, k: int) -> float:
    """A lone grid point where F is (nearly) zero: refine it if its neighbours bracket it."""
    if 0 < k < w.size - 1 and f[k - 1] * f[k + 1] < 0:
        return _brentq(gap, w[k - 1], w[k + 1])
    return float(w[k])


def _zero_stretch(
    gap: Callable[[float], float], w: np.ndarray, k: int, j: int, tol: float
) -> tuple[float, float]:
    """The ends of the interval where F vanishes, refined by bisection."""
    lo = _edge(gap, w[k - 1], w[k], tol) if k > 0 else float(w[k])
    hi = _edge(gap, w[j + 1], w[j], tol) if j + 1 < w.size else float(w[j])
    return lo, hi


def _edge(gap: Callable[[float], float], outside: float, inside: float, tol: float) -> float:
    """Bisect between a point where F is not zero and one where it is."""
    for _ in range(50):
        mid = 0.5 * (outside + inside)
        if abs(gap(mid)) <= tol:
            inside = mid
        else:
            outside = mid
    return float(inside)


def _offers(terms: Terms, first: int, w: float, m2: float) -> tuple[float, float]:
    """Party 2's scaled gain in the first proposer's offer and in the other's."""
    offer_1 = min(terms.reservation(1, w), m2)
    return (offer_1, w) if first == 0 else (w, offer_1)


def _unique(
    problem: BargainingProblem,
    frontier: Frontier,
    terms: Terms,
    first: int,
    w: float,
    settings: dict[str, Any],
) -> Solution:
    deal_v, other_v = _offers(terms, first, w, frontier.m2)
    diagnostics = {
        "other_offer": describe(problem, frontier, 1 - first, other_v),
        "residual": _gap(frontier, terms)(w),
    }
    return solution_at("rubinstein", problem, frontier, deal_v, settings, diagnostics)


def _many(
    problem: BargainingProblem,
    frontier: Frontier,
    terms: Terms,
    first: int,
    roots: list[float],
    intervals: list[tuple[float, float]],
    settings: dict[str, Any],
) -> Solution:
    """``not_unique``: every isolated equilibrium, the interval ends, and the hull."""
    ends = sorted({*roots, *(w for pair in intervals for w in pair)})
    found = []
    for w in ends:
        deal_v, other_v = _offers(terms, first, w, frontier.m2)
        found.append(
            {
                **describe(problem, frontier, first, deal_v),
                "other_offer": describe(problem, frontier, 1 - first, other_v),
            }
        )
    names = problem.parties
    hull = {
        p: [min(e["utilities"][p] for e in found), max(e["utilities"][p] for e in found)]
        for p in names
    }
    who = names[first]
    if intervals:
        message = (
            f"a continuum of stationary equilibria: {who}'s utility anywhere in "
            f"[{hull[who][0]:.6g}, {hull[who][1]:.6g}]"
        )
    else:
        message = (
            f"{len(roots)} stationary equilibria: {who}'s utility from "
            f"{hull[who][0]:.6g} to {hull[who][1]:.6g}"
        )
    diagnostics = {
        "equilibria": found,
        "interval": hull,
        "intervals": len(intervals),
        "isolated": len(roots),
        "frontier_evaluations": frontier.evaluations,
    }
    return no_solution("rubinstein", problem, "not_unique", message, settings, diagnostics)
