"""The egalitarian (proportional) bargaining solution.

Kalai (1977) selects the Pareto point where both parties gain the same amount
over disagreement, in the units of their utility functions:

.. math::

    u_1 - d_1 = u_2 - d_2 = \\max \\{ t : u_i(x) - d_i \\ge t,\\ i = 1, 2 \\}.

Where the frontier ends before the gains can be equalised, the point that
maximises the smaller gain and then the larger one (leximin) is returned. The
solution is not invariant to rescaling a party's utility, which is why it is
only meaningful when utilities share a unit (here: present-value dollars).

References
----------
.. [1] Kalai, E. (1977). Proportional solutions to bargaining situations:
   interpersonal utility comparisons. Econometrica 45(7), 1623-1630.
"""

from __future__ import annotations

from .frontier import Frontier
from .problem import BargainingProblem
from .result import Solution, precheck, solution_at

__all__ = ["egalitarian_solution"]


def egalitarian_solution(
    problem: BargainingProblem, *, frontier: Frontier | None = None
) -> Solution:
    """Solve a bargaining problem by the egalitarian solution (equal gains).

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> round(egalitarian_solution(pie).deal["x"], 10)
    0.5
    """
    frontier = frontier or Frontier(problem)
    refused = precheck("egalitarian", problem, frontier, {}, need_convex=False)
    if refused:
        return refused
    s1, s2 = frontier.scale

    def gain_gap(v: float) -> float:
        return s1 * frontier.value(v) - s2 * v

    v = frontier.find_root(gain_gap)
    return solution_at("egalitarian", problem, frontier, v, {}, {"gain_residual": gain_gap(v)})
