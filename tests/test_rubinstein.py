"""Tests of Rubinstein's alternating offers against closed forms from the literature."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

import bargain
from bargain import BargainingProblem, Frontier, nash_solution
from bargain.rubinstein import rubinstein_solution

TEXTBOOK = "scenarios/textbook"
# The frontier meets its constraints to 1e-9 in scaled units (bargain.frontier), so a
# value found through it, possibly over several rounds, is good to about 1e-8.
TOL = 1e-8


def rubinstein_share(d_proposer: float, d_responder: float) -> float:
    """Rubinstein (1982): the first proposer's share of the unit pie."""
    return (1 - d_responder) / (1 - d_proposer * d_responder)


@pytest.fixture(scope="module")
def pie() -> tuple[BargainingProblem, Frontier]:
    """The unit pie and its frontier, shared by tests that only change the terms."""
    problem = bargain.load(f"{TEXTBOOK}/unit_pie.toml").problem()
    return problem, Frontier(problem)


def solve_pie(pie: tuple[BargainingProblem, Frontier], **terms: object) -> bargain.Solution:
    """Rubinstein on the unit pie with some terms replaced."""
    problem, frontier = pie
    for key in ("discount", "cost_per_round", "outside_options"):
        if key in terms:
            terms[key] = np.asarray(terms[key], dtype=float)
    return rubinstein_solution(dataclasses.replace(problem, **terms), frontier=frontier)


# --- discounting (Rubinstein 1982) ------------------------------------------------------


def test_discounting_scenario_file():
    """The textbook file: A first gets (1 - dB)/(1 - dA dB); B first gets (1 - dA)/(...)."""
    report = bargain.solve(
        bargain.load(f"{TEXTBOOK}/rubinstein_1982_discounting.toml"),
        methods=["rubinstein", "rubinstein_other_first"],
    )
    a_first, b_first = report.solutions["rubinstein"], report.solutions["rubinstein_other_first"]
    assert a_first.ok and b_first.ok
    assert a_first.deal["x"] == pytest.approx(rubinstein_share(0.95, 0.9), abs=TOL)
    assert 1 - b_first.deal["x"] == pytest.approx(rubinstein_share(0.9, 0.95), abs=TOL)
    assert a_first.settings["first_proposer"] == "A"
    assert b_first.settings["first_proposer"] == "B"
    assert a_first.settings["discount"] == {"A": 0.95, "B": 0.9}
    assert a_first.method == b_first.method == "rubinstein"


@settings(max_examples=8)
@given(d_a=st.floats(0.05, 0.99), d_b=st.floats(0.05, 0.99), first=st.sampled_from([0, 1]))
def test_unequal_discount_factors_either_proposer(pie, d_a, d_b, first):
    """For any discount factors the proposer's share is (1 - d_other)/(1 - dA dB)."""
    sol = solve_pie(pie, discount=[d_a, d_b], first_proposer=first)
    assert sol.ok
    if first == 0:
        assert sol.deal["x"] == pytest.approx(rubinstein_share(d_a, d_b), abs=TOL)
    else:
        assert 1 - sol.deal["x"] == pytest.approx(rubinstein_share(d_b, d_a), abs=TOL)


def test_other_offer_makes_the_responder_indifferent(pie):
    """B's offer gives A exactly dA times A's own equilibrium share, and vice versa."""
    sol = solve_pie(pie, discount=[0.9, 0.8])
    other = sol.diagnostics["other_offer"]
    assert other["proposer"] == "B"
    assert other["utilities"]["A"] == pytest.approx(0.9 * sol.utilities["A"], abs=TOL)
    assert sol.utilities["B"] == pytest.approx(0.8 * other["utilities"]["B"], abs=TOL)


def test_patient_player_takes_everything(pie):
    """With dA = 1 > dB, A gets the whole pie whoever proposes first (limit of the formula)."""
    assert solve_pie(pie, discount=[1.0, 0.8]).deal["x"] == pytest.approx(1.0, abs=TOL)
    assert solve_pie(pie, discount=[1.0, 0.8], first_proposer=1).deal["x"] == pytest.approx(
        1.0, abs=TOL
    )


def test_no_discounting_has_a_continuum_of_equilibria(pie):
    """Without impatience, costs or risk every division is an equilibrium: not_unique."""
    sol = solve_pie(pie, discount=[1.0, 1.0])
    assert sol.status == "not_unique" and sol.deal is None
    assert sol.diagnostics["interval"]["A"] == pytest.approx([0.0, 1.0], abs=TOL)


