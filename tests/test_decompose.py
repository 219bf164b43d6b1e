"""Tests of the component decomposition and the scenario outputs."""

from __future__ import annotations

import pytest

import bargain
from bargain.decompose import decompose


def test_pulls_balance_at_an_interior_nash_solution():
    """At an interior Nash deal the pulls of all components sum to zero (the FOC)."""
    scenario = bargain.load("scenarios/textbook/concave_sqrt.toml")
    nash = bargain.solve(scenario, methods=["nash"]).solutions["nash"]
    d = decompose(scenario, nash)
    assert abs(d.balance) < 1e-6
    assert {r["party"] for r in d.rows} == {"A", "B"}
    pulls = {r["party"]: r["pull"] for r in d.rows}
    assert pulls["A"] > 0 > pulls["B"]  # A's utility pulls x up, B's pulls it down


def test_barter_components_match_nash_table():
    """At Nash's barter deal Bill gives up 8 and receives 20; Jack receives 9, gives 4."""
    scenario = bargain.load("scenarios/textbook/nash_1950_barter.toml")
    report = bargain.solve(scenario, methods=["nash"])
    parts = report.solutions["nash"].components
    assert parts["bill"] == pytest.approx({"gives": -8.0, "receives": 20.0}, abs=1e-6)
    assert parts["jack"] == pytest.approx({"receives": 9.0, "gives": -4.0}, abs=1e-6)
    assert report.decomposition["method"] == "nash"


def test_outputs_are_evaluated_at_each_deal():
    """[outputs] formulas are reported at every solution's deal."""
    report = bargain.solve(bargain.load("scenarios/textbook/unit_pie_weighted.toml"))
    for sol in report.solutions.values():
        if sol.ok:
            assert sol.outputs["share_B"] == pytest.approx(1 - sol.deal["x"], abs=1e-12)
            assert sol.outputs["surplus"] == pytest.approx(0.7)


def test_decompose_refuses_a_solution_without_a_deal():
    """A solution with no deal cannot be decomposed."""
    scenario = bargain.load("scenarios/textbook/unit_pie.toml")
    util = bargain.solve(scenario, methods=["utilitarian"]).solutions["utilitarian"]
    with pytest.raises(ValueError, match="not_unique"):
        decompose(scenario, util)
