"""Comparative statics: how each issue of a solution moves with each parameter.

The Nash deal :math:`x^*(\\theta)` of a scenario with parameters :math:`\\theta`
solves, for each issue strictly inside its bounds (the set :math:`I`), the
first-order conditions (see :func:`bargain.explain.nash_conditions`)

.. math::

    F_k(x, \\theta) = \\alpha_1 \\frac{\\partial_k u_1}{u_1 - d_1}
    + \\alpha_2 \\frac{\\partial_k u_2}{u_2 - d_2} = 0, \\qquad k \\in I,

where the powers :math:`\\alpha_i` and disagreement utilities :math:`d_i` may
themselves depend on :math:`\\theta`. By the implicit function theorem

.. math::

    \\frac{\\partial x_I^*}{\\partial \\theta}
    = -\\left[\\frac{\\partial F}{\\partial x_I}\\right]^{-1}
    \\frac{\\partial F}{\\partial \\theta},

with both Jacobians assembled by the chain rule from the exact first and
second derivatives of the utilities (differentiated once by sympy, evaluated
numerically at the solver's deal), which keeps large models fast. An issue
held at one of its bounds does not move while the bound binds (derivative
zero); the result says which issues those are.
The elasticity is :math:`(\\partial x_k / \\partial \\theta_j)\\, \\theta_j / x_k`.

References
----------
.. [1] Nash, J. F. (1950). The bargaining problem. Econometrica 18(2), 155-162.
.. [2] Muthoo, A. (1999). Bargaining Theory with Applications. Cambridge
   University Press, ch. 2 (comparative statics of the Nash solution).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from .explain import disagreement_expressions, power_expressions
from .model import lambdify, no_delta
from .nash import nash_solution
from .result import Solution, _jsonable
from .rubinstein import rubinstein_solution

if TYPE_CHECKING:
    from .model import Model
    from .scenario import Scenario

Array = NDArray[np.float64]

__all__ = ["Statics", "STATICS_STATUSES", "nash_statics", "rubinstein_statics"]

#: Every status of a :class:`Statics`, and what it means.
STATICS_STATUSES = {
    "ok": "the derivatives are exact (implicit function theorem) at the solution",
    "no_solution": "the solver found no single solution to differentiate",
    "singular": "the conditions do not pin the deal down locally (singular Jacobian), "
    "so the derivatives are not defined",
    "unsupported": "comparative statics are not derived for this variant of the model",
}

#: Distance to a bound, relative to the issue's range, under which an issue is at the bound.
BOUND_TOL = 1e-7
#: Largest condition number of the Jacobian for which the derivatives are reported.
MAX_CONDITION = 1e10


@dataclass(frozen=True)
class Statics:
    """Derivatives and elasticities of each issue at a solution, for every parameter.

    Attributes
    ----------
    method : str
        The solution differentiated, e.g. ``"nash"`` or ``"asymmetric_nash"``.
    status : str
        ``"ok"`` or a reason there are no derivatives (see :data:`STATICS_STATUSES`).
    message : str
        A sentence explaining the status.
    deal : dict or None
        The solution's value of every issue.
    parameters : dict
        The parameter values at which the derivatives are taken.
    derivatives, elasticities : dict
        ``{issue: {parameter: value}}``; an elasticity is ``nan`` where the
        issue's value is zero.
    at_bound : dict
        ``{issue: "min" | "max"}`` for the issues held at a bound: their
        derivative is zero while the bound binds.
    diagnostics : dict
        ``condition_number`` of the Jacobian, ``foc_residual`` (largest
        first-order-condition value at the deal, relative to its terms) and
        ``weakly_binding`` (issues at a bound whose condition is also zero
        there: the derivative is one-sided).
    """

    method: str
    status: str
    message: str
    deal: dict[str, float] | None
    parameters: dict[str, float]
    derivatives: dict[str, dict[str, float]] = field(default_factory=dict)
    elasticities: dict[str, dict[str, float]] = field(default_factory=dict)
    at_bound: dict[str, str] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the derivatives are defined."""
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (``nan`` becomes ``None``)."""
        return _jsonable(asdict(self))

    def table(self) -> str:
        """The derivatives as a plain-text table, one row per issue and parameter."""
        from .table import format_table

        head = f"comparative statics of the {self.method} solution"
        if not self.ok:
            return f"{head}: {self.status} ({self.message})"
        if not self.parameters:
            return f"{head}: the scenario has no parameters"
        rows = []
        for issue, row in self.derivatives.items():
            note = f"at its {self.at_bound[issue]} bound" if issue in self.at_bound else ""
            for name, value in row.items():
                rows.append(
                    [issue, name, f"{value:.6g}", f"{self.elasticities[issue][name]:.6g}", note]
                )
        header = ["issue", "parameter", "derivative", "elasticity", "note"]
        lines = [head, format_table(header, rows)]
        if self.at_bound:
            lines.append("issues at a bound do not move while the bound binds")
        return "\n".join(lines)


def nash_statics(
    scenario: Scenario, solution: Solution | None = None, *, asymmetric: bool = False
) -> Statics:
    """Exact derivatives of the Nash deal with respect to every parameter.

    Parameters
    ----------
    scenario : Scenario
        From :func:`bargain.load`, possibly with :meth:`Scenario.with_parameters`.
    solution : Solution, optional
        The Nash solution of ``scenario.problem()`` if already computed;
        solved here otherwise.
    asymmetric : bool, optional
        Differentiate the asymmetric Nash solution, with the parties' own
        powers (which may depend on the parameters), instead of the symmetric one.

    Returns
    -------
    Statics
        Status ``no_solution`` when the Nash solution has none, ``singular``
        when the first-order conditions do not determine the deal locally
        (e.g. several interior issues entering the utilities linearly).

    Examples
    --------
    The weighted unit pie: :math:`x^* = d_A + a (1 - d_A - d_B)`, so
    :math:`\\partial x^* / \\partial d_A = 1 - a = 0.3` and
    :math:`\\partial x^* / \\partial a = 1 - d_A - d_B = 0.7`.

    >>> import bargain
    >>> weighted = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> statics = nash_statics(weighted, asymmetric=True)
    >>> {k: round(v, 6) for k, v in statics.derivatives["x"].items()}
    {'dA0': 0.3, 'dB0': -0.7, 'a': 0.7}
    """
    model = scenario.model
    method = "asymmetric_nash" if asymmetric else "nash"
    values = scenario.parameter_values()
    if solution is None:
        problem = scenario.problem()
        solution = nash_solution(problem, powers=tuple(problem.powers) if asymmetric else None)
    if not solution.ok or solution.deal is None:
        return Statics(
            method, "no_solution", f"{solution.status}: {solution.message}", None, values
        )
    x = np.array([solution.deal[name] for name in model.issue_names])
    theta = model.parameter_vector(values)
    half = sp.Rational(1, 2)
    alpha_exprs = power_expressions(model) if asymmetric else (half, half)
    alpha, alpha_t = _settings(model, alpha_exprs, theta)
    d, d_t = _settings(model, disagreement_expressions(model), theta)
    at = _Derivatives.of(model, x, theta)
    gain = at.u - d
    foc = (alpha[:, None] * at.g / gain[:, None]).sum(axis=0)
    at_bound = _bounds(x, model.lower, model.upper, model.issue_names)
    inside = np.array([name not in at_bound for name in model.issue_names])
    # dF/dx and dF/dtheta of F_k = sum_i alpha_i g_ik / (u_i - d_i), by the chain rule
    f_x = np.einsum("i,ikl->kl", alpha / gain, at.h_xx) - np.einsum(
        "i,ik,il->kl", alpha / gain**2, at.g, at.g
    )
    f_t = (
        np.einsum("ij,ik->kj", alpha_t / gain[:, None], at.g)
        + np.einsum("i,ikj->kj", alpha / gain, at.h_xt)
        - np.einsum("i,ik,ij->kj", alpha / gain**2, at.g, at.u_t - d_t)
    )
    diagnostics: dict[str, Any] = {
        "foc_residual": float(np.abs(foc[inside]).max()) if inside.any() else 0.0,
        "weakly_binding": [
            n
            for k, n in enumerate(model.issue_names)
            if n in at_bound and abs(foc[k]) < 1e-9 * np.abs(at.g).max()
        ],
    }
    derivative = np.zeros((x.size, len(theta)))
    if inside.any():
        found, diagnostics["condition_number"] = _ift(f_x[np.ix_(inside, inside)], f_t[inside])
        if found is None:
            return _singular(method, x, model, values, at_bound, diagnostics)
        derivative[inside] = found
    return _result(method, model, derivative, x, values, at_bound, diagnostics)


def rubinstein_statics(scenario: Scenario, solution: Solution | None = None) -> Statics:
    """Exact derivatives of the Rubinstein deal with respect to every parameter.

    The first proposer :math:`P` offers :math:`x^*`, the responder :math:`R`
    would offer :math:`y^*`; both offers are Pareto optimal and each makes
    the responder indifferent (Rubinstein 1982; with breakdown risk :math:`p`,
    costs :math:`c_j` and outside options :math:`o_j` as in
    :mod:`bargain.rubinstein`):

    .. math::

        u_R(x^*) - d_R = \\rho_R(y^*), \\qquad u_P(y^*) - d_P = \\rho_P(x^*),

        \\rho_j(z) = \\max\\{o_j - d_j,\\; (1 - p)\\,\\delta_j (u_j(z) - d_j) - c_j,\\; 0\\},

    together with Pareto optimality, :math:`\\nabla_I u_P(x^*) + \\lambda
    \\nabla_I u_R(x^*) = 0` over the issues strictly inside their bounds (and
    the same at :math:`y^*` with a multiplier :math:`\\mu`). The implicit
    function theorem is applied to this system with the branch of each
    :math:`\\max` that is active at the solution.

    Parameters
    ----------
    scenario : Scenario
    solution : Solution, optional
        ``bargain.rubinstein.rubinstein_solution(scenario.problem())`` if
        already computed.

    Returns
    -------
    Statics
        Method ``"rubinstein"``; ``diagnostics["other_offer"]`` holds the
        other party's offer and its derivatives. Status ``unsupported`` with a
        deadline (``[solve] rounds > 0``), ``no_solution`` when the equilibrium
        is not unique or there is none, ``singular`` when the conditions do not
        pin the offers down (e.g. an offer at a corner of the box).

    Examples
    --------
    The unit pie: :math:`x^* = (1 - \\delta_B)/(1 - \\delta_A \\delta_B)`, so
    :math:`\\partial x^* / \\partial \\delta_A = \\delta_B (1 - \\delta_B) /
    (1 - \\delta_A \\delta_B)^2 = 0.16 / 0.0784`.

    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> statics = rubinstein_statics(pie)
    >>> round(statics.derivatives["x"]["dA"], 8), round(0.16 / 0.0784, 8)
    (2.04081633, 2.04081633)
    """
    model = scenario.model
    values = scenario.parameter_values()
    if model.rounds > 0:
        return Statics(
            "rubinstein",
            "unsupported",
            "comparative statics are derived for the "
            "infinite-horizon game only (the scenario sets a deadline)",
            None,
            values,
        )
    problem = scenario.problem()
    solution = solution or rubinstein_solution(problem)
    if not solution.ok or solution.deal is None:
        return Statics(
            "rubinstein", "no_solution", f"{solution.status}: {solution.message}", None, values
        )
    names = model.issue_names
    x = np.array([solution.deal[n] for n in names])
    y = np.array([solution.diagnostics["other_offer"]["deal"][n] for n in names])
    first = problem.parties.index(
        solution.settings.get("first_proposer", problem.parties[model.first_proposer])
    )
    return _Alternating(model, first, model.parameter_vector(values)).statics(x, y, values)


class _Alternating:
    """The stationarity system of alternating offers and its Jacobians, in numbers."""

    def __init__(self, model: Model, first: int, theta: list[float]) -> None:
        self.model, self.first, self.theta = model, first, theta
        names = model.party_names
        pick = [
            (k, default)
            for k, default in (
                ("disagreement", 0),
                ("discount", 1),
                ("cost_per_round", 0),
                ("outside_option", 0),
            )
        ]
        exprs = {
            k: [
                model.settings[p][k] if model.settings[p][k] is not None else sp.Integer(default)
                for p in names
            ]
            for k, default in pick
        }
        self.has_option = [model.settings[p]["outside_option"] is not None for p in names]
        self.s = {k: _settings(model, e, theta) for k, e in exprs.items()}
        keep = 1 - model.breakdown_expr  # the chance talks go on after a rejection
        values, grads = _settings(model, [keep, keep], theta)
        self.keep, self.keep_t = float(values[0]), grads[0]

    def reservation(self, j: int, later: _Derivatives) -> tuple[float, Array, Array]:
        """:math:`\\rho_j` at the responder's next-round utility: value, d/dx, d/dtheta."""
        (d, d_t), (delta, delta_t) = self.s["disagreement"], self.s["discount"]
        (cost, cost_t), (option, option_t) = self.s["cost_per_round"], self.s["outside_option"]
        wait = self.keep * delta[j] * (later.u[j] - d[j]) - cost[j]
        branches = [
            (
                wait,
                self.keep * delta[j] * later.g[j],
                self.keep * (delta_t[j] * (later.u[j] - d[j]) + delta[j] * (later.u_t[j] - d_t[j]))
                + self.keep_t * delta[j] * (later.u[j] - d[j])
                - cost_t[j],
            ),
            (0.0, np.zeros_like(later.g[j]), np.zeros_like(d_t[j])),
        ]
        if self.has_option[j]:
            branches.append((option[j] - d[j], np.zeros_like(later.g[j]), option_t[j] - d_t[j]))
        return max(branches, key=lambda b: b[0])

    def statics(self, x: Array, y: Array, values: dict[str, float]) -> Statics:
        model, n, m = self.model, x.size, len(self.theta)
        p, r = self.first, 1 - self.first
        d, d_t = self.s["disagreement"]
        at_x, at_y = _Derivatives.of(model, x, self.theta), _Derivatives.of(model, y, self.theta)
        free_x = np.array(
            [
                nm not in _bounds(x, model.lower, model.upper, model.issue_names)
                for nm in model.issue_names
            ]
        )
        free_y = np.array(
            [
                nm not in _bounds(y, model.lower, model.upper, model.issue_names)
                for nm in model.issue_names
            ]
        )
        lam, mu = (
            _multiplier(at_x.g[p], at_x.g[r], free_x),
            _multiplier(at_y.g[r], at_y.g[p], free_y),
        )
        # unknowns: x (n), lambda, y (n), mu; rows: two indifference, n + n Pareto conditions
        jac, rhs = np.zeros((2 + 2 * n, 2 * n + 2)), np.zeros((2 + 2 * n, m))
        rho_r, rho_r_y, rho_r_t = self.reservation(r, at_y)
        rho_p, rho_p_x, rho_p_t = self.reservation(p, at_x)
        residual = [at_x.u[r] - d[r] - rho_r, at_y.u[p] - d[p] - rho_p]
        jac[0, :n], jac[0, n + 1 : 2 * n + 1] = at_x.g[r], -rho_r_y
        rhs[0] = at_x.u_t[r] - d_t[r] - rho_r_t
        jac[1, n + 1 : 2 * n + 1], jac[1, :n] = at_y.g[p], -rho_p_x
        rhs[1] = at_y.u_t[p] - d_t[p] - rho_p_t
        jac[2 : 2 + n, :n] = at_x.h_xx[p] + lam * at_x.h_xx[r]
        jac[2 : 2 + n, n] = at_x.g[r]
        rhs[2 : 2 + n] = at_x.h_xt[p] + lam * at_x.h_xt[r]
        jac[2 + n :, n + 1 : 2 * n + 1] = at_y.h_xx[r] + mu * at_y.h_xx[p]
        jac[2 + n :, 2 * n + 1] = at_y.g[p]
        rhs[2 + n :] = at_y.h_xt[r] + mu * at_y.h_xt[p]
        unknown = np.concatenate([free_x, [free_x.any()], free_y, [free_y.any()]])
        rows = np.concatenate([[True, True], free_x, free_y])
        diagnostics: dict[str, Any] = {"indifference_residual": float(np.abs(residual).max())}
        found, diagnostics["condition_number"] = (
            _ift(jac[np.ix_(rows, unknown)], rhs[rows])
            if rows.sum() == unknown.sum()
            else (None, float("inf"))
        )
        x_bound = _bounds(x, model.lower, model.upper, model.issue_names)
        if found is None:
            return _singular("rubinstein", x, model, values, x_bound, diagnostics)
        full = np.zeros((2 * n + 2, m))
        full[unknown] = found
        other = _result("rubinstein", model, full[n + 1 : 2 * n + 1], y, values, {}, {})
        diagnostics["other_offer"] = {
            "deal": other.deal,
            "derivatives": other.derivatives,
            "at_bound": _bounds(y, model.lower, model.upper, model.issue_names),
        }
        return _result("rubinstein", model, full[:n], x, values, x_bound, diagnostics)


