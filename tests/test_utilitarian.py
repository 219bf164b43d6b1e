"""Tests of the utilitarian solution."""

from __future__ import annotations

import pytest

import bargain
from bargain import utilitarian_solution


def test_linear_frontier_corner():
    """u_A + 2 u_B = 2 with u_A <= 3/2: the sum is largest at u = (3/2, 1/4)."""
    sol = utilitarian_solution(
        bargain.load("scenarios/textbook/linear_three_solutions.toml").problem()
    )
    assert sol.utilities == pytest.approx({"A": 1.5, "B": 0.25}, abs=1e-9)


def test_concave_frontier_closed_form():
    """max x + sqrt(1 - x) is at x = 3/4."""
    sol = utilitarian_solution(bargain.load("scenarios/textbook/concave_sqrt.toml").problem())
    assert sol.deal["x"] == pytest.approx(0.75, abs=1e-8)


def test_transferable_utility_is_not_unique():
    """On the unit pie every split has the same total: status not_unique, no number."""
    sol = utilitarian_solution(bargain.load("scenarios/textbook/unit_pie.toml").problem())
    assert sol.status == "not_unique"
    assert sol.deal is None
    assert sol.diagnostics["utilities_low"]["A"] == pytest.approx(0.0, abs=1e-9)
    assert sol.diagnostics["utilities_high"]["A"] == pytest.approx(1.0, abs=1e-9)
