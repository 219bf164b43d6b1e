"""Nash (1950), The Bargaining Problem: the two-person barter example.

Bill and Jack barter nine goods without money; with lotteries over the trades
allowed, the Nash solution is a sure trade: Bill gives Jack the book, whip, ball
and bat, Jack gives Bill the pen, toy and knife, and the utility gains are
(12, 5). Run from anywhere: ``python papers/nash_1950/reproduce.py [--out DIR]``.
"""

from __future__ import annotations

import itertools
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

SCENARIO = "scenarios/textbook/nash_1950_barter.toml"
WHERE = "Nash (1950), p. 161"
GIVEN_BY_BILL = ("book", "whip", "ball", "bat", "box")
GIVEN_BY_JACK = ("pen", "toy", "knife", "hat")
#: Nash's solution: 1 if the good changes hands, 0 if it does not.
PUBLISHED_DEAL = {"book": 1, "whip": 1, "ball": 1, "bat": 1, "box": 0}
PUBLISHED_DEAL |= {"pen": 1, "toy": 1, "knife": 1, "hat": 0}
PUBLISHED_GAINS = {"bill": 12.0, "jack": 5.0}
TOL_GAIN = 1e-6  # utility units (Nash's integer utilities)
TOL_DEAL = 1e-6  # probability that a good changes hands


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv)
    scenario = rep.scenario(SCENARIO)
    problem = scenario.problem()
    frontier = bargain.Frontier(problem, seed=rep.seed)
    nash = bargain.nash_solution(problem, frontier=frontier)
    if not nash.ok:
        print(f"the Nash solution failed: {nash.status}: {nash.message}", file=sys.stderr)
        return 1
    for party, value in PUBLISHED_GAINS.items():
        rep.check(
            f"{party.title()}'s utility gain",
            value,
            nash.gains[party],
            tolerance=TOL_GAIN,
            source=WHERE,
        )
    for good, value in PUBLISHED_DEAL.items():
        giver = "Bill" if good in GIVEN_BY_BILL else "Jack"
        rep.check(
            f"P({giver} gives the {good})", value, nash.deal[good], tolerance=TOL_DEAL, source=WHERE
        )
    goods_table(rep, problem, nash)
    pure = pure_trades(problem)
    best = max(pure, key=lambda row: row[-1])
    rep.table(
        "best_pure_trades",
        ["Bill gives", "Jack gives", "Bill's gain", "Jack's gain", "Nash product"],
        sorted(pure, key=lambda row: (-row[-1], row[0], row[1]))[:10],
    )
    rep.check(
        "Nash product of the best sure trade",
        12 * 5,
        best[-1],
        tolerance=TOL_GAIN,
        source=f"{WHERE}: 12 x 5",
    )
    plot(rep, frontier, nash, pure)
    return rep.finish()


def goods_table(rep: Reproduction, problem: bargain.BargainingProblem, nash) -> None:
    """Each good's worth to both (the scenario's utilities) and whether it changes hands."""
    rows = []
    zero = np.zeros(len(problem.issues))
    for k, good in enumerate(problem.issues):
        x = zero.copy()
        x[k] = 1.0
        bill, jack = problem.utility(x) - problem.utility(zero)
        owner = "Bill" if good in GIVEN_BY_BILL else "Jack"
        rows.append([good, owner, bill, jack, PUBLISHED_DEAL[good], nash.deal[good]])
    rep.table(
        "goods",
        [
            "good",
            "owner",
            "change in Bill's utility",
            "change in Jack's utility",
            "published: changes hands",
            "reproduced: probability",
        ],
        rows,
    )


def pure_trades(problem: bargain.BargainingProblem) -> list[list]:
    """All 512 sure trades (each good changes hands or not) with both gains."""
    rows = []
    for bits in itertools.product((0.0, 1.0), repeat=len(problem.issues)):
        gains = problem.utility(np.array(bits)) - problem.disagreement
        if gains.min() < 0:
            continue
        moved = [g for g, b in zip(problem.issues, bits, strict=True) if b]
        rows.append(
            [
                " ".join(g for g in moved if g in GIVEN_BY_BILL) or "-",
                " ".join(g for g in moved if g in GIVEN_BY_JACK) or "-",
                float(gains[0]),
                float(gains[1]),
                float(gains[0] * gains[1]),
            ]
        )
    return rows


def plot(rep: Reproduction, frontier: bargain.Frontier, nash, pure: list[list]) -> None:
    sample = frontier.sample()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot(*np.asarray([r[2:4] for r in pure]).T, ".", color="0.6", label="sure trades")
    ax.plot(*sample.utilities.T, "-", color="C0", label="frontier (lotteries allowed)")
    ax.plot(
        [nash.gains["bill"]], [nash.gains["jack"]], "o", color="C3", label="Nash solution (12, 5)"
    )
    ax.set_xlabel("Bill's utility gain")
    ax.set_ylabel("Jack's utility gain")
    ax.set_title("Nash (1950): the barter example")
    ax.legend(loc="upper right", frameon=False)
    fig.tight_layout()
    rep.figure(fig, "utility_space")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
