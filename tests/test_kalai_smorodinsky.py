"""Tests of the Kalai–Smorodinsky solution."""

from __future__ import annotations

import numpy as np
import pytest

import bargain
from bargain import BargainingProblem, kalai_smorodinsky_solution, nash_solution


def test_linear_truncated_frontier_closed_form():
    """u_A + 2 u_B = 2 with u_A <= 3/2: KS on the ray to (3/2, 1) is u = (6/7, 4/7)."""
    sol = kalai_smorodinsky_solution(
        bargain.load("scenarios/textbook/linear_three_solutions.toml").problem()
    )
    assert sol.utilities == pytest.approx({"A": 6 / 7, "B": 4 / 7}, abs=1e-9)
    assert sol.deal["x"] == pytest.approx(3 / 7, abs=1e-9)


def test_concave_frontier_golden_ratio():
    """u = (x, sqrt(1 - x)), ideal (1, 1): KS solves x = sqrt(1 - x), x = (sqrt5 - 1)/2."""
    sol = kalai_smorodinsky_solution(bargain.load("scenarios/textbook/concave_sqrt.toml").problem())
    assert sol.deal["x"] == pytest.approx((np.sqrt(5) - 1) / 2, abs=1e-9)


def _polygon(points):
    """A problem whose bargaining set is the convex hull of points with free disposal."""
    pts = np.asarray(points, dtype=float)
    k = len(pts)

    def utility(z):  # z are lottery weights on the k vertices, normalised
        w = z / max(z.sum(), 1e-12)
        return w @ pts

    def jacobian(z):
        s = max(z.sum(), 1e-12)
        return (pts.T - ((z / s) @ pts)[:, None]) / s

    return BargainingProblem.from_functions(utility, jacobian, lower=[1e-9] * k, upper=[1.0] * k)


def test_kalai_smorodinsky_1975_monotonicity_example():
    """KS (1975): enlarging the set for player 2 lowers 2's Nash payoff but not its KS payoff."""
    small = _polygon([(0, 0), (1, 0), (0, 1), (0.75, 0.75)])
    large = _polygon([(0, 0), (1, 0), (0, 1), (1, 0.7)])
    # closed forms: Nash of the small set is (3/4, 3/4); of the large set (1, 0.7)
    assert nash_solution(small).utilities["B"] == pytest.approx(0.75, abs=1e-5)
    assert nash_solution(large).utilities["B"] == pytest.approx(0.70, abs=1e-5)
    ks_small = kalai_smorodinsky_solution(small).utilities["B"]
    ks_large = kalai_smorodinsky_solution(large).utilities["B"]
    assert ks_small == pytest.approx(0.75, abs=1e-5)
    # KS of the large set: the ray u1 = u2 meets the edge (0,1)-(1,0.7): u = 1/1.3
    assert ks_large == pytest.approx(1 / 1.3, abs=1e-5)
    assert ks_large >= ks_small
