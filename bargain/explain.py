"""The model's equations as a human reads them, and the closed forms sympy can find.

:func:`explain` renders a scenario as mathematics: each issue with its bounds,
each parameter with its value and unit, each definition, each component of each
party's utility, the disagreement point and the other settings, and the
first-order conditions of the (asymmetric) Nash solution at an interior deal,

.. math::

    \\frac{\\alpha_1\\, \\partial u_1 / \\partial x_k}{u_1 - d_1}
    + \\frac{\\alpha_2\\, \\partial u_2 / \\partial x_k}{u_2 - d_2} = 0
    \\qquad \\text{for each issue } x_k,

the gradient of :math:`\\alpha_1 \\log(u_1 - d_1) + \\alpha_2 \\log(u_2 - d_2)`.
Where they exist it adds closed forms: the Nash deal of a single-issue scenario
whose first-order condition is a polynomial of low degree once its denominators
are cleared, and the Rubinstein (1982) share when both utilities are linear in a
single issue, found from the stationarity conditions

.. math::

    u_R(x^*) - d_R = \\delta_R\\, (u_R(y^*) - d_R), \\qquad
    u_P(y^*) - d_P = \\delta_P\\, (u_P(x^*) - d_P),

where :math:`P` proposes first, :math:`x^*` is its offer and :math:`y^*` the
responder :math:`R`'s (for the unit pie: :math:`x^* = (1 - \\delta_2)/(1 -
\\delta_1 \\delta_2)`). Every symbolic step is bounded in size before it is
tried (expression size, polynomial degree), so that ``explain`` stays fast on
large scenarios; nothing relies on signals or timeouts.

References
----------
.. [1] Nash, J. F. (1950). The bargaining problem. Econometrica 18(2), 155-162.
.. [2] Rubinstein, A. (1982). Perfect equilibrium in a bargaining model.
   Econometrica 50(1), 97-109.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import sympy as sp
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.pretty_symbology import greek_unicode, pretty_use_unicode
from sympy.printing.pretty.stringpict import prettyForm

from .formula import parse_formula

if TYPE_CHECKING:
    from .model import Model
    from .scenario import Scenario

__all__ = [
    "disagreement_expressions",
    "explain",
    "nash_conditions",
    "nash_closed_form",
    "power_expressions",
    "rubinstein_closed_form",
]

#: Largest expression (sympy operation count) that is handed to a symbolic solver.
MAX_OPS = 400
#: Highest degree of a first-order condition solved in closed form when it has
#: symbolic coefficients (numeric coefficients allow up to 4).
MAX_SYMBOLIC_DEGREE = 2
_GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
}


def power_expressions(model: Model) -> tuple[sp.Expr, sp.Expr]:
    """The parties' Nash bargaining powers as expressions of the parameters.

    The same rule as :meth:`bargain.model.Model.problem`: equal powers when no
    party gives one; ``1 - p`` for the other when one party gives ``p``;
    normalised to sum to one when both do.

    Examples
    --------
    >>> import bargain
    >>> weighted = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> power_expressions(weighted.model)
    (a, 1 - a)
    """
    given = [model.settings[p]["power"] for p in model.party_names]
    if given[0] is None and given[1] is None:
        return sp.Rational(1, 2), sp.Rational(1, 2)
    if given[1] is None:
        return given[0], 1 - given[0]  # type: ignore[operator]
    if given[0] is None:
        return 1 - given[1], given[1]
    total = given[0] + given[1]
    return given[0] / total, given[1] / total


def disagreement_expressions(model: Model) -> tuple[sp.Expr, sp.Expr]:
    """The parties' disagreement utilities (0 where a scenario gives none)."""
    out = [model.settings[p]["disagreement"] for p in model.party_names]
    first, second = (sp.Integer(0) if d is None else d for d in out)
    return first, second


