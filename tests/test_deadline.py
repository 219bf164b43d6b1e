"""Tests of alternating offers with a deadline against an independent backward induction."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import bargain
from bargain import BargainingProblem, Frontier
from bargain.deadline import deadline_solution
from bargain.rubinstein import rubinstein_solution

TEXTBOOK = "scenarios/textbook"
# The frontier meets its constraints to 1e-9 in scaled units (bargain.frontier), so a
# value found through it, possibly over several rounds, is good to about 1e-8.
TOL = 1e-8


def pie_share(
    rounds: int, d_a: float, d_b: float, first: int = 0, options=(0.0, 0.0), costs=(0.0, 0.0)
) -> float:
    """A's share of the unit pie, by backward induction on the shares themselves.

    In the last round the proposer takes everything the responder's outside option
    leaves; before, it leaves the responder what that responder would get as the
    next proposer, discounted (less its cost), or its option if that is more.
    """
    deltas, keep = (d_a, d_b), 0.0  # keep: the next round's proposer's share
    for t in range(rounds, 0, -1):
        proposer = first if t % 2 == 1 else 1 - first
        responder = 1 - proposer
        wait = 0.0 if t == rounds else deltas[responder] * keep - costs[responder]
        keep = 1.0 - max(options[responder], wait, 0.0)
    return keep if first == 0 else 1.0 - keep


@pytest.fixture(scope="module")
def pie() -> tuple[BargainingProblem, Frontier]:
    """The unit pie and its frontier, shared by tests that only change the terms."""
    problem = bargain.load(f"{TEXTBOOK}/unit_pie.toml").problem()
    return problem, Frontier(problem)


def with_terms(problem: BargainingProblem, **terms: object) -> BargainingProblem:
    """A copy of a problem with other bargaining terms."""
    for key in ("discount", "cost_per_round", "outside_options"):
        if key in terms:
            terms[key] = np.asarray(terms[key], dtype=float)
    return dataclasses.replace(problem, **terms)


@pytest.mark.parametrize("rounds", [1, 2, 3, 4, 7, 12])
def test_common_discount_closed_form(pie, rounds):
    """Common delta: x_T = 1 - d + d^2 - ... = (1 - (-d)^T)/(1 + d), either proposer."""
    problem, frontier = pie
    d = 0.9
    problem = with_terms(problem, discount=[d, d])
    x_t = (1 - (-d) ** rounds) / (1 + d)
    sol = deadline_solution(problem, rounds=rounds, frontier=frontier)
    assert sol.ok and sol.deal["x"] == pytest.approx(x_t, abs=TOL)
    assert sol.deal["x"] == pytest.approx(pie_share(rounds, d, d), abs=TOL)
    b_first = deadline_solution(problem, rounds=rounds, first_proposer=1, frontier=frontier)
    assert 1 - b_first.deal["x"] == pytest.approx(x_t, abs=TOL)


@pytest.mark.parametrize(
    ("d_a", "d_b", "first"), [(0.9, 0.8, 0), (0.6, 0.95, 0), (0.9, 0.8, 1), (0.3, 0.5, 1)]
)
def test_unequal_discounts_against_independent_induction(pie, d_a, d_b, first):
    """Several horizons, unequal discount factors: the explicit backward induction."""
    problem, frontier = pie
    problem = with_terms(problem, discount=[d_a, d_b], first_proposer=first)
    for rounds in (1, 2, 5, 8):
        sol = rubinstein_solution(problem, rounds=rounds, frontier=frontier)
        assert sol.deal["x"] == pytest.approx(pie_share(rounds, d_a, d_b, first), abs=TOL)
        assert sol.settings["rounds"] == rounds


def test_converges_to_the_infinite_horizon(pie):
    """|x_T - x_inf| <= (dA dB)^floor(T/2): the deadline answer tends to Rubinstein's."""
    problem, frontier = pie
    problem = with_terms(problem, discount=[0.9, 0.8])
    x_inf = rubinstein_solution(problem, frontier=frontier).deal["x"]
    assert x_inf == pytest.approx(0.2 / 0.28, abs=TOL)
    errors = []
    for rounds in (5, 10, 20, 40, 80):
        x_t = deadline_solution(problem, rounds=rounds, frontier=frontier).deal["x"]
        errors.append(abs(x_t - x_inf))
        assert errors[-1] <= 0.72 ** (rounds // 2) + TOL
    assert errors[-1] < 1e-5


def sqrt_share(rounds: int, d_a: float, d_b: float) -> float:
    """A's share when A gets x and B sqrt(1 - x), A first, by explicit backward induction."""
    a_next = b_next = 0.0  # each party's utility when it proposes next round
    for t in range(rounds, 0, -1):
        if t % 2 == 1:  # A proposes: B must get d_b b_next, so sqrt(1 - x) = d_b b_next
            a_next = 1 - (0.0 if t == rounds else d_b * b_next) ** 2
        else:  # B proposes: A must get d_a a_next
            b_next = np.sqrt(1 - (0.0 if t == rounds else d_a * a_next))
    return a_next


def test_non_linear_deadline_closed_forms():
    """u = (x, sqrt(1 - x)): T = 2 gives x = 1 - dB^2, T = 3 gives 1 - dB^2 (1 - dA)."""
    scenario = bargain.load(f"{TEXTBOOK}/rubinstein_risk_averse.toml")
    problem = scenario.problem()
    frontier = Frontier(problem, resolution=41)
    d_a, d_b = 0.9, 0.8
    expected = {1: 1.0, 2: 1 - d_b**2, 3: 1 - d_b**2 * (1 - d_a)}
    for rounds, x in expected.items():
        assert sqrt_share(rounds, d_a, d_b) == pytest.approx(x, abs=1e-15)
        sol = deadline_solution(problem, rounds=rounds, frontier=frontier)
        assert sol.deal["x"] == pytest.approx(x, abs=1e-8)  # frontier accurate to ~1e-9


def test_non_linear_deadline_converges_to_the_infinite_horizon():
    """u = (x, sqrt(1 - x)): x_T tends to (1 - dB^2)/(1 - dA dB^2) as T grows."""
    problem = bargain.load(f"{TEXTBOOK}/rubinstein_risk_averse.toml").problem()
    frontier = Frontier(problem, resolution=41)
    x_inf = (1 - 0.8**2) / (1 - 0.9 * 0.8**2)
    errors = []
    for rounds in (6, 12, 24):
        x_t = deadline_solution(problem, rounds=rounds, frontier=frontier).deal["x"]
        assert x_t == pytest.approx(sqrt_share(rounds, 0.9, 0.8), abs=1e-7)
        errors.append(abs(x_t - x_inf))
    assert errors[0] > errors[1] > errors[2] and errors[2] < 2e-3


def test_deadline_scenario_file():
    """The textbook file (d = 0.9, T = 5) through bargain.solve: x = (1 + 0.9^5)/1.9."""
    report = bargain.solve(
        bargain.load(f"{TEXTBOOK}/rubinstein_deadline.toml"),
        methods=["rubinstein", "rubinstein_other_first"],
    )
    assert report.solutions["rubinstein"].deal["x"] == pytest.approx((1 + 0.9**5) / 1.9, abs=TOL)
    assert 1 - report.solutions["rubinstein_other_first"].deal["x"] == pytest.approx(
        (1 + 0.9**5) / 1.9, abs=TOL
    )


def test_outside_options_at_a_deadline(pie):
    """A responder's option is its floor in every round, the last one included."""
    problem, frontier = pie
    problem = with_terms(problem, discount=[0.9, 0.9], outside_options=[0.2, 0.3])
    for rounds in (1, 2, 3, 6):
        sol = deadline_solution(problem, rounds=rounds, frontier=frontier)
        assert sol.deal["x"] == pytest.approx(
            pie_share(rounds, 0.9, 0.9, options=(0.2, 0.3)), abs=TOL
        )
    assert deadline_solution(problem, rounds=1, frontier=frontier).deal["x"] == pytest.approx(
        0.7, abs=TOL
    )


def test_equal_fixed_costs_do_not_converge(pie):
    """cA = cB = c: the deadline answer alternates between 1 and c, as the infinite game
    has a continuum of equilibria."""
    problem, frontier = pie
    problem = with_terms(problem, discount=[1.0, 1.0], cost_per_round=[0.1, 0.1])
    shares = [
        deadline_solution(problem, rounds=t, frontier=frontier).deal["x"]
        for t in (1, 2, 3, 4, 9, 10)
    ]
    expected = [pie_share(t, 1.0, 1.0, costs=(0.1, 0.1)) for t in (1, 2, 3, 4, 9, 10)]
    assert shares == pytest.approx(expected, abs=TOL)
    assert shares == pytest.approx([1.0, 0.1, 1.0, 0.1, 1.0, 0.1], abs=TOL)
    assert rubinstein_solution(problem, frontier=frontier).status == "not_unique"


def test_diagnostics_list_every_round(pie):
    """The offers of every round are reported; the other party's offer is round 2's."""
    problem, frontier = pie
    problem = with_terms(problem, discount=[0.9, 0.8])
    sol = deadline_solution(problem, rounds=3, frontier=frontier)
    offers = sol.diagnostics["offers"]
    assert [o["A"] for o in offers] == pytest.approx([0.92, 0.9, 1.0], abs=TOL)
    assert sol.diagnostics["other_offer"]["proposer"] == "B"
    assert sol.diagnostics["other_offer"]["deal"]["x"] == pytest.approx(0.9, abs=TOL)
    assert "other_offer" not in deadline_solution(problem, rounds=1, frontier=frontier).diagnostics


def test_no_deadline_is_an_error(pie):
    """deadline_solution needs at least one round."""
    problem, frontier = pie
    with pytest.raises(ValueError, match="rounds >= 1"):
        deadline_solution(problem, rounds=0, frontier=frontier)
