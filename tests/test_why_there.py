"""Tests of the story `bargain solve` tells: level effects, corners, flat issues, units."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import bargain
from bargain.cli import main
from bargain.decompose import decompose, flat_issues
from bargain.errors import ScenarioError
from bargain.nash import nash_solution
from bargain.result import BOUND_TOL
from bargain.statics import BOUND_TOL as STATICS_BOUND_TOL

HEAD = """schema_version = 1
title = "test"
"""

# Two issues, both interior at the Nash deal, utilities not linear in them; kA and kB
# are constant components (levels) that can be shifted and re-solved.
CURVED = (
    HEAD
    + """
[issues.x]
min = 0.0
max = 1.0
unit = "share"
[issues.y]
min = 0.0
max = 2.0
[parameters.kA]
value = 0.1
unit = "u"
source = "test"
[parameters.kB]
value = 0.0
unit = "u"
source = "test"
[parties.A.utility]
share = "sqrt(x * (1 + y))"
cost = "-0.2 * y"
level = "kA"
[parties.B.utility]
share = "(1 - x) * (1 + y)"
cost = "-0.3 * y**2"
level = "kB"
"""
)

# u_A = 1 - t - x (1 + y), u_B = t + x (1 + y) / 2: the project x wastes half of what
# it costs A, so x = 0 at every efficient deal, and then y does not matter at all.
# Nash: max (1 - t)(t) gives t = 1/2.
FLAT = (
    HEAD
    + """
[issues.t]
min = 0.0
max = 1.0
unit = "share"
[issues.x]
min = 0.0
max = 1.0
[issues.y]
min = 0.0
max = 1.0
unit = "share"
[issues.z]
min = 2.0
max = 5.0
[parties.A]
utility = "1 - t - x * (1 + y)"
[parties.B]
utility = "t + 0.5 * x * (1 + y)"
"""
)

# The unit pie with A's share capped at 30%: Nash wants 50%, so it sits at the cap.
CORNER = (
    HEAD
    + """utility_unit = "USD bn, present value"
