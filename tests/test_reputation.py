"""Tests of reputational bargaining (Abreu and Gul 2000) against closed forms and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad

import bargain
from bargain.reputation import (
    ReputationError,
    reputation_problem_solution,
    reputation_solution,
    war_of_attrition,
)

TOL = 1e-8  # closed forms evaluated two ways agree to rounding; quadrature to ~1e-10
PIE = "scenarios/textbook/unit_pie.toml"


def pie_attrition(a, z, r):
    a = np.asarray(a, dtype=float)
    return war_of_attrition(a, 1 - a[::-1], z, r)


def concede_at(w, side: int, t: float) -> float:
    """Rational ``side``'s discounted payoff from conceding at ``t`` (by quadrature).

    Before ``t`` the other side concedes at its hazard (after its atom at 0); at
    ``t``, if the other has not conceded, ``side`` takes its low payoff.
    """
    j = 1 - side
    lam, c, r = w.rates[j], w.atom[j], w.discount_rates[side]
    until = min(t, w.end)  # after T0 only the obstinate type is left: it never concedes
    flow, _ = quad(
        lambda s: lam * (1 - c) * math.exp(-lam * s) * math.exp(-r * s), 0, until, epsabs=1e-13
    )
    survive = (1 - c) * math.exp(-lam * until)
    return c * w.high[side] + flow * w.high[side] + survive * math.exp(-r * t) * w.low[side]


def test_concession_rates_closed_form():
    """lambda_i = r_j (1 - a_i) / (a_i + a_j - 1) (Abreu and Gul 2000, sec. 3)."""
    a, r = np.array([0.7, 0.55]), np.array([0.5, 2.0])
    w = pie_attrition(a, [0.1, 0.2], r)
    expected = [r[1] * (1 - a[0]) / (a.sum() - 1), r[0] * (1 - a[1]) / (a.sum() - 1)]
    assert np.allclose(w.rates, expected, rtol=0, atol=TOL)
    assert np.allclose(w.times, -np.log([0.1, 0.2]) / w.rates, atol=TOL)
    assert math.isclose(w.end, min(w.times), abs_tol=TOL)


def test_weak_side_concedes_at_zero_so_both_finish_together():
    """The side with the larger T_i concedes with mass c_i and S_i(T0) = z_i on both sides."""
    w = pie_attrition([0.7, 0.55], [0.1, 0.2], [0.5, 2.0])
    weak = int(np.argmax(w.times))
    assert w.atom[weak] > 0 and w.atom[1 - weak] == 0
    assert math.isclose(w.atom[weak], 1 - w.priors[weak] * math.exp(w.rates[weak] * w.end))
    assert np.allclose(w.survival(w.end), w.priors, atol=TOL)
    assert np.allclose(w.survival(10 * w.end), w.priors, atol=TOL)


@pytest.mark.parametrize(
    "a, z, r", [([0.7, 0.55], [0.1, 0.2], [0.5, 2.0]), ([0.8, 0.6], [0.02, 0.3], [1.0, 1.0])]
)
def test_rational_types_are_indifferent_over_concession_times(a, z, r):
    """A rational type's payoff from conceding at any t in [0, T0] is its equilibrium payoff."""
    w = pie_attrition(a, z, r)
    for side in (0, 1):
        for t in np.linspace(0, w.end, 7):
            assert math.isclose(concede_at(w, side, t), w.payoffs()[side], abs_tol=TOL)
        # holding out past T0 only delays the same outcome: strictly worse
        assert concede_at(w, side, 1.5 * w.end) < w.payoffs()[side] - 1e-6


def test_symmetric_closed_form():
    """Equal demands, priors and rates: no atom; each concedes first w.p. (1 - z^2)/2."""
    a, z, r = 0.6, 0.1, 1.0
    s = reputation_solution([a, a], [z, z], [r, r])
    lam = r * (1 - a) / (2 * a - 1)
    big_t = -math.log(z) / lam
    d = s.diagnostics
    assert np.allclose(d["concession_rates"], [lam, lam], atol=TOL)
    assert d["atom"] == [0.0, 0.0] and d["weak_side"] is None
    assert np.allclose(d["first_to_concede"], [(1 - z**2) / 2] * 2, atol=TOL)
    assert math.isclose(s.deal["x"], 0.5, abs_tol=TOL)
    assert math.isclose(s.utilities["A"], 1 - a, abs_tol=TOL)
    # given both rational: E[min of two truncated exponentials] by integration
    mean = ((1 - z**2) / (2 * lam) - 2 * z * (1 - z) / lam + z**2 * big_t) / (1 - z) ** 2
    assert math.isclose(d["mean_delay_if_rational"], mean, abs_tol=TOL)
    w = pie_attrition([a, a], [z, z], [r, r])
    t = np.linspace(0, big_t, 5)
    assert np.allclose(w.delay_cdf(t), 1 - ((np.exp(-lam * t) - z) / (1 - z)) ** 2, atol=TOL)


