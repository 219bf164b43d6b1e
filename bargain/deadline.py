"""Alternating offers with a deadline, solved by backward induction.

The rules of alternating offers (Rubinstein 1982; Osborne and Rubinstein 1990,
ch. 3) are held here in scaled gains over disagreement,
:math:`g_i = (u_i - d_i) / s_i`, on the frontier :math:`g_1 = P(g_2)` of
:mod:`bargain.frontier`. A responder ``j`` who would propose next round and get
:math:`z` there accepts any offer worth at least

.. math::

    R_j(z) = \\max\\{\\, o_j,\\; (1 - p)\\,\\delta_j z - c_j,\\; 0 \\,\\},

where :math:`\\delta_j` is its per-round discount factor, :math:`p` the
probability that talks break down after a rejection (then both get their
disagreement utility, gain 0; Binmore, Rubinstein and Wolinsky 1986),
:math:`c_j` its scaled per-round cost (Rubinstein 1982, section 4) and
:math:`o_j` its scaled outside option, which it may take instead of answering
(Binmore, Shaked and Sutton 1989); offers below disagreement are not on the
frontier, hence the 0. The proposer offers exactly :math:`R_j`, and keeps the
most the frontier leaves: :math:`P(R_2)` if party 1 proposes and
:math:`Q(R_1) = \\max\\{w : P(w) \\ge R_1\\}` if party 2 does.

With a deadline of :math:`T` rounds the last offer is take-it-or-leave-it: its
responder gets :math:`\\max\\{o_j, 0\\}` by refusing. Working back from round
:math:`T` gives the unique subgame-perfect equilibrium (the responder accepts
when indifferent). On the unit pie with common :math:`\\delta` the first
proposer's share is :math:`1 - \\delta + \\delta^2 - \\dots \\pm \\delta^{T-1}
= (1 - (-\\delta)^T) / (1 + \\delta)`, which tends to Rubinstein's
:math:`1 / (1 + \\delta)` as :math:`T \\to \\infty`.

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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .frontier import Frontier
from .problem import BargainingProblem
from .result import Solution, no_solution, precheck, solution_at

__all__ = ["Terms", "deadline_solution"]

_OPTION_TOL = 1e-9  # slack, in scaled units, when outside options just fit the frontier


@dataclass(frozen=True)
class Terms:
    """The rules of alternating offers in scaled gains over disagreement.

    Attributes
    ----------
    discount : ndarray of shape (2,)
        :math:`(1 - p)\\,\\delta_j`: how much a responder values getting ``z``
        one round later, breakdown risk included.
    cost : ndarray of shape (2,)
        Scaled per-round costs :math:`c_j / s_j`.
    outside : ndarray of shape (2,)
        Scaled outside options :math:`(o_j - d_j) / s_j` (``-inf`` where none).
    """

    discount: np.ndarray
    cost: np.ndarray
    outside: np.ndarray

    @classmethod
    def of(cls, problem: BargainingProblem, frontier: Frontier) -> Terms:
        """Read the terms of a problem in the units of its frontier."""
        discount = (1.0 - float(problem.breakdown)) * np.asarray(problem.discount, dtype=float)
        cost = np.asarray(problem.cost_per_round, dtype=float) / frontier.scale
        options = np.asarray(problem.outside_options, dtype=float)
        with np.errstate(invalid="ignore"):
            outside = np.where(np.isnan(options), -np.inf, (options - frontier.d) / frontier.scale)
        return cls(discount, cost, outside)

    def reservation(self, responder: int, next_gain: float) -> float:
        """:math:`R_j(z)`: the least gain the responder accepts now."""
        wait = self.discount[responder] * next_gain - self.cost[responder]
        return float(max(self.outside[responder], wait, 0.0))

    def last(self, responder: int) -> float:
        """The least gain a responder accepts in the last round of a deadline."""
        return float(max(self.outside[responder], 0.0))


def offer(frontier: Frontier, proposer: int, reserve: float) -> float:
    """Party 2's scaled gain in the proposer's best offer that gives the responder ``reserve``.

    Party 1 proposing offers party 2 exactly ``reserve``; party 2 proposing keeps
    :math:`Q(r) = \\max\\{w : P(w) \\ge r\\}`, found as a bracketed root.
    """
    if proposer == 0:
        return float(min(reserve, frontier.m2))
    target = min(reserve, frontier.m1)
    return frontier.find_root(lambda w: frontier.value(w) - target)


def settings_of(problem: BargainingProblem, first: int, rounds: int) -> dict[str, Any]:
    """The settings a Rubinstein solution records (and a check of the first proposer)."""
    if first not in (0, 1):
        raise ValueError(f"first_proposer must be 0 or 1, got {first!r}")
    return {
        "first_proposer": problem.parties[first],
        "discount": problem.named(problem.discount),
        "breakdown": float(problem.breakdown),
        "rounds": int(rounds),
        "cost_per_round": problem.named(problem.cost_per_round),
        "outside_options": problem.named(problem.outside_options),
    }


def refusal(
    problem: BargainingProblem, frontier: Frontier, terms: Terms, settings: dict[str, Any]
) -> Solution | None:
    """``no_agreement`` when no deal beats disagreement or both outside options."""
    refused = precheck("rubinstein", problem, frontier, settings, need_convex=False)
    if refused:
        return refused
    need = np.maximum(terms.outside, 0.0)
    if (
        need[1] <= frontier.m2 + _OPTION_TOL
        and frontier.value(min(need[1], frontier.m2)) >= need[0] - _OPTION_TOL
    ):
        return None
    options = frontier.to_utilities(need)
    return no_solution(
        "rubinstein",
        problem,
        "no_agreement",
        "the outside options exceed what any agreement can give both parties: the "
        "responder walks out",
        settings,
        {"outside_options_needed": problem.named(options)},
    )


def describe(
    problem: BargainingProblem, frontier: Frontier, proposer: int, v: float
) -> dict[str, Any]:
    """The offer at party 2's scaled gain ``v``: who makes it, the deal, the utilities."""
    _, x = frontier.solve(v)
    utilities = problem.utility(x)
    return {
        "proposer": problem.parties[proposer],
        "deal": problem.deal(x),
        "utilities": problem.named(utilities),
        "gains": problem.named(utilities - problem.disagreement),
    }