[issues.x]
min = 0.0
max = 0.3
unit = "share"
[parties.A]
utility = "x"
[parties.B]
utility = "1 - x"
"""
)


def _nash(scenario, asymmetric=False):
    name = "asymmetric_nash" if asymmetric else "nash"
    return bargain.solve(scenario, methods=[name]).solutions[name]


def test_level_effect_matches_the_unit_pie_closed_form():
    """Unit pie, x* = dA + a (1 - dA - dB): one unit more for A acts as dA - 1, so
    dx*/dk_A = -(1 - a) and dx*/dk_B = a (a = 1/2 for the symmetric solution)."""
    weighted = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    a = weighted.parameter_values()["a"]
    for asymmetric, power in ((False, 0.5), (True, a)):
        d = decompose(weighted, _nash(weighted, asymmetric))
        assert d.level_effects["A"]["x"] == pytest.approx(-(1 - power), abs=1e-9)
        assert d.level_effects["B"]["x"] == pytest.approx(power, abs=1e-9)
        assert {r["party"]: r["level_effect"] for r in d.rows} == pytest.approx(
            {"A": -(1 - power), "B": power}, abs=1e-9
        )


@pytest.mark.parametrize("party", ["kA", "kB"])
def test_level_effect_matches_re_solving_with_a_shifted_constant(party):
    """dx*/dk by the implicit function theorem equals a central difference of re-solves."""
    scenario = bargain.loads(CURVED)
    base = _nash(scenario)
    assert base.at_bound == {} and base.not_unique_issues == {}
    d = decompose(scenario, base)
    h, k0 = 1e-3, scenario.parameter_values()[party]
    up = _nash(scenario.with_parameters(**{party: k0 + h})).deal
    down = _nash(scenario.with_parameters(**{party: k0 - h})).deal
    owner = "A" if party == "kA" else "B"
    for issue in ("x", "y"):
        fd = (up[issue] - down[issue]) / (2 * h)
        assert d.level_effects[owner][issue] == pytest.approx(fd, rel=1e-3, abs=1e-6)
    # every component of one party has the same level effect on the row's issue
    rows = [r for r in d.rows if r["party"] == owner]
    assert len({r["level_effect"] for r in rows}) == 1


def test_removal_effect_of_a_constant_is_minus_value_times_level_effect():
    """For a component that does not depend on the issues, removal = -value x level effect;
    it matches re-solving with the component scaled down slightly (first order)."""
    scenario = bargain.loads(CURVED)
    d = decompose(scenario, _nash(scenario))
    row = next(r for r in d.rows if r["component"] == "level" and r["party"] == "A")
    assert row["removal_effect"] == pytest.approx(-row["value"] * row["level_effect"], rel=1e-12)
    # a component that depends on the issues: scale it by (1 - s) and re-solve
    s = 1e-3
    cost = CURVED.replace('cost = "-0.2 * y"', f'cost = "-0.2 * y * (1 - {s})"')
    moved = _nash(bargain.loads(cost)).deal["x"]
    row = next(r for r in d.rows if r["component"] == "cost" and r["party"] == "A")
    fd = (moved - _nash(scenario).deal["x"]) / s
    assert row["removal_effect"] == pytest.approx(fd, rel=2e-3)


@pytest.mark.parametrize(
    "path, overrides",
    [
        # at its defaults the flagship's Nash deal is a corner; a cheaper credit line for
        # the US (us_credit_value 0.1, inside its range) moves it off the corner
        ("scenarios/korea_us/september_2025_standoff.toml", {"us_credit_value": 0.1}),
        ("scenarios/textbook/concave_sqrt.toml", {}),
        ("scenarios/textbook/concave_power.toml", {}),
    ],
)
def test_level_effects_match_a_re_solve_with_a_shifted_utility(path, overrides):
    """Add +-h to one party's utility (the numeric problem) and re-solve Nash from scratch."""
    scenario = bargain.load(path).with_parameters(**overrides)
    sol = _nash(scenario)
    d = decompose(scenario, sol)
    problem = scenario.problem()
    free = [i for i in scenario.issue_names if i not in sol.at_bound]
    free = [i for i in free if i not in sol.not_unique_issues]
    assert free, f"{path}: every issue of the Nash deal is at a bound or flat"
    h = 0.05 * max(1.0, min(abs(g) for g in sol.gains.values()))
    for j, party in enumerate(scenario.party_names):
        shift = np.zeros(2)
        shift[j] = h
        deals = [
            nash_solution(
                replace(problem, utility=lambda x, s=sign * shift: problem.utility(x) + s)
            ).deal
            for sign in (1, -1)
        ]
        moves = []
        for issue in free:
            fd = (deals[0][issue] - deals[1][issue]) / (2 * h)
            assert d.level_effects[party][issue] == pytest.approx(fd, rel=2e-2, abs=1e-6)
            moves.append(abs(fd))
        assert max(moves) > 1e-4  # the check is not vacuous: the deal does move


def test_corner_is_flagged_in_solution_json_and_table(capsys, tmp_path):
    """A deal at an issue's bound says so: at_bound in the solution, the JSON and the table."""
    scenario = bargain.loads(CORNER)
    report = bargain.solve(scenario, methods=["nash", "egalitarian"])
    for sol in report.solutions.values():
        assert sol.deal["x"] == pytest.approx(0.3, abs=1e-9)
        assert sol.at_bound == {"x": "upper"}
    assert report.to_dict()["solutions"]["nash"]["at_bound"] == {"x": "upper"}
    assert "x at its upper bound 30.00% (every solution)" in report.table()
    d = decompose(scenario, report.solutions["nash"])
    assert d.at_bound == {"x": "upper"} and d.level_effects["A"]["x"] == 0.0
    # the Nash condition at x = 0.3: 0.5 / 0.3 - 0.5 / 0.7 > 0, so x would rise without the cap
    assert d.balance == pytest.approx(0.5 / 0.3 - 0.5 / 0.7)
    found = re.search(
        r"x is at its upper bound: the pulls sum to ([-0-9.]+) \(push up\)", report.table()
    )
    assert found and float(found.group(1)) == pytest.approx(d.balance, abs=1e-4)
    # interior deals have no corner
    pie = bargain.solve(bargain.load("scenarios/textbook/unit_pie.toml"), methods=["nash"])
    assert pie.solutions["nash"].at_bound == {}


def test_bound_tolerance_is_the_one_comparative_statics_use():
    """Corners in solutions and in comparative statics are judged by the same tolerance."""
    assert BOUND_TOL == STATICS_BOUND_TOL


