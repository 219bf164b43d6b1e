"""Tests of screening (Fudenberg-Tirole 1983, Sobel-Takahashi 1983) against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

import bargain
from bargain.screening import ScreeningError, screening_solution, screening_uniform

TOL = 1e-8


def two_period_two_types(v_l, v_h, q, d_a, d_b):
    """Seller's value in the two-period, two-type game (derived here; FT 1983's one-sided case).

    Period 2 with posterior q2 charges v_H iff q2 >= q* = v_L / v_H. Period 1: sell to
    all at v_L; skim H at (1 - d_b) v_H + d_b v_L; wait; or, if q > q*, charge v_H
    and let H accept with the probability that brings the posterior down to q*.
    """
    q_star = v_l / v_h
    options = {
        "all": v_l,
        "skim": q * ((1 - d_b) * v_h + d_b * v_l) + d_a * (1 - q) * v_l,
        "wait": d_a * max(q * v_h, v_l),
    }
    if q > q_star:
        sold = (q - q_star) / (1 - q_star)  # q beta: the mass of H that buys in period 1
        options["mix"] = sold * v_h + d_a * v_l * (1 - sold)
    best = max(options, key=options.__getitem__)
    return options[best], best


def test_one_period_is_the_static_monopoly():
    """T = 1: the price maximises v_k P(v >= v_k)."""
    values, prior = np.array([1.0, 2.0, 3.5, 4.0]), np.array([0.4, 0.3, 0.2, 0.1])
    s = screening_solution(values, prior, rounds=1)
    revenue = values * prior[::-1].cumsum()[::-1]
    assert math.isclose(s.utilities["A"], revenue.max(), abs_tol=TOL)
    assert s.deal["price"] == values[np.argmax(revenue)]


@pytest.mark.parametrize("v_l, v_h", [(1.0, 2.0), (1.0, 3.0), (0.5, 4.0)])
@pytest.mark.parametrize("q", [0.1, 0.3, 0.45, 0.55, 0.7, 0.9, 0.99])
@pytest.mark.parametrize("d", [(0.5, 0.5), (0.9, 0.9), (0.99, 0.6), (0.6, 0.99)])
def test_two_periods_two_types_closed_form(v_l, v_h, q, d):
    """The backward induction matches the two-period closed form to 1e-8 (with mixing)."""
    s = screening_solution([v_l, v_h], [1 - q, q], rounds=2, discount=d)
    value, case = two_period_two_types(v_l, v_h, q, *d)
    assert math.isclose(s.utilities["A"], value, abs_tol=TOL)
    first = s.diagnostics["path"][0]
    if case == "mix":  # H accepts v_H with probability (q - q*) / (q (1 - q*))
        q_star = v_l / v_h
        assert math.isclose(first["price"], v_h, abs_tol=TOL)
        assert math.isclose(
            first["accept_probability"][1], (q - q_star) / (q * (1 - q_star)), abs_tol=TOL
        )
        assert math.isclose(first["posterior"][1], q_star, abs_tol=TOL)
    assert math.isclose(s.diagnostics["seller_value_check"], s.utilities["A"], abs_tol=1e-12)


def _stopping_values(path, values, d_b):
    """Each type's best utility from buying at some period of the on-path price sequence."""
    best = np.zeros(len(values))
    for row in reversed(path):
        price = row["price"]
        now = values - price if price is not None else np.full(len(values), -np.inf)
        best = np.maximum(now, d_b * best)
    return best