def nash_conditions(model: Model, powers: Sequence[sp.Expr] | None = None) -> list[sp.Expr]:
    """The Nash first-order conditions, one expression per issue (each ``= 0``).

    Parameters
    ----------
    model : Model
        ``scenario.model``.
    powers : pair of sympy expressions, optional
        :math:`(\\alpha_1, \\alpha_2)`; default the scenario's own powers
        (:func:`power_expressions`), i.e. the asymmetric Nash solution.

    Returns
    -------
    list of sympy.Expr
        :math:`\\alpha_1 \\partial_k u_1 / (u_1 - d_1) + \\alpha_2 \\partial_k u_2 /
        (u_2 - d_2)` for each issue :math:`x_k`.

    Examples
    --------
    >>> import bargain, sympy
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> foc, = nash_conditions(pie.model, (sympy.Rational(1, 2), sympy.Rational(1, 2)))
    >>> sympy.solve(foc, pie.model.issues[0])
    [1/2]
    """
    alpha = power_expressions(model) if powers is None else tuple(powers)
    d = disagreement_expressions(model)
    u = [model.utilities[p] for p in model.party_names]
    return [
        alpha[0] * sp.diff(u[0], x) / (u[0] - d[0]) + alpha[1] * sp.diff(u[1], x) / (u[1] - d[1])
        for x in model.issues
    ]


def nash_closed_form(
    model: Model, powers: Sequence[sp.Expr], values: Mapping[str, float]
) -> list[sp.Expr] | None:
    """The interior Nash deal of a single-issue model in closed form, when sympy finds one.

    Only tried when the model has one issue and its first-order condition,
    with denominators cleared, is a polynomial in the issue of degree at most
    :data:`MAX_SYMBOLIC_DEGREE` (or 4 with purely numeric coefficients), so
    the call is always fast. Returns the roots that lie strictly inside the
    issue's bounds and give both parties a gain at the parameter ``values``,
    or ``None`` when no closed form is attempted or none qualifies.

    Examples
    --------
    >>> import bargain, sympy
    >>> sqrt_b = bargain.load("scenarios/textbook/concave_sqrt.toml")
    >>> half = sympy.Rational(1, 2)
    >>> nash_closed_form(sqrt_b.model, (half, half), sqrt_b.parameter_values())
    [2/3]
    """
    if len(model.issues) != 1:
        return None
    x = model.issues[0]
    (foc,) = nash_conditions(model, powers)
    if sp.count_ops(foc) > MAX_OPS or foc.has(sp.Piecewise, sp.Min, sp.Max, sp.Abs):
        return None
    numerator, _ = sp.fraction(sp.together(foc))
    numerator = sp.expand(numerator)
    if numerator.has(sp.Float):
        numerator = sp.nsimplify(numerator, rational=True)
    if not numerator.is_polynomial(x):
        return None
    poly = sp.Poly(numerator, x)
    numeric = not (poly.free_symbols - {x})
    if poly.degree() < 1 or poly.degree() > (4 if numeric else MAX_SYMBOLIC_DEGREE):
        return None
    roots = [sp.factor(r) for r in sp.roots(poly, x, multiple=True)]
    keep = [r for r in dict.fromkeys(roots) if _interior_gain(model, r, values)]
    return keep or None


def _interior_gain(model: Model, root: sp.Expr, values: Mapping[str, float]) -> bool:
    """Whether a root is real, strictly inside the bounds and a gain for both at ``values``."""
    subs = {s: values[s.name] for s in model.parameters}
    value = complex(root.evalf(subs=subs))
    if abs(value.imag) > 1e-9 * max(1.0, abs(value.real)):
        return False
    x = value.real
    if not model.lower[0] < x < model.upper[0]:
        return False
    subs[model.issues[0]] = x
    d = disagreement_expressions(model)
    gains = [
        complex((model.utilities[p] - d[i]).evalf(subs=subs))
        for i, p in enumerate(model.party_names)
    ]
    return all(abs(g.imag) < 1e-12 and g.real > 0 for g in gains)


