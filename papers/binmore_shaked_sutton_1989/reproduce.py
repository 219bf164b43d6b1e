"""Binmore, Shaked and Sutton (1989): the outside-option principle against split-the-difference.

Two players split a unit pie by alternating offers with a common discount
factor d; a responder may walk out to its outside option. The strategic
analysis predicts that an outside option is irrelevant unless it beats what the
player gets in the game without it (the outside-option principle, or
"deal-me-out"): player 2's share is max(d/(1 + d), o2) when player 1 proposes
first. The conventional treatment takes the options as the disagreement point
of the Nash solution ("split-the-difference"): player 2's share is
o2 + (1 - o1 - o2)/2.
Run: ``python papers/binmore_shaked_sutton_1989/reproduce.py [--out DIR]``.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

OPTIONS = "scenarios/textbook/bss_1989_outside_options.toml"
SPLIT = "scenarios/textbook/bss_1989_split_the_difference.toml"
PAPER = "Binmore, Shaked and Sutton (1989), abstract, p. 753"
D = 0.9  # the scenario's common discount factor
O1 = 0.1  # player 1's outside option
#: Player 2's outside options: below, near and above d/(1 + d) = 0.4737.
O2 = [0.0, 0.2, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8]
TOL = 1e-8  # share of the pie


def deal_me_out(o2: float, d: float = D) -> float:
    """Player 2's share under the outside-option principle (player 1 proposes first)."""
    return max(d / (1 + d), o2)


def split_the_difference(o1: float, o2: float) -> float:
    """Player 2's share by the Nash solution with the options as disagreement point."""
    return o2 + (1 - o1 - o2) / 2


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv)
    options = rep.scenario(OPTIONS).with_parameters(d=D, oA=O1)
    split = rep.scenario(SPLIT).with_parameters(oA=O1)
    frontier = bargain.Frontier(options.problem(), seed=rep.seed)  # the unit pie for every o2
    rows = []
    for o2 in O2:
        strategic = bargain.rubinstein_solution(
            options.with_parameters(oB=o2).problem(), frontier=frontier
        )
        nash = bargain.nash_solution(split.with_parameters(oB=o2).problem())
        got_strategic = _share(strategic)
        got_nash = _share(nash)
        rep.check(
            f"o2 = {o2:g}: 2's share, outside-option principle",
            deal_me_out(o2),
            got_strategic,
            tolerance=TOL,
            source=f"{PAPER}: max(d/(1+d), o2) at d = {D:g}",
        )
        rep.check(
            f"o2 = {o2:g}: 2's share, split-the-difference",
            split_the_difference(O1, o2),
            got_nash,
            tolerance=TOL,
            source=f"{PAPER}: o2 + (1 - o1 - o2)/2 at o1 = {O1:g}",
        )
        rows.append([o2, deal_me_out(o2), got_strategic, split_the_difference(O1, o2), got_nash])
    no_options = bargain.rubinstein_solution(
        options.with_parameters(oA=0.0, oB=0.0).problem(), frontier=frontier
    )
    rep.check(
        "2's share without outside options",
        D / (1 + D),
        _share(no_options),
        tolerance=TOL,
        source=f"{PAPER}: d/(1+d), Rubinstein's share of the responder",
    )
    rep.table(
        "shares",
        [
            "o2",
            "principle: 2's share",
            "reproduced (alternating offers)",
            "split-the-difference: 2's share",
            "reproduced (Nash, d = options)",
        ],
        rows,
    )
    plot(rep, rows)
    return rep.finish()


def _share(solution: bargain.Solution) -> float:
    """Player 2's share of the pie (nan if the solver found no single deal)."""
    if not solution.ok:
        return float("nan")
    return 1.0 - float(solution.deal["x"])


def plot(rep: Reproduction, rows: list[list[float]]) -> None:
    fine = np.linspace(0.0, 0.85, 200)
    data = np.array(rows)
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    ax.plot(
        fine,
        [deal_me_out(o) for o in fine],
        "-",
        color="C0",
        label="outside-option principle: max(d/(1+d), o2)",
    )
    ax.plot(
        fine,
        split_the_difference(O1, fine),
        "--",
        color="C1",
        label="split-the-difference: o2 + (1 - o1 - o2)/2",
    )
    ax.plot(data[:, 0], data[:, 2], "o", color="C0", label="alternating offers (bargain)")
    ax.plot(
        data[:, 0], data[:, 4], "s", color="C1", mfc="none", label="Nash, d = options (bargain)"
    )
    ax.plot(fine, fine, ":", color="0.5", label="o2")
    ax.set_xlabel("player 2's outside option o2")
    ax.set_ylabel("player 2's share of the pie")
    ax.set_title(f"Binmore, Shaked and Sutton (1989): d = {D:g}, o1 = {O1:g}")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    rep.figure(fig, "outside_options")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
