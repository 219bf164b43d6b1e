"""Why a deal settles where it does: each utility component at the deal, its pull and its level.

At an interior Nash solution the first-order condition for an issue :math:`x_k` is

.. math::

    F_k = \\sum_{i=1,2} \\alpha_i \\frac{\\partial u_i / \\partial x_k}{u_i - d_i}
    = \\sum_{i} \\sum_{c \\in C_i} \\underbrace{\\alpha_i
      \\frac{\\partial c / \\partial x_k}{u_i - d_i}}_{\\text{pull of } c} = 0,

so each component :math:`c` of party :math:`i`'s utility contributes a *pull*:
positive pulls push the issue up, negative ones down, and at the solution they
balance (unless the issue sits at a bound).

A component that does not depend on the issues has no pull, yet it still
decides where the deal lands: its *level* enters every gain
:math:`u_i - d_i` in the denominators. Adding a constant :math:`\\kappa` to
party :math:`i`'s utility moves the deal, by the implicit function theorem on
the conditions of the free issues :math:`I` (strictly inside their bounds and
not flat), by

.. math::

    \\frac{\\partial x_I^*}{\\partial \\kappa}
    = -H^{-1} \\frac{\\partial F}{\\partial \\kappa}
    = H^{-1} \\, \\frac{\\alpha_i \\, \\nabla_I u_i}{(u_i - d_i)^2},
    \\qquad
    H = \\sum_i \\alpha_i \\left( \\frac{\\nabla^2_{II} u_i}{u_i - d_i}
      - \\frac{\\nabla_I u_i \\nabla_I u_i^\\top}{(u_i - d_i)^2} \\right),

where :math:`H` is the Hessian of the log Nash product
:math:`\\sum_i \\alpha_i \\log(u_i - d_i)` on the free issues, assembled from the
exact (symbolic) gradients and the utilities' second derivatives, which are
taken as differences of those exact gradients (error of order ``1e-10``
relative; none for utilities linear in the issues: a symbolic Hessian of a large
model takes seconds to derive, too slow for every solve). This *level
effect* is the same for every component of one party: it is how far the deal
moves if that component (any of them) were one utility unit larger. Issues at a
bound do not move while the bound binds (effect zero); flat issues (see
:func:`flat_issues`) are not determined, so they have no effect (``nan``).

Removing a whole component :math:`c` is not small, so only its first-order
effect is reported: scaling :math:`u_i \\to u_i - s\\,c` and differentiating at
:math:`s = 0`,

.. math::

    \\frac{\\partial x_I^*}{\\partial s}
    = -c \\, \\frac{\\partial x_I^*}{\\partial \\kappa}
      + H^{-1} \\, \\text{pull}_I(c),

which is ``-value x level effect`` for a component that does not depend on the
issues, plus the shift of the first-order condition for one that does.

References
----------
.. [1] Nash, J. F. (1950). The bargaining problem. Econometrica 18(2), 155-162.
.. [2] Muthoo, A. (1999). Bargaining Theory with Applications. Cambridge
   University Press, ch. 2 (comparative statics of the Nash solution).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from .result import Solution, bounds_at

if TYPE_CHECKING:
    from .model import Model
    from .scenario import Scenario

__all__ = ["Decomposition", "decompose", "flat_issues"]

#: Largest condition number of the Hessian for which level effects are reported.
MAX_CONDITION = 1e10
#: A gradient below this (times the issue's range, relative to the utilities) marks a
#: candidate flat issue, which is then checked exactly.
FLAT_TOL = 1e-9
#: Step of the differences of the exact gradients that give the Hessian, relative to
#: each issue's range.
HESSIAN_STEP = 1e-5


@dataclass(frozen=True)
class Decomposition:
    """Components of both parties' utilities at a deal.

    Attributes
    ----------
    method : str
        The solution concept of the deal.
    issue : str
        The issue the derivatives, pulls and effects in ``rows`` refer to.
    rows : list of dict
        ``{"party", "component", "value", "derivative", "pull", "level_effect",
        "removal_effect"}`` for every component: ``level_effect`` is how far the
        issue moves per unit more of the component (exact), ``removal_effect``
        the first-order move if the component were removed.
    balance : float
        The sum of the pulls (zero at an interior Nash solution).
    level_effects : dict
        ``{party: {issue: d issue / d level}}``: how far each issue of the deal
        moves if the party's utility were one unit larger (``nan`` for a flat
        issue or when the conditions do not pin the deal down).
    at_bound : dict
        ``{issue: "lower" | "upper"}``: issues held at a bound (they do not move).
    not_unique_issues : dict
        ``{issue: [low, high]}``: issues the utilities do not depend on at the deal.
    message : str
        Empty, or why the level effects are not defined.
    """

    method: str
    issue: str
    rows: list[dict[str, float | str]] = field(default_factory=list)
    balance: float = 0.0
    level_effects: dict[str, dict[str, float]] = field(default_factory=dict)
    at_bound: dict[str, str] = field(default_factory=dict)
    not_unique_issues: dict[str, list[float]] = field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary (``nan`` stays; the report's JSON turns it into null)."""
        return {
            "method": self.method,
            "issue": self.issue,
            "rows": self.rows,
            "balance": self.balance,
            "level_effects": self.level_effects,
            "at_bound": self.at_bound,
            "not_unique_issues": self.not_unique_issues,
            "message": self.message,
        }


