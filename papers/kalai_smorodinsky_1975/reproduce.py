"""Kalai and Smorodinsky (1975): the Nash solution violates monotonicity, theirs does not.

S1 = conv{(0,0), (1,0), (0,1), (3/4,3/4)} and S2 = conv{(0,0), (1,0), (0,1),
(1,0.7)} have the same ideal point (1, 1), and every utility player 2 can get in
S1 for a given utility of player 1 it can also get in S2. Yet the Nash solution
moves from (3/4, 3/4) to (1, 0.7): player 2 loses. The Kalai-Smorodinsky
solution moves from (3/4, 3/4) to (10/13, 10/13): player 2 gains.
Run: ``python papers/kalai_smorodinsky_1975/reproduce.py [--out DIR]``.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

SCENARIO = "scenarios/textbook/ks_1975_monotonicity.toml"
PAPER = "Kalai and Smorodinsky (1975), the example against the Nash solution"
DEFINITION = "the KS definition (ray from d to the ideal point) evaluated on the set"
#: The corner (v1, v2) of each set.
SETS = {"S1": (0.75, 0.75), "S2": (1.0, 0.7)}
PUBLISHED_NASH = {"S1": (0.75, 0.75), "S2": (1.0, 0.7)}
PUBLISHED_KS = {"S1": (0.75, 0.75), "S2": (10 / 13, 10 / 13)}
IDEAL = (1.0, 1.0)
TOL = 1e-6  # utility units


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv)
    base = rep.scenario(SCENARIO)
    solved = {}
    for name, (v1, v2) in SETS.items():
        problem = base.with_parameters(v1=v1, v2=v2).problem()
        frontier = bargain.Frontier(problem, seed=rep.seed)
        nash = bargain.nash_solution(problem, frontier=frontier)
        ks = bargain.kalai_smorodinsky_solution(problem, frontier=frontier)
        ideal = frontier.to_utilities([frontier.m1, frontier.m2])
        solved[name] = (frontier, _point(nash), _point(ks), ideal)
        for k, who in enumerate(("1", "2")):
            rep.check(
                f"{name}: ideal utility of {who}",
                IDEAL[k],
                ideal[k],
                tolerance=TOL,
                source=f"{PAPER}: both sets have the ideal point (1, 1)",
            )
        for k, who in enumerate(("1", "2")):
            rep.check(
                f"{name}: Nash utility of {who}",
                PUBLISHED_NASH[name][k],
                solved[name][1][k],
                tolerance=TOL,
                source=PAPER,
            )
        for k, who in enumerate(("1", "2")):
            rep.check(
                f"{name}: KS utility of {who}",
                PUBLISHED_KS[name][k],
                solved[name][2][k],
                tolerance=TOL,
                source=DEFINITION,
            )
    nash_change = solved["S2"][1][1] - solved["S1"][1][1]
    ks_change = solved["S2"][2][1] - solved["S1"][2][1]
    rep.check(
        "S1 -> S2: change in 2's Nash utility (< 0)",
        0.7 - 0.75,
        nash_change,
        tolerance=2 * TOL,
        source=f"{PAPER}: 0.7 - 3/4, monotonicity fails",
    )
    rep.check(
        "S1 -> S2: change in 2's KS utility (> 0)",
        10 / 13 - 0.75,
        ks_change,
        tolerance=2 * TOL,
        source=f"{DEFINITION}: 10/13 - 3/4",
    )
    rows = []
    for name in SETS:
        _, nash, ks, ideal = solved[name]
        rows.append([name, *PUBLISHED_NASH[name], *nash, *PUBLISHED_KS[name], *ks])
    rep.table(
        "solutions",
        [
            "set",
            "published Nash u1",
            "published Nash u2",
            "reproduced Nash u1",
            "reproduced Nash u2",
            "KS u1 (definition)",
            "KS u2 (definition)",
            "reproduced KS u1",
            "reproduced KS u2",
        ],
        rows,
    )
    rep.table(
        "frontiers",
        ["set", "u1", "u2"],
        [[name, *point] for name in SETS for point in solved[name][0].sample().utilities],
    )
    plot(rep, solved)
    return rep.finish()


def _point(solution: bargain.Solution) -> np.ndarray:
    if not solution.ok:
        return np.full(2, np.nan)
    return np.array(list(solution.utilities.values()), dtype=float)


def plot(rep: Reproduction, solved: dict) -> None:
    fig, ax = plt.subplots(figsize=(5.0, 5.0))
    for k, name in enumerate(SETS):
        v1, v2 = SETS[name]
        corners = np.array([(0, 0), (1, 0), (v1, v2), (0, 1), (0, 0)])
        ax.fill(*corners.T, alpha=0.15, color=f"C{k}")
        ax.plot(*corners.T, "-", color=f"C{k}", label=name)
        _, nash, ks, _ = solved[name]
        ax.plot(*nash, "o", color=f"C{k}", markersize=8, label=f"Nash on {name}")
        ax.plot(*ks, "s", color=f"C{k}", markersize=6, mfc="none", label=f"KS on {name}")
    ax.plot([0, 1], [0, 1], ":", color="0.5", label="ray to the ideal point (1, 1)")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.set_aspect("equal")
    ax.set_xlabel("utility of player 1")
    ax.set_ylabel("utility of player 2")
    ax.set_title("Kalai and Smorodinsky (1975)")
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    fig.tight_layout()
    rep.figure(fig, "monotonicity")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