def test_flat_and_unused_issues_are_reported_not_unique():
    """y does not matter when x = 0 and z is used by no utility: both are 'any', status ok."""
    scenario = bargain.loads(FLAT)
    report = bargain.solve(scenario, methods=["nash", "egalitarian"])
    for sol in report.solutions.values():
        assert sol.status == "ok"
        assert sol.deal["x"] == pytest.approx(0.0, abs=1e-7)
        assert sol.at_bound == {"x": "lower"}  # y and z are arbitrary, not corners
        assert sol.not_unique_issues == {"y": [0.0, 1.0], "z": [2.0, 5.0]}
    nash = report.solutions["nash"]
    assert nash.deal["t"] == pytest.approx(0.5, abs=1e-7)
    data = report.to_dict()["solutions"]["nash"]
    assert data["not_unique_issues"] == {"y": [0.0, 1.0], "z": [2.0, 5.0]}
    table = report.table()
    nash_row = next(line for line in table.splitlines() if line.startswith("nash "))
    assert nash_row.split()[1:5] == ["50.00%", "0.0000", "any", "any"]
    assert "y = any value in [0.00%, 100.00%] gives the same utilities" in table
    assert "z = any value in [2.0000, 5.0000] gives the same utilities" in table
    assert [line for line in table.splitlines() if line.startswith("at a bound")] == [
        "at a bound: x at its lower bound 0.0000 (every solution)"
    ]
    # only t is free: max (1 + k - t) t gives t = (1 + k)/2, so dt/dk_A = 1/2, dt/dk_B = -1/2
    d = decompose(scenario, nash, issue="t")
    assert d.level_effects["A"]["t"] == pytest.approx(0.5, abs=1e-9)
    assert d.level_effects["B"]["t"] == pytest.approx(-0.5, abs=1e-9)
    assert d.level_effects["A"]["x"] == 0.0
    assert np.isnan(d.level_effects["A"]["y"]) and d.message == ""


def test_flat_issues_needs_the_exact_check():
    """An issue with a zero gradient that still matters elsewhere in its range is not flat."""
    scenario = bargain.loads(
        HEAD
        + """
[issues.x]
min = 0.0
max = 1.0
[parties.A]
utility = "(x - 0.5)**2"
[parties.B]
utility = "1 - (x - 0.5)**2"
"""
    )
    assert flat_issues(scenario, {"x": 0.5}) == {}
    assert flat_issues(bargain.loads(FLAT), {"t": 0.5, "x": 0.0, "y": 0.3, "z": 3.0}) == {
        "y": [0.0, 1.0],
        "z": [2.0, 5.0],
    }
    assert flat_issues(bargain.loads(FLAT), {"t": 0.5, "x": 0.2, "y": 0.3, "z": 3.0}) == {
        "z": [2.0, 5.0]
    }


def test_flat_issue_found_through_a_parameter_value_of_zero():
    """A parameter equal to zero can switch an issue off: found after substituting values."""
    text = FLAT.replace("0.5 * x * (1 + y)", "0.5 * x * (1 + w * y)").replace(
        "x * (1 + y)", "x * (1 + w * y)"
    )
    text += '[parameters.w]\nvalue = 0.0\nunit = "u"\nsource = "test"\n'
    scenario = bargain.loads(text)
    assert flat_issues(scenario, {"t": 0.5, "x": 0.2, "y": 0.3, "z": 3.0}) == {
        "y": [0.0, 1.0],
        "z": [2.0, 5.0],
    }
    assert flat_issues(
        scenario.with_parameters(w=1.0), {"t": 0.5, "x": 0.2, "y": 0.3, "z": 3.0}
    ) == {"z": [2.0, 5.0]}


def test_share_issues_print_as_percentages_and_json_keeps_raw_numbers():
    """Unit 'share' prints 71.43% in text; the JSON keeps 0.714285...; other units stay raw."""
    pie = bargain.load("scenarios/textbook/unit_pie.toml")
    assert pie.issues[0].unit == "share"
    report = bargain.solve(pie, methods=["rubinstein"])
    x = report.solutions["rubinstein"].deal["x"]
    closed = (1 - 0.8) / (1 - 0.9 * 0.8)  # (1 - dB) / (1 - dA dB) for this file's dA, dB
    assert x == pytest.approx(closed, abs=1e-9)
    row = next(line for line in report.table().splitlines() if line.startswith("rubinstein"))
    assert row.split()[1] == f"{100 * closed:.2f}%"
    assert report.to_dict()["solutions"]["rubinstein"]["deal"]["x"] == pytest.approx(closed)
    curved = bargain.solve(bargain.loads(CURVED), methods=["nash"]).table()
    nash_row = next(line for line in curved.splitlines() if line.startswith("nash"))
    assert nash_row.split()[1].endswith("%") and not nash_row.split()[2].endswith("%")


