"""The one result type every solver returns, and its helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .frontier import Frontier
from .problem import BargainingProblem

__all__ = ["Solution", "STATUSES"]

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
