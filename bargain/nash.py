"""The Nash bargaining solution, symmetric and asymmetric.

Nash (1950) selects the deal that maximises the (generalised) Nash product

.. math::

    \\max_{x} \\; (u_1(x) - d_1)^{\\alpha_1} (u_2(x) - d_2)^{\\alpha_2}
    \\quad \\text{s.t.} \\quad u_i(x) \\ge d_i,

with :math:`\\alpha_1 = \\alpha_2 = 1/2` in the symmetric case and bargaining
powers :math:`\\alpha_1 + \\alpha_2 = 1` in the asymmetric one (Kalai 1977;
Binmore, Rubinstein and Wolinsky 1986). On the frontier :math:`g_1 = P(g_2)`
(see :mod:`bargain.frontier`) the first-order condition is

.. math::

    F(v) = \\alpha_2 P(v) + \\alpha_1 v P'(v) = 0,

and :math:`F` is decreasing when the bargaining set is convex, so the solution is
found as a bracketed root, exact to machine precision in :math:`v` (a kink of
the frontier is found as the point where :math:`F` changes sign).

References
----------
.. [1] Nash, J. F. (1950). The bargaining problem. Econometrica 18(2), 155-162.
.. [2] Kalai, E. (1977). Nonsymmetric Nash solutions and replications of
   2-person bargaining. International Journal of Game Theory 6(3), 129-133.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .frontier import Frontier
from .problem import BargainingProblem
from .result import Solution, precheck, solution_at

__all__ = ["nash_solution"]


def nash_solution(
    problem: BargainingProblem,
    *,
    powers: Sequence[float] | None = None,
    frontier: Frontier | None = None,
) -> Solution:
    """Solve a bargaining problem by the (asymmetric) Nash bargaining solution.

    Parameters
    ----------
    problem : BargainingProblem
    powers : pair of float, optional
        Bargaining powers :math:`(\\alpha_1, \\alpha_2)`, normalised to sum to one.
        Default equal powers (the symmetric solution); pass
        ``problem.powers`` for the parties' own weights.
    frontier : Frontier, optional
        A frontier already computed for this problem, to share work.

    Returns
    -------
    Solution
        Status ``no_agreement`` if no deal beats disagreement for both, and
        ``nonconvex`` if the bargaining set is not convex.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> round(nash_solution(pie).deal["x"], 10)
    0.5
    >>> round(nash_solution(pie, powers=(0.75, 0.25)).deal["x"], 10)
    0.75
    """
    alpha = np.array([0.5, 0.5] if powers is None else powers, dtype=float)
    if alpha.shape != (2,) or not np.all(alpha > 0):
        raise ValueError(f"powers must be two positive numbers, got {powers!r}")
    alpha = alpha / alpha.sum()
    frontier = frontier or Frontier(problem)
    method = "nash" if powers is None or np.isclose(alpha[0], 0.5) else "asymmetric_nash"
    settings = {"powers": problem.named(alpha)}
    refused = precheck(method, problem, frontier, settings, need_convex=True)
    if refused:
        return refused

    def foc(v: float) -> float:
        return alpha[1] * frontier.value(v) + alpha[0] * v * frontier.slope(v)

    v = frontier.find_root(foc)
    gains = np.array([frontier.value(v), v])
    # the product of gains with exponents 2 alpha_i: the plain (u1-d1)(u2-d2) if symmetric
    product = float(np.prod((gains * frontier.scale) ** (2 * alpha)))
    return solution_at(
        method, problem, frontier, v, settings, {"nash_product": product, "foc_residual": foc(v)}
    )