def _multiplier(keep: Array, other: Array, free: Array) -> float:
    """The Pareto multiplier: least-squares :math:`\\lambda` in ``keep + lambda other = 0``."""
    denominator = float(other[free] @ other[free])
    return float(-(keep[free] @ other[free]) / denominator) if denominator > 0 else 0.0


@dataclass(frozen=True)
class _Derivatives:
    """Utilities and their exact first and second derivatives at one deal.

    ``u`` (2,), ``g`` = du/dx (2, n), ``u_t`` = du/dtheta (2, m),
    ``h_xx`` (2, n, n) and ``h_xt`` (2, n, m).
    """

    u: Array
    g: Array
    u_t: Array
    h_xx: Array
    h_xt: Array

    @classmethod
    def of(cls, model: Model, x: Array, theta: list[float]) -> _Derivatives:
        n, m = x.size, len(theta)
        with np.errstate(all="ignore"):
            raw = _derivative_function(model)(*x, *theta)
        shapes = [(2,), (2, n), (2, m), (2, n, n), (2, n, m)]
        parts = [
            np.asarray(_broadcast(v), dtype=float).reshape(s)
            for v, s in zip(raw, shapes, strict=True)
        ]
        return cls(*parts)


def _broadcast(value: Any) -> Any:
    """Nested lists of scalars from lambdify as a plain nested float list."""
    if isinstance(value, list | tuple):
        return [_broadcast(v) for v in value]
    return float(np.asarray(value, dtype=float).reshape(()))


