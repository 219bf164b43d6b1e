"""Tests of the egalitarian solution."""

from __future__ import annotations

import numpy as np
import pytest

import bargain
from bargain import BargainingProblem, egalitarian_solution


def test_linear_frontier_equal_gains():
    """u_A + 2 u_B = 2: equal gains at u = (2/3, 2/3), x = 1/3."""
    sol = egalitarian_solution(
        bargain.load("scenarios/textbook/linear_three_solutions.toml").problem()
    )
    assert sol.gains == pytest.approx({"A": 2 / 3, "B": 2 / 3}, abs=1e-9)
    assert sol.deal["x"] == pytest.approx(1 / 3, abs=1e-9)


def test_nash_barter_equal_gains():
    """In Nash's barter example the equal-gain point lies on the frontier with gains 6.75."""
    sol = egalitarian_solution(bargain.load("scenarios/textbook/nash_1950_barter.toml").problem())
    # closed form: the edge from (12, 5) towards (6, 7) (Bill gives the box too is not
    # efficient); along the frontier segment through (12,5) with slope from the knife,
    # gain_B = 5 + (12 - gain_A) / 3; equal gains at 6.75.
    assert sol.gains["bill"] == pytest.approx(sol.gains["jack"], abs=1e-9)
    assert sol.gains["bill"] == pytest.approx(6.75, abs=1e-7)


def test_frontier_ends_before_equal_gains_gives_leximin_point():
    """If B cannot gain as much as A anywhere, B's best point is returned (leximin)."""
    problem = BargainingProblem.from_functions(
        lambda z: np.array([2 * z[0], 0.2 * (1 - z[0]) + 0.1]),
        lambda z: np.array([[2.0], [-0.2]]),
        lower=[0.5],
        upper=[1],
        disagreement=[0, 0],
    )
    sol = egalitarian_solution(problem)
    assert sol.deal["x"] == pytest.approx(0.5, abs=1e-9)
