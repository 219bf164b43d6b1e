"""Bilateral trade with two-sided private information: the double auction and its limits.

A seller (party A) with cost :math:`c` and a buyer (party B) with value
:math:`v`, each known only to its owner and drawn independently from
:math:`U[0, 1]`. In Chatterjee and Samuelson's (1983) *double auction* the
buyer bids :math:`b`, the seller asks :math:`s`; they trade if :math:`b \\ge s`
at the price :math:`k b + (1 - k) s`. Its linear equilibrium is

.. math::

    b(v) = \\frac{v}{1 + k} + \\frac{k (1 - k)}{2 (1 + k)}, \\qquad
    s(c) = \\frac{c}{2 - k} + \\frac{1 - k}{2},

which for :math:`k = 1/2` is :math:`b = 2v/3 + 1/12`, :math:`s = 2c/3 + 1/4`:
trade happens iff :math:`v \\ge c + 1/4`, with probability :math:`9/32` (first
best :math:`1/2`) and expected gains from trade

.. math::

    \\int_0^{3/4} \\int_{c + 1/4}^1 (v - c)\\, dv\\, dc = \\frac{9}{64}
    \\quad \\text{against the first best} \\quad
    \\int_0^1 \\int_c^1 (v - c)\\, dv\\, dc = \\frac{1}{6}.

(The equilibrium strategies are derived from the first-order conditions of the
two best responses; they are the ones printed by Chatterjee and Samuelson, and
best responses are checked numerically in the tests.)

**Myerson and Satterthwaite (1983).** No mechanism that is incentive
compatible, individually rational and budget balanced trades exactly when
:math:`v \\ge c`. For a trade rule :math:`\\{(v, c): v - c \\ge g\\}` the
mechanism's expected budget, with the worst types (:math:`v = 0`,
:math:`c = 1`) held to zero, is the expected *virtual surplus*

.. math::

    B(g) = E\\big[(\\varphi_B(v) - \\varphi_S(c))\\,1\\{v - c \\ge g\\}\\big],
    \\quad \\varphi_B(v) = v - \\frac{1 - F(v)}{f(v)} = 2v - 1, \\quad
    \\varphi_S(c) = c + \\frac{G(c)}{g(c)} = 2c,

so that :math:`B(g) = 2(1/6 - g^2/2 + g^3/3) - (1 - g)^2 / 2`. Among *all*
trade rules, maximising the expected gains subject to :math:`B \\ge 0` is solved
pointwise by the Lagrangian :math:`(v - c) + \\mu(\\varphi_B(v) - \\varphi_S(c)) =
(1 + 2\\mu)(v - c) - \\mu \\ge 0`: a gap rule with :math:`g = \\mu/(1 + 2\\mu) <
1/2`, so the second best is the smallest :math:`g \\in [0, 1/2)` with
:math:`B(g) = 0`. The ex post
efficient rule (:math:`g = 0`, e.g. the VCG mechanism) runs the expected deficit
:math:`-B(0) = 1/6`; the smallest gap that balances the budget is
:math:`g^* = 1/4`, and the second best (Myerson and Satterthwaite's Theorem 2:
the rule maximising expected gains subject to :math:`B \\ge 0` is such a gap
rule for uniform values) gains :math:`9/64` -- exactly the double auction's
:math:`k = 1/2` equilibrium.

References
----------
.. [1] Chatterjee, K. and Samuelson, W. (1983). Bargaining under incomplete
   information. Operations Research 31(5), 835-851.
.. [2] Myerson, R. B. and Satterthwaite, M. A. (1983). Efficient mechanisms for
   bilateral trading. Journal of Economic Theory 29(2), 265-281.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq, minimize_scalar

from .errors import BargainError
from .result import STATUSES, Solution

__all__ = [
    "BilateralTradeError",
    "double_auction",
    "double_auction_payoff",
    "myerson_satterthwaite",
]

_QUAD = {"epsabs": 1e-13, "epsrel": 1e-13, "limit": 200}


class BilateralTradeError(BargainError, ValueError):
    """Inputs that do not define the double auction (the price weight, the samples)."""


def _strategies(k: float) -> tuple[float, float, float, float]:
    """Slopes and intercepts of the linear equilibrium: b = gb v + eb, s = gs c + es."""
    return 1 / (1 + k), k * (1 - k) / (2 * (1 + k)), 1 / (2 - k), (1 - k) / 2


def _threshold(c: float, k: float) -> float:
    """The lowest value that trades with a seller of cost c: b(v) >= s(c)."""
    gb, eb, gs, es = _strategies(k)
    return min(max((gs * c + es - eb) / gb, 0.0), 1.0)


def _gains(k: float) -> tuple[float, float]:
    """Expected gains from trade and the probability of trade, by quadrature over c."""

    def gain(c: float) -> float:
        lo = _threshold(c, k)
        return (1 - lo * lo) / 2 - c * (1 - lo) if lo > c else (1 - c) ** 2 / 2

    gains = quad(gain, 0, 1, **_QUAD)[0]
    prob = quad(lambda c: 1 - _threshold(c, k), 0, 1, **_QUAD)[0]
    return gains, prob


def double_auction_payoff(side: str, own: float, offer: float, k: float = 0.5) -> float:
    """Expected payoff of one trader who offers ``offer`` against the other's equilibrium strategy.

    Parameters
    ----------
    side : {"buyer", "seller"}
    own : float
        The trader's value (buyer) or cost (seller).
    offer : float
        Its bid (buyer) or ask (seller).
    k : float
        Weight of the bid in the price.

    Returns
    -------
    float
        :math:`E[(v - k b - (1-k) s(c))\\,1\\{s(c) \\le b\\}]` for the buyer and
        :math:`E[(k b(v) + (1-k) s - c)\\,1\\{b(v) \\ge s\\}]` for the seller,
        with the other's value uniform on [0, 1] (closed-form integrals).

    Examples
    --------
    >>> round(double_auction_payoff("buyer", 1.0, 2 / 3 + 1 / 12), 12)
    0.28125
    """
    gb, eb, gs, es = _strategies(k)
    if side == "buyer":
        top = min(max((offer - es) / gs, 0.0), 1.0)  # sellers with s(c) <= b
        return (own - k * offer - (1 - k) * es) * top - (1 - k) * gs * top * top / 2
    if side == "seller":
        low = min(max((offer - eb) / gb, 0.0), 1.0)  # buyers with b(v) >= s
        mass = 1 - low
        return (k * eb + (1 - k) * offer - own) * mass + k * gb * (1 - low * low) / 2
    raise BilateralTradeError(f"side must be 'buyer' or 'seller', got {side!r}")


def _best_response_gap(k: float, points: int = 41) -> float:
    """The most any type on a grid gains by deviating from the linear strategy."""
    gb, eb, gs, es = _strategies(k)
    worst = 0.0
    for x in np.linspace(0, 1, points):
        for side, eq in (("buyer", gb * x + eb), ("seller", gs * x + es)):
            payoff = float(x)

            def minus(o: float, side: str = side, payoff: float = payoff) -> float:
                return -double_auction_payoff(side, payoff, o, k)

            grid = np.linspace(0, 1.5, 301)
            start = grid[np.argmin([minus(o) for o in grid])]
            best = minimize_scalar(
                minus,
                bounds=(max(start - 0.01, 0.0), start + 0.01),
                method="bounded",
                options={"xatol": 1e-12},
            )
            dev = max(-best.fun, -minus(start))
            worst = max(worst, dev - double_auction_payoff(side, payoff, eq, k))
    return worst


def double_auction(
    k: float = 0.5,
    *,
    samples: int = 0,
    rng: np.random.Generator | int | None = None,
    check_best_responses: bool = True,
    parties: tuple[str, str] = ("A", "B"),
) -> Solution:
    """Chatterjee and Samuelson's (1983) double auction: the linear equilibrium, uniform values.

    Parameters
    ----------
    k : float
        Weight of the buyer's bid in the price, in [0, 1] (1/2: split the difference).
    samples : int
        If positive, also simulate this many trades (seller cost and buyer value
        uniform) with ``rng`` and report the estimates with their standard errors.
    rng : numpy.random.Generator, int or None
        Seed or generator of the simulation (through ``np.random.default_rng``).
    check_best_responses : bool
        Also report the largest gain from deviating, over a grid of 41 types on each
        side (a numerical best-response check; about 0.3 s).
    parties : pair of str
        Names of the seller and the buyer.

    Returns
    -------
    Solution
        Method ``"double_auction"``. ``deal["price"]``: the expected price given
        trade; ``utilities``: the seller's and buyer's expected payoffs;
        ``diagnostics``: the strategies' slopes and intercepts, ``gains``
        (expected gains from trade), ``first_best`` (1/6), ``efficiency``,
        ``trade_probability``, ``best_response_gap`` and, with ``samples``, the
        Monte Carlo estimates.

    Examples
    --------
    >>> s = double_auction(0.5, check_best_responses=False)
    >>> abs(s.diagnostics["gains"] - 9 / 64) < 1e-12, round(s.diagnostics["efficiency"], 6)
    (True, 0.84375)
    """
    if not (isinstance(k, int | float) and 0 <= k <= 1):
        raise BilateralTradeError(f"k must be a number in [0, 1], got {k!r}")
    if int(samples) != samples or samples < 0:
        raise BilateralTradeError(f"samples must be a non-negative integer, got {samples!r}")
    k = float(k)
    gb, eb, gs, es = _strategies(k)
    gains, prob = _gains(k)
    buyer = quad(lambda v: double_auction_payoff("buyer", v, gb * v + eb, k), 0, 1, **_QUAD)[0]
    seller = gains - buyer  # payments cancel: the two payoffs add up to the gains
    # expected price given trade: (E[value traded] - buyer's payoff) / P(trade)
    value = quad(lambda c: (1 - _threshold(c, k) ** 2) / 2, 0, 1, **_QUAD)[0]
    price = (value - buyer) / prob if prob > 0 else math.nan
    diagnostics: dict[str, Any] = {
        "bid": {"slope": gb, "intercept": eb},
        "ask": {"slope": gs, "intercept": es},
        "gains": gains,
        "first_best": 1 / 6,
        "efficiency": gains * 6,
        "trade_probability": prob,
    }
    if k == 0.5:
        diagnostics["trade_gap"] = (es - eb) / gb  # v >= c + 1/4
    if check_best_responses:
        diagnostics["best_response_gap"] = _best_response_gap(k)
    if samples:
        diagnostics["monte_carlo"] = _simulate(k, int(samples), np.random.default_rng(rng))
    name_s, name_b = parties
    return Solution(
        "double_auction",
        "ok",
        STATUSES["ok"],
        {"price": price},
        {name_s: seller, name_b: buyer},
        {name_s: seller, name_b: buyer},
        {name_s: 0.0, name_b: 0.0},
        settings={"k": k, "samples": int(samples)},
        diagnostics=diagnostics,
    )


def _simulate(k: float, n: int, rng: np.random.Generator) -> dict[str, float]:
    gb, eb, gs, es = _strategies(k)
    cost, value = rng.random(n), rng.random(n)
    bid, ask = gb * value + eb, gs * cost + es
    trade = bid >= ask
    gain = np.where(trade, value - cost, 0.0)
    return {
        "samples": n,
        "gains": float(gain.mean()),
        "gains_se": float(gain.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
        "trade_probability": float(trade.mean()),
    }


def _budget(gap: float) -> float:
    """B(g): expected virtual surplus of the rule v - c >= g (uniform values), closed form."""
    gains = 1 / 6 - gap**2 / 2 + gap**3 / 3  # E[(v - c) 1{v - c >= g}]
    prob = (1 - gap) ** 2 / 2
    return 2 * gains - prob


def myerson_satterthwaite(*, parties: tuple[str, str] = ("A", "B")) -> Solution:
    """The Myerson-Satterthwaite bound for uniform values on [0, 1].

    Returns
    -------
    Solution
        Method ``"myerson_satterthwaite"``, the second-best mechanism:
        ``deal["gap"]`` the smallest :math:`g` with a balanced budget (1/4);
        ``gains``/``utilities``: the traders' expected payoffs under the
        double auction that implements it (:math:`k = 1/2`). ``diagnostics``:
        ``first_best_gains`` (1/6), ``efficient_virtual_surplus`` :math:`B(0) =
        -1/6`, ``vcg_deficit`` (1/6, by quadrature of :math:`v - c` over the
        trades of the pivot mechanism), ``second_best_gains`` (9/64),
        ``double_auction_gains`` and ``attained`` (their difference).

    Examples
    --------
    >>> s = myerson_satterthwaite()
    >>> round(s.deal["gap"], 12), round(s.diagnostics["vcg_deficit"], 12)
    (0.25, 0.166666666667)
    """
    gap = brentq(_budget, 0.0, 0.5, xtol=1e-15)  # B(1) = 0 too: the rule that never trades
    second = 1 / 6 - gap**2 / 2 + gap**3 / 3
    # the pivot mechanism: trade iff v >= c; the buyer pays c, the seller receives v
    deficit = quad(lambda c: quad(lambda v: v - c, c, 1, **_QUAD)[0], 0, 1, **_QUAD)[0]
    auction = double_auction(0.5, check_best_responses=False, parties=parties)
    gains = auction.diagnostics["gains"]
    return Solution(
        "myerson_satterthwaite",
        "ok",
        STATUSES["ok"],
        {"gap": gap},
        auction.utilities,
        auction.gains,
        auction.disagreement,
        settings={"values": "uniform on [0, 1] for both"},
        diagnostics={
            "first_best_gains": 1 / 6,
            "efficient_virtual_surplus": _budget(0.0),
            "vcg_deficit": deficit,
            "second_best_gains": second,
            "second_best_trade_probability": (1 - gap) ** 2 / 2,
            "double_auction_gains": gains,
            "attained": gains - second,
        },
    )
