"""The one result type every solver returns, and its helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .frontier import Frontier
from .problem import BargainingProblem

__all__ = ["Solution", "STATUSES", "BOUND_TOL", "bounds_at"]

#: Distance to a bound, relative to the issue's range, under which an issue is at
#: the bound (the same as :data:`bargain.statics.BOUND_TOL`).
BOUND_TOL = 1e-7

#: Every status a solver may report, and what it means.
STATUSES = {
    "ok": "a unique solution was found",
    "no_agreement": "no deal is better for both parties than disagreement",
    "nonconvex": "the bargaining set is not convex, so the solution concept does not apply",
    "not_unique": "many deals solve the problem equally well",
    "not_converged": "the numerical method did not converge",
}


@dataclass(frozen=True)
class Solution:
    """The outcome of one solution concept on one problem.

    Attributes
    ----------
    method : str
        The solution concept, e.g. ``"nash"`` or ``"kalai_smorodinsky"``.
    status : str
        ``"ok"`` or a reason there is no single answer (see :data:`STATUSES`).
    message : str
        A sentence explaining the status.
    deal : dict or None
        The value of every issue at the solution (``None`` unless ok).
    utilities, gains : dict or None
        Each party's utility, and its gain over disagreement, at the deal.
    disagreement : dict
        Each party's disagreement utility.
    components : dict or None
        ``{party: {component: value}}`` at the deal, when the problem has them.
    outputs : dict or None
        The scenario's ``[outputs]`` (e.g. dollar amounts) at the deal.
    settings : dict
        The method's own settings (e.g. the bargaining powers).
    parameters : dict
        The parameter values the problem was built from.
    diagnostics : dict
        How the number was found: iterations, residual, convexity, ...
    at_bound : dict
        ``{issue: "lower" | "upper"}`` for the issues of the deal at a bound
        of their range (within :data:`BOUND_TOL` of the range): corners.
    not_unique_issues : dict
        ``{issue: [low, high]}`` for the issues the utilities do not depend on at
        the deal, with the other issues held at their values: every value in
        ``[low, high]`` gives both parties the same utilities, so the deal's
        value of that issue is one representative, not a prediction.
        :func:`bargain.solve` fills it in (see
        :func:`bargain.decompose.flat_issues`); empty from a solver alone.

    Notes
    -----
    A flat issue does not change the status: the solution concepts select a
    pair of utilities, and that pair is still unique, so the status stays
    ``"ok"`` (``"not_unique"`` is kept for several *utility* pairs, e.g. a flat
    frontier for the utilitarian solution). The issue is reported instead:
    ``not_unique_issues`` in the JSON and ``any`` in the text tables, so an
    issue no utility uses is never shown silently at some arbitrary value.
    """

    method: str
    status: str
    message: str
    deal: dict[str, float] | None
    utilities: dict[str, float] | None
    gains: dict[str, float] | None
    disagreement: dict[str, float]
    components: dict[str, dict[str, float]] | None = None
    outputs: dict[str, float] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    at_bound: dict[str, str] = field(default_factory=dict)
    not_unique_issues: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the solver found a unique answer."""
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def bounds_at(
    x: np.ndarray | list[float], lower: np.ndarray, upper: np.ndarray, names: tuple[str, ...]
) -> dict[str, str]:
    """Which issues of a deal sit at a bound: ``{issue: "lower" | "upper"}``.

    An issue is at a bound when its distance to it is at most :data:`BOUND_TOL`
    times the issue's range (an issue with an empty range is at its lower bound).

    Examples
    --------
    >>> bounds_at([0.0, 0.5, 1.0], np.zeros(3), np.ones(3), ("a", "b", "c"))
    {'a': 'lower', 'c': 'upper'}
    """
    x, lower, upper = (np.asarray(v, dtype=float) for v in (x, lower, upper))
    span = np.where(upper > lower, upper - lower, 1.0)
    out = {}
    for k, name in enumerate(names):
        if x[k] - lower[k] <= BOUND_TOL * span[k]:
            out[name] = "lower"
        elif upper[k] - x[k] <= BOUND_TOL * span[k]:
            out[name] = "upper"
    return out


def solution_at(
    method: str,
    problem: BargainingProblem,
    frontier: Frontier,
    v: float,
    settings: dict[str, Any],
    diagnostics: dict[str, Any],
) -> Solution:
    """Build an ``ok`` solution from a point ``v`` of the frontier."""
    x = frontier.deal(v)
    diagnostics = {
        "frontier_evaluations": frontier.evaluations,
        "convex": frontier.convex,
        **diagnostics,
    }
    return solution_at_deal(method, problem, x, settings, diagnostics)


def solution_at_deal(
    method: str,
    problem: BargainingProblem,
    x: np.ndarray,
    settings: dict[str, Any],
    diagnostics: dict[str, Any],
) -> Solution:
    """Build an ``ok`` solution from a deal ``x``: utilities, gains, components, outputs."""
    utilities = problem.utility(x)
    return Solution(
        method=method,
        status="ok",
        message=STATUSES["ok"],
        deal=problem.deal(x),
        utilities=problem.named(utilities),
        gains=problem.named(utilities - problem.disagreement),
        disagreement=problem.named(problem.disagreement),
        components=problem.components(x) if problem.components else None,
        outputs=problem.outputs(x) if problem.outputs else None,
        settings=settings,
        parameters=dict(problem.parameters),
        diagnostics=diagnostics,
        at_bound=bounds_at(x, problem.lower, problem.upper, tuple(problem.issues)),
    )


def no_solution(
    method: str,
    problem: BargainingProblem,
    status: str,
    message: str = "",
    settings: dict[str, Any] | None = None,
    diagnostics: dict[str, Any] | None = None,
) -> Solution:
    """Build a solution that reports why there is no single answer."""
    return Solution(
        method=method,
        status=status,
        message=message or STATUSES[status],
        deal=None,
        utilities=None,
        gains=None,
        disagreement=problem.named(problem.disagreement),
        settings=settings or {},
        parameters=dict(problem.parameters),
        diagnostics=diagnostics or {},
    )


def precheck(
    method: str,
    problem: BargainingProblem,
    frontier: Frontier,
    settings: dict[str, Any],
    need_convex: bool,
) -> Solution | None:
    """The common refusals: no agreement possible, or a non-convex set where it matters."""
    if not frontier.agreement:
        return no_solution(method, problem, "no_agreement", settings=settings)
    if need_convex and not frontier.convex:
        violation = frontier.concavity_violation()
        return no_solution(
            method,
            problem,
            "nonconvex",
            f"the frontier is not concave (second difference {violation:.2e} in scaled "
            "units); the solution concept assumes a convex bargaining set (allow lotteries "
            "over deals to convexify it)",
            settings,
            {"concavity_violation": violation},
        )
    return None
