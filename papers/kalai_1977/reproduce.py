"""Kalai (1977), Proportional solutions: gains in fixed proportions, monotone, not scale-free.

The proportional solution with weights p = (p_A, p_B) picks the Pareto point
where the gains over disagreement are proportional to p, g_A / p_A = g_B / p_B
(p = (1, 1): the egalitarian solution). Kalai shows these are the solutions that
are monotone (enlarging the set of feasible deals never hurts anyone); unlike
Nash's they depend on the units of the utilities. The package's egalitarian
solution is applied to utilities divided by the weights.
Run: ``python papers/kalai_1977/reproduce.py [--out DIR]``.
"""

from __future__ import annotations

import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

PAPER = "Kalai (1977)"
TOL = 1e-8
LINEAR = "scenarios/textbook/unit_pie.toml"  # A gets x, B gets 1 - x
CURVED = "scenarios/textbook/brw_1986_convergence.toml"  # A gets x, B gets sqrt(1 - x)


def weighted(problem: bargain.BargainingProblem, weights) -> bargain.BargainingProblem:
    """The same deals with each utility divided by its weight (and scaled by ``scale``)."""
    w = np.asarray(weights, dtype=float)
    return bargain.BargainingProblem.from_functions(
        lambda x: problem.utility(x) / w,
        lambda x: problem.jacobian(x) / w[:, None],
        lower=problem.lower,
        upper=problem.upper,
        disagreement=problem.disagreement / w,
        parties=problem.parties,
        issues=problem.issues,
    )


def proportional(problem: bargain.BargainingProblem, weights) -> bargain.Solution:
    return bargain.egalitarian_solution(weighted(problem, weights))


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv)
    linear = rep.scenario(LINEAR).problem()
    curved = rep.scenario(CURVED).problem()
    where = f"{PAPER}: g_A/p_A = g_B/p_B on the frontier (formula evaluated here)"
    cases = [
        ("unit pie, p = (1, 1)", linear, (1, 1), 0.5, "x = 1 - x"),
        ("unit pie, p = (1, 2)", linear, (1, 2), 1 / 3, "x = (1 - x)/2"),
        ("unit pie, p = (3, 1)", linear, (3, 1), 0.75, "x/3 = 1 - x"),
        ("sqrt frontier, p = (1, 1)", curved, (1, 1), (math.sqrt(5) - 1) / 2, "x = sqrt(1 - x)"),
        ("sqrt frontier, p = (1, 2)", curved, (1, 2), (math.sqrt(17) - 1) / 8, "x = sqrt(1 - x)/2"),
    ]
    rows = []
    for label, problem, p, expected, formula in cases:
        s = proportional(problem, p)
        rep.check(
            f"A's share, {label}",
            expected,
            s.deal["x"],
            tolerance=TOL,
            source=f"{where}: {formula}",
        )
        u = problem.utility(np.array([s.deal["x"]]))
        rows.append([label, p[0], p[1], s.deal["x"], u[0], u[1], u[0] / p[0] - u[1] / p[1]])
    rep.table(
        "proportional",
        ["problem", "p_A", "p_B", "A's share", "A's gain", "B's gain", "g_A/p_A - g_B/p_B"],
        rows,
    )
    monotonicity(rep, linear, curved)
    scale(rep, linear)
    figure(rep, linear, curved)
    return rep.finish()


def monotonicity(rep: Reproduction, linear, curved) -> None:
    """sqrt(1 - x) >= 1 - x: the curved set contains the linear one; nobody loses."""
    # the smaller of the two gains' increases, in closed form (derived here):
    # p = (1, 1): x = (sqrt 5 - 1)/2 for both, from 1/2;
    # p = (1, 2): A's gain (sqrt 17 - 1)/8, from 1/3 (B's doubles that);
    # p = (3, 1): x^2 + 9x - 9 = 0, B's gain x/3, from 1/4 (A's triples that)
    x31 = (math.sqrt(117) - 9) / 2
    expected = {
        (1, 1): (math.sqrt(5) - 1) / 2 - 0.5,
        (1, 2): (math.sqrt(17) - 1) / 8 - 1 / 3,
        (3, 1): x31 / 3 - 0.25,
    }
    for p, value in expected.items():
        small = proportional(linear, p)
        big = proportional(curved, p)
        u_small = linear.utility(np.array([small.deal["x"]]))
        u_big = curved.utility(np.array([big.deal["x"]]))
        rep.check(
            f"monotonicity, p = {p}: the smaller gain increase (> 0)",
            value,
            float(min(u_big - u_small)),
            tolerance=TOL,
            source=f"{PAPER}: monotonicity (the larger set gives both at least as much); "
            "increase evaluated here in closed form",
        )


def scale(rep: Reproduction, linear) -> None:
    """Doubling B's utility moves the proportional solution, not Nash's."""
    doubled = weighted(linear, (1, 0.5))
    egal = bargain.egalitarian_solution(doubled)
    nash = bargain.nash_solution(doubled)
    rep.check(
        "B's utility doubled: egalitarian share of A",
        2 / 3,
        egal.deal["x"],
        tolerance=TOL,
        source=f"{PAPER}: not invariant to a change of units: x = 2(1 - x)",
    )
    rep.check(
        "B's utility doubled: Nash share of A",
        0.5,
        nash.deal["x"],
        tolerance=TOL,
        source="Nash (1950): invariant to positive affine transformations",
    )


def figure(rep: Reproduction, linear, curved) -> None:
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    x = np.linspace(0, 1, 200)
    ax.plot(x, 1 - x, color="C0", label="unit pie: B gets 1 - x")
    ax.plot(x, np.sqrt(1 - x), color="C1", label="B gets sqrt(1 - x)")
    for i, p in enumerate([(1, 1), (1, 2), (3, 1)]):
        t = np.linspace(0, 1.2, 2)
        ax.plot(p[0] * t / max(p), p[1] * t / max(p), color="0.6", linestyle=":", lw=1)
        for problem, marker in ((linear, "o"), (curved, "s")):
            s = proportional(problem, p)
            u = problem.utility(np.array([s.deal["x"]]))
            ax.plot(
                u[0], u[1], marker, color=f"C{i + 2}", label=f"p = {p}" if marker == "o" else None
            )
    ax.set_xlabel("A's utility")
    ax.set_ylabel("B's utility")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.set_title("Proportional solutions: rays g = t p meet each frontier")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    rep.figure(fig, "proportional")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
