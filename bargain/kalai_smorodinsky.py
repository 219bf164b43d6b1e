"""The Kalai–Smorodinsky bargaining solution.

Kalai and Smorodinsky (1975) replace Nash's independence of irrelevant
alternatives by individual monotonicity. Their solution is the Pareto point on
the segment from the disagreement point :math:`d` to the ideal point
:math:`m`, where :math:`m_i` is the most party :math:`i` can get among deals the
other accepts:

.. math::

    \\frac{u_1 - d_1}{m_1 - d_1} = \\frac{u_2 - d_2}{m_2 - d_2}.

On the frontier this is the root of :math:`h(v) = P(v)/m_1 - v/m_2`, which
decreases in :math:`v`, so it is found by bracketing whether or not the set is
convex.

References
----------
.. [1] Kalai, E. and Smorodinsky, M. (1975). Other solutions to Nash's
   bargaining problem. Econometrica 43(3), 513-518.
"""

from __future__ import annotations

from .frontier import Frontier
from .problem import BargainingProblem
from .result import Solution, precheck, solution_at

__all__ = ["kalai_smorodinsky_solution"]


def kalai_smorodinsky_solution(
    problem: BargainingProblem, *, frontier: Frontier | None = None
) -> Solution:
    """Solve a bargaining problem by the Kalai–Smorodinsky solution.

    Parameters
    ----------
    problem : BargainingProblem
    frontier : Frontier, optional
        A frontier already computed for this problem, to share work.

    Returns
    -------
    Solution

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> round(kalai_smorodinsky_solution(pie).deal["x"], 10)
    0.5
    """
    frontier = frontier or Frontier(problem)
    ideal = frontier.to_utilities([frontier.m1, frontier.m2])
    settings = {"ideal": problem.named(ideal)} if frontier.agreement else {}
    refused = precheck("kalai_smorodinsky", problem, frontier, settings, need_convex=False)
    if refused:
        return refused

    def ratio_gap(v: float) -> float:
        return frontier.value(v) / frontier.m1 - v / frontier.m2

    v = frontier.find_root(ratio_gap)
    return solution_at(
        "kalai_smorodinsky", problem, frontier, v, settings, {"ratio_residual": ratio_gap(v)}
    )
