"""Tests of the double auction (Chatterjee-Samuelson 1983) and the Myerson-Satterthwaite bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import dblquad
from scipy.optimize import minimize_scalar

import bargain
from bargain.bilateral_trade import (
    BilateralTradeError,
    double_auction,
    double_auction_payoff,
    myerson_satterthwaite,
)

TOL = 1e-8


def test_split_the_difference_closed_forms():
    """k = 1/2: b = 2v/3 + 1/12, s = 2c/3 + 1/4, trade iff v >= c + 1/4, gains 9/64 of 1/6."""
    s = double_auction(0.5, check_best_responses=False)
    d = s.diagnostics
    assert math.isclose(d["bid"]["slope"], 2 / 3, abs_tol=1e-15)
    assert math.isclose(d["bid"]["intercept"], 1 / 12, abs_tol=1e-15)
    assert math.isclose(d["ask"]["slope"], 2 / 3, abs_tol=1e-15)
    assert math.isclose(d["ask"]["intercept"], 1 / 4, abs_tol=1e-15)
    assert math.isclose(d["trade_gap"], 1 / 4, abs_tol=1e-12)
    assert math.isclose(d["gains"], 9 / 64, abs_tol=TOL)
    assert math.isclose(d["first_best"], 1 / 6, abs_tol=1e-15)
    assert math.isclose(d["trade_probability"], 9 / 32, abs_tol=TOL)
    # symmetric: each side gets half the gains; the expected price given trade is 1/2
    assert math.isclose(s.utilities["A"], 9 / 128, abs_tol=TOL)
    assert math.isclose(s.utilities["B"], 9 / 128, abs_tol=TOL)
    assert math.isclose(s.deal["price"], 0.5, abs_tol=TOL)


def test_gains_by_double_integration():
    """The gains and the buyer's payoff agree with a direct 2-D quadrature of the trade region."""
    s = double_auction(0.3, check_best_responses=False)
    gb, eb = s.diagnostics["bid"]["slope"], s.diagnostics["bid"]["intercept"]
    gs, es = s.diagnostics["ask"]["slope"], s.diagnostics["ask"]["intercept"]

    def lowest_value(c):
        return min(max((gs * c + es - eb) / gb, 0.0), 1.0)

    gains = dblquad(lambda v, c: v - c, 0, 1, lowest_value, 1, epsabs=1e-12)[0]
    k = 0.3
    buyer = dblquad(
        lambda v, c: v - k * (gb * v + eb) - (1 - k) * (gs * c + es),
        0,
        1,
        lowest_value,
        1,
        epsabs=1e-12,
    )[0]
    assert math.isclose(s.diagnostics["gains"], gains, abs_tol=TOL)
    assert math.isclose(s.utilities["B"], buyer, abs_tol=TOL)


@pytest.mark.parametrize("k", [0.0, 0.25, 0.5, 0.8, 1.0])
def test_linear_strategies_are_best_responses(k):
    """No type on a grid gains more than 1e-10 by any other bid or ask (grid + bounded search)."""
    s = double_auction(k)
    assert s.diagnostics["best_response_gap"] < 1e-10


def test_best_response_of_one_buyer_by_independent_search():
    """A buyer with v = 0.8 facing s(c) = 2c/3 + 1/4 bids 2(0.8)/3 + 1/12 (k = 1/2)."""
    best = minimize_scalar(
        lambda b: -double_auction_payoff("buyer", 0.8, b), bounds=(0.25, 1), method="bounded"
    )
    assert math.isclose(best.x, 2 * 0.8 / 3 + 1 / 12, abs_tol=1e-6)
    ask = minimize_scalar(
        lambda a: -double_auction_payoff("seller", 0.3, a), bounds=(0, 0.75), method="bounded"
    )
    assert math.isclose(ask.x, 2 * 0.3 / 3 + 1 / 4, abs_tol=1e-6)


def test_one_sided_offers_are_the_monopoly_cases():
    """k = 0 (seller sets the price) and k = 1 (buyer does): gains 1/8, trade probability 1/4."""
    for k in (0.0, 1.0):
        d = double_auction(k, check_best_responses=False).diagnostics
        assert math.isclose(d["gains"], 1 / 8, abs_tol=TOL)
        assert math.isclose(d["trade_probability"], 1 / 4, abs_tol=TOL)


def test_monte_carlo_is_seeded_and_agrees():
    """The simulation is reproducible from its seed and within 4 standard errors of 9/64."""
    one = double_auction(0.5, samples=200_000, rng=7, check_best_responses=False)
    two = double_auction(
        0.5, samples=200_000, rng=np.random.default_rng(7), check_best_responses=False
    )
    mc = one.diagnostics["monte_carlo"]
    assert mc == two.diagnostics["monte_carlo"]
    assert abs(mc["gains"] - 9 / 64) < 4 * mc["gains_se"]
    assert abs(mc["trade_probability"] - 9 / 32) < 4 * math.sqrt(9 / 32 * 23 / 32 / 200_000)


def test_myerson_satterthwaite_bound():
    """Efficient trade runs a deficit of 1/6; the second best (gap 1/4, gains 9/64) is attained."""
    s = myerson_satterthwaite()
    d = s.diagnostics
    assert math.isclose(s.deal["gap"], 0.25, abs_tol=1e-12)
    assert math.isclose(d["vcg_deficit"], 1 / 6, abs_tol=TOL)
    assert math.isclose(d["efficient_virtual_surplus"], -1 / 6, abs_tol=1e-15)
    assert math.isclose(d["second_best_gains"], 9 / 64, abs_tol=TOL)
    assert math.isclose(d["second_best_trade_probability"], 9 / 32, abs_tol=TOL)
    assert abs(d["attained"]) < TOL


def test_virtual_surplus_by_quadrature():
    """B(g) in closed form equals the 2-D integral of (2v - 1) - 2c over v - c >= g."""
    for g in (0.0, 0.1, 0.25, 0.4):
        direct = dblquad(
            lambda v, c: (2 * v - 1) - 2 * c, 0, 1 - g, lambda c, g=g: c + g, 1, epsabs=1e-12
        )[0]
        closed = 2 * (1 / 6 - g**2 / 2 + g**3 / 3) - (1 - g) ** 2 / 2
        assert math.isclose(direct, closed, abs_tol=TOL)
    # a smaller gap than 1/4 cannot balance the budget; a larger one wastes gains
    assert closed > 0 and 2 * (1 / 6 - 0.01 + 0.001 / 3) - 0.81 / 2 < 0


@given(st.floats(0.0, 1.0))
def test_no_k_beats_the_second_best(k):
    """Every double auction's linear equilibrium gains at most the second best, 9/64."""
    d = double_auction(k, check_best_responses=False).diagnostics
    assert d["gains"] <= 9 / 64 + 1e-12
    assert 0 <= d["trade_probability"] <= 0.5


def test_bad_input():
    """k outside [0, 1], negative samples or an unknown side raise BilateralTradeError."""
    for bad in (-0.1, 1.5, "half"):
        with pytest.raises(BilateralTradeError, match="k must be"):
            double_auction(bad)  # type: ignore[arg-type]
    with pytest.raises(BilateralTradeError, match="samples"):
        double_auction(0.5, samples=-1)
    with pytest.raises(BilateralTradeError, match="side") as info:
        double_auction_payoff("broker", 0.5, 0.5)
    assert isinstance(info.value, bargain.BargainError)
