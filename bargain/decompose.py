"""Why a deal settles where it does: each utility component at the deal and its pull.

At an interior Nash solution the first-order condition for an issue :math:`x_k` is

.. math::

    \\sum_{i=1,2} \\alpha_i \\frac{\\partial u_i / \\partial x_k}{u_i - d_i}
    = \\sum_{i} \\sum_{c \\in C_i} \\underbrace{\\alpha_i
      \\frac{\\partial c / \\partial x_k}{u_i - d_i}}_{\\text{pull of } c} = 0,

so each component :math:`c` of party :math:`i`'s utility contributes a *pull*:
positive pulls push the issue up, negative ones down, and at the solution they
balance (unless the issue sits at a bound). The decomposition reports, for every
component, its value at the deal, its derivative with respect to the issue, and
this pull.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .result import Solution
from .scenario import Scenario

__all__ = ["Decomposition", "decompose"]


@dataclass(frozen=True)
class Decomposition:
    """Components of both parties' utilities at a deal.

    Attributes
    ----------
    method : str
        The solution concept of the deal.
    issue : str
        The issue the derivatives and pulls refer to.
    rows : list of dict
        ``{"party", "component", "value", "derivative", "pull"}`` for every component.
    balance : float
        The sum of the pulls (zero at an interior Nash solution).
    """

    method: str
    issue: str
    rows: list[dict[str, float | str]] = field(default_factory=list)
    balance: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "method": self.method,
            "issue": self.issue,
            "rows": self.rows,
            "balance": self.balance,
        }


def decompose(scenario: Scenario, solution: Solution, issue: str | None = None) -> Decomposition:
    """Decompose both utilities at a solution's deal into their components.

    Parameters
    ----------
    scenario : Scenario
        The scenario the solution was computed from (same parameters).
    solution : Solution
        An ``ok`` solution.
    issue : str, optional
        The issue whose pulls to report; default the first issue.

    Returns
    -------
    Decomposition

    Examples
    --------
    >>> import bargain
    >>> barter = bargain.load("scenarios/textbook/nash_1950_barter.toml")
    >>> nash = bargain.solve(barter, methods=["nash"]).solutions["nash"]
    >>> d = decompose(barter, nash, issue="knife")
    >>> [(r["party"], r["component"], round(r["value"], 6)) for r in d.rows]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('bill', 'gives', -8.0), ('bill', 'receives', 20.0),
     ('jack', 'receives', 9.0), ('jack', 'gives', -4.0)]
    """
    if not solution.ok or solution.deal is None or solution.gains is None:
        raise ValueError(f"cannot decompose a solution with status {solution.status!r}")
    model = scenario.model
    issue = issue or model.issue_names[0]
    k = model.issue_names.index(issue)
    x = [solution.deal[name] for name in model.issue_names]
    theta = model.parameter_vector(scenario.parameter_values())
    values = np.asarray(model.component_function(*x, *theta), dtype=float).reshape(-1)
    with np.errstate(all="ignore"):
        grads = np.asarray(model.component_jacobian_function(*x, *theta), dtype=float)
    grads = grads.reshape(values.size, len(model.issue_names))[:, k]
    powers = solution.settings.get("powers") or dict.fromkeys(model.party_names, 0.5)
    rows: list[dict[str, float | str]] = []
    j = 0
    for party in model.party_names:
        gain = solution.gains[party]
        for comp in model.components[party]:
            pull = powers[party] * grads[j] / gain if gain > 0 else float("nan")
            rows.append(
                {
                    "party": party,
                    "component": comp,
                    "value": float(values[j]),
                    "derivative": float(grads[j]),
                    "pull": float(pull),
                }
            )
            j += 1
    balance = float(np.nansum([r["pull"] for r in rows]))
    return Decomposition(solution.method, issue, rows, balance)
