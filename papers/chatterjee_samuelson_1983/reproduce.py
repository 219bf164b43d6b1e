"""Chatterjee and Samuelson (1983), the double auction, and the Myerson-Satterthwaite bound.

Buyer and seller values are private and uniform on [0, 1]; the buyer bids, the
seller asks, and they trade at the average if the bid covers the ask (k = 1/2).
The linear equilibrium b = 2v/3 + 1/12, s = 2c/3 + 1/4 trades iff v >= c + 1/4
and realises expected gains 9/64 of the 1/6 available. Myerson and Satterthwaite
(1983): no incentive-compatible, individually rational, budget-balanced mechanism
is ex post efficient (the efficient one runs a deficit of 1/6), and for uniform
values the best such mechanism gains exactly 9/64: the double auction attains it.
Run: ``python papers/chatterjee_samuelson_1983/reproduce.py [--out DIR]``.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

CS = "Chatterjee and Samuelson (1983)"
MS = "Myerson and Satterthwaite (1983)"
TOL = 1e-8
SAMPLES = 1_000_000


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv, seed=1983)
    auction = bargain.double_auction(0.5, samples=SAMPLES, rng=rep.seed)
    equilibrium(rep, auction)
    bound(rep, auction)
    rows = by_k(rep)
    figure(rep, auction, rows)
    return rep.finish()


def equilibrium(rep: Reproduction, auction: bargain.Solution) -> None:
    d = auction.diagnostics
    where = f"{CS}, uniform values, k = 1/2 (page not verified)"
    rep.check("bid slope", 2 / 3, d["bid"]["slope"], tolerance=TOL, source=f"{where}: 2v/3 + 1/12")
    rep.check(
        "bid intercept",
        1 / 12,
        d["bid"]["intercept"],
        tolerance=TOL,
        source=f"{where}: 2v/3 + 1/12",
    )
    rep.check("ask slope", 2 / 3, d["ask"]["slope"], tolerance=TOL, source=f"{where}: 2c/3 + 1/4")
    rep.check(
        "ask intercept", 1 / 4, d["ask"]["intercept"], tolerance=TOL, source=f"{where}: 2c/3 + 1/4"
    )
    rep.check(
        "trade iff v - c >= gap",
        1 / 4,
        d["trade_gap"],
        tolerance=TOL,
        source=f"{where}: trade iff v >= c + 1/4",
    )
    rep.check(
        "largest gain from deviating (grid of 41 types)",
        0.0,
        d["best_response_gap"],
        tolerance=1e-10,
        source="best-response check of the equilibrium (not in the paper)",
    )
    rep.check(
        "expected gains from trade",
        9 / 64,
        d["gains"],
        tolerance=TOL,
        source=f"{where} and {MS}, uniform example: 9/64",
    )
    rep.check(
        "first-best gains",
        1 / 6,
        d["first_best"],
        tolerance=TOL,
        source=f"{MS}, uniform example: 1/6",
    )
    rep.check(
        "probability of trade",
        9 / 32,
        d["trade_probability"],
        tolerance=TOL,
        source="area of {v >= c + 1/4} in the unit square (formula, derived here)",
    )
    mc = d["monte_carlo"]
    rep.check(
        "simulated gains from trade",
        9 / 64,
        mc["gains"],
        tolerance=4 * mc["gains_se"],
        source=f"{SAMPLES} simulated trades (seed {rep.seed}); tolerance 4 standard errors",
    )


def bound(rep: Reproduction, auction: bargain.Solution) -> None:
    ms = bargain.myerson_satterthwaite()
    d = ms.diagnostics
    where = f"{MS}, uniform values on [0, 1] (page not verified)"
    rep.check(
        "deficit of the ex post efficient (VCG) mechanism",
        1 / 6,
        d["vcg_deficit"],
        tolerance=TOL,
        source=f"{where}: E[(v - c) 1{{v >= c}}] = 1/6 (derived here)",
    )
    rep.check(
        "expected virtual surplus of efficient trade",
        -1 / 6,
        d["efficient_virtual_surplus"],
        tolerance=TOL,
        source=f"{where}: E[(2v - 1 - 2c) 1{{v >= c}}] < 0: efficiency is impossible",
    )
    rep.check(
        "second best: smallest balanced gap",
        1 / 4,
        ms.deal["gap"],
        tolerance=TOL,
        source=f"{where}: trade iff v >= c + 1/4",
    )
    rep.check(
        "second-best gains", 9 / 64, d["second_best_gains"], tolerance=TOL, source=f"{where}: 9/64"
    )
    rep.check(
        "double auction minus second best",
        0.0,
        d["attained"],
        tolerance=TOL,
        source=f"{where}: the k = 1/2 linear equilibrium attains the bound",
    )
    for k in (0.0, 1.0):
        gains = bargain.double_auction(k, check_best_responses=False).diagnostics["gains"]
        rep.check(
            f"gains, k = {k:g} (one side sets the price)",
            1 / 8,
            gains,
            tolerance=TOL,
            source="monopoly / monopsony price 1/2 against a truthful side: 1/8 (derived here)",
        )


def by_k(rep: Reproduction) -> list[list[float]]:
    rows = []
    for k in np.linspace(0, 1, 11):
        s = bargain.double_auction(float(k), check_best_responses=False)
        d = s.diagnostics
        rows.append(
            [
                float(k),
                d["bid"]["slope"],
                d["bid"]["intercept"],
                d["ask"]["slope"],
                d["ask"]["intercept"],
                d["gains"],
                d["efficiency"],
                d["trade_probability"],
                s.utilities["A"],
                s.utilities["B"],
            ]
        )
    rep.table(
        "by_k",
        [
            "k",
            "bid slope",
            "bid intercept",
            "ask slope",
            "ask intercept",
            "gains",
            "share of first best",
            "P(trade)",
            "seller",
            "buyer",
        ],
        rows,
    )
    return rows


def figure(rep: Reproduction, auction: bargain.Solution, rows: list[list[float]]) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 4.0))
    c = np.linspace(0, 1, 200)
    left.fill_between(c, c, 1, color="C0", alpha=0.15, label="first best: v >= c")
    left.fill_between(
        c[c <= 0.75],
        c[c <= 0.75] + 0.25,
        1,
        color="C1",
        alpha=0.4,
        label="k = 1/2 and second best: v >= c + 1/4",
    )
    left.set_xlabel("seller's cost c")
    left.set_ylabel("buyer's value v")
    left.set_title("trade regions")
    left.legend(frameon=False, fontsize=8, loc="lower right")
    k = [r[0] for r in rows]
    right.plot(k, [r[5] for r in rows], "o-", label="double auction, linear equilibrium")
    right.axhline(9 / 64, color="C1", linestyle="--", label="second best 9/64")
    right.axhline(1 / 6, color="k", linestyle=":", label="first best 1/6")
    right.set_xlabel("weight k of the bid in the price")
    right.set_ylabel("expected gains from trade")
    right.set_title("Myerson-Satterthwaite bound")
    right.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    rep.figure(fig, "double_auction")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
