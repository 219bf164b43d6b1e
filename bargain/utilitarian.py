"""The utilitarian bargaining solution.

The utilitarian solution maximises the sum of utilities over the deals both
parties weakly prefer to disagreement:

.. math::

    \\max_x \\; u_1(x) + u_2(x) \\quad \\text{s.t.} \\quad u_i(x) \\ge d_i.

On the frontier the first-order condition is :math:`s_1 P'(v) + s_2 = 0`.
When utility is transferable one for one (a straight frontier of slope
:math:`-1`) every Pareto deal maximises the sum; the solver then reports status
``not_unique`` with the interval of utilities instead of picking one.

References
----------
.. [1] Harsanyi, J. C. (1955). Cardinal welfare, individualistic ethics, and
   interpersonal comparisons of utility. Journal of Political Economy 63(4),
   309-321.
"""

from __future__ import annotations

import numpy as np

from .frontier import Frontier
from .problem import BargainingProblem
from .result import Solution, no_solution, precheck, solution_at

__all__ = ["utilitarian_solution"]

_FLAT_TOL = 1e-9  # relative tolerance for "the sum is the same"


def utilitarian_solution(
    problem: BargainingProblem, *, frontier: Frontier | None = None
) -> Solution:
    """Solve a bargaining problem by the utilitarian solution (largest total utility).

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> utilitarian_solution(pie).status
    'not_unique'
    """
    frontier = frontier or Frontier(problem)
    refused = precheck("utilitarian", problem, frontier, {}, need_convex=False)
    if refused:
        return refused
    s1, s2 = frontier.scale
    v_grid, p_grid = frontier.grid()
    total = s1 * p_grid + s2 * v_grid
    best = int(np.argmax(total))
    tied = np.flatnonzero(total >= total[best] - _FLAT_TOL * max(s1, s2))
    if tied.size > 2 and tied[-1] - tied[0] > 1:
        lo, hi = (
            frontier.to_utilities([p_grid[tied[-1]], v_grid[tied[0]]]),
            frontier.to_utilities([p_grid[tied[0]], v_grid[tied[-1]]]),
        )
        return no_solution(
            "utilitarian",
            problem,
            "not_unique",
            "the total utility is the same along a segment of the frontier (transferable "
            "utility): every deal on it is utilitarian",
            diagnostics={"utilities_low": problem.named(lo), "utilities_high": problem.named(hi)},
        )

    def marginal(v: float) -> float:
        return s1 * frontier.slope(v) + s2

    lo = v_grid[max(best - 1, 0)]
    hi = v_grid[min(best + 1, v_grid.size - 1)]
    v = lo if marginal(lo) <= 0 else frontier.find_root(marginal, lo, hi)
    return solution_at(
        "utilitarian",
        problem,
        frontier,
        v,
        {},
        {"total_utility": float(s1 * frontier.value(v) + s2 * v + frontier.d.sum())},
    )