def test_non_linear_closed_form():
    """u = (x, sqrt(1 - x)): x* = (1 - dB^2)/(1 - dA dB^2), and B's offer y* = dA x*."""
    scenario = bargain.load(f"{TEXTBOOK}/rubinstein_risk_averse.toml")
    frontier = Frontier(scenario.problem())
    for d_a, d_b in [(0.9, 0.8), (0.6, 0.95)]:
        problem = scenario.with_parameters(dA=d_a, dB=d_b).problem()
        x_star = (1 - d_b**2) / (1 - d_a * d_b**2)
        a_first = rubinstein_solution(problem, frontier=frontier)
        b_first = rubinstein_solution(problem, first_proposer=1, frontier=frontier)
        # tolerance: the frontier's SLSQP solves are accurate to about 1e-9
        assert a_first.deal["x"] == pytest.approx(x_star, abs=1e-7)
        assert b_first.deal["x"] == pytest.approx(d_a * x_star, abs=1e-7)
        assert a_first.diagnostics["other_offer"]["deal"]["x"] == pytest.approx(
            d_a * x_star, abs=1e-7
        )


def test_two_issues_against_an_independent_frontier():
    """Two issues, piecewise-linear frontier: matches the indifference conditions solved by hand."""
    problem = BargainingProblem.from_functions(
        lambda z: np.array([z[0] + z[1], 1 - z[0] + 3 * (1 - z[1])]),
        lambda z: np.array([[1.0, 1.0], [-1.0, -3.0]]),
        lower=[0, 0],
        upper=[1, 1],
        discount=[0.9, 0.85],
    )

    def frontier(w: float) -> float:  # A's best utility when B gets w (B values issue 2 most)
        return 2 - w / 3 if w <= 3 else 4 - w

    w = optimize.brentq(lambda v: frontier(v) - 0.9 * frontier(0.85 * v), 0, 4, xtol=1e-14)
    sol = rubinstein_solution(problem)
    assert sol.ok
    assert sol.utilities["B"] == pytest.approx(0.85 * w, abs=1e-8)
    assert sol.utilities["A"] == pytest.approx(frontier(0.85 * w), abs=1e-8)
    assert sol.diagnostics["other_offer"]["utilities"]["B"] == pytest.approx(w, abs=1e-8)


def test_several_equilibria_are_reported_not_one_number():
    """A wavy frontier with three stationary equilibria gives not_unique and lists all three."""
    amp, freq, delta = 0.1, 9.0, 0.8  # B's utility h(s) = s + amp sin(freq s), increasing
    problem = BargainingProblem.from_functions(
        lambda z: np.array([z[0], (1 - z[0]) + amp * np.sin(freq * (1 - z[0]))]),
        lambda z: np.array([[1.0], [-1.0 - amp * freq * np.cos(freq * (1 - z[0]))]]),
        lower=[0],
        upper=[1],
        discount=[delta, delta],
    )
    sol = rubinstein_solution(problem, frontier=Frontier(problem, resolution=41))
    assert sol.status == "not_unique" and sol.deal is None

    def share_left(w: float) -> float:  # A's share when B's utility is w
        return 1 - optimize.brentq(lambda s: s + amp * np.sin(freq * s) - w, 0, 1)

    grid = np.linspace(0, 1 + amp * np.sin(freq), 2001)
    gap = np.array([share_left(w) - delta * share_left(delta * w) for w in grid])
    assert np.sum(gap[:-1] * gap[1:] < 0) == 3 == len(sol.diagnostics["equilibria"])
    for eq in sol.diagnostics["equilibria"]:  # each one: both responders indifferent
        other = eq["other_offer"]["utilities"]
        assert eq["utilities"]["B"] == pytest.approx(delta * other["B"], abs=1e-8)
        assert other["A"] == pytest.approx(delta * eq["utilities"]["A"], abs=1e-8)


def test_no_agreement_when_disagreement_dominates():
    """If disagreement beats every deal there is nothing to bargain over: no_agreement."""
    problem = BargainingProblem.from_functions(
        lambda z: np.array([z[0], 1 - z[0]]),
        lambda z: np.array([[1.0], [-1.0]]),
        lower=[0],
        upper=[1],
        disagreement=[0.6, 0.5],
        discount=[0.9, 0.9],
    )
    assert rubinstein_solution(problem).status == "no_agreement"


# --- fixed bargaining costs (Rubinstein 1982) ---------------------------------------------