@pytest.mark.parametrize(
    "values, prior, rounds, d",
    [
        ([1.0, 2.0], [0.3, 0.7], 5, (0.9, 0.9)),
        ([1.0, 1.5, 2.5, 4.0], [0.1, 0.2, 0.3, 0.4], 4, (0.8, 0.95)),
        ([0.2, 0.5, 0.6, 1.0, 1.1], [0.2, 0.2, 0.2, 0.2, 0.2], 6, (0.95, 0.7)),
    ],
)
def test_buyers_best_respond_on_the_path(values, prior, rounds, d):
    """Every type that buys at t gets its optimal-stopping value; mixing types are indifferent."""
    s = screening_solution(values, prior, rounds=rounds, discount=d)
    v = np.array(values)
    path = s.diagnostics["path"]
    for t, row in enumerate(path):
        rest = _stopping_values(path[t + 1 :], v, d[1])
        if row["price"] is None:
            continue
        now = v - row["price"]
        for i, p in enumerate(row["accept_probability"]):
            remaining = row["accept_mass"][i] > 0 or p > 0
            if remaining and p > 1e-12:
                assert now[i] >= d[1] * rest[i] - TOL, (t, i)
            if 1e-12 < p < 1 - 1e-12:
                assert math.isclose(now[i], d[1] * rest[i], abs_tol=TOL), (t, i)
    # the buyer's reported utility is its optimal-stopping value along the path
    assert np.allclose(s.diagnostics["buyer_by_type"], _stopping_values(path, v, d[1]), atol=TOL)
    # and the split accounts for every unit of surplus: first best = A + B + loss
    d_ = s.diagnostics
    assert math.isclose(
        d_["first_best"], s.utilities["A"] + s.utilities["B"] + d_["efficiency_loss"]
    )
    assert d_["efficiency_loss"] >= -TOL


def test_sobel_takahashi_two_periods_closed_form():
    """T = 2, common d: cutoff (2 - d)/(4 - 3d), price (2 - d)^2/(2(4 - 3d)), then cutoff/2."""
    for d in [0.1, 0.5, 0.9, 0.99]:
        s = screening_uniform(2, d)
        k = (2 - d) / (4 - 3 * d)
        diag = s.diagnostics
        assert math.isclose(diag["cutoffs"][0], k, abs_tol=TOL)
        assert math.isclose(s.deal["price"], (2 - d) ** 2 / (2 * (4 - 3 * d)), abs_tol=TOL)
        assert math.isclose(diag["prices"][1], k / 2, abs_tol=TOL)
        profit = (1 - k) * (2 - d) ** 2 / (2 * (4 - 3 * d)) + d * k * k / 4
        assert math.isclose(s.utilities["A"], profit, abs_tol=TOL)


@pytest.mark.parametrize("d", [(0.9, 0.9), (0.7, 0.95), (0.95, 0.5)])
def test_uniform_recursion_is_optimal_and_indifferent(d):
    """Each period's cutoff maximises the seller's value and leaves the cutoff type indifferent."""
    s = screening_uniform(6, d)
    diag = s.diagnostics
    gamma, ratio, a = diag["price_coefficients"], diag["cutoff_ratios"], diag["seller_coefficients"]
    for t in range(1, 7):
        beta = 1 - d[1] * (1 - gamma[t - 1])

        def minus(k, beta=beta, t=t):
            return -((1 - k) * k * beta + d[0] * a[t - 1] * k * k)

        best = minimize_scalar(minus, bounds=(0, 1), method="bounded", options={"xatol": 1e-12})
        assert math.isclose(best.x, ratio[t], abs_tol=1e-6)
        assert math.isclose(-best.fun, a[t], abs_tol=TOL)
        # the cutoff type k: k - price = d_B (k - gamma_{t-1} k)
        k = ratio[t]
        assert math.isclose(k - gamma[t], d[1] * (k - gamma[t - 1] * k), abs_tol=TOL)


