"""Tests of the frontier, the convexity check and the zone of agreement."""

from __future__ import annotations

import numpy as np
import pytest

import bargain
from bargain import BargainingProblem, pareto_frontier, zone_of_agreement


def test_concave_frontier_points_lie_on_the_curve():
    """For u = (x, sqrt(1 - x)) every frontier point satisfies u_B = sqrt(1 - u_A)."""
    sample = pareto_frontier(
        bargain.load("scenarios/textbook/concave_sqrt.toml").problem(), resolution=21
    )
    u = sample.utilities
    assert np.allclose(u[:, 1], np.sqrt(1 - u[:, 0]), atol=1e-7)
    assert sample.convex
    assert sample.ideal == pytest.approx([1.0, 1.0], abs=1e-7)


def test_nonconvex_set_is_detected():
    """u = (x^2, (1-x)^2) bows inwards: the check says not convex."""
    problem = BargainingProblem.from_functions(
        lambda z: np.array([z[0] ** 2, (1 - z[0]) ** 2]),
        lambda z: np.array([[2 * z[0]], [-2 * (1 - z[0])]]),
        lower=[0],
        upper=[1],
    )
    sample = pareto_frontier(problem, resolution=21)
    assert not sample.convex
    assert sample.concavity_violation > 1e-3


def test_barter_frontier_slope_between_vertices():
    """On Nash's barter polygon the frontier between (12, 5) and (6, 7) has slope -1/3."""
    problem = bargain.load("scenarios/textbook/nash_1950_barter.toml").problem()
    frontier = bargain.Frontier(problem)
    s1, s2 = frontier.scale
    v = 6.0 / s2  # Jack's gain 6 lies between 5 and 7
    assert frontier.slope(v) * s1 / s2 == pytest.approx(-3.0, abs=1e-6)
    assert frontier.to_utilities([frontier.value(v), v])[0] == pytest.approx(9.0, abs=1e-7)


def test_zone_of_agreement_of_a_pie_with_disagreement_point():
    """Pie with d = (0.2, 0.1): both prefer a deal exactly when 0.2 <= x <= 0.9."""
    problem = bargain.load("scenarios/textbook/unit_pie_weighted.toml").problem()
    zone = zone_of_agreement(problem)
    assert zone["x"] == pytest.approx((0.2, 0.9), abs=1e-8)


def test_zone_of_agreement_is_none_without_agreement():
    """With d = (0.6, 0.5) no deal of the unit pie is acceptable to both."""
    problem = BargainingProblem.from_functions(
        lambda z: np.array([z[0], 1 - z[0]]),
        lambda z: np.array([[1.0], [-1.0]]),
        lower=[0],
        upper=[1],
        disagreement=[0.6, 0.5],
    )
    assert zone_of_agreement(problem) is None
    assert pareto_frontier(problem).utilities.shape == (0, 2)