@functools.lru_cache(maxsize=16)
def _derivative_function(model: Model) -> Any:
    """``f(*issues, *parameters) -> [u, du/dx, du/dtheta, d2u/dx2, d2u/dxdtheta]``, cached."""
    u = [model.utilities[p] for p in model.party_names]
    xs, ts = list(model.issues), list(model.parameters)
    g = [[sp.diff(ui, x) for x in xs] for ui in u]
    exprs = [
        u,
        g,
        [[sp.diff(ui, t) for t in ts] for ui in u],
        [[[no_delta(sp.diff(gk, x)) for x in xs] for gk in gi] for gi in g],
        [[[no_delta(sp.diff(gk, t)) for t in ts] for gk in gi] for gi in g],
    ]
    return lambdify([*xs, *ts], exprs, cse=True)


def _settings(model: Model, exprs: Any, theta: list[float]) -> tuple[Array, Array]:
    """Two parameter expressions (one per party): values (2,) and gradients (2, m)."""
    ts = list(model.parameters)
    grads = [[sp.diff(e, t) for t in ts] for e in exprs]
    func = lambdify(ts, [list(exprs), grads])
    values, jac = func(*theta)
    return (
        np.asarray(_broadcast(values), dtype=float).reshape(2),
        np.asarray(_broadcast(jac), dtype=float).reshape(2, len(ts)),
    )


