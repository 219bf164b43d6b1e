"""Fudenberg and Tirole (1983), Sequential bargaining with incomplete information: screening.

A seller who does not know the buyer's value makes offers over T periods and
updates its beliefs after each rejection; high-value buyers buy early
(skimming). Two periods, two buyer types: the high type randomises so that the
seller is indifferent in period 2. Two periods, values uniform on [0, 1]: the
cutoff (2 - d)/(4 - 3d). Longer horizons (Sobel and Takahashi 1983): the first
price falls towards the lowest value as T grows and d -> 1 (the Coase
conjecture), with and without a gap.
Run: ``python papers/fudenberg_tirole_1983/reproduce.py [--out DIR]``.
"""

from __future__ import annotations

import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

PAPER = "Fudenberg and Tirole (1983)"
ST = "Sobel and Takahashi (1983)"
TOL = 1e-8
V_L, V_H = 1.0, 2.0
TWO_TYPE_CASES = [(0.3, 0.9), (0.7, 0.9), (0.9, 0.5), (0.55, 0.99)]  # (q = P(high), delta)
UNIFORM_DELTAS = [0.5, 0.9]
HORIZONS = [1, 2, 3, 5, 10, 20, 50, 100]


def two_types(q: float, d: float) -> tuple[float, str]:
    """Seller's value, two periods, two types (cost 0), coded independently of the solver."""
    q_star = V_L / V_H
    options = {
        "sell to both at v_L": V_L,
        "skim H at (1-d) v_H + d v_L": q * ((1 - d) * V_H + d * V_L) + d * (1 - q) * V_L,
        "wait": d * max(q * V_H, V_L),
    }
    if q > q_star:
        sold = (q - q_star) / (1 - q_star)
        options["v_H, H randomises down to q*"] = sold * V_H + d * V_L * (1 - sold)
    best = max(options, key=options.__getitem__)
    return options[best], best


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv)
    two_periods_two_types(rep)
    two_periods_uniform(rep)
    horizon_rows = coase(rep)
    figure(rep, horizon_rows)
    return rep.finish()


def two_periods_two_types(rep: Reproduction) -> None:
    rows = []
    for q, d in TWO_TYPE_CASES:
        s = bargain.screening_solution([V_L, V_H], [1 - q, q], rounds=2, discount=d)
        value, case = two_types(q, d)
        first = s.diagnostics["path"][0]
        where = (
            f"{PAPER}, one-sided two-type case (derived here; formula evaluated at v = "
            f"({V_L:g}, {V_H:g}), P(high) = {q}, d = {d}): {case}"
        )
        rep.check(
            f"seller's value, q = {q}, d = {d}",
            value,
            s.utilities["A"],
            tolerance=TOL,
            source=where,
        )
        if case.startswith("v_H"):
            q_star = V_L / V_H
            rep.check(
                f"P(H accepts v_H in period 1), q = {q}, d = {d}",
                (q - q_star) / (q * (1 - q_star)),
                first["accept_probability"][1],
                tolerance=TOL,
                source=f"{where}; posterior after rejection = q* = v_L/v_H",
            )
        rows.append(
            [
                q,
                d,
                case,
                first["price"],
                first["accept_probability"][1],
                first["posterior"][1] if first["posterior"] else math.nan,
                s.diagnostics["path"][1]["price"] if len(s.diagnostics["path"]) > 1 else math.nan,
                s.utilities["A"],
                s.utilities["B"],
                s.diagnostics["efficiency_loss"],
            ]
        )
    rep.table(
        "two_types",
        [
            "P(high)",
            "delta",
            "seller's choice",
            "price 1",
            "P(H accepts)",
            "P(high) after no",
            "price 2",
            "seller",
            "buyer",
            "efficiency loss",
        ],
        rows,
    )


def two_periods_uniform(rep: Reproduction) -> None:
    for d in UNIFORM_DELTAS:
        s = bargain.screening_uniform(2, d)
        k = (2 - d) / (4 - 3 * d)
        where = f"{PAPER}, one-sided uniform values on [0, 1], two periods (formula at d = {d})"
        rep.check(
            f"uniform: cutoff after period 1, d = {d}",
            k,
            s.diagnostics["cutoffs"][0],
            tolerance=TOL,
            source=f"{where}: (2 - d)/(4 - 3d)",
        )
        rep.check(
            f"uniform: first price, d = {d}",
            (2 - d) ** 2 / (2 * (4 - 3 * d)),
            s.deal["price"],
            tolerance=TOL,
            source=f"{where}: (2 - d)^2/(2(4 - 3d))",
        )
        rep.check(
            f"uniform: second price, d = {d}",
            k / 2,
            s.diagnostics["prices"][1],
            tolerance=TOL,
            source=f"{where}: the static monopoly price on [0, k]",
        )


def coase(rep: Reproduction) -> list[list[float]]:
    rows = []
    for t in HORIZONS:
        row: list[float] = [t]
        for d in (0.9, 0.99):
            row.append(bargain.screening_uniform(t, d).deal["price"])
        for d in (0.9, 0.99):
            s = bargain.screening_solution([V_L, V_H], [0.3, 0.7], rounds=t, discount=d)
            row.append(s.deal["price"])
        rows.append(row)
    rep.table(
        "horizon",
        [
            "T",
            "uniform, d = 0.9",
            "uniform, d = 0.99",
            "gap (1, 2), d = 0.9",
            "gap (1, 2), d = 0.99",
        ],
        rows,
    )
    for d in (0.9, 0.99, 0.999):
        root = math.sqrt(1 - d)
        rep.check(
            f"uniform: first price, T = 20000, d = {d}",
            root / (1 + root),
            bargain.screening_uniform(20000, d).deal["price"],
            tolerance=TOL,
            source=f"{ST}: stationary limit sqrt(1 - d)/(1 + sqrt(1 - d)) (fixed point "
            "of the recursion, derived here); tends to 0 = lowest value as d -> 1",
        )
    for d in (0.9, 0.99):
        rep.check(
            f"gap: first price, T = 100, d = {d}",
            (1 - d) * V_H + d * V_L,
            rows[-1][3 + (d == 0.99)],
            tolerance=TOL,
            source=f"long horizon, gap case (derived here): skim at "
            f"(1 - d) v_H + d v_L, then v_L; tends to v_L = {V_L:g} as d -> 1 (Coase)",
        )
    return rows


def figure(rep: Reproduction, rows: list[list[float]]) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    horizons = [r[0] for r in rows]
    for col, d in ((1, 0.9), (2, 0.99)):
        left.semilogx(horizons, [r[col] for r in rows], "o-", label=f"d = {d}")
    left.set_xlabel("horizon T (periods)")
    left.set_ylabel("first offer")
    left.set_title("values uniform on [0, 1] (no gap)")
    left.legend(frameon=False, fontsize=8)
    for col, d in ((3, 0.9), (4, 0.99)):
        right.semilogx(horizons, [r[col] for r in rows], "o-", label=f"d = {d}")
    right.axhline(V_L, color="k", linestyle=":", label="lowest value v_L")
    right.set_xlabel("horizon T (periods)")
    right.set_title("two types v = (1, 2), P(high) = 0.7 (gap)")
    right.legend(frameon=False, fontsize=8)
    fig.suptitle("Screening: the first offer falls as the horizon grows (Coase)")
    fig.tight_layout()
    rep.figure(fig, "first_offer")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
