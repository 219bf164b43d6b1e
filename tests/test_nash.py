"""Tests of the Nash bargaining solution against closed forms and Nash (1950)."""

from __future__ import annotations

import numpy as np
import pytest

import bargain
from bargain import BargainingProblem, nash_solution

# Nash (1950), Econometrica 18(2), p. 161: the barter example's solution. Bill gives
# Jack book, whip, ball, bat; Jack gives Bill pen, toy, knife; gains (12, 5).
NASH_1950_DEAL = {
    "book": 1,
    "whip": 1,
    "ball": 1,
    "bat": 1,
    "box": 0,
    "pen": 1,
    "toy": 1,
    "knife": 1,
    "hat": 0,
}


def test_nash_1950_barter_example():
    """The nine-good barter example reproduces Nash's published exchange and gains."""
    sol = bargain.solve(
        bargain.load("scenarios/textbook/nash_1950_barter.toml"), methods=["nash"]
    ).solutions["nash"]
    assert sol.ok
    assert sol.gains == pytest.approx({"bill": 12.0, "jack": 5.0}, abs=1e-7)
    assert sol.deal == pytest.approx(NASH_1950_DEAL, abs=1e-6)
    assert sol.diagnostics["nash_product"] == pytest.approx(60.0, abs=1e-6)


@pytest.mark.parametrize(
    ("dA0", "dB0", "a"), [(0.2, 0.1, 0.7), (0.0, 0.0, 0.5), (0.35, 0.05, 0.2), (0.1, 0.3, 0.9)]
)
def test_unit_pie_with_disagreement_and_powers(dA0, dB0, a):
    """Pie: x = dA0 + a (1 - dA0 - dB0) for the asymmetric, a = 1/2 for the symmetric."""
    scenario = bargain.load("scenarios/textbook/unit_pie_weighted.toml").with_parameters(
        dA0=dA0, dB0=dB0, a=a
    )
    report = bargain.solve(scenario, methods=["nash", "asymmetric_nash"])
    surplus = 1 - dA0 - dB0
    assert report.solutions["nash"].deal["x"] == pytest.approx(dA0 + surplus / 2, abs=1e-9)
    assert report.solutions["asymmetric_nash"].deal["x"] == pytest.approx(
        dA0 + a * surplus, abs=1e-9
    )


def test_concave_frontier_closed_form():
    """u = (x, sqrt(1 - x)): the Nash product x sqrt(1 - x) peaks at x = 2/3."""
    sol = nash_solution(bargain.load("scenarios/textbook/concave_sqrt.toml").problem())
    assert sol.deal["x"] == pytest.approx(2 / 3, abs=1e-8)


def test_two_issue_problem_uses_both_issues():
    """On two issues the Nash product found matches a brute-force grid search."""
    problem = BargainingProblem.from_functions(
        lambda z: np.array([z[0] + z[1], 1 - z[0] + 3 * (1 - z[1])]),
        lambda z: np.array([[1.0, 1.0], [-1.0, -3.0]]),
        lower=[0, 0],
        upper=[1, 1],
        parties=("A", "B"),
        issues=("x", "y"),
    )
    sol = nash_solution(problem)
    grid = np.linspace(0, 1, 401)
    xs, ys = np.meshgrid(grid, grid)
    product = (xs + ys) * (1 - xs + 3 * (1 - ys))
    best = product.max()
    assert sol.diagnostics["nash_product"] == pytest.approx(best, rel=1e-4)
    assert sol.diagnostics["nash_product"] >= best - 1e-9


def test_no_agreement_when_disagreement_beats_every_deal():
    """If disagreement dominates every deal the solver says so instead of a number."""
    problem = BargainingProblem.from_functions(
        lambda z: np.array([z[0], 1 - z[0]]),
        lambda z: np.array([[1.0], [-1.0]]),
        lower=[0],
        upper=[1],
        disagreement=[0.6, 0.5],
    )
    sol = nash_solution(problem)
    assert sol.status == "no_agreement"
    assert sol.deal is None and sol.utilities is None


def test_nonconvex_set_is_refused():
    """A convex-shaped (non-concave) frontier gives status nonconvex, not a number."""
    problem = BargainingProblem.from_functions(
        lambda z: np.array([z[0] ** 2, (1 - z[0]) ** 2]),
        lambda z: np.array([[2 * z[0]], [-2 * (1 - z[0])]]),
        lower=[0],
        upper=[1],
    )
    sol = nash_solution(problem)
    assert sol.status == "nonconvex"
    assert sol.deal is None


def test_bad_powers_raise():
    """Powers must be two positive numbers."""
    pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    with pytest.raises(ValueError, match="powers"):
        nash_solution(pie, powers=(1.0, -1.0))


@pytest.mark.parametrize("a, b", [(0.3, 0.5), (0.59765625, 0.59375), (0.2, 0.3), (0.55, 0.12)])
def test_deal_is_exact_along_a_flat_direction(a, b):
    """Transferable utility: the project is efficient, q = a + b, to 1e-12, not 1e-8.

    Along the frontier the Nash product is flat to second order in q, so SLSQP alone
    stops ~1e-8 short; the KKT polish of :meth:`Frontier.deal` makes the deal exact.
    The transfer splits the surplus equally: t = (1 + (b - a) q + q**2 / 2) / 2.
    """
    scenario = bargain.load("scenarios/textbook/transferable_project.toml")
    deal = nash_solution(scenario.with_parameters(a=a, b=b).problem()).deal
    q = a + b
    assert deal["q"] == pytest.approx(q, abs=1e-12)
    assert deal["t"] == pytest.approx((1 + (b - a) * q + q**2 / 2) / 2, abs=1e-12)