def backward_induction(frontier: Frontier, terms: Terms, first: int, rounds: int) -> list[float]:
    """Party 2's scaled gain in each round's equilibrium offer, round 1 first."""
    offers: list[float] = []
    next_gain = 0.0  # the next round's proposer's gain (unused in the last round)
    for t in range(rounds, 0, -1):
        proposer = first if t % 2 == 1 else 1 - first
        responder = 1 - proposer
        reserve = terms.last(responder) if t == rounds else terms.reservation(responder, next_gain)
        v = offer(frontier, proposer, reserve)
        next_gain = v if proposer == 1 else frontier.value(v)
        offers.append(v)
    return offers[::-1]


def deadline_solution(
    problem: BargainingProblem,
    *,
    rounds: int | None = None,
    first_proposer: int | None = None,
    frontier: Frontier | None = None,
) -> Solution:
    """Alternating offers with a deadline of ``rounds`` rounds, by backward induction.

    Parameters
    ----------
    problem : BargainingProblem
        Its discount factors, breakdown risk, per-round costs and outside options
        set the terms (see the module docstring).
    rounds : int, optional
        The deadline :math:`T \\ge 1`; default ``problem.rounds``.
    first_proposer : int, optional
        0 or 1; default ``problem.first_proposer``.
    frontier : Frontier, optional
        A frontier already computed for this problem's utilities.

    Returns
    -------
    Solution
        Method ``"rubinstein"``: the first proposer's offer, accepted at once.
        ``diagnostics["other_offer"]`` is the offer the other party would make in
        round 2 (absent when ``T = 1``); ``diagnostics["offers"]`` lists every
        round's equilibrium offer in utilities. Status ``no_agreement`` when no
        deal beats disagreement or the outside options.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> round(deadline_solution(pie, rounds=3).deal["x"], 10)  # 1 - dB (1 - dA)
    0.92
    """
    first = problem.first_proposer if first_proposer is None else int(first_proposer)
    rounds = problem.rounds if rounds is None else int(rounds)
    if rounds < 1:
        raise ValueError(f"a deadline needs rounds >= 1, got {rounds}")
    settings = settings_of(problem, first, rounds)
    frontier = frontier or Frontier(problem)
    terms = Terms.of(problem, frontier)
    refused = refusal(problem, frontier, terms, settings)
    if refused:
        return refused
    offers = backward_induction(frontier, terms, first, rounds)
    utilities = [frontier.to_utilities(np.array([frontier.value(v), v])) for v in offers]
    diagnostics: dict[str, Any] = {"offers": [problem.named(u) for u in utilities]}
    if rounds > 1:
        diagnostics["other_offer"] = describe(problem, frontier, 1 - first, offers[1])
    return solution_at("rubinstein", problem, frontier, offers[0], settings, diagnostics)