def test_uniform_converges_to_the_stationary_equilibrium_and_coase():
    """As T grows the first price tends to the stationary sqrt(1-d) / (1 + sqrt(1-d)): 0 as d -> 1.

    The stationary value is the fixed point of the recursion (derived here: with
    gamma = g, beta = 1 - d (1 - g) and the seller's coefficient a eliminated, g solves
    g = beta^2 / (2 (beta - d a)); the root is checked numerically against the formula).
    """
    previous = 1.0
    for delta in [0.5, 0.9, 0.99, 0.999]:
        root = math.sqrt(1 - delta)
        limit = root / (1 + root)
        s = screening_uniform(20000, delta)
        assert math.isclose(s.deal["price"], limit, abs_tol=TOL)
        k = s.diagnostics["cutoff_ratios"][-1]
        a = s.diagnostics["seller_coefficients"][-1]
        beta = 1 - delta * (1 - limit)
        assert math.isclose(k, beta / (2 * (beta - delta * a)), abs_tol=TOL)
        assert limit < previous
        previous = limit
    assert previous < 0.031


def test_many_types_approximate_the_uniform_case():
    """N equally likely types on a grid approach Sobel-Takahashi's uniform solution (O(1/N))."""
    exact = screening_uniform(2, 0.5)
    for n, tol in [(20, 0.03), (80, 0.008)]:
        values = (np.arange(n) + 0.5) / n
        s = screening_solution(values, np.full(n, 1 / n), rounds=2, discount=0.5)
        assert abs(s.deal["price"] - exact.deal["price"]) < tol
        assert abs(s.utilities["A"] - exact.utilities["A"]) < tol


def test_coase_gap_case():
    """Gap case, long horizon: the seller skims H at (1 - d) v_H + d v_L, which tends to v_L."""
    for delta in [0.8, 0.9, 0.95, 0.99]:
        s = screening_solution([1.0, 2.0], [0.3, 0.7], rounds=100, discount=delta)
        assert math.isclose(s.deal["price"], (1 - delta) * 2.0 + delta * 1.0, abs_tol=TOL)
        assert s.diagnostics["path"][1]["price"] == 1.0  # then everyone left buys at v_L
        assert math.isclose(s.utilities["A"], s.diagnostics["seller_value_check"], abs_tol=1e-12)
    # a short horizon keeps the seller's commitment power
    short = screening_solution([1.0, 2.0], [0.3, 0.7], rounds=2, discount=0.99)
    assert short.deal["price"] == 2.0


def test_values_below_cost():
    """Types below the seller's cost never buy; if all are, there is no agreement."""
    none = screening_solution([0.5, 0.8], [0.5, 0.5], rounds=3, cost=1.0)
    assert none.status == "no_agreement" and none.deal is None and none.utilities is None
    some = screening_solution([0.5, 2.0], [0.5, 0.5], rounds=3, cost=1.0, discount=0.9)
    assert some.ok and some.deal["price"] == 2.0
    assert math.isclose(some.utilities["A"], 0.5, abs_tol=TOL)
    assert [row["price"] for row in some.diagnostics["path"]][1:] == [None, None]


def test_solution_is_json_ready():
    """The screening path serialises."""
    import json

    s = screening_solution([1.0, 2.0], [0.5, 0.5], rounds=3, discount=0.8)
    assert json.loads(json.dumps(s.to_dict()))["method"] == "screening"


@pytest.mark.parametrize(
    "args, match",
    [
        (([2.0, 1.0], [0.5, 0.5]), "increasing"),
        (([1.0, 2.0], [0.5, 0.6]), "sum to 1"),
        (([1.0, 2.0], [1.0]), "same length"),
        (([1.0, 2.0], [0.0, 1.0]), "positive"),
    ],
)
def test_bad_types_raise(args, match):
    """Inconsistent values or priors raise ScreeningError (a BargainError)."""
    with pytest.raises(ScreeningError, match=match) as info:
        screening_solution(*args, rounds=2)
    assert isinstance(info.value, bargain.BargainError) and "\n" not in str(info.value)


def test_bad_horizon_or_discount_raise():
    """Rounds must be a positive integer and discount factors in (0, 1)."""
    with pytest.raises(ScreeningError, match="rounds"):
        screening_solution([1.0], [1.0], rounds=0)
    with pytest.raises(ScreeningError, match="discount"):
        screening_solution([1.0], [1.0], rounds=2, discount=1.0)
    with pytest.raises(ScreeningError, match="cost"):
        screening_solution([1.0], [1.0], rounds=2, cost=float("nan"))
    with pytest.raises(ScreeningError, match="rounds"):
        screening_uniform(1.5)
    with pytest.raises(ScreeningError, match="discount"):
        screening_uniform(2, (0.5, 0.0))


