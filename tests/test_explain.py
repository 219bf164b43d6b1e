"""Tests of the symbolic rendering of scenarios and of the closed forms it finds."""

from __future__ import annotations

import time

import pytest
import sympy as sp

import bargain
from bargain.explain import (
    explain,
    nash_closed_form,
    nash_conditions,
    power_expressions,
    rubinstein_closed_form,
)
from bargain.rubinstein import rubinstein_solution

TEXTBOOK = "scenarios/textbook/"
HALF = (sp.Rational(1, 2), sp.Rational(1, 2))


def _symbols(model):
    return {s.name: s for s in (*model.issues, *model.parameters)}


def test_sections_issues_parameters_and_components():
    """Every issue, parameter (value and unit), definition and component is shown."""
    scenario = bargain.load(TEXTBOOK + "transferable_project.toml")
    text = explain(scenario, unicode=False)
    for heading in [
        "Issues",
        "Parameters",
        "Definitions",
        "Utilities",
        "Disagreement point and settings",
        "first-order conditions",
        "Closed forms",
    ]:
        assert heading in text
    assert "t in [0, 2]" not in text and "q in [0, 2]" in text and "t in [0, 1]" in text
    for name, p in scenario.parameters.items():
        assert f"{name} = {p.value:g}" in text and p.unit in text
    assert "cost =" in text  # the definition, shown by name in A's project component
    assert "u_A,project = -cost + a*q" in text
    for party in scenario.parties:
        for component in party.utility:
            assert f"u_{party.name},{component}" in text


def test_barter_components_and_one_condition_per_issue():
    """Nash's barter: each party's components, and one Nash condition for each of 9 issues."""
    scenario = bargain.load(TEXTBOOK + "nash_1950_barter.toml")
    text = explain(scenario, unicode=False)
    lines = {line.split(" = ")[0].strip(): line for line in text.splitlines() if " = " in line}
    for good in ["book", "whip", "ball", "bat", "box"]:
        assert good in lines["u_bill,gives"] and good in lines["u_jack,receives"]
    for good in ["pen", "toy", "knife", "hat"]:
        assert good in lines["u_bill,receives"] and good in lines["u_jack,gives"]
    assert "4*book" in lines["u_jack,receives"] and "10*pen" in lines["u_bill,receives"]
    for issue in scenario.issue_names:
        assert f"(issue {issue})" in text
    assert "alpha_bill * (du_bill/dx_k) / (u_bill - d_bill)" in text


def test_nash_conditions_match_the_formula_by_hand():
    """alpha_A/(x - dA0) - alpha_B/(1 - x - dB0) for the weighted unit pie."""
    model = bargain.load(TEXTBOOK + "unit_pie_weighted.toml").model
    s = _symbols(model)
    a1, a2 = sp.symbols("a1 a2", positive=True)
    (foc,) = nash_conditions(model, (a1, a2))
    by_hand = a1 / (s["x"] - s["dA0"]) - a2 / (1 - s["x"] - s["dB0"])
    assert sp.simplify(foc - by_hand) == 0
    assert power_expressions(model) == (s["a"], 1 - s["a"])


def test_foc_printed_symbolically():
    """The condition appears in the text as a formula in the powers and the issue."""
    text = explain(bargain.load(TEXTBOOK + "concave_power.toml"), unicode=False)
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if "(issue x)" in line)
    block = "\n".join(lines[row - 1 : row + 2])
    assert "alpha_A" in block and "b*alpha_B" in block and "1 - x" in block
    assert "alpha_A = a" in text and "alpha_B = 1 - a" in text


@pytest.mark.parametrize(
    ("path", "asymmetric", "expected"),
    [
        ("concave_sqrt.toml", False, lambda s: sp.Rational(2, 3)),
        ("unit_pie_weighted.toml", False, lambda s: (1 + s["dA0"] - s["dB0"]) / 2),
        ("unit_pie_weighted.toml", True, lambda s: s["dA0"] + s["a"] * (1 - s["dA0"] - s["dB0"])),
        ("concave_power.toml", False, lambda s: 1 / (1 + s["b"])),
        ("concave_power.toml", True, lambda s: s["a"] / (s["a"] + (1 - s["a"]) * s["b"])),
        ("linear_three_solutions.toml", False, lambda s: sp.Rational(1, 2)),
    ],
)
def test_nash_closed_forms(path, asymmetric, expected):
    """The closed-form Nash deal equals the one derived by hand (see the scenario notes)."""
    scenario = bargain.load(TEXTBOOK + path)
    model = scenario.model
    powers = power_expressions(model) if asymmetric else HALF
    roots = nash_closed_form(model, powers, scenario.parameter_values())
    assert roots is not None and len(roots) == 1
    assert sp.simplify(roots[0] - expected(_symbols(model))) == 0


