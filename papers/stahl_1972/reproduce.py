"""Stahl (1972), Bargaining Theory: alternating offers with a deadline, by backward induction.

Two players split a unit pie in at most T rounds of alternating offers, A
first; after the last rejection nobody gets anything. In the last round the
proposer takes everything; working backwards, A's share is the alternating sum
1 - dB + dB dA - dB^2 dA + ... with T terms, (1 - (-d)^T)/(1 + d) with a
common factor d, and it tends to Rubinstein's (1 - dB)/(1 - dA dB) as T grows.
Run: ``python papers/stahl_1972/reproduce.py [--out DIR]``.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

PAPER = "Stahl (1972)"
TOL = 1e-8
HORIZONS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 50]
PAIRS = [(0.9, 0.9), (0.9, 0.8), (0.6, 0.95)]


def share(rounds: int, d_a: float, d_b: float) -> float:
    """A's share with A first: the alternating sum, in closed form by parity (coded here)."""
    m, odd = divmod(rounds, 2)
    even_part = (1 - d_b) * (1 - (d_a * d_b) ** m) / (1 - d_a * d_b)
    return even_part + (d_a * d_b) ** m if odd else even_part


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv)
    base = rep.scenario("scenarios/textbook/unit_pie.toml")
    frontier = bargain.Frontier(base.problem(), seed=rep.seed)  # the utilities do not move
    rows = []
    for d_a, d_b in PAIRS:
        problem = base.with_parameters(dA=d_a, dB=d_b).problem()
        for t in HORIZONS:
            s = bargain.rubinstein_solution(problem, rounds=t, first_proposer=0, frontier=frontier)
            rows.append([d_a, d_b, t, s.deal["x"], share(t, d_a, d_b)])
            if t in (1, 2, 5, 10, 50):
                formula = "(1 - (-d)^T)/(1 + d)" if d_a == d_b else "the alternating sum"
                rep.check(
                    f"A's share, T = {t}, d = ({d_a:g}, {d_b:g})",
                    share(t, d_a, d_b),
                    s.deal["x"],
                    tolerance=TOL,
                    source=f"{PAPER}: backward induction, {formula} (evaluated here)",
                )
        limit = (1 - d_b) / (1 - d_a * d_b)
        rubinstein = bargain.rubinstein_solution(problem, rounds=0, frontier=frontier)
        rep.check(
            f"T -> infinity: Rubinstein's share, d = ({d_a:g}, {d_b:g})",
            limit,
            rubinstein.deal["x"],
            tolerance=TOL,
            source="Rubinstein (1982): (1 - dB)/(1 - dA dB), the limit of Stahl's shares",
        )
    printed = bargain.rubinstein_solution(
        rep.scenario("scenarios/textbook/rubinstein_deadline.toml").problem(), rounds=5
    )
    rep.check(
        "A's share, T = 5, d = 0.9 (scenario file)",
        (1 + 0.9**5) / 1.9,
        printed.deal["x"],
        tolerance=TOL,
        source="(1 - (-d)^T)/(1 + d) = 0.837100 (the scenario's comment)",
    )
    rep.table("shares", ["dA", "dB", "T", "A's share (solver)", "A's share (closed form)"], rows)
    figure(rep, rows)
    return rep.finish()


def figure(rep: Reproduction, rows: list[list[float]]) -> None:
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for i, (d_a, d_b) in enumerate(PAIRS):
        mine = [r for r in rows if (r[0], r[1]) == (d_a, d_b)]
        ax.semilogx(
            [r[2] for r in mine],
            [r[3] for r in mine],
            "o-",
            color=f"C{i}",
            label=f"d = ({d_a:g}, {d_b:g})",
        )
        ax.axhline((1 - d_b) / (1 - d_a * d_b), color=f"C{i}", linestyle=":")
    ax.set_xlabel("deadline T (rounds)")
    ax.set_ylabel("A's share (A proposes first)")
    ax.set_title("Stahl (1972): shares oscillate with the parity of T to Rubinstein's (dotted)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    rep.figure(fig, "shares")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