weights = st.lists(st.floats(0.05, 1.0), min_size=2, max_size=4)


@given(weights, st.floats(0.3, 0.97), st.integers(1, 5))
def test_screening_properties(raw, delta, rounds):
    """Probabilities in [0, 1]; the seller gets at least the lowest value; payoffs add up."""
    n = len(raw)
    values = 1.0 + np.cumsum(raw)
    prior = np.array(raw) / sum(raw)
    s = screening_solution(values, prior, rounds=rounds, discount=delta)
    d = s.diagnostics
    assert s.utilities["A"] >= values[0] - TOL  # selling to all at v_1 now is always possible
    assert 0 <= d["trade_probability"] <= 1 + 1e-12
    for row in d["path"]:
        assert all(-1e-12 <= p <= 1 + 1e-12 for p in row["accept_probability"])
    assert len(d["buyer_by_type"]) == n
    assert np.all(np.diff(d["buyer_by_type"]) >= -TOL)  # higher types get more
    assert math.isclose(d["first_best"], s.utilities["A"] + s.utilities["B"] + d["efficiency_loss"])


@given(st.floats(0.05, 0.95), st.floats(0.05, 0.95))
def test_seller_value_increases_with_the_high_type_prior(q, dq):
    """More mass on the high type never lowers the seller's two-period value."""
    low = screening_solution([1.0, 2.0], [1 - q * dq, q * dq], rounds=2, discount=0.9)
    high = screening_solution([1.0, 2.0], [1 - q, q], rounds=2, discount=0.9)
    assert high.utilities["A"] >= low.utilities["A"] - TOL


def grid_two_types(v_l, v_h, q, d, rounds, points=3001):
    """An independent, approximate DP for two types on a grid of posterior odds x = q/(1-q).

    Per unit mass of the low type the seller gets max(v_L (1 + x), max over x' <= x of
    (x - x')(v_H - d W(x')) + d V(x')), where W is the high type's continuation; the
    grid misses the exact thresholds, so it is accurate to O(1/points).
    """
    x0 = q / (1 - q)
    grid = np.linspace(0, x0, points)
    value, cont = np.zeros(points), np.zeros(points)  # no periods left
    for t in range(1, rounds + 1):
        new_v, new_w = np.empty(points), np.empty(points)
        for i, x in enumerate(grid):
            xp = grid[: i + 1]
            price = v_h - d * cont[: i + 1]
            sale = (x - xp) * price + d * value[: i + 1]
            j = int(np.argmax(sale))
            w_sale = v_h - price[j] if j < i else d * cont[i]  # j == i: no sale
            everyone = v_l * (1 + x)
            if everyone >= sale[j]:
                new_v[i], new_w[i] = everyone, v_h - v_l
            else:
                new_v[i], new_w[i] = sale[j], w_sale
        value, cont = new_v, new_w
        cont[0] = (v_h - v_l) if t >= 1 else 0.0  # only the low type left: price v_L
    return value[-1] * (1 - q)


@pytest.mark.parametrize("q, d, rounds", [(0.7, 0.9, 3), (0.8, 0.6, 4), (0.6, 0.95, 3)])
def test_exact_induction_agrees_with_an_independent_grid(q, d, rounds):
    """Longer horizons: the exact solver and a brute-force grid DP agree to the grid's accuracy."""
    exact = screening_solution([1.0, 2.0], [1 - q, q], rounds=rounds, discount=d)
    approx = grid_two_types(1.0, 2.0, q, d, rounds)
    assert approx <= exact.utilities["A"] + 1e-9  # the grid only restricts the seller
    assert exact.utilities["A"] - approx < 2e-4  # observed up to 4e-5 with 3001 points