def test_rubinstein_linear_share_closed_form():
    """The unit pie: x* = (1 - dB)/(1 - dA dB), equal to the numerical Rubinstein deal."""
    scenario = bargain.load(TEXTBOOK + "unit_pie.toml")
    s = _symbols(scenario.model)
    offers = rubinstein_closed_form(scenario.model)
    assert offers is not None
    x_star, y_star = offers
    assert sp.simplify(x_star - (1 - s["dB"]) / (1 - s["dA"] * s["dB"])) == 0
    assert sp.simplify(y_star - s["dA"] * x_star) == 0
    solved = rubinstein_solution(scenario.problem())
    assert solved.deal is not None
    assert float(x_star.subs({s["dA"]: 0.9, s["dB"]: 0.8})) == pytest.approx(
        solved.deal["x"], abs=1e-9
    )


def test_rubinstein_share_printed():
    """explain prints the Rubinstein share in text and in LaTeX."""
    scenario = bargain.load(TEXTBOOK + "unit_pie.toml")
    text = explain(scenario, unicode=False).splitlines()
    row = next(i for i, line in enumerate(text) if "Rubinstein (1982)" in line)
    assert "1 - delta_B" in text[row - 1] and "1 - delta_A*delta_B" in text[row + 1]
    tex = explain(scenario, latex=True)
    assert r"\frac{1 - \delta_{B}}{1 - \delta_{A} \delta_{B}}" in tex


def test_rubinstein_closed_form_second_proposer_and_disagreement():
    """B first, d_A = dA0, discount 1/2 each: B's offer leaves A dA0 + (1 - dA0)/3."""
    scenario = bargain.loads("""
schema_version = 1
title = "pie, B first"
[issues.x]
min = 0.0
max = 1.0
[parameters.dA0]
value = 0.1
unit = "utility"
source = "test"
[parties.A]
utility = "x"
disagreement = "dA0"
discount = 0.5
[parties.B]
utility = "1 - x"
discount = 0.5
[solve]
first_proposer = "B"
""")
    s = _symbols(scenario.model)
    offers = rubinstein_closed_form(scenario.model)
    assert offers is not None
    # B proposes: A gets dA0 + delta/(1 + delta) of the surplus 1 - dA0 (delta = 1/2)
    assert sp.simplify(offers[0] - (s["dA0"] + (1 - s["dA0"]) / 3)) == 0


@pytest.mark.parametrize("path", ["concave_sqrt.toml", "nash_1950_barter.toml"])
def test_no_rubinstein_closed_form_without_linear_single_issue(path):
    """Non-linear or multi-issue utilities get no linear Rubinstein closed form."""
    assert rubinstein_closed_form(bargain.load(TEXTBOOK + path).model) is None


def test_explain_is_fast_on_the_nine_issue_barter():
    """explain on Nash's nine-issue barter returns well within a second."""
    scenario = bargain.load(TEXTBOOK + "nash_1950_barter.toml")
    scenario.model.utilities  # noqa: B018 -- compiled at load; time explain alone
    start = time.perf_counter()
    explain(scenario)
    explain(scenario, latex=True)
    assert time.perf_counter() - start < 2.0


def test_explain_is_fast_on_a_high_degree_condition():
    """A degree-30 Nash condition is not handed to sympy.solve (guarded by the degree)."""
    scenario = bargain.loads("""
schema_version = 1
title = "high degree"
[issues.x]
min = 0.0
max = 1.0
[parameters.k]
value = 2.0
unit = "size"
source = "test"
[parties.A]
utility = "x + k * x**17 / 100"
[parties.B]
utility = "(1 - x)**13 * (1 + x**11)"
""")
    start = time.perf_counter()
    text = explain(scenario)
    assert time.perf_counter() - start < 2.0
    assert nash_closed_form(scenario.model, HALF, scenario.parameter_values()) is None
    assert "none found" in text


def test_explain_handles_piecewise_utilities():
    """min/max/where utilities are shown, and no closed form is attempted."""
    scenario = bargain.loads("""
schema_version = 1
title = "kinked"
[issues.x]
min = 0.0
max = 1.0
[parties.A]
utility = "min(x, 0.8) + where(x > 0.5, 0.1, 0)"
[parties.B]
utility = "max(1 - x, 0.05)"
""")
    text = explain(scenario, unicode=False)
    assert "Min(" in text or "min(" in text
    assert nash_closed_form(scenario.model, HALF, scenario.parameter_values()) is None


def test_latex_blocks_and_ascii_text():
    """LaTeX output balances its align blocks; unicode=False gives plain ASCII."""
    scenario = bargain.load(TEXTBOOK + "transferable_project.toml")
    tex = explain(scenario, latex=True)
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}") > 0
    assert r"\subsection*{Utilities}" in tex and r"\mathit{cost}" in tex
    assert tex.isascii()
    assert explain(scenario, unicode=False).isascii()


def test_rubinstein_note_on_other_terms():
    """A scenario with breakdown risk is told that the closed form covers discounting only."""
    scenario = bargain.loads("""
schema_version = 1
title = "pie with breakdown"
[issues.x]
min = 0.0
max = 1.0
[parties.A]
utility = "x"
discount = 0.9
[parties.B]
utility = "1 - x"
discount = 0.8
[solve]
first_proposer = "A"
breakdown = 0.05
""")
    assert "covers discounting only; this scenario also has breakdown risk" in explain(scenario)