def _ift(g_z: Array, g_t: Array) -> tuple[Array | None, float]:
    """``dz/dtheta = -G_z^{-1} G_theta``; ``None`` if ``G_z`` is singular.

    Returns the derivatives (one row per unknown) and the condition number of ``G_z``.
    """
    with np.errstate(all="ignore"):
        finite = bool(np.isfinite(g_z).all() and np.isfinite(g_t).all())
        condition = float(np.linalg.cond(g_z)) if finite and g_z.size else float("inf")
    if not condition < MAX_CONDITION or not np.any(g_z):
        return None, condition
    found = np.asarray(-np.linalg.solve(g_z, g_t), dtype=np.float64)
    return found, condition


def _bounds(x: Array, lower: Array, upper: Array, names: tuple[str, ...]) -> dict[str, str]:
    """Which issues sit at a bound of the box (within :data:`BOUND_TOL` of its range)."""
    span = np.where(upper > lower, upper - lower, 1.0)
    out = {}
    for k, name in enumerate(names):
        if x[k] - lower[k] <= BOUND_TOL * span[k]:
            out[name] = "min"
        elif upper[k] - x[k] <= BOUND_TOL * span[k]:
            out[name] = "max"
    return out


def _singular(
    method: str,
    x: Array,
    model: Model,
    values: dict[str, float],
    at_bound: dict[str, str],
    diagnostics: dict[str, Any],
) -> Statics:
    condition = diagnostics.get("condition_number", float("inf"))
    message = f"{STATICS_STATUSES['singular']} (condition number {condition:.3g})"
    deal = dict(zip(model.issue_names, map(float, x), strict=True))
    return Statics(
        method, "singular", message, deal, values, at_bound=at_bound, diagnostics=diagnostics
    )


def _result(
    method: str,
    model: Model,
    derivative: Array,
    x: Array,
    values: dict[str, float],
    at_bound: dict[str, str],
    diagnostics: dict[str, Any],
) -> Statics:
    issues, parameters = model.issue_names, model.parameter_names
    theta = np.array([values[p] for p in parameters])
    with np.errstate(all="ignore"):
        elasticity = derivative * theta[None, :] / x[:, None]
    elasticity = np.where(x[:, None] != 0, elasticity, np.nan)
    table = {
        i: dict(zip(parameters, map(float, derivative[k]), strict=True))
        for k, i in enumerate(issues)
    }
    elast = {
        i: dict(zip(parameters, map(float, elasticity[k]), strict=True))
        for k, i in enumerate(issues)
    }
    deal = dict(zip(issues, map(float, x), strict=True))
    return Statics(
        method, "ok", STATICS_STATUSES["ok"], deal, values, table, elast, at_bound, diagnostics
    )
