"""Solve a scenario by every axiomatic solution concept at once.

:func:`solve` builds the numeric problem from a scenario, computes its frontier
once and hands it to each solver, and returns a :class:`Report` that records the
package version, the scenario's hash and the parameters used, and renders as a
table or as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ._version import __version__
from .decompose import decompose, flat_issues
from .egalitarian import egalitarian_solution
from .frontier import Frontier, zone_of_agreement
from .kalai_smorodinsky import kalai_smorodinsky_solution
from .nash import nash_solution
from .problem import BargainingProblem
from .result import Solution, _jsonable
from .rubinstein import rubinstein_solution
from .scenario import Scenario
from .utilitarian import utilitarian_solution

__all__ = ["Report", "solve", "SOLVERS"]

Solver = Callable[[BargainingProblem, Frontier], Solution]

#: The solution concepts :func:`solve` runs, by the name used in the JSON output.
SOLVERS: dict[str, Solver] = {
    "nash": lambda p, f: nash_solution(p, frontier=f),
    "asymmetric_nash": lambda p, f: nash_solution(p, powers=tuple(p.powers), frontier=f),
    "kalai_smorodinsky": lambda p, f: kalai_smorodinsky_solution(p, frontier=f),
    "egalitarian": lambda p, f: egalitarian_solution(p, frontier=f),
    "utilitarian": lambda p, f: utilitarian_solution(p, frontier=f),
    "rubinstein": lambda p, f: rubinstein_solution(p, frontier=f),
    "rubinstein_other_first": lambda p, f: rubinstein_solution(
        p, first_proposer=1 - p.first_proposer, frontier=f
    ),
}


@dataclass(frozen=True)
class Report:
    """Every solution of one scenario, with what is needed to reproduce it.

    Attributes
    ----------
    scenario : dict
        ``{"title", "path", "sha256"}`` of the scenario file.
    version : str
        The package version that computed it.
    parameters : dict
        Every parameter value used; ``overrides`` names those changed from the file.
    solutions : dict of str to Solution
    frontier : dict
        Convexity of the bargaining set and the ideal point.
    zone_of_agreement : dict or None
        The range of each issue over deals both parties weakly prefer to no deal.
    decomposition : dict or None
        Each utility component at the Nash deal, its pull on the first issue and
        the level effects (see :mod:`bargain.decompose`).
    utility_unit : str
        What one unit of utility is (the scenario's ``utility_unit``; ``""`` if
        the file does not say).

    Notes
    -----
    Every ``ok`` solution's ``at_bound`` names the issues at a bound of their
    range and ``not_unique_issues`` the issues that neither utility depends on
    at the deal (see :func:`bargain.decompose.flat_issues`); such an issue
    keeps the solver's value in ``deal`` but is printed as ``any``.
    """

    scenario: dict[str, str]
    version: str
    parameters: dict[str, float]
    overrides: dict[str, float]
    issues: dict[str, dict[str, Any]]
    parties: dict[str, str]
    solutions: dict[str, Solution]
    frontier: dict[str, Any] = field(default_factory=dict)
    zone_of_agreement: dict[str, tuple[float, float]] | None = None
    decomposition: dict[str, Any] | None = None
    utility_unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the ``bargain solve --json`` contract)."""
        out = {
            k: getattr(self, k)
            for k in (
                "scenario",
                "version",
                "utility_unit",
                "parameters",
                "overrides",
                "issues",
                "parties",
                "frontier",
                "zone_of_agreement",
                "decomposition",
            )
        }
        out["solutions"] = {k: s.to_dict() for k, s in self.solutions.items()}
        return _jsonable(out)

    def to_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, allow_nan=False)

    def table(self) -> str:
        """A plain-text table of the solutions, for the terminal."""
        from .table import render_report

        return render_report(self)


def solve(scenario: Scenario, *, methods: list[str] | None = None, resolution: int = 81) -> Report:
    """Solve a scenario by every solution concept: axiomatic and Rubinstein.

    Parameters
    ----------
    scenario : Scenario
        From :func:`bargain.load`, possibly with :meth:`Scenario.with_parameters`.
    methods : list of str, optional
        Names from :data:`SOLVERS`; default all.
    resolution : int, optional
        Grid points on the frontier used to bracket solutions and check convexity.

    Returns
    -------
    Report

    Examples
    --------
    >>> import bargain
    >>> report = bargain.solve(bargain.load("scenarios/textbook/unit_pie.toml"))
    >>> {name: s.status for name, s in report.solutions.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'nash': 'ok', 'asymmetric_nash': 'ok', 'kalai_smorodinsky': 'ok', 'egalitarian': 'ok',
     'utilitarian': 'not_unique', 'rubinstein': 'ok', 'rubinstein_other_first': 'ok'}
    >>> round(report.solutions["rubinstein"].deal["x"], 6)  # (1 - dB) / (1 - dA dB)
    0.714286
    """
    problem = scenario.problem()
    frontier = Frontier(problem, resolution=resolution)
    names = list(SOLVERS) if methods is None else methods
    unknown = [m for m in names if m not in SOLVERS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {list(SOLVERS)}")
    solutions = {
        name: _with_flat_issues(scenario, SOLVERS[name](problem, frontier)) for name in names
    }
    summary: dict[str, Any] = {"agreement_possible": frontier.agreement}
    if frontier.agreement:
        summary |= {
            "convex": frontier.convex,
            "concavity_violation": frontier.concavity_violation(),
            "ideal": problem.named(frontier.to_utilities([frontier.m1, frontier.m2])),
        }
    return Report(
        scenario={"title": scenario.title, "path": scenario.path, "sha256": scenario.sha256},
        version=__version__,
        parameters=scenario.parameter_values(),
        overrides=dict(scenario.overrides),
        issues={
            i.name: {"label": i.label, "unit": i.unit, "min": i.min, "max": i.max}
            for i in scenario.issues
        },
        parties={p.name: p.label for p in scenario.parties},
        solutions=solutions,
        frontier=summary,
        zone_of_agreement=zone_of_agreement(problem, frontier),
        decomposition=_decomposition(scenario, solutions),
        utility_unit=scenario.utility_unit,
    )


def _with_flat_issues(scenario: Scenario, solution: Solution) -> Solution:
    """The solution with its ``not_unique_issues`` filled in (ok solutions only).

    A flat issue is dropped from ``at_bound``: its value is arbitrary, not a corner.
    """
    if not solution.ok or solution.deal is None:
        return solution
    flat = flat_issues(scenario, solution.deal)
    if not flat:
        return solution
    # a flat issue's value is arbitrary, so it is not reported as a corner either
    at_bound = {k: v for k, v in solution.at_bound.items() if k not in flat}
    return replace(solution, not_unique_issues=flat, at_bound=at_bound)


def _decomposition(scenario: Scenario, solutions: dict[str, Solution]) -> dict[str, Any] | None:
    """The decomposition at the first ok solution among Nash and asymmetric Nash."""
    for name in ("nash", "asymmetric_nash"):
        sol = solutions.get(name)
        if sol is not None and sol.ok:
            return decompose(scenario, sol).to_dict()
    return None