def rubinstein_closed_form(
    model: Model, discounts: Sequence[sp.Expr] | None = None
) -> tuple[sp.Expr, sp.Expr] | None:
    """The stationary Rubinstein offers ``(x*, y*)`` when both utilities are linear in one issue.

    ``x*`` is the first proposer's offer (accepted at once: the deal), ``y*``
    the offer the other party would make; both solve the stationarity
    conditions in the module notes with each party's ``disagreement`` and
    ``discount`` (or the given ``discounts``, e.g. symbols). Returns ``None``
    for more than one issue or a utility that is not linear (with a non-zero
    slope) in the issue.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> x_star, y_star = rubinstein_closed_form(pie.model)
    >>> x_star
    (dB - 1)/(dA*dB - 1)
    """
    if len(model.issues) != 1:
        return None
    x = model.issues[0]
    u = [model.utilities[p] for p in model.party_names]
    for ui in u:
        if sp.count_ops(ui) > MAX_OPS or not ui.is_polynomial(x):
            return None
        if sp.degree(ui, x) != 1:
            return None
    d = disagreement_expressions(model)
    delta = (
        list(discounts)
        if discounts is not None
        else [model.settings[p]["discount"] or sp.Integer(1) for p in model.party_names]
    )
    proposer = model.first_proposer
    responder = 1 - proposer
    offer, counter = sp.Dummy("x_offer", real=True), sp.Dummy("y_counter", real=True)
    at = [ui.xreplace({x: offer}) for ui in u]
    back = [ui.xreplace({x: counter}) for ui in u]
    equations = [
        at[responder] - d[responder] - delta[responder] * (back[responder] - d[responder]),
        back[proposer] - d[proposer] - delta[proposer] * (at[proposer] - d[proposer]),
    ]
    solutions = sp.linsolve(equations, [offer, counter])
    if not isinstance(solutions, sp.FiniteSet) or len(solutions) != 1:
        return None
    x_star, y_star = next(iter(solutions))
    if x_star.has(offer, counter) or y_star.has(offer, counter):
        return None
    return sp.factor(x_star), sp.factor(y_star)


# --- rendering ----------------------------------------------------------------------