@pytest.mark.parametrize(
    ("c_a", "c_b", "share"),
    [(0.1, 0.2, 1.0), (0.25, 0.1, 0.1), (0.0, 0.05, 1.0), (0.3, 0.15, 0.15)],
)
def test_fixed_costs_unique_cases(pie, c_a, c_b, share):
    """cA < cB: A (first) gets everything; cA > cB: A gets only cB."""
    sol = solve_pie(pie, discount=[1.0, 1.0], cost_per_round=[c_a, c_b])
    assert sol.ok
    assert sol.deal["x"] == pytest.approx(share, abs=TOL)


def test_fixed_costs_equal_costs_interval():
    """cA = cB = c: every share of A in [c, 1] is an equilibrium (the scenario file)."""
    scenario = bargain.load(f"{TEXTBOOK}/rubinstein_1982_fixed_costs.toml")
    sol = rubinstein_solution(scenario.with_parameters(cA=0.15, cB=0.15).problem())
    assert sol.status == "not_unique" and sol.deal is None
    assert sol.diagnostics["interval"]["A"] == pytest.approx([0.15, 1.0], abs=TOL)
    assert sol.diagnostics["intervals"] == 1
    assert rubinstein_solution(scenario.problem()).deal["x"] == pytest.approx(1.0, abs=TOL)


def test_fixed_costs_with_b_first(pie):
    """Mirror image: B proposing first with cB < cA gets everything; with cB > cA it gets cA."""
    sol = solve_pie(pie, discount=[1.0, 1.0], cost_per_round=[0.2, 0.1], first_proposer=1)
    assert sol.deal["x"] == pytest.approx(0.0, abs=TOL)
    sol = solve_pie(pie, discount=[1.0, 1.0], cost_per_round=[0.1, 0.2], first_proposer=1)
    assert 1 - sol.deal["x"] == pytest.approx(0.1, abs=TOL)


# --- breakdown risk (Binmore, Rubinstein and Wolinsky 1986) --------------------------------


def test_breakdown_scenario_file():
    """delta = 1, p = 0.1: the proposer gets 1/(2 - p)."""
    sol = bargain.solve(
        bargain.load(f"{TEXTBOOK}/brw_1986_breakdown.toml"), methods=["rubinstein"]
    ).solutions["rubinstein"]
    assert sol.deal["x"] == pytest.approx(1 / 1.9, abs=TOL)
    assert sol.settings["breakdown"] == 0.1


@pytest.mark.parametrize("p", [0.3, 0.05])
def test_breakdown_with_discounting(pie, p):
    """Each responder discounts by (1 - p) d_i: share (1 - (1-p) dB)/(1 - (1-p)^2 dA dB)."""
    sol = solve_pie(pie, discount=[0.9, 0.8], breakdown=p)
    assert sol.deal["x"] == pytest.approx(rubinstein_share((1 - p) * 0.9, (1 - p) * 0.8), abs=TOL)


def test_breakdown_vanishing_risk_tends_to_the_nash_split(pie):
    """With delta = 1 the share 1/(2 - p) falls to 1/2 (Nash) as p -> 0, within p/2."""
    for p in (1e-1, 1e-3, 1e-5):
        x = solve_pie(pie, discount=[1.0, 1.0], breakdown=p).deal["x"]
        assert x == pytest.approx(1 / (2 - p), abs=TOL)
        assert abs(x - 0.5) <= p / 2 + TOL


def test_breakdown_vanishing_risk_tends_to_rubinstein(pie):
    """With discounting the share tends to Rubinstein's as p -> 0."""
    target = rubinstein_share(0.9, 0.8)
    errors = [
        abs(solve_pie(pie, discount=[0.9, 0.8], breakdown=p).deal["x"] - target)
        for p in (1e-1, 1e-2, 1e-4)
    ]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-3


# --- outside options (Binmore, Shaked and Sutton 1989) -------------------------------------


def outside_option_share(d: float, o_a: float, o_b: float) -> float:
    """A's share with A first, by trying each case of Osborne and Rubinstein (1990), 3.12.

    A offers B a2 = max(oB, d (1 - b1)) and B offers A b1 = max(oA, d (1 - a2)):
    for each choice of which options bind, solve the linear equations and keep
    the solutions where the chosen terms really are the maxima.
    """
    shares = []
    for bind_a in (False, True):
        for bind_b in (False, True):
            lhs = np.array([[1.0, 0.0 if bind_b else d], [0.0 if bind_a else d, 1.0]])
            rhs = np.array([o_b if bind_b else d, o_a if bind_a else d])
            a2, b1 = np.linalg.solve(lhs, rhs)
            if np.isclose(a2, max(o_b, d * (1 - b1))) and np.isclose(b1, max(o_a, d * (1 - a2))):
                shares.append(1 - a2)
    assert shares and np.allclose(shares, shares[0])  # the equilibrium is unique
    return float(shares[0])


