"""Rubinstein (1982), Perfect Equilibrium in a Bargaining Model: both models.

Fixed discounting factors: the first proposer's perfect-equilibrium share is
(1 - d2) / (1 - d1 d2). Fixed bargaining costs: with c1 < c2 player 1 gets the
whole pie, with c1 > c2 it gets c2, and with c1 = c2 = c every share in [c, 1]
is a perfect-equilibrium partition.
Run: ``python papers/rubinstein_1982/reproduce.py [--out DIR]``.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

DISCOUNTING = "scenarios/textbook/rubinstein_1982_discounting.toml"
COSTS = "scenarios/textbook/rubinstein_1982_fixed_costs.toml"
ABSTRACT = "Rubinstein (1982), abstract, p. 97"
#: Discount factors (d1, d2) at which the published formula is evaluated; the
#: first pair is the scenario's default.
DISCOUNT_PAIRS = [(0.95, 0.9), (0.9, 0.8), (0.5, 0.5), (0.99, 0.5), (0.6, 0.95), (0.999, 0.999)]
#: Costs (c1, c2) for the three cases of the fixed-cost model.
COST_CASES = [(0.1, 0.2), (0.3, 0.2), (0.25, 0.25)]
TOL = 1e-8  # share of the pie


def share(d1: float, d2: float) -> float:
    """The published perfect-equilibrium share of the first proposer."""
    return (1 - d2) / (1 - d1 * d2)


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv)
    discounting(rep)
    fixed_costs(rep)
    return rep.finish()


def discounting(rep: Reproduction) -> None:
    scenario = rep.scenario(DISCOUNTING)
    frontier = bargain.Frontier(scenario.problem(), seed=rep.seed)  # the unit pie: any d
    rows = []
    for d1, d2 in DISCOUNT_PAIRS:
        problem = scenario.with_parameters(dA=d1, dB=d2).problem()
        first = bargain.rubinstein_solution(problem, frontier=frontier)
        second = bargain.rubinstein_solution(problem, first_proposer=1, frontier=frontier)
        where = f"{ABSTRACT}: (1 - d2)/(1 - d1 d2) at d1 = {d1:g}, d2 = {d2:g}"
        rep.check(
            f"1's share, 1 first, d=({d1:g}, {d2:g})",
            share(d1, d2),
            _share(first, "A"),
            tolerance=TOL,
            source=where,
        )
        rep.check(
            f"2's share, 2 first, d=({d1:g}, {d2:g})",
            share(d2, d1),
            _share(second, "B"),
            tolerance=TOL,
            source=f"{ABSTRACT}: the same formula with the roles swapped",
        )
        rows.append([d1, d2, share(d1, d2), _share(first, "A"), share(d2, d1), _share(second, "B")])
    rep.table(
        "discounting",
        [
            "d1",
            "d2",
            "published: 1's share, 1 first",
            "reproduced: 1's share",
            "published: 2's share, 2 first",
            "reproduced: 2's share",
        ],
        rows,
    )
    plot_discounting(rep, scenario, frontier)


def _share(solution: bargain.Solution, party: str) -> float:
    if not solution.ok:
        return float("nan")
    return float(solution.utilities[party])


def fixed_costs(rep: Reproduction) -> None:
    scenario = rep.scenario(COSTS)
    frontier = bargain.Frontier(scenario.problem(), seed=rep.seed)
    rows = []
    for c1, c2 in COST_CASES:
        problem = scenario.with_parameters(cA=c1, cB=c2).problem()
        sol = bargain.rubinstein_solution(problem, frontier=frontier)
        where = f"{ABSTRACT}: fixed bargaining costs c1 = {c1:g}, c2 = {c2:g}"
        if c1 < c2:
            rep.check("c1 < c2: share of 1", 1.0, _share(sol, "A"), tolerance=TOL, source=where)
            rows.append([c1, c2, "c1 < c2", "1", _num(_share(sol, "A")), sol.status])
        elif c1 > c2:
            rep.check(
                "c1 > c2: share of 1 (= c2)", c2, _share(sol, "A"), tolerance=TOL, source=where
            )
            rows.append([c1, c2, "c1 > c2", f"{c2:g}", _num(_share(sol, "A")), sol.status])
        else:
            lo, hi = _interval(sol)
            rep.check(
                "c1 = c2 = c: lowest share of 1 (= c)",
                c1,
                lo,
                tolerance=TOL,
                source=f"{where}: every share in [c, 1]",
            )
            rep.check(
                "c1 = c2 = c: highest share of 1 (= 1)",
                1.0,
                hi,
                tolerance=TOL,
                source=f"{where}: every share in [c, 1]",
            )
            rows.append(
                [c1, c2, "c1 = c2", f"[{c1:g}, 1]", f"[{_num(lo)}, {_num(hi)}]", sol.status]
            )
    rep.table(
        "fixed_costs",
        ["c1", "c2", "case", "published share of 1", "reproduced share of 1", "status"],
        rows,
    )


def _interval(solution: bargain.Solution) -> tuple[float, float]:
    """The range of 1's utility over a continuum of equilibria (nan if there is none)."""
    if solution.status != "not_unique" or "interval" not in solution.diagnostics:
        return float("nan"), float("nan")
    lo, hi = solution.diagnostics["interval"]["A"]
    return float(lo), float(hi)


def _num(value: float) -> str:
    return format(value, ".12g")


def plot_discounting(rep: Reproduction, scenario: bargain.Scenario, frontier) -> None:
    """Player 1's share against d1 for three values of d2: formula and solver."""
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    grid = np.linspace(0.05, 0.95, 7)
    for k, d2 in enumerate((0.5, 0.8, 0.95)):
        fine = np.linspace(0.0, 0.99, 100)
        ax.plot(fine, share(fine, d2), "-", color=f"C{k}", label=f"(1 - d2)/(1 - d1 d2), d2 = {d2}")
        solved = [
            _share(
                bargain.rubinstein_solution(
                    scenario.with_parameters(dA=float(d1), dB=d2).problem(), frontier=frontier
                ),
                "A",
            )
            for d1 in grid
        ]
        ax.plot(grid, solved, "o", color=f"C{k}", markersize=4)
    ax.set_xlabel("d1 (discount factor of player 1, who proposes first)")
    ax.set_ylabel("share of player 1")
    ax.set_title("Rubinstein (1982): lines published, dots reproduced")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    rep.figure(fig, "discounting")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