def decompose(scenario: Scenario, solution: Solution, issue: str | None = None) -> Decomposition:
    """Decompose both utilities at a solution's deal into their components.

    Parameters
    ----------
    scenario : Scenario
        The scenario the solution was computed from (same parameters).
    solution : Solution
        An ``ok`` solution. The pulls and effects are those of the (asymmetric)
        Nash conditions with the solution's ``settings["powers"]`` (equal
        powers if it has none).
    issue : str, optional
        The issue whose pulls and effects to report in ``rows``; default the
        first issue.

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

    The unit pie with disagreement :math:`(d_A, d_B)` and power :math:`a` of A
    has :math:`x^* = d_A + a(1 - d_A - d_B)`; one more unit of A's utility acts
    like :math:`d_A - 1`, so it moves :math:`x^*` by :math:`-(1 - a)`, and one
    more unit of B's by :math:`+a`:

    >>> weighted = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> asym = bargain.solve(weighted, methods=["asymmetric_nash"]).solutions["asymmetric_nash"]
    >>> {p: round(e["x"], 10) for p, e in decompose(weighted, asym).level_effects.items()}
    {'A': -0.3, 'B': 0.7}
    """
    if not solution.ok or solution.deal is None or solution.gains is None:
        raise ValueError(f"cannot decompose a solution with status {solution.status!r}")
    model = scenario.model
    names = model.issue_names
    issue = issue or names[0]
    k = names.index(issue)
    x = np.array([solution.deal[name] for name in names], dtype=float)
    theta = model.parameter_vector(scenario.parameter_values())
    values = np.asarray(model.component_function(*x, *theta), dtype=float).reshape(-1)
    with np.errstate(all="ignore"):
        grads = np.asarray(model.component_jacobian_function(*x, *theta), dtype=float)
    grads = grads.reshape(values.size, len(names))
    powers = solution.settings.get("powers") or dict.fromkeys(model.party_names, 0.5)
    alpha = np.array([powers[p] for p in model.party_names], dtype=float)
    gain = np.array([solution.gains[p] for p in model.party_names], dtype=float)
    owner = np.array([i for i, p in enumerate(model.party_names) for _ in model.components[p]])
    with np.errstate(all="ignore"):
        pulls = np.where(
            (gain > 0)[owner, None], alpha[owner, None] * grads / gain[owner, None], np.nan
        )
    flat = flat_issues(scenario, solution.deal)
    at_bound = {
        k: v for k, v in bounds_at(x, model.lower, model.upper, names).items() if k not in flat
    }
    free = np.array([n not in at_bound and n not in flat for n in names])
    level, removal, message = _effects(model, x, theta, alpha, gain, values, pulls, owner, free)
    level[:, [n in flat for n in names]] = np.nan
    removal[:, [n in flat for n in names]] = np.nan
    rows: list[dict[str, float | str]] = []
    for j, (party, comp) in enumerate(
        (p, c) for p in model.party_names for c in model.components[p]
    ):
        rows.append(
            {
                "party": party,
                "component": comp,
                "value": float(values[j]),
                "derivative": float(grads[j, k]),
                "pull": float(pulls[j, k]),
                "level_effect": float(level[owner[j], k]),
                "removal_effect": float(removal[j, k]),
            }
        )
    balance = float(np.nansum(pulls[:, k]))
    effects = {
        p: {n: float(level[i, m]) for m, n in enumerate(names)}
        for i, p in enumerate(model.party_names)
    }
    return Decomposition(solution.method, issue, rows, balance, effects, at_bound, flat, message)