@pytest.mark.parametrize(
    ("o_a", "o_b"), [(0.1, 0.3), (0.1, 0.6), (0.6, 0.1), (0.38, 0.6), (0.7, 0.29), (-0.5, 0.2)]
)
def test_outside_option_principle(o_a, o_b):
    """Neither, one or both options bind: A's share matches the case analysis."""
    scenario = bargain.load(f"{TEXTBOOK}/bss_1989_outside_options.toml")
    sol = rubinstein_solution(scenario.with_parameters(oA=o_a, oB=o_b).problem())
    assert sol.ok
    assert sol.deal["x"] == pytest.approx(outside_option_share(0.9, o_a, o_b), abs=TOL)


def test_both_options_bind_each_proposer_gives_the_option(pie):
    """Both bind: A offers B exactly oB, B offers A exactly oA."""
    sol = solve_pie(pie, discount=[0.9, 0.9], outside_options=[0.38, 0.6])
    assert sol.utilities["B"] == pytest.approx(0.6, abs=TOL)
    assert sol.diagnostics["other_offer"]["utilities"]["A"] == pytest.approx(0.38, abs=TOL)
    assert sol.settings["outside_options"] == {"A": 0.38, "B": 0.6}


def test_outside_options_exceeding_the_pie_mean_no_agreement(pie):
    """oA + oB > 1, or one option above the whole pie: no agreement, no number."""
    for options in ([0.5, 0.6], [np.nan, 1.2]):
        sol = solve_pie(pie, discount=[0.9, 0.9], outside_options=options)
        assert sol.status == "no_agreement" and sol.deal is None


# --- the limit of frequent offers (Binmore, Rubinstein and Wolinsky 1986) -------------------


def test_frequent_offers_tend_to_asymmetric_nash_on_a_non_linear_frontier():
    """delta_i = exp(-r_i D): as D -> 0 the deal tends to Nash with powers 1/r_i.

    For every D the two equilibrium offers have equal Nash products with powers
    proportional to 1/r_i (a2 = dB b2, b1 = dA a1), so on this convex set the
    Nash deal lies between them, and A's offer is within (1 - dA) a1 <= r_A D of
    it in A's utility. Here u = (x, sqrt(1 - x)), r = (1, 3): Nash x = 6/7.
    """
    scenario = bargain.load(f"{TEXTBOOK}/concave_sqrt.toml")
    problem = scenario.problem()
    frontier = Frontier(problem, resolution=41)
    rates = np.array([1.0, 3.0])
    nash_x = nash_solution(problem, powers=tuple(1 / rates), frontier=frontier).deal["x"]
    assert nash_x == pytest.approx(6 / 7, abs=1e-8)
    for period in (1e-1, 1e-2, 1e-3):
        terms = dataclasses.replace(problem, discount=np.exp(-rates * period))
        sol = rubinstein_solution(terms, frontier=frontier)
        a_offer, b_offer = sol.deal["x"], sol.diagnostics["other_offer"]["deal"]["x"]
        assert b_offer - 1e-8 <= nash_x <= a_offer + 1e-8
        assert abs(a_offer - nash_x) <= rates[0] * period + 1e-8


def test_every_result_records_its_terms(pie):
    """The settings record discount factors, first proposer, breakdown, costs and rounds."""
    sol = solve_pie(pie, discount=[0.9, 0.8], breakdown=0.02, first_proposer=1)
    assert sol.settings == {
        "first_proposer": "B",
        "discount": {"A": 0.9, "B": 0.8},
        "breakdown": 0.02,
        "rounds": 0,
        "cost_per_round": {"A": 0.0, "B": 0.0},
        "outside_options": sol.settings["outside_options"],
    }
    assert all(np.isnan(v) for v in sol.settings["outside_options"].values())
    assert sol.to_dict()["settings"]["outside_options"] == {"A": None, "B": None}


def test_bad_first_proposer_is_an_error(pie):
    """A first proposer other than 0 or 1 is refused with a clear message."""
    problem, frontier = pie
    with pytest.raises(ValueError, match="first_proposer must be 0 or 1"):
        rubinstein_solution(problem, first_proposer=2, frontier=frontier)
