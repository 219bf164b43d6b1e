"""Tests of the comparative statics against closed forms and finite differences."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pytest

import bargain
from bargain.nash import nash_solution
from bargain.rubinstein import rubinstein_solution
from bargain.statics import STATICS_STATUSES, Statics, nash_statics, rubinstein_statics

TEXTBOOK = "scenarios/textbook/"
STEP = 1e-4  # central-difference step, relative to max(1, |value|)


def _solve(method: str) -> Callable[[bargain.Scenario], dict[str, float]]:
    """The deal of a solver on a scenario, by the name of the statics method."""

    def run(scenario: bargain.Scenario) -> dict[str, float]:
        problem = scenario.problem()
        if method == "nash":
            sol = nash_solution(problem)
        elif method == "asymmetric_nash":
            sol = nash_solution(problem, powers=tuple(problem.powers))
        else:
            sol = rubinstein_solution(problem)
        assert sol.ok, sol.message
        assert sol.deal is not None
        return sol.deal

    return run


def _statics(scenario: bargain.Scenario, method: str) -> Statics:
    if method == "rubinstein":
        return rubinstein_statics(scenario)
    return nash_statics(scenario, asymmetric=method == "asymmetric_nash")


def _central_difference(scenario: bargain.Scenario, method: str, name: str) -> dict[str, float]:
    """d(deal)/d(parameter) by re-solving at value +- h."""
    value = scenario.parameters[name].value
    h = STEP * max(1.0, abs(value))
    up = _solve(method)(scenario.with_parameters(**{name: value + h}))
    down = _solve(method)(scenario.with_parameters(**{name: value - h}))
    return {k: (up[k] - down[k]) / (2 * h) for k in up}


@pytest.mark.parametrize(
    ("path", "method", "name"),
    [
        ("unit_pie_weighted.toml", "asymmetric_nash", "a"),
        ("concave_power.toml", "asymmetric_nash", "b"),
        ("concave_power.toml", "rubinstein", "dB"),
        ("transferable_project.toml", "nash", "a"),
        ("transferable_project.toml", "rubinstein", "dA"),
        ("unit_pie.toml", "rubinstein", "dB"),
    ],
)
def test_derivatives_match_central_differences(path, method, name):
    """Each exact derivative agrees with a central difference of the solver's deal."""
    scenario = bargain.load(TEXTBOOK + path)
    statics = _statics(scenario, method)
    assert statics.ok, statics.message
    numeric = _central_difference(scenario, method, name)
    for issue, slope in numeric.items():
        # the solvers' answers carry ~1e-9 noise, which the difference divides by 2h
        assert statics.derivatives[issue][name] == pytest.approx(slope, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize(("dA0", "dB0", "a"), [(0.2, 0.1, 0.7), (0.05, 0.3, 0.4)])
def test_weighted_pie_closed_forms(dA0, dB0, a):
    """x = dA0 + a (1 - dA0 - dB0): derivatives 1 - a, -a, 1 - dA0 - dB0 (asymmetric)."""
    scenario = bargain.load(TEXTBOOK + "unit_pie_weighted.toml").with_parameters(
        dA0=dA0, dB0=dB0, a=a
    )
    asym = nash_statics(scenario, asymmetric=True).derivatives["x"]
    assert asym == pytest.approx({"dA0": 1 - a, "dB0": -a, "a": 1 - dA0 - dB0}, abs=1e-9)
    sym = nash_statics(scenario).derivatives["x"]
    assert sym == pytest.approx({"dA0": 0.5, "dB0": -0.5, "a": 0.0}, abs=1e-9)


def test_concave_power_closed_forms():
    """x = a / (a + (1 - a) b): the derivatives and elasticities computed by hand."""
    scenario = bargain.load(TEXTBOOK + "concave_power.toml")
    a, b = 0.6, 0.5
    sym = nash_statics(scenario)
    assert sym.derivatives["x"]["b"] == pytest.approx(-1 / (1 + b) ** 2, abs=1e-8)
    assert sym.elasticities["x"]["b"] == pytest.approx(-b / (1 + b), abs=1e-8)
    asym = nash_statics(scenario, asymmetric=True)
    den = a + (1 - a) * b
    assert asym.derivatives["x"]["a"] == pytest.approx(b / den**2, abs=1e-8)
    assert asym.derivatives["x"]["b"] == pytest.approx(-a * (1 - a) / den**2, abs=1e-8)
    assert asym.derivatives["x"]["dA"] == 0.0  # discount factors do not enter Nash


def test_rubinstein_unit_pie_closed_form():
    """x = (1 - dB)/(1 - dA dB): dx/ddA = dB (1 - dB)/D**2, dx/ddB = (dA - 1)/D**2."""
    scenario = bargain.load(TEXTBOOK + "unit_pie.toml")
    da, db = 0.9, 0.8
    den = (1 - da * db) ** 2
    statics = rubinstein_statics(scenario)
    assert statics.derivatives["x"] == pytest.approx(
        {"dA": db * (1 - db) / den, "dB": (da - 1) / den}, rel=1e-8
    )
    other = statics.diagnostics["other_offer"]["derivatives"]["x"]  # y = dA x
    x = (1 - db) / (1 - da * db)
    assert other["dA"] == pytest.approx(x + da * db * (1 - db) / den, rel=1e-8)


def test_rubinstein_concave_power_closed_form():
    """With k = dB**(1/b), x = (1 - k)/(1 - dA k); its derivatives computed by hand."""
    scenario = bargain.load(TEXTBOOK + "concave_power.toml")
    da, db, b = 0.9, 0.8, 0.5
    k = db ** (1 / b)
    dx_dk = (da - 1) / (1 - da * k) ** 2
    expected = {
        "dA": k * (1 - k) / (1 - da * k) ** 2,
        "dB": dx_dk * k / (b * db),
        "b": dx_dk * k * math.log(db) * (-1 / b**2),
        "a": 0.0,
    }
    assert rubinstein_statics(scenario).derivatives["x"] == pytest.approx(expected, abs=1e-8)


def test_transferable_project_closed_forms():
    """q = a + b and t = (1 + (b - a) q + q**2/2)/2 at the symmetric Nash solution."""
    statics = nash_statics(bargain.load(TEXTBOOK + "transferable_project.toml"))
    a, b = 0.3, 0.5
    assert statics.derivatives["q"] == pytest.approx({"a": 1, "b": 1, "dA": 0, "dB": 0}, abs=1e-8)
    assert statics.derivatives["t"]["a"] == pytest.approx((b - a) / 2, abs=1e-8)
    assert statics.derivatives["t"]["b"] == pytest.approx((2 * b + a + b) / 2, abs=1e-8)


def _pie(extra: str = "", issue: str = "x", upper: float = 1.0) -> bargain.Scenario:
    return bargain.loads(f"""
schema_version = 1
title = "test pie"
[issues.{issue}]
min = 0.0
max = {upper}
[parameters.dA0]
value = 0.2
unit = "utility"
source = "test"
[parties.A]
utility = "{issue}"
disagreement = "dA0"
[parties.B]
utility = "1 - {issue}"
{extra}
""")


def test_issue_at_bound_has_zero_derivative():
    """When the bound binds (x <= 0.4 < 0.55) the deal does not move and the result says so."""
    scenario = _pie(upper=0.4)
    statics = nash_statics(scenario)
    assert statics.ok
    assert statics.at_bound == {"x": "max"}
    assert statics.derivatives["x"]["dA0"] == 0.0
    assert _central_difference(scenario, "nash", "dA0")["x"] == pytest.approx(0.0, abs=1e-9)
    assert "at its max bound" in statics.table()


def test_linear_issues_are_singular():
    """Two interior issues that enter only through their sum leave the deal undetermined."""
    scenario = bargain.loads("""
schema_version = 1
title = "two linear issues"
[issues.x]
min = 0.0
max = 1.0
[issues.y]
min = 0.0
max = 1.0
[parameters.k]
value = 2.0
unit = "size"
source = "test"
[parties.A]
utility = "x + y"
[parties.B]
utility = "k - x - y"
""")
    solution = nash_solution(scenario.problem())
    assert solution.ok and solution.deal is not None
    assert 0 < solution.deal["x"] < 1 and 0 < solution.deal["y"] < 1
    statics = nash_statics(scenario, solution)
    assert statics.status == "singular"
    assert statics.derivatives == {}


def test_no_agreement_gives_no_solution():
    """A disagreement point above the pie leaves nothing to differentiate."""
    statics = nash_statics(_pie().with_parameters(dA0=1.5))
    assert statics.status == "no_solution"
    assert "no_agreement" in statics.message
    assert "no_solution" in statics.table()


def test_rubinstein_deadline_is_unsupported():
    """With a deadline the statics are not derived, and the status says so."""
    scenario = _pie('discount = 0.9\n[solve]\nfirst_proposer = "A"\nrounds = 3')
    statics = rubinstein_statics(scenario)
    assert statics.status == "unsupported"
    assert statics.status in STATICS_STATUSES


def test_rubinstein_without_discounting_is_not_unique():
    """Without discounting every split is an equilibrium: no derivative is reported."""
    statics = rubinstein_statics(_pie())
    assert statics.status == "no_solution"
    assert "not_unique" in statics.message


def test_breakdown_risk_enters_the_reservation():
    """With breakdown risk p on the unit pie, x = (1 - q dB)/(1 - q**2 dA dB), q = 1 - p."""
    text = """
[parameters.dA]
value = 0.9
unit = "per round"
source = "test"
[parameters.dB]
value = 0.8
unit = "per round"
source = "test"
[solve]
first_proposer = "A"
breakdown = 0.1
"""
    scenario = bargain.loads(f"""
schema_version = 1
title = "pie with breakdown"
[issues.x]
min = 0.0
max = 1.0
[parties.A]
utility = "x"
discount = "dA"
[parties.B]
utility = "1 - x"
discount = "dB"
{text}""")
    q, da, db = 0.9, 0.9, 0.8
    statics = rubinstein_statics(scenario)
    assert statics.deal == pytest.approx({"x": (1 - q * db) / (1 - q * q * da * db)})
    den = (1 - q * q * da * db) ** 2
    assert statics.derivatives["x"]["dA"] == pytest.approx(
        (1 - q * db) * q * q * db / den, rel=1e-7
    )
    assert statics.derivatives["x"]["dB"] == pytest.approx(
        _central_difference(scenario, "rubinstein", "dB")["x"], rel=1e-5, abs=1e-5
    )


def test_elasticity_is_derivative_times_value_over_issue():
    """The elasticity of x with respect to p is (dx/dp) p / x."""
    statics = nash_statics(bargain.load(TEXTBOOK + "unit_pie_weighted.toml"), asymmetric=True)
    assert statics.deal is not None
    x = statics.deal["x"]
    for name, slope in statics.derivatives["x"].items():
        assert statics.elasticities["x"][name] == pytest.approx(
            slope * statics.parameters[name] / x
        )


def test_table_and_json():
    """The table names every issue and parameter; to_dict is strict JSON."""
    statics = rubinstein_statics(bargain.load(TEXTBOOK + "transferable_project.toml"))
    text = statics.table()
    for word in ["t", "q", "a", "b", "dA", "dB", "derivative", "elasticity", "rubinstein"]:
        assert word in text
    data = json.loads(json.dumps(statics.to_dict(), allow_nan=False))
    assert data["derivatives"]["q"]["a"] == pytest.approx(1.0)
    assert np.isclose(data["diagnostics"]["other_offer"]["derivatives"]["q"]["b"], 1.0)


def test_breakdown_given_as_a_parameter_has_exact_statics():
    """[solve] breakdown = "p": dx*/dp matches the closed form of the pie with breakdown risk."""
    text = "\n".join(
        [
            "schema_version = 1",
            'title = "pie with a breakdown parameter"',
            "[issues.x]",
            "min = 0.0",
            "max = 1.0",
            "[parameters.p]",
            "value = 0.1",
            'unit = "per round"',
            'source = "test"',
            "[parties.A]",
            'utility = "x"',
            "[parties.B]",
            'utility = "1 - x"',
            "[solve]",
            'breakdown = "p"',
        ]
    )
    scenario = bargain.loads(text)
    st = bargain.rubinstein_statics(scenario)
    # with delta = 1 the proposer's share is 1 / (2 - p): derivative 1 / (2 - p)^2
    assert st.derivatives["x"]["p"] == pytest.approx(1 / (2 - 0.1) ** 2, rel=1e-6)


def test_statics_with_a_parameter_named_like_a_numpy_function():
    """A parameter called `select` (numpy's name for the code of min/max/where) is a name
    like any other: d x*/d d_A = 1/2 on the unit pie with disagreement (d_A, 0), since
    x* = (1 + d_A) / 2 (below the cap 0.9 of A's utility)."""
    text = (
        'schema_version = 1\ntitle = "t"\n[issues.x]\nmin = 0.0\nmax = 1.0\n'
        '[parameters.select]\nvalue = 0.3\nunit = "u"\nsource = "s"\n'
        '[parties.A]\nutility = "min(x, 0.9)"\ndisagreement = "select"\n'
        '[parties.B]\nutility = "1 - x"\n'
    )
    st = bargain.nash_statics(bargain.loads(text))
    assert st.status == "ok"
    assert st.derivatives["x"]["select"] == pytest.approx(0.5, abs=1e-9)