def _effects(
    model: Model,
    x: np.ndarray,
    theta: list[float],
    alpha: np.ndarray,
    gain: np.ndarray,
    values: np.ndarray,
    pulls: np.ndarray,
    owner: np.ndarray,
    free: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Level effects ``(2, n)`` and first-order removal effects ``(components, n)``.

    Both are zero on issues that are not free; ``nan`` with a message when the
    gains are not positive or the Hessian of the log Nash product is singular.
    """
    n = x.size
    level, removal = np.zeros((2, n)), np.zeros((values.size, n))
    if not free.any():
        return level, removal, ""
    if not np.all(gain > 0):
        return level * np.nan, removal * np.nan, "a party gains nothing at the deal"
    with np.errstate(all="ignore"):
        g = np.asarray(model.jacobian_function(*x, *theta), dtype=float).reshape(2, n)
    hess = _hessian(model, x, theta, free)
    w = alpha / gain
    h = np.einsum("i,ikl->kl", w, hess) - np.einsum("i,ik,il->kl", w / gain, g, g)
    h_free = h[np.ix_(free, free)]
    with np.errstate(all="ignore"):
        finite = bool(np.isfinite(h_free).all() and np.isfinite(g).all())
        condition = float(np.linalg.cond(h_free)) if finite else float("inf")
    if not condition < MAX_CONDITION:
        message = (
            "the first-order conditions do not pin the deal down (singular Hessian of the "
            f"log Nash product, condition number {condition:.3g}): no level effects"
        )
        return level * np.nan, removal * np.nan, message
    level[:, free] = np.linalg.solve(h_free, (w[:, None] / gain[:, None] * g)[:, free].T).T
    shift = np.linalg.solve(h_free, np.nan_to_num(pulls[:, free]).T).T
    removal[:, free] = -values[:, None] * level[owner][:, free] + shift
    return level, removal, ""


def flat_issues(scenario: Scenario, deal: Mapping[str, float]) -> dict[str, list[float]]:
    """The issues that neither utility depends on at a deal, and the values they may take.

    Issue :math:`x_k` is *flat* at a deal :math:`x` when, with every other issue
    held at its value in :math:`x`, neither party's utility depends on
    :math:`x_k` at all: then every :math:`x_k` in its range :math:`[l_k, u_k]`
    gives the same utilities, and the deal's value of :math:`x_k` is arbitrary.
    Candidates are the issues where both utilities' gradients vanish
    numerically; each is then checked exactly, by substituting the other
    issues (exactly at a bound when within :data:`bargain.result.BOUND_TOL` of
    it) and, if needed, the parameter values as exact rationals into the
    utilities' sympy expressions and asking whether :math:`x_k` is left.
    Issues that are flat on part of their range only (e.g. through ``max``)
    are not reported.

    Parameters
    ----------
    scenario : Scenario
    deal : dict
        ``{issue: value}``, e.g. ``solution.deal``.

    Returns
    -------
    dict
        ``{issue: [low, high]}``: the issue's whole range, for each flat issue.

    Examples
    --------
    A say ``c`` over how cash is spent does not matter when there is no cash
    (``e = 0``):

    >>> import bargain
    >>> toml = '''
    ... schema_version = 1
    ... title = "say over cash"
    ... [issues.e]
    ... min = 0.0
    ... max = 1.0
    ... [issues.c]
    ... min = 0.0
    ... max = 1.0
    ... [parties.A]
    ... utility = "1 - e + e * c"
    ... [parties.B]
    ... utility = "e * (2 - c)"
    ... '''
    >>> flat_issues(bargain.loads(toml), {"e": 0.0, "c": 0.4})
    {'c': [0.0, 1.0]}
    >>> flat_issues(bargain.loads(toml), {"e": 0.01, "c": 0.4})
    {}
    """
    model = scenario.model
    names = model.issue_names
    x = np.array([deal[n] for n in names], dtype=float)
    theta = model.parameter_vector(scenario.parameter_values())
    with np.errstate(all="ignore"):
        g = np.asarray(model.jacobian_function(*x, *theta), dtype=float).reshape(2, len(names))
        u = np.asarray(model.utility_function(*x, *theta), dtype=float).reshape(2)
    span = np.where(model.upper > model.lower, model.upper - model.lower, 1.0)
    scale = FLAT_TOL * max(1.0, *np.abs(u[np.isfinite(u)]))
    candidates = [k for k in range(len(names)) if np.all(np.abs(g[:, k]) * span[k] <= scale)]
    if not candidates:
        return {}
    at_bound = bounds_at(x, model.lower, model.upper, names)
    exact = {
        sym: sp.Rational(
            float({"lower": model.lower[m], "upper": model.upper[m]}.get(at_bound.get(n, ""), x[m]))
        )
        for m, (sym, n) in enumerate(zip(model.issues, names, strict=True))
    }
    params = {sym: sp.Rational(v) for sym, v in zip(model.parameters, theta, strict=True)}
    out = {}
    for k in candidates:
        sym = model.issues[k]
        others = {s: v for s, v in exact.items() if s != sym}
        if all(_free_of(model.utilities[p], sym, others, params) for p in model.party_names):
            out[names[k]] = [float(model.lower[k]), float(model.upper[k])]
    return out


def _free_of(expr: sp.Expr, sym: sp.Symbol, others: dict[Any, Any], params: dict[Any, Any]) -> bool:
    """Whether ``expr`` is free of ``sym`` once the other issues (then parameters) are set."""
    if sym not in expr.free_symbols:
        return True
    expr = expr.subs(others)
    if sym not in expr.free_symbols:
        return True
    return sym not in expr.subs(params).free_symbols


def _hessian(model: Model, x: np.ndarray, theta: list[float], free: np.ndarray) -> np.ndarray:
    """Both utilities' Hessians ``(2, n, n)`` on the free issues (zero elsewhere).

    Column :math:`l` is the derivative of the exact (symbolic, compiled) gradient
    along :math:`x_l`, by a central difference with step :data:`HESSIAN_STEP`
    times the issue's range, or a second-order one-sided difference where the
    central one would leave the box; the result is symmetrised. The error is
    of order the step squared (about ``1e-10`` relative for smooth utilities),
    and nil for utilities linear in the issues.
    """
    n = x.size
    span = np.where(model.upper > model.lower, model.upper - model.lower, 1.0)

    def grad(z: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(model.jacobian_function(*z, *theta), dtype=float).reshape(2, n)

    def at(step: float, j: int) -> np.ndarray:
        z = x.copy()
        z[j] += step
        return grad(z)

    hess = np.zeros((2, n, n))
    for j in map(int, np.flatnonzero(free)):
        h = HESSIAN_STEP * span[j]
        if x[j] - h >= model.lower[j] and x[j] + h <= model.upper[j]:
            column = (at(h, j) - at(-h, j)) / (2 * h)
        else:
            sign = 1.0 if x[j] + 2 * h <= model.upper[j] else -1.0
            column = sign * (-3 * grad(x) + 4 * at(sign * h, j) - at(2 * sign * h, j)) / (2 * h)
        hess[:, :, j] = column
    hess = (hess + hess.transpose(0, 2, 1)) / 2
    mask = np.outer(free, free)
    return np.where(mask[None], hess, 0.0)
