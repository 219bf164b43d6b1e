"""Batched Nash and Rubinstein solutions for many parameter points at once.

The per-scenario solvers (:mod:`bargain.nash`, :mod:`bargain.rubinstein`) trace
the frontier with a scalar optimiser; a sweep over a million parameter points
needs the same answers as whole-array operations. Here every point's problem is
solved side by side on numpy arrays, with the exact gradients and Hessians of
the compiled utilities (sympy, then lambdify):

* **Nash** (symmetric or asymmetric) maximises, over the box of issues,

  .. math::

      f(x) = \\alpha_1 \\log (u_1(x) - d_1) + \\alpha_2 \\log (u_2(x) - d_2),

  by a projected Newton method (Bertsekas 1982) on all points at once: the
  binding bounds are held, the Newton step is taken on the free issues, and a
  backtracking (Armijo) line search on :math:`f` along the projected path keeps
  every step an ascent. It starts from the best point of a coarse grid over the
  box. Where no grid point gives both parties a gain, a first phase maximises
  the soft minimum of the scaled gains,
  :math:`-\\tau \\log \\sum_i e^{-g_i/\\tau}`, to find one, or to show there is
  none (status ``no_agreement``).
* **Rubinstein** (discounting and breakdown risk, :mod:`bargain.rubinstein`)
  solves the stationary equilibrium's two offers :math:`x^1, x^2` together:
  both on the Pareto frontier (:math:`\\nabla g_1 + \\lambda_k \\nabla g_2 = 0` on
  the free issues) and each making the responder indifferent,

  .. math::

      g_2(x^1) = \\delta_2' g_2(x^2), \\qquad g_1(x^2) = \\delta_1' g_1(x^1),
      \\qquad \\delta_j' = (1 - p) \\delta_j,

  by a damped Newton method on this system of :math:`2n + 2` equations with an
  active set for the bounds, started at the Nash solution.

Every point is checked at the end (first- and second-order conditions, both
gains positive, the offers on the decreasing part of the frontier).

* **Convexity** (``check_convexity=True``, the default): like
  :func:`bargain.nash_solution`, the batched Nash solver traces each point's
  frontier on the same 81-level grid (:mod:`bargain.batch_frontier`) and reports
  ``nonconvex`` where it is not concave. On a concave frontier a local maximum
  that no grid point beats is the solution, so the trace also certifies maxima
  that the local check cannot (a flat direction: no equity, where the say no
  longer matters), and points are solved again from the best grid point's deal
  where needed. The trace costs about 10 ms per point; without it an ``ok`` is a
  local maximum of the Nash product with a negative definite reduced Hessian.
* **Fallback** (``fallback=True``): a point that fails its check is solved again
  from its traced frontier (Nash as above; Rubinstein's offers started on the
  frontier by :mod:`bargain.batch_offers`), and what is still left, or not
  covered by the batched Rubinstein (per-round costs, outside options, a
  deadline, a party with :math:`\\delta' = 1`), by the per-scenario solver.
  ``BatchResult.fallback`` marks the points solved one by one.

References
----------
.. [1] Bertsekas, D. P. (1982). Projected Newton methods for optimization
   problems with simple constraints. SIAM J. Control and Optimization 20(2),
   221-246.
.. [2] Rubinstein, A. (1982). Perfect equilibrium in a bargaining model.
   Econometrica 50(1), 97-109.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from numpy.typing import ArrayLike

from .batch_model import BatchModel
from .batch_nash import _nash
from .batch_result import BatchResult, _Batch
from .batch_rubinstein import _rubinstein, other_first
from .scenario import Scenario

__all__ = [
    "BATCH_METHODS",
    "BatchModel",
    "BatchResult",
    "batch_nash",
    "batch_rubinstein",
    "batch_solve",
    "other_first",
]


def batch_nash(
    scenario: Scenario | BatchModel,
    values: Mapping[str, ArrayLike],
    *,
    powers: str | Sequence[float] = "equal",
    fallback: bool = True,
    check_convexity: bool = True,
    compiled: bool | None = None,
) -> BatchResult:
    """The Nash bargaining solution at many parameter points at once.

    Parameters
    ----------
    scenario : Scenario or BatchModel
    values : mapping of str to array
        Parameter values (scalars or 1-d arrays of one length); parameters not
        given keep the scenario's values.
    powers : "equal", "own" or pair of float
        ``"equal"`` is the symmetric solution (``"nash"``), ``"own"`` the parties'
        powers from the scenario (``"asymmetric_nash"``), or two numbers.
    fallback : bool
        Solve the points Newton's method cannot certify again, first from their
        traced frontier (:mod:`bargain.batch_frontier`, about 100 points a second),
        then with :func:`bargain.nash_solution` (else their status is
        ``not_converged``). The trace also checks those points' convexity.
    check_convexity : bool
        Trace each point's frontier and report ``nonconvex`` where the bargaining
        set is not convex, as :func:`bargain.nash_solution` does (about 100 points
        a second on the Korea-US flagship). With ``False`` (over 100 times faster)
        an ``ok`` is a certified local maximum of the Nash product, which is the
        Nash solution when the set is convex; the convexity is not checked.
    compiled : bool or None
        Run the Newton methods point by point in machine code (numba, see
        :mod:`bargain.batch_jit`): True whenever numba is installed, False never,
        None (default) from :data:`bargain.batch_jit.MIN_POINTS` points. The
        answers are certified the same way; they agree with the numpy path to
        rounding.

    Returns
    -------
    BatchResult

    Examples
    --------
    >>> import bargain, numpy as np
    >>> pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> res = batch_nash(pie, {"dA0": [0.0, 0.2], "a": [0.5, 0.7]}, powers="own")
    >>> res.deal[:, 0].round(10).tolist()  # dA0 + a (1 - dA0 - dB0)
    [0.45, 0.69]
    >>> res.status.tolist()
    ['ok', 'ok']
    """
    bm = scenario if isinstance(scenario, BatchModel) else BatchModel(scenario)
    batch = _Batch(bm, bm.theta(values), compiled)
    return _nash(batch, powers, fallback, check_convexity=check_convexity)


def batch_rubinstein(
    scenario: Scenario | BatchModel,
    values: Mapping[str, ArrayLike],
    *,
    fallback: bool = True,
    compiled: bool | None = None,
) -> BatchResult:
    """Rubinstein's alternating-offers equilibrium at many parameter points at once.

    Parameters
    ----------
    scenario : Scenario or BatchModel
    values : mapping of str to array
        Parameter values; parameters not given keep the scenario's values.
    fallback : bool
        Solve the points Newton's method cannot certify again, first with starts on
        their traced frontier (:mod:`bargain.batch_offers`), then, with the points
        it does not cover, with :func:`bargain.rubinstein.rubinstein_solution`
        (else ``not_converged``).
    compiled : bool or None
        As :func:`batch_nash`.

    Returns
    -------
    BatchResult
        The first proposer's offer, as :func:`~bargain.rubinstein.rubinstein_solution`.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> res = batch_rubinstein(pie, {"dA": [0.9, 0.5], "dB": [0.8, 0.5]})
    >>> res.deal[:, 0].round(10).tolist()  # (1 - dB) / (1 - dA dB)
    [0.7142857143, 0.6666666667]
    """
    bm = scenario if isinstance(scenario, BatchModel) else BatchModel(scenario)
    return _rubinstein(_Batch(bm, bm.theta(values), compiled), None, fallback)


def batch_solve(
    scenario: Scenario | BatchModel,
    values: Mapping[str, ArrayLike],
    methods: Sequence[str] = ("nash", "rubinstein"),
    *,
    fallback: bool = True,
    check_convexity: bool = True,
    compiled: bool | None = None,
) -> dict[str, BatchResult]:
    """Several batched solutions at once, sharing the compiled model and the Nash start.

    ``methods`` from ``"nash"``, ``"asymmetric_nash"`` and ``"rubinstein"``;
    ``fallback``, ``check_convexity`` and ``compiled`` as :func:`batch_nash` (Rubinstein's
    equilibrium does not need a convex set, so the check applies to the Nash
    solutions only).

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> out = batch_solve(pie, {"dA": [0.9]})
    >>> {k: round(float(r.deal[0, 0]), 10) for k, r in out.items()}
    {'nash': 0.5, 'rubinstein': 0.7142857143}
    """
    unknown = [m for m in methods if m not in BATCH_METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {list(BATCH_METHODS)}")
    bm = scenario if isinstance(scenario, BatchModel) else BatchModel(scenario)
    batch = _Batch(bm, bm.theta(values), compiled)
    out: dict[str, BatchResult] = {}
    for m in methods:
        if m != "rubinstein":
            powers = "equal" if m == "nash" else "own"
            out[m] = _nash(batch, powers, fallback, check_convexity=check_convexity)
    if "rubinstein" in methods:
        out["rubinstein"] = _rubinstein(batch, out.get("nash"), fallback)
    return {m: out[m] for m in methods}


#: The solution concepts the batched solvers cover.
BATCH_METHODS = ("nash", "asymmetric_nash", "rubinstein")