def test_mean_delay_matches_quadrature_of_the_cdf():
    """The closed-form mean delays equal the integral of 1 - CDF."""
    w = pie_attrition([0.75, 0.6], [0.05, 0.15], [1.0, 0.4])
    rational, _ = quad(lambda t: 1 - float(w.delay_cdf(t)), 0, w.end, epsabs=1e-13)
    assert math.isclose(w.mean_delay(rational=True), rational, abs_tol=TOL)
    zz = w.priors.prod()
    given, _ = quad(lambda t: float(w.survival(t).prod()) - zz, 0, w.end, epsabs=1e-13)
    assert math.isclose(w.mean_delay(rational=False), given / (1 - zz), abs_tol=TOL)


def test_monte_carlo_agrees_with_the_closed_forms():
    """Simulated wars of attrition (seeded) give the closed-form probabilities and mean delay."""
    w = pie_attrition([0.7, 0.55], [0.1, 0.2], [0.5, 2.0])
    rng = np.random.default_rng(20001)
    n = 200_000
    times = np.empty((2, n))
    for i in range(2):
        u = rng.random(n)
        c, z, lam = w.atom[i], w.priors[i], w.rates[i]
        with np.errstate(divide="ignore"):
            t = np.log((1 - c) / (1 - u)) / lam
        times[i] = np.where(u < c, 0.0, np.where(u > 1 - z, np.inf, t))
    first = np.array([(times[0] < times[1]).mean(), (times[1] < times[0]).mean()])
    se = np.sqrt(first * (1 - first) / n)
    assert np.all(np.abs(first - w.first_to_concede(rational=False)) < 5 * se)
    done = np.minimum(times[0], times[1])
    agreed = done[np.isfinite(done)]
    sd = agreed.std() / math.sqrt(agreed.size)
    assert abs(agreed.mean() - w.mean_delay(rational=False)) < 5 * sd
    assert abs((~np.isfinite(done)).mean() - w.priors.prod()) < 5 * math.sqrt(0.02 / n)


def test_small_priors_give_immediate_agreement():
    """As z -> 0 (same rate on both sides) the weak side concedes at once: no delay."""
    previous = math.inf
    for z in [1e-2, 1e-4, 1e-16, 1e-64, 1e-256]:
        s = reputation_solution([0.7, 0.55], [z, z], [1.0, 1.0])
        d = s.diagnostics
        lam = d["concession_rates"]
        # c_A = 1 - z_A exp(lambda_A T_B) = 1 - z^(1 - lambda_A / lambda_B)
        assert math.isclose(d["atom"][0], 1 - z ** (1 - lam[0] / lam[1]), abs_tol=1e-12)
        assert d["mean_delay_given_agreement"] <= previous
        previous = d["mean_delay_given_agreement"]
    assert d["agreement_at_zero"] > 1 - 1e-6 and previous < 1e-6
    # the weak side is the one demanding more: it gets only what the other leaves it
    assert d["weak_side"] == 0 and math.isclose(s.utilities["A"], 0.45, abs_tol=TOL)
    assert math.isclose(s.utilities["B"], 0.55, abs_tol=1e-6)


def test_compatible_demands_are_not_a_war_of_attrition():
    """a_A + a_B <= 1: immediate agreement on an undetermined split."""
    s = reputation_solution([0.4, 0.5], [0.1, 0.1], [1.0, 1.0])
    assert s.status == "not_unique" and s.deal is None and not s.ok


def test_general_problem_reduces_to_the_pie():
    """On the unit pie scenario, deal demands give exactly the share version."""
    pie = bargain.load(PIE).problem()
    s = reputation_problem_solution(pie, [{"x": 0.75}, {"x": 0.35}], [0.05, 0.2], [1.0, 0.5])
    t = reputation_solution([0.75, 0.65], [0.05, 0.2], [1.0, 0.5])
    assert s.ok and math.isclose(s.deal["x"], t.deal["x"], abs_tol=TOL)
    for p in "AB":
        assert math.isclose(s.utilities[p], t.utilities[p], abs_tol=TOL)
    assert np.allclose(s.diagnostics["concession_rates"], t.diagnostics["concession_rates"])


