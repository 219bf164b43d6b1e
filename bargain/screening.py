"""Screening: one-sided private information, offers by the uninformed side, Bayesian updating.

Party A (the seller, cost :math:`c`) makes every offer; party B (the buyer)
knows its value :math:`v`, which A believes is :math:`v_i` with prior
probability :math:`\\pi_i` (:math:`v_1 < \\dots < v_n`). In each of :math:`T`
periods A names a price; B accepts or waits. Payoffs are discounted by
:math:`\\delta_A` and :math:`\\delta_B` per period; without a sale both get 0.

**Skimming.** A buyer with a higher value loses more by waiting, so in
equilibrium the types that accept a price are those above a cutoff, and A's
posterior is always the prior truncated from above. With finitely many types
the cutoff type may accept with a probability strictly between 0 and 1
(Fudenberg and Tirole 1983: the high type randomises so that the seller is
indifferent next period), so the state is the top remaining type :math:`k` and
its remaining mass :math:`m \\in (0, \\pi_k]`. Moving to the state
:math:`(j, m')` sells to everyone above it at the price that leaves the
*marginal* type :math:`\\mu` (type :math:`j` if it is partly left, else
:math:`j+1`) indifferent,

.. math::

    p = v_\\mu - \\delta_B\\, W^{t-1}_\\mu(j, m'),

where :math:`W^{t-1}_i(s)` is type :math:`i`'s continuation value in state
:math:`s` with :math:`t - 1` periods left. The seller's value

.. math::

    V^t(k, m) = \\max_{(j, m')} \\; (\\text{mass sold})(p - c)
    + \\delta_A V^{t-1}(j, m')

is, for each choice, affine in :math:`m`, so :math:`V^t(k, \\cdot)` is the upper
envelope of finitely many lines, and the objective is linear in :math:`m'`
between the breakpoints of :math:`V^{t-1}(j, \\cdot)`: the maximum is at a
breakpoint. At a breakpoint the seller is indifferent between two continuations;
it takes the one that leaves the marginal type the least (the seller-favourable
selection, which makes the previous period's maximum attained). The result is
exact backward induction over a finite set of candidate states, in the spirit of
Sobel and Takahashi (1983) and Fudenberg, Levine and Tirole (1985). The work
grows with the number of breakpoints, which grows with the horizon: two types
and 100 periods take about half a second at :math:`\\delta = 0.99`, and long
horizons with :math:`\\delta` close to 1 (0.999 and 400 periods) take tens of seconds.

**Uniform values** (no gap, :math:`c = 0`, :math:`v \\sim U[0, 1]`): Sobel and
Takahashi's linear equilibrium. With :math:`t` periods left and remaining values
:math:`[0, s]` the price is :math:`\\gamma_t s` and the cutoff :math:`k_t s`,
with :math:`\\gamma_0 = 1`, :math:`a_0 = 0` and

.. math::

    \\beta_t = 1 - \\delta_B (1 - \\gamma_{t-1}), \\quad
    k_t = \\frac{\\beta_t}{2(\\beta_t - \\delta_A a_{t-1})}, \\quad
    \\gamma_t = k_t \\beta_t, \\quad
    a_t = (1 - k_t) k_t \\beta_t + \\delta_A a_{t-1} k_t^2,

where :math:`a_t s^2` is the seller's value. For :math:`T = 2` and
:math:`\\delta_A = \\delta_B = \\delta` the first cutoff is
:math:`(2 - \\delta)/(4 - 3\\delta)` and the first price
:math:`(2 - \\delta)^2 / (2(4 - 3\\delta))` (Fudenberg and Tirole 1983's
one-sided uniform case). As :math:`T \\to \\infty` (common :math:`\\delta`) the
first price tends to the stationary :math:`\\sqrt{1 - \\delta} / (1 + \\sqrt{1 -
\\delta})` (the fixed point of the recursion, derived here), which falls to the
lowest value 0 as :math:`\\delta \\to 1`: the Coase conjecture. With a gap
(:math:`v_1 > c`) and a long horizon the finite-type solver shows the same: the
first offer tends to :math:`v_1`.

References
----------
.. [1] Fudenberg, D. and Tirole, J. (1983). Sequential bargaining with
   incomplete information. Review of Economic Studies 50(2), 221-247.
.. [2] Sobel, J. and Takahashi, I. (1983). A multistage model of bargaining.
   Review of Economic Studies 50(3), 411-426.
.. [3] Fudenberg, D., Levine, D. and Tirole, J. (1985). Infinite-horizon models
   of bargaining with one-sided incomplete information. In A. Roth (ed.),
   Game-Theoretic Models of Bargaining, Cambridge University Press, 73-98.
.. [4] Gul, F., Sonnenschein, H. and Wilson, R. (1986). Foundations of dynamic
   monopoly and the Coase conjecture. Journal of Economic Theory 39(1), 155-190.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import BargainError
from .result import STATUSES, Solution

__all__ = ["ScreeningError", "screening_solution", "screening_uniform"]

_TIE = 1e-12  # relative tolerance of the seller's indifference (ties between choices)


class ScreeningError(BargainError, ValueError):
    """Inputs that do not define a screening game (values, prior, horizon, discounts)."""


@dataclass(frozen=True)
class _Option:
    """One choice of the seller in state (k, m): a line a*m + b valid for m > lo."""

    slope: float
    intercept: float
    lo: float
    nxt: tuple[int, float] | None  # next state (j, m'); None: no sale (stay)
    price: float  # inf for no sale
    cont: np.ndarray  # every type's continuation value W_i when the seller plays this

    def value(self, m: float) -> float:
        return self.slope * m + self.intercept


class _Game:
    """Backward induction over the finite candidate states (see the module docstring)."""

    def __init__(self, v, prior, cost, d_a, d_b, rounds):
        self.v, self.pi, self.c = v, prior, cost
        self.d_a, self.d_b, self.rounds = d_a, d_b, rounds
        self.n = v.size
        self.scale = float(np.max(np.abs(v - cost))) or 1.0
        self.lines: list[list[list[_Option]]] = [[[] for _ in range(self.n)]]
        self.points: list[list[list[float]]] = [[[float(p)] for p in prior]]
        for t in range(1, rounds + 1):
            self._stage(t)

    # --- one stage ---------------------------------------------------------------
    def _stage(self, t: int) -> None:
        lines, points = [], []
        for k in range(self.n):
            options = self._options(t, k)
            kept, pts = self._envelope(options, k)
            lines.append(kept)
            points.append(pts)
        self.lines.append(lines)
        self.points.append(points)

    def _options(self, t: int, k: int) -> list[_Option]:
        opts = [
            _Option(
                self.d_a * o.slope, self.d_a * o.intercept, o.lo, None, np.inf, self.d_b * o.cont
            )
            for o in self.lines[t - 1][k]
        ]
        if t == 1:  # no continuation: not selling is worth 0 to everyone
            opts.append(_Option(0.0, 0.0, 0.0, None, np.inf, np.zeros(self.n)))
        above = np.concatenate([[0.0], np.cumsum(self.pi)])  # mass of types below index
        for j in range(-1, k + 1):
            cands = [0.0] if j < 0 else self.points[t - 1][j]
            for mp in cands:
                if j == k and mp >= self.pi[k] * (1 - _TIE):
                    continue
                value_next, cont_next = self._next(t - 1, j, mp)
                mu = j if (j >= 0 and mp < self.pi[j] * (1 - _TIE)) else j + 1
                price = self.v[mu] - self.d_b * cont_next[mu]
                # mass sold = m + (types strictly between j and k) + (pi_j - m')
                const = (
                    -mp if j == k else above[k] - above[j + 1] + (self.pi[j] - mp if j >= 0 else 0)
                )
                margin = price - self.c
                cont = np.maximum(self.v - price, self.d_b * cont_next)
                lo = mp if j == k else 0.0
                opts.append(
                    _Option(
                        margin, margin * const + self.d_a * value_next, lo, (j, mp), price, cont
                    )
                )
        return opts

    def _next(self, t: int, j: int, mp: float) -> tuple[float, np.ndarray]:
        """Seller's value and every type's continuation in state (j, m') with t periods left."""
        if j < 0:  # nobody is left; a buyer who deviated is taken to be the lowest type
            cont = self.v - self.v[0] if t >= 1 else np.zeros(self.n)
            return 0.0, np.maximum(cont, 0.0)
        if t == 0:
            return 0.0, np.zeros(self.n)
        best = self._choose(t, j, mp)
        return best.value(mp), best.cont

    def _choose(self, t: int, k: int, m: float) -> _Option:
        """The seller's equilibrium choice in state (k, m) with t periods left."""
        return self._pick(self.lines[t][k], k, m)

    def _pick(self, options: list[_Option], k: int, m: float) -> _Option:
        """The best line at m; ties go to the least for the marginal type (seller-favourable)."""
        valid = [o for o in options if o.lo < m * (1 - _TIE) or o.lo == 0.0]
        values = np.array([o.value(m) for o in valid])
        top = values.max()
        tied = [o for o, x in zip(valid, values, strict=True) if x >= top - _TIE * self.scale]
        mu = k if m < self.pi[k] * (1 - _TIE) else min(k + 1, self.n - 1)
        return min(tied, key=lambda o: (o.cont[mu], -o.slope))

    def _envelope(self, options: list[_Option], k: int) -> tuple[list[_Option], list[float]]:
        """The lines that are ever chosen, and the breakpoints of their upper envelope."""
        end = float(self.pi[k])
        events = sorted({0.0, end, *(o.lo for o in options if 0 < o.lo < end)})
        pts: set[float] = {end, *(e for e in events if e > 0)}
        for left, right in zip(events[:-1], events[1:], strict=False):
            valid = [o for o in options if o.lo <= left]
            pts.update(_crossings(valid, left, right))
        ordered = sorted(pts)
        probes = ordered + [(a + b) / 2 for a, b in zip([0.0, *ordered[:-1]], ordered, strict=True)]
        chosen = {id(self._pick(options, k, m)): m for m in probes}
        kept = [o for o in options if id(o) in chosen]
        return kept, ordered


def _crossings(lines: list[_Option], left: float, right: float) -> list[float]:
    """Breakpoints of the upper envelope of ``lines`` on (left, right)."""
    out: list[float] = []
    x = left
    cur = max(lines, key=lambda o: (o.value(x), o.slope))
    while True:
        nxt, at = None, right
        for o in lines:
            if o.slope > cur.slope:
                cross = (cur.intercept - o.intercept) / (o.slope - cur.slope)
                if x < cross < at or (cross == at and nxt is not None and o.slope > nxt.slope):
                    nxt, at = o, cross
        if nxt is None:
            return out
        out.append(float(at))
        cur, x = nxt, at


def _check(values: ArrayLike, prior: ArrayLike, rounds: int, discount: Any) -> tuple:
    v = np.asarray(values, dtype=float)
    pi = np.asarray(prior, dtype=float)
    if v.ndim != 1 or v.size < 1 or v.shape != pi.shape or not np.all(np.isfinite(v)):
        raise ScreeningError("values and prior must be two finite lists of the same length")
    if np.any(np.diff(v) <= 0):
        raise ScreeningError(f"values must be strictly increasing, got {v.tolist()}")
    if np.any(pi <= 0) or abs(pi.sum() - 1) > 1e-9:
        raise ScreeningError(f"prior must be positive and sum to 1, got {pi.tolist()}")
    if int(rounds) != rounds or rounds < 1:
        raise ScreeningError(f"rounds must be a positive integer, got {rounds!r}")
    d = np.broadcast_to(np.asarray(discount, dtype=float), (2,))
    if not np.all((d > 0) & (d < 1)):
        raise ScreeningError(f"discount factors must lie in (0, 1), got {d.tolist()}")
    return v, pi / pi.sum(), int(rounds), float(d[0]), float(d[1])


def screening_solution(
    values: Sequence[float],
    prior: Sequence[float],
    *,
    rounds: int,
    discount: float | Sequence[float] = 0.9,
    cost: float = 0.0,
    parties: tuple[str, str] = ("A", "B"),
) -> Solution:
    """Screening by an uninformed seller over ``rounds`` periods, finitely many buyer types.

    Parameters
    ----------
    values : sequence of float
        The buyer's possible values :math:`v_1 < \\dots < v_n`.
    prior : sequence of float
        Their prior probabilities (positive, summing to 1).
    rounds : int
        The horizon :math:`T`: the seller makes ``rounds`` offers.
    discount : float or pair of float
        Per-period discount factors :math:`(\\delta_A, \\delta_B)` in (0, 1) (one
        number: both).
    cost : float
        The seller's cost (its value of keeping the good).
    parties : pair of str
        Names of the seller and the buyer.

    Returns
    -------
    Solution
        Method ``"screening"``. ``deal["price"]``: the first offer that some
        type accepts (status ``no_agreement`` if none ever does);
        ``utilities``/``gains``: the seller's expected discounted profit and the
        buyer's expected discounted surplus. ``diagnostics``: ``path`` (per
        period: the offer, the acceptance probability of each type, the
        posterior after a rejection), ``buyer_by_type``, ``trade_probability``,
        ``expected_delay`` (periods after the first, given trade),
        ``first_best`` (:math:`\\sum_i \\pi_i (v_i - c)^+`) and
        ``efficiency_loss`` (first best minus both payoffs).

    Examples
    --------
    >>> s = screening_solution([1.0, 2.0], [0.6, 0.4], rounds=1)
    >>> s.deal["price"], s.utilities["A"]
    (1.0, 1.0)
    >>> s = screening_solution([1.0, 2.0], [0.3, 0.7], rounds=2, discount=0.9)
    >>> s.deal["price"], round(s.utilities["A"], 12)
    (2.0, 1.34)
    """
    v, pi, rounds, d_a, d_b = _check(values, prior, rounds, discount)
    if not np.isfinite(cost):
        raise ScreeningError(f"cost must be a finite number, got {cost!r}")
    game = _Game(v, pi, float(cost), d_a, d_b, rounds)
    path, profit, buyer = _path(game)
    sold = np.array([row["accept_mass"] for row in path]).reshape(len(path), v.size)
    trade = float(sold.sum())
    delay = float((sold.sum(axis=1) * np.arange(len(path))).sum() / trade) if trade > 0 else 0.0
    first_best = float(pi @ np.maximum(v - cost, 0.0))
    buyer_mean = float(pi @ buyer)
    seller, buyer_name = parties
    sales = [row["price"] for row in path if sum(row["accept_mass"]) > 0]
    status = "ok" if sales else "no_agreement"
    message = STATUSES[status] if sales else "no type ever buys: every value is below the cost"
    return Solution(
        "screening",
        status,
        message,
        {"price": float(sales[0])} if sales else None,
        {seller: profit, buyer_name: buyer_mean} if sales else None,
        {seller: profit, buyer_name: buyer_mean} if sales else None,
        {seller: 0.0, buyer_name: 0.0},
        settings={
            "values": v.tolist(),
            "prior": pi.tolist(),
            "rounds": rounds,
            "discount": {seller: d_a, buyer_name: d_b},
            "cost": float(cost),
        },
        diagnostics={
            "path": path,
            "buyer_by_type": buyer.tolist(),
            "trade_probability": trade,
            "expected_delay": delay,
            "first_best": first_best,
            "efficiency_loss": first_best - profit - buyer_mean,
            "seller_value_check": game._choose(rounds, v.size - 1, float(pi[-1])).value(pi[-1]),
        },
    )


def _path(game: _Game) -> tuple[list[dict[str, Any]], float, np.ndarray]:
    """Follow the equilibrium from the prior: offers, acceptances, payoffs."""
    n, pi, v = game.n, game.pi, game.v
    k, m = n - 1, float(pi[-1])
    left = pi.copy()  # remaining mass of each type
    profit, buyer = 0.0, np.zeros(n)
    path: list[dict[str, Any]] = []
    for period in range(game.rounds):
        t = game.rounds - period
        opt = game._choose(t, k, m)
        before = left.copy()
        if opt.nxt is not None:
            j, mp = opt.nxt
            left[j + 1 :] = 0.0
            if j >= 0:
                left[j] = mp
            k, m = (j, mp) if j >= 0 else (-1, 0.0)
        bought = before - left
        price = None if opt.nxt is None else float(opt.price)
        if price is not None:
            profit += game.d_a**period * float(bought.sum()) * (price - game.c)
            buyer += game.d_b**period * bought / pi * (v - price)
        total = left.sum()
        path.append(
            {
                "period": period + 1,
                "price": price,
                "accept_mass": bought.tolist(),
                "accept_probability": (bought / np.where(before > 0, before, 1)).tolist(),
                "posterior": (left / total).tolist() if total > 0 else None,
            }
        )
        if k < 0:
            break
    return path, profit, buyer


def screening_uniform(
    rounds: int,
    discount: float | Sequence[float] = 0.9,
    *,
    parties: tuple[str, str] = ("A", "B"),
) -> Solution:
    """Sobel and Takahashi's (1983) linear equilibrium: values uniform on [0, 1], cost 0.

    Parameters
    ----------
    rounds : int
        The horizon :math:`T`.
    discount : float or pair of float
        :math:`(\\delta_A, \\delta_B)` in (0, 1) (one number: both).
    parties : pair of str
        Names of the seller and the buyer.

    Returns
    -------
    Solution
        Method ``"screening_uniform"``. ``deal["price"]``: the first offer
        :math:`\\gamma_T`; ``utilities``: the seller's value :math:`a_T` and the
        buyer's expected discounted surplus. ``diagnostics``: ``prices`` and
        ``cutoffs`` (the highest value still in after each period) along the
        path, ``price_coefficients`` :math:`\\gamma_t` and ``cutoff_ratios``
        :math:`k_t` (index :math:`t` = periods left), ``trade_probability``,
        ``expected_delay``, ``first_best`` = 1/2 and ``efficiency_loss``.

    Examples
    --------
    >>> s = screening_uniform(2, 0.5)
    >>> d = 0.5
    >>> abs(s.deal["price"] - (2 - d) ** 2 / (2 * (4 - 3 * d))) < 1e-15
    True
    """
    if int(rounds) != rounds or rounds < 1:
        raise ScreeningError(f"rounds must be a positive integer, got {rounds!r}")
    d = np.broadcast_to(np.asarray(discount, dtype=float), (2,))
    if not np.all((d > 0) & (d < 1)):
        raise ScreeningError(f"discount factors must lie in (0, 1), got {d.tolist()}")
    d_a, d_b = float(d[0]), float(d[1])
    gamma, ratio, value = [1.0], [1.0], [0.0]
    for _ in range(int(rounds)):
        beta = 1 - d_b * (1 - gamma[-1])
        k = beta / (2 * (beta - d_a * value[-1]))
        value.append((1 - k) * k * beta + d_a * value[-1] * k * k)
        gamma.append(k * beta)
        ratio.append(k)
    s, prices, cutoffs, buyer, delay, trade = 1.0, [], [], 0.0, 0.0, 0.0
    for period in range(int(rounds)):
        t = int(rounds) - period
        price, low = gamma[t] * s, ratio[t] * s
        prices.append(price)
        cutoffs.append(low)
        # buyers in (low, s] pay `price`: surplus int (v - price) dv
        buyer += d_b**period * ((s * s - low * low) / 2 - price * (s - low))
        delay += period * (s - low)
        trade += s - low
        s = low
    seller, buyer_name = parties
    return Solution(
        "screening_uniform",
        "ok",
        STATUSES["ok"],
        {"price": prices[0]},
        {seller: value[-1], buyer_name: buyer},
        {seller: value[-1], buyer_name: buyer},
        {seller: 0.0, buyer_name: 0.0},
        settings={"rounds": int(rounds), "discount": {seller: d_a, buyer_name: d_b}},
        diagnostics={
            "prices": prices,
            "cutoffs": cutoffs,
            "price_coefficients": gamma,
            "cutoff_ratios": ratio,
            "seller_coefficients": value,
            "trade_probability": trade,
            "expected_delay": delay / trade,
            "first_best": 0.5,
            "efficiency_loss": 0.5 - value[-1] - buyer,
        },
    )