def test_utility_unit_is_stated_in_table_and_json(capsys, tmp_path):
    """A scenario's utility_unit appears under the title and in the JSON."""
    path = tmp_path / "corner.toml"
    path.write_text(CORNER)
    assert main(["solve", str(path), "--methods", "nash"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "utilities in USD bn, present value"
    assert main(["solve", str(path), "--methods", "nash", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["utility_unit"] == "USD bn, present value"
    # no unit: no line, empty string in the JSON
    plain = bargain.solve(bargain.loads(CURVED), methods=["nash"])
    assert plain.utility_unit == "" and "utilities in" not in plain.table()


def test_non_string_utility_unit_is_rejected_in_one_line(capsys, tmp_path):
    """utility_unit = 3 is a one-line error naming the key, exit status 2."""
    with pytest.raises(ScenarioError, match="utility_unit"):
        bargain.loads(CORNER.replace('"USD bn, present value"', "3"))
    path = tmp_path / "bad.toml"
    path.write_text(CORNER.replace('"USD bn, present value"', "3"))
    assert main(["solve", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "utility_unit" in err and "expected a string" in err


def test_removing_a_partys_only_component_is_neutral_by_scale_invariance():
    """Nash is invariant to rescaling a utility when d = 0 (Nash 1950, axiom of invariance):
    scaling A's only component by (1 - s) leaves the deal, so its removal effect is 0; with
    d_A > 0 it is not, and then it matches a re-solve with the scaled utility."""
    pie = bargain.load("scenarios/textbook/unit_pie.toml")
    d = decompose(pie, _nash(pie))
    assert [r["removal_effect"] for r in d.rows] == pytest.approx([0.0, 0.0], abs=1e-12)
    weighted = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    base = _nash(weighted)
    row = next(r for r in decompose(weighted, base).rows if r["party"] == "A")
    s = 1e-4
    text = Path(weighted.path).read_text(encoding="utf-8")
    scaled = bargain.loads(text.replace('utility = "x"', f'utility = "x * (1 - {s})"'))
    fd = (_nash(scaled).deal["x"] - base.deal["x"]) / s
    assert row["removal_effect"] == pytest.approx(fd, rel=1e-3)
    # closed form: max ((1 - s) x - dA)(1 - x - dB) gives x = (dA / (1 - s) + 1 - dB) / 2
    assert row["removal_effect"] == pytest.approx(weighted.parameter_values()["dA0"] / 2)


def test_level_effects_equal_exact_comparative_statics_of_an_additive_parameter():
    """kA enters only as a constant of A's utility, so dx*/dkA from bargain.statics (exact
    symbolic second derivatives) is A's level effect; likewise kB for B."""
    from bargain.statics import nash_statics

    scenario = bargain.loads(CURVED)
    sol = _nash(scenario)
    statics = nash_statics(scenario, sol)
    assert statics.ok
    d = decompose(scenario, sol)
    for party, param in (("A", "kA"), ("B", "kB")):
        for issue in ("x", "y"):
            exact = statics.derivatives[issue][param]
            assert d.level_effects[party][issue] == pytest.approx(exact, rel=1e-7, abs=1e-10)


def test_html_report_shows_the_level_effects():
    """The report's decomposition table has the level effect of the unit pie's closed form."""
    from bargain import report as rep

    pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    html = rep._decomposition(bargain.solve(pie, methods=["nash"]))
    assert "<th>x per +1</th>" in html and "<th>x if removed (1st order)</th>" in html
    cells = [float(c) for c in re.findall(r'<td class="num">([-0-9.e]+)</td>', html)]
    # rows of 5 numbers: value, derivative, pull, level effect, removal effect; A then B
    assert cells[3] == pytest.approx(-0.5) and cells[8] == pytest.approx(0.5)


def test_a_flat_issue_at_a_bound_is_not_called_a_corner():
    """If the solver leaves a flat issue at a bound, it is reported not unique, not a corner."""
    from bargain.solve import _with_flat_issues

    scenario = bargain.loads(FLAT)
    sol = nash_solution(scenario.problem())
    deal = {**sol.deal, "y": 1.0}
    moved = replace(sol, deal=deal, at_bound={"x": "lower", "y": "upper"})
    checked = _with_flat_issues(scenario, moved)
    assert checked.at_bound == {"x": "lower"}
    assert checked.not_unique_issues == {"y": [0.0, 1.0], "z": [2.0, 5.0]}