def test_general_problem_is_invariant_to_rescaling_utilities():
    """Positive affine transformations of a utility leave the war of attrition unchanged."""
    base = bargain.BargainingProblem.from_functions(
        lambda x: np.array([x[0], math.sqrt(1 - x[0])]),
        lambda x: np.array([[1.0], [-0.5 / math.sqrt(max(1 - x[0], 1e-12))]]),
        lower=[0.0],
        upper=[1.0],
    )
    scaled = bargain.BargainingProblem.from_functions(
        lambda x: np.array([3 * x[0] + 2, 5 * math.sqrt(1 - x[0]) - 1]),
        lambda x: np.array([[3.0], [-2.5 / math.sqrt(max(1 - x[0], 1e-12))]]),
        lower=[0.0],
        upper=[1.0],
        disagreement=[2.0, -1.0],
    )
    demands = [[0.8], [0.4]]
    one = reputation_problem_solution(base, demands, [0.1, 0.1], [1.0, 1.0])
    two = reputation_problem_solution(scaled, demands, [0.1, 0.1], [1.0, 1.0])
    assert one.ok and two.ok
    assert math.isclose(one.deal["x"], two.deal["x"], abs_tol=TOL)
    assert np.allclose(one.diagnostics["atom"], two.diagnostics["atom"], atol=TOL)
    assert math.isclose(3 * one.gains["A"], two.gains["A"], abs_tol=TOL)


def test_general_problem_rates_default_from_discount_factors():
    """Without rates, r_i = -log(delta_i) from the scenario's per-round factors."""
    pie = bargain.load(PIE).problem()  # dA = 0.9, dB = 0.8
    s = reputation_problem_solution(pie, [[0.7], [0.4]], [0.1, 0.1])
    assert s.settings["rates"] == pytest.approx({"A": -math.log(0.9), "B": -math.log(0.8)})


def test_general_problem_compatible_demands():
    """Deals that leave room for both demands: status not_unique."""
    pie = bargain.load(PIE).problem()
    s = reputation_problem_solution(pie, [[0.4], [0.5]], [0.1, 0.1], [1.0, 1.0])
    assert s.status == "not_unique"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"demands": [1.2, 0.5]}, "shares in"),
        ({"priors": [0.0, 0.0]}, "not both 0"),
        ({"priors": [1.0, 0.1]}, r"\[0, 1\)"),
        ({"rates": [0.0, 1.0]}, "positive"),
        ({"demands": [0.6]}, "two finite numbers"),
    ],
)
def test_bad_input_raises_one_line_error(kwargs, match):
    """Out-of-range inputs raise ReputationError (a BargainError) with one line."""
    args = {"demands": [0.6, 0.6], "priors": [0.1, 0.1], "rates": [1.0, 1.0], **kwargs}
    with pytest.raises(ReputationError, match=match) as info:
        reputation_solution(**args)
    assert isinstance(info.value, bargain.BargainError) and "\n" not in str(info.value)


def test_bad_deal_raises():
    """A demand outside the box or naming unknown issues is refused."""
    pie = bargain.load(PIE).problem()
    with pytest.raises(ReputationError, match="bounds"):
        reputation_problem_solution(pie, [[1.5], [0.4]], [0.1, 0.1], [1.0, 1.0])
    with pytest.raises(ReputationError, match="every issue"):
        reputation_problem_solution(pie, [{"y": 0.5}, {"x": 0.4}], [0.1, 0.1], [1.0, 1.0])


def test_to_dict_is_json_ready():
    """The solution serialises (infinite T_i become null)."""
    import json

    s = reputation_solution([0.7, 0.6], [0.0, 0.1], [1.0, 1.0])
    text = json.dumps(s.to_dict())
    assert '"method": "reputation"' in text and s.diagnostics["atom"][0] == 1.0


shares = st.floats(0.05, 0.95)
priors = st.floats(1e-6, 0.9)
rates = st.floats(0.05, 5.0)


@given(shares, shares, priors, priors, rates, rates)
def test_probabilities_are_probabilities(a1, a2, z1, z2, r1, r2):
    """Who concedes first, no agreement and the atom are probabilities that add up."""
    if a1 + a2 <= 1.001:
        return
    w = pie_attrition([a1, a2], [z1, z2], [r1, r2])
    first = w.first_to_concede(rational=False)
    assert np.all(first >= -1e-12) and np.all(first <= 1 + 1e-12)
    assert math.isclose(first.sum() + z1 * z2, 1.0, abs_tol=1e-9)
    given_rational = w.first_to_concede(rational=True)
    assert math.isclose(given_rational.sum(), 1.0, abs_tol=1e-9)
    assert np.all(given_rational >= -1e-9)
    assert w.atom.min() == 0.0 and 0 <= w.atom.max() <= 1 - min(z1, z2) + 1e-12
    assert 0 <= w.mean_delay(rational=True) <= w.end + 1e-12


@given(shares, shares, priors, priors, rates, rates)
def test_reputation_helps(a1, a2, z1, z2, r1, r2):
    """A larger prior of being obstinate makes the other side concede first more often."""
    if a1 + a2 <= 1.001 or z1 > 0.8:
        return
    before = pie_attrition([a1, a2], [z1, z2], [r1, r2]).first_to_concede(rational=False)[1]
    after = pie_attrition([a1, a2], [z1 * 1.1, z2], [r1, r2]).first_to_concede(rational=False)[1]
    assert after >= before - 1e-12