class _Doc:
    """Collect headings, text and equations; render as pretty text or LaTeX."""

    def __init__(self, latex: bool, unicode: bool, symbol_names: dict[sp.Symbol, str]) -> None:
        self.latex = latex
        self.unicode = unicode
        self.symbol_names = symbol_names
        self.lines: list[str] = []
        self.in_align = False

    def _close(self) -> None:
        if self.in_align:
            self.lines.append(r"\end{align*}")
            self.in_align = False

    def heading(self, text: str) -> None:
        self._close()
        if self.latex:
            self.lines += ["", rf"\subsection*{{{_tex_escape(text)}}}"]
        else:
            self.lines += ["", text, "-" * len(text)]

    def text(self, text: str) -> None:
        self._close()
        self.lines.append(_tex_escape(text) + r"\\" if self.latex else text)

    def equation(self, lhs: sp.Basic, rhs: sp.Basic, note: str = "", member: bool = False) -> None:
        """``lhs = rhs`` (or ``lhs`` in the set ``rhs`` with ``member=True``)."""
        lhs, rhs = _clean(lhs), _clean(rhs)
        if self.latex:
            if not self.in_align:
                self.lines.append(r"\begin{align*}")
                self.in_align = True
            tail = rf" && \text{{{_tex_escape(note)}}}" if note else ""
            op = r"&\in" if member else "&="
            self.lines.append(f"{self._tex(lhs)} {op} {self._tex(rhs)}{tail} \\\\")
            return
        if member:  # a symbol in an interval: one line
            pretty = f"{self._pretty(lhs)} {'∈' if self.unicode else 'in'} {self._pretty(rhs)}"
        else:
            pretty = self._pretty(sp.Eq(lhs, rhs, evaluate=False))
        block = pretty.split("\n")
        if note:
            block[len(block) // 2] += f"    ({note})"
        self.lines += ["  " + line.rstrip() for line in block]

    def raw(self, text: str, tex: str) -> None:
        """A line given both as plain text and as a LaTeX display equation."""
        self._close()
        self.lines.append(rf"\[ {tex} \]" if self.latex else "  " + text)

    def _pretty(self, expr: sp.Basic) -> str:
        printer = _NamePrinter({"use_unicode": self.unicode, "num_columns": 100, "order": "none"})
        flag = pretty_use_unicode(self.unicode)
        try:
            return str(printer.doprint(expr))
        finally:
            pretty_use_unicode(flag)

    def _tex(self, expr: sp.Basic) -> str:
        return sp.latex(expr, symbol_names=self.symbol_names, order="none")

    def render(self) -> str:
        self._close()
        return "\n".join(self.lines).strip("\n") + "\n"


class _NamePrinter(PrettyPrinter):
    """Pretty printing that shows names as written (``home_share``, not ``homeₛₕₐᵣₑ``).

    Only a leading Greek name becomes its letter: ``alpha_us`` -> ``α_us``.
    """

    def _print_Symbol(self, e: sp.Symbol, bold_name: bool = False) -> prettyForm:
        head, sep, tail = e.name.partition("_")
        if head in _GREEK and self._use_unicode:
            return prettyForm(greek_unicode[head] + sep + tail)
        return prettyForm(e.name)


def _tex_escape(text: str) -> str:
    table = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
    return "".join(table.get(c, c) for c in text)


def _tex_names(names: Sequence[str]) -> dict[sp.Symbol, str]:
    """Multi-letter names of the scenario in upright italics, ``dA0`` -> ``\\mathit{dA0}``."""
    out = {}
    for name in names:
        if len(name) > 1 and name.split("_")[0] not in _GREEK:
            out[sp.Symbol(name, real=True)] = rf"\mathit{{{_tex_escape(name)}}}"
    return out


def explain(scenario: Scenario, latex: bool = False, *, unicode: bool = True) -> str:
    """The model of a scenario written out as equations.

    Parameters
    ----------
    scenario : Scenario
        From :func:`bargain.load`.
    latex : bool, optional
        Render LaTeX (``\\subsection*`` headings and ``align*`` blocks)
        instead of sympy's pretty text.
    unicode : bool, optional
        Use Unicode in the pretty text (Greek letters, fraction bars); pass
        ``False`` for a plain-ASCII terminal. Ignored with ``latex=True``.

    Returns
    -------
    str
        Sections: issues, parameters, definitions, utilities (each component
        and the total, written with the definitions' names), disagreement
        point and settings, the Nash first-order conditions and the closed
        forms sympy finds.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> text = explain(pie, unicode=False)
    >>> print(text.splitlines()[0])
    Split the pie
    >>> print(text[text.index("Closed forms"):])  # doctest: +NORMALIZE_WHITESPACE
    Closed forms
    ------------
           1
      x* = -    (symmetric Nash, interior root)
           2
               1 - delta_B
      x* = -------------------    (Rubinstein (1982): A's offer, accepted at once)
           1 - delta_A*delta_B
            delta_A*(1 - delta_B)
      x** = ---------------------    (Rubinstein: the offer B would make)
             1 - delta_A*delta_B
    <BLANKLINE>
    """
    model = scenario.model
    names = [*scenario.issue_names, *scenario.parameters, *scenario.definitions]
    doc = _Doc(latex, unicode, _tex_names(names))
    doc.text(scenario.title)
    if scenario.description:
        doc.text(scenario.description)
    by_name = {s.name: s for s in (*model.issues, *model.parameters)}
    by_name |= {name: sp.Symbol(name, real=True) for name in scenario.definitions}
    _issues(doc, scenario)
    _parameters(doc, scenario)
    _definitions(doc, scenario, by_name)
    _utilities(doc, scenario, by_name)
    _settings(doc, scenario, by_name)
    _nash_section(doc, scenario)
    _closed_forms(doc, scenario)
    return doc.render()


def _issues(doc: _Doc, scenario: Scenario) -> None:
    doc.heading("Issues")
    for issue in scenario.issues:
        what = ", ".join(t for t in (issue.label, issue.unit) if t)
        doc.equation(
            sp.Symbol(issue.name, real=True),
            sp.Interval(_num(issue.min), _num(issue.max)),
            what,
            member=True,
        )


def _parameters(doc: _Doc, scenario: Scenario) -> None:
    if not scenario.parameters:
        return
    doc.heading("Parameters")
    for name, p in scenario.parameters.items():
        doc.equation(
            sp.Symbol(name, real=True), _num(p.value), "; ".join(t for t in (p.unit, p.source) if t)
        )


def _definitions(doc: _Doc, scenario: Scenario, names: dict[str, sp.Basic]) -> None:
    if not scenario.definitions:
        return
    doc.heading("Definitions")
    for name, text in scenario.definitions.items():
        doc.equation(names[name], parse_formula(text, names, key=f"definitions.{name}"))


def _utilities(doc: _Doc, scenario: Scenario, names: dict[str, sp.Basic]) -> None:
    doc.heading("Utilities")
    for party in scenario.parties:
        total = sp.Symbol(f"u_{party.name}")
        if party.label and party.label != party.name:
            doc.text(f"{party.label} ({party.name}):")
        parts = {comp: parse_formula(text, names) for comp, text in party.utility.items()}
        if list(parts) == ["utility"]:
            doc.equation(total, parts["utility"])
            continue
        symbols = [sp.Symbol(f"u_{party.name},{comp}") for comp in parts]
        for symbol, expr in zip(symbols, parts.values(), strict=True):
            doc.equation(symbol, expr)
        doc.equation(total, sp.Add(*symbols, evaluate=False))


def _settings(doc: _Doc, scenario: Scenario, names: dict[str, sp.Basic]) -> None:
    doc.heading("Disagreement point and settings")
    for party in scenario.parties:
        doc.equation(
            sp.Symbol(f"d_{party.name}"),
            parse_formula(party.disagreement, names),
            "utility if the talks fail",
        )
    keys = [
        ("discount", "delta", "discount factor per round", 1.0),
        ("power", "alpha", "Nash bargaining power", None),
        ("outside_option", "w", "outside option", None),
        ("cost_per_round", "c", "cost per round of delay", 0.0),
    ]
    for key, letter, what, default in keys:
        for party in scenario.parties:
            value = getattr(party, key)
            if value is None or (default is not None and value == default):
                continue
            doc.equation(sp.Symbol(f"{letter}_{party.name}"), parse_formula(value, names), what)
    solve = scenario.settings
    if solve is not None:
        risk = f"{scenario.model.breakdown:g}"
        if isinstance(solve.breakdown, str):
            risk = f"{solve.breakdown} = {risk}"
        deadline = f"{solve.rounds} rounds" if solve.rounds else "none"
        doc.text(
            f"first proposer: {solve.first_proposer}; breakdown risk per round: {risk}; "
            f"deadline: {deadline}"
        )


def _alpha_symbols(scenario: Scenario) -> tuple[sp.Symbol, sp.Symbol]:
    return (
        sp.Symbol(f"alpha_{scenario.party_names[0]}", positive=True),
        sp.Symbol(f"alpha_{scenario.party_names[1]}", positive=True),
    )


def _nash_section(doc: _Doc, scenario: Scenario) -> None:
    model = scenario.model
    a, b = scenario.party_names
    doc.heading("Nash solution: first-order conditions at an interior deal")
    doc.text(
        "for each issue x_k (an issue at a bound satisfies the Karush-Kuhn-Tucker "
        "conditions instead):"
    )
    doc.raw(
        f"alpha_{a} * (du_{a}/dx_k) / (u_{a} - d_{a}) + alpha_{b} * (du_{b}/dx_k) / "
        f"(u_{b} - d_{b}) = 0",
        rf"\alpha_{{{a}}} \frac{{\partial u_{{{a}}} / \partial x_k}}{{u_{{{a}}} - d_{{{a}}}}}"
        rf" + \alpha_{{{b}}} \frac{{\partial u_{{{b}}} / \partial x_k}}"
        rf"{{u_{{{b}}} - d_{{{b}}}}} = 0",
    )
    alpha = _alpha_symbols(scenario)
    short = _short_utilities(model, scenario)
    if short:
        doc.text(
            "where " + ", ".join(f"u_{p}" for p in short) + " stand(s) for the utilities above"
        )
    d = disagreement_expressions(model)
    u = [model.utilities[p] for p in model.party_names]
    for x in model.issues:
        terms = [
            alpha[i] * _clean(sp.diff(u[i], x)) / (short.get(model.party_names[i], u[i]) - d[i])
            for i in range(2)
        ]
        doc.equation(sp.Add(*terms), sp.Integer(0), f"issue {x.name}")
    powers = power_expressions(model)
    doc.raw(
        f"symmetric Nash: alpha_{a} = alpha_{b} = 1/2",
        rf"\alpha_{{{a}}} = \alpha_{{{b}}} = \tfrac{{1}}{{2}} \quad \text{{(symmetric Nash)}}",
    )
    if not all(p == sp.Rational(1, 2) for p in powers):
        doc.equation(alpha[0], powers[0], "asymmetric Nash")
        doc.equation(alpha[1], powers[1], "asymmetric Nash")


def _short_utilities(model: Model, scenario: Scenario) -> dict[str, sp.Symbol]:
    """Symbols ``u_P`` for the utilities too long to repeat in every condition."""
    return {
        p: sp.Symbol(f"u_{p}") for p in scenario.party_names if sp.count_ops(model.utilities[p]) > 8
    }


def _closed_forms(doc: _Doc, scenario: Scenario) -> None:
    model = scenario.model
    values = scenario.parameter_values()
    half = sp.Rational(1, 2)
    powers = power_expressions(model)
    found = []
    for label, alpha in [("symmetric Nash", (half, half)), ("asymmetric Nash", powers)]:
        if label == "asymmetric Nash" and all(p == half for p in powers):
            continue
        roots = nash_closed_form(model, alpha, values)
        if roots:
            found += [(label, model.issues[0], r) for r in roots]
    rubinstein = rubinstein_closed_form(model)
    doc.heading("Closed forms")
    for x in model.issues[:1]:
        doc.symbol_names |= {
            sp.Symbol(f"{x.name}*"): f"{x.name}^{{*}}",
            sp.Symbol(f"{x.name}**"): f"{x.name}^{{**}}",
        }
    if not found and rubinstein is None:
        doc.text(
            "none found (closed forms are sought for one issue: a Nash first-order "
            "condition that is polynomial of low degree, or linear utilities for "
            "Rubinstein)"
        )
        return
    for label, x, root in found:
        doc.equation(sp.Symbol(f"{x.name}*"), _tidy(root), f"{label}, interior root")
    if rubinstein is not None:
        _rubinstein_lines(doc, scenario, rubinstein)


def _rubinstein_lines(doc: _Doc, scenario: Scenario, offers: tuple[sp.Expr, sp.Expr]) -> None:
    model = scenario.model
    x = model.issues[0]
    first, other = (
        scenario.party_names[model.first_proposer],
        scenario.party_names[1 - model.first_proposer],
    )
    deltas = [sp.Symbol(f"delta_{p}", positive=True) for p in scenario.party_names]
    generic = rubinstein_closed_form(model, deltas) or offers
    doc.equation(
        sp.Symbol(f"{x.name}*"),
        _tidy(generic[0]),
        f"Rubinstein (1982): {first}'s offer, accepted at once",
    )
    doc.equation(
        sp.Symbol(f"{x.name}**"), _tidy(generic[1]), f"Rubinstein: the offer {other} would make"
    )
    settings = [model.settings[p]["discount"] for p in scenario.party_names]
    if not all(d is not None and d.is_Symbol for d in settings):
        doc.equation(
            sp.Symbol(f"{x.name}*"),
            _tidy(offers[0]),
            "the same with the scenario's discount factors",
        )
    extras = _rubinstein_extras(scenario)
    if extras:
        doc.text(
            f"the Rubinstein closed form covers discounting only; this scenario also has {extras}"
        )


def _rubinstein_extras(scenario: Scenario) -> str:
    found = []
    if scenario.model.breakdown > 0:
        found.append("breakdown risk")
    if scenario.settings is not None and scenario.settings.rounds > 0:
        found.append("a deadline")
    if any(p.outside_option is not None for p in scenario.parties):
        found.append("outside options")
    if any(p.cost_per_round not in (0, 0.0, "0") for p in scenario.parties):
        found.append("costs per round")
    return ", ".join(found)


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Write sums with a leading positive constant: (dB - 1)/(dA dB - 1) -> (1 - dB)/(1 - dA dB)."""
    num, den = sp.fraction(expr)
    (num, s_num), (den, s_den) = _positive_first(num), _positive_first(den)
    if den == 1:
        return expr
    inverse = sp.Pow(den, -1, evaluate=False)
    ratio = inverse if num == 1 else sp.Mul(num, inverse, evaluate=False)
    return ratio if s_num * s_den > 0 else sp.Mul(-1, ratio, evaluate=False)


def _positive_first(expr: sp.Expr) -> tuple[sp.Expr, int]:
    """``(e, s)`` with ``expr == s * e`` and each sum in ``e`` led by a non-negative constant."""
    if expr.is_Add:
        constant = expr.as_coeff_Add()[0]
        if constant < 0 or (constant == 0 and expr.could_extract_minus_sign()):
            return -expr, -1
    if expr.is_Mul:
        sign, factors = 1, []
        for factor in expr.args:
            if factor == -1:
                sign = -sign
                continue
            flipped, s = _positive_first(factor)
            sign *= s
            factors.append(flipped)
        return sp.Mul(*factors, evaluate=False), sign
    return expr, 1


def _num(value: float) -> sp.Expr:
    """A float as a sympy number, exact when it is an integer."""
    return sp.Integer(int(value)) if float(value).is_integer() else sp.Float(value, 6)


def _clean(expr: sp.Basic) -> sp.Basic:
    """Write floats that are whole numbers as integers (``0.0`` -> ``0``)."""
    whole = {f: sp.Integer(int(f)) for f in expr.atoms(sp.Float) if float(f).is_integer()}
    return expr.xreplace(whole) if whole else expr
