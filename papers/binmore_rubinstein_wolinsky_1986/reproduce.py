"""Binmore, Rubinstein and Wolinsky (1986): alternating offers converge to the Nash solution.

Time preference: offers are Delta apart and the players discount at rates r1,
r2, so the per-round factors are exp(-r_i Delta). As Delta -> 0 both
stationary offers converge to the asymmetric Nash solution with bargaining
powers proportional to 1/r_i. Breakdown risk: after each rejection the talks
end with probability p; as p -> 0 the offers converge to the symmetric Nash
solution with the breakdown payoffs as the disagreement point. The frontier is
non-linear (A gets x, B gets sqrt(1 - x)), so the limit differs from an equal
split of the pie.
Run: ``python papers/binmore_rubinstein_wolinsky_1986/reproduce.py [--out DIR]``.
"""

from __future__ import annotations

import dataclasses
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

SLOW = True  # about 30 s: two sequences of non-linear alternating-offers equilibria

SCENARIO = "scenarios/textbook/brw_1986_convergence.toml"
PAPER = "Binmore, Rubinstein and Wolinsky (1986)"
RA, RB = 1.0, 2.0  # discount rates per unit of time
DELTAS = [1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0001]
BREAKDOWNS = [0.5, 0.2, 0.1, 0.03, 0.01, 0.001, 0.0001]
TOL_LIMIT = 1e-4  # share of the pie at the smallest Delta or p: the gap there is 4e-5 and 3e-5
TOL_NASH = 1e-8  # the Nash solutions themselves
TOL_CLOSED = 1e-7  # the solver's stationary offers against their closed forms, at every step
# gap / Delta (resp. gap / p) at Delta = p = 1e-3 against its first-order slope: the
# second-order term is about 2e-4 there; at 1e-4 the solver's own error (up to 8e-8,
# divided by the step) would dominate
TOL_SLOPE = 1e-3


def asymmetric_share(ra: float, rb: float) -> float:
    """A's share at the asymmetric Nash solution, powers (1/ra, 1/rb) normalised.

    With a = rb / (ra + rb), maximise x**a * sqrt(1 - x)**(1 - a): x = 2a / (1 + a).
    """
    a = rb / (ra + rb)
    return 2 * a / (1 + a)


def stationary_share(d_a: float, d_b: float, q: float) -> float:
    """A's offer in the stationary equilibrium (derived in the scenario file), A first."""
    return (1 - q**2 * d_b**2) / (1 - q**3 * d_a * d_b**2)


def check_closed_forms(rep: Reproduction, rows, label: str, d_a_col: int | None, q_of) -> None:
    """Both offers at every step against the closed forms; B's offer gives A q d_A x_A."""
    worst_a = max(abs(r[-4] - r[-2]) for r in rows)
    worst_b = max(
        abs(r[-3] - q_of(r) * (r[d_a_col] if d_a_col is not None else 1.0) * r[-2]) for r in rows
    )
    where = "closed form of the stationary offers (derived in the scenario file), every step"
    rep.check(
        f"{label}: max |A's offer - closed form|",
        0.0,
        worst_a,
        tolerance=TOL_CLOSED,
        source=f"{where}: (1 - q^2 dB^2)/(1 - q^3 dA dB^2)",
    )
    rep.check(
        f"{label}: max |B's offer - closed form|",
        0.0,
        worst_b,
        tolerance=TOL_CLOSED,
        source=f"{where}: A's share in B's offer = q dA x_A",
    )


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv)
    base = rep.scenario(SCENARIO)
    frontier = bargain.Frontier(base.problem(), seed=rep.seed)  # utilities do not move
    time_rows = time_preference(rep, base, frontier)
    breakdown_rows = breakdown(rep, base, frontier)
    impasse_vs_breakdown(rep, base, frontier)
    plot(rep, time_rows, breakdown_rows)
    return rep.finish()


def offers(problem: bargain.BargainingProblem, frontier: bargain.Frontier) -> tuple[float, float]:
    """A's share in A's offer and in B's offer."""
    first = bargain.rubinstein_solution(problem, first_proposer=0, frontier=frontier)
    second = bargain.rubinstein_solution(problem, first_proposer=1, frontier=frontier)
    share = [s.deal["x"] if s.ok else math.nan for s in (first, second)]
    return float(share[0]), float(share[1])


def time_preference(rep: Reproduction, base: bargain.Scenario, frontier) -> list[list[float]]:
    limit = asymmetric_share(RA, RB)
    scenario = base.with_parameters(rA=RA, rB=RB, p=0.0)
    powers = (1 / RA, 1 / RB)
    nash = bargain.nash_solution(scenario.problem(), powers=powers, frontier=frontier)
    where = f"{PAPER}: limit = asymmetric Nash solution, powers 1/r_i, r = ({RA:g}, {RB:g})"
    rep.check(
        "asymmetric Nash share of A (solver)",
        limit,
        nash.deal["x"],
        tolerance=TOL_NASH,
        source=f"{where}: 2a/(1+a), a = r2/(r1+r2)",
    )
    rows = []
    for delta in DELTAS:
        problem = scenario.with_parameters(Delta=delta).problem()
        a_first, b_first = offers(problem, frontier)
        d_a, d_b = math.exp(-RA * delta), math.exp(-RB * delta)
        rows.append([delta, d_a, d_b, a_first, b_first, stationary_share(d_a, d_b, 1.0), limit])
    a_first, b_first = rows[-1][3], rows[-1][4]
    check_closed_forms(rep, rows, "time preference", 1, lambda r: 1.0)
    # x_A(Delta) = limit (1 + rA Delta / 2) + O(Delta^2): expand the closed form
    rep.check(
        f"time preference: (A's offer - limit) / Delta at Delta = {DELTAS[-2]:g}",
        limit * RA / 2,
        (rows[-2][3] - limit) / DELTAS[-2],
        tolerance=TOL_SLOPE,
        source="first-order expansion of the closed form (derived here): the gap shrinks in "
        "proportion to Delta, with slope limit * rA / 2",
    )
    rep.check(
        f"A's offer, Delta = {DELTAS[-1]:g}", limit, a_first, tolerance=TOL_LIMIT, source=where
    )
    rep.check(
        f"B's offer (A's share), Delta = {DELTAS[-1]:g}",
        limit,
        b_first,
        tolerance=TOL_LIMIT,
        source=where,
    )
    rep.table(
        "time_preference",
        [
            "Delta",
            "dA",
            "dB",
            "A's share, A proposes",
            "A's share, B proposes",
            "closed form of A's offer",
            "asymmetric Nash (limit)",
        ],
        rows,
    )
    return rows


def breakdown(rep: Reproduction, base: bargain.Scenario, frontier) -> list[list[float]]:
    scenario = base.with_parameters(rA=0.0, rB=0.0)
    limit = 2 / 3  # maximise x * sqrt(1 - x)
    nash = bargain.nash_solution(scenario.problem(), frontier=frontier)
    where = f"{PAPER}: breakdown model, limit = Nash solution, d = breakdown payoffs (0, 0)"
    rep.check(
        "symmetric Nash share of A (solver)",
        limit,
        nash.deal["x"],
        tolerance=TOL_NASH,
        source=f"{where}: argmax x sqrt(1 - x) = 2/3",
    )
    rows = []
    for p in BREAKDOWNS:
        a_first, b_first = offers(scenario.with_parameters(p=p).problem(), frontier)
        rows.append([p, a_first, b_first, stationary_share(1.0, 1.0, 1 - p), limit])
    check_closed_forms(rep, rows, "breakdown", None, lambda r: 1 - r[0])
    # x_A(p) = (2 - p)/(3 - 3p + p^2) = 2/3 (1 + p/2) + O(p^2)
    rep.check(
        f"breakdown: (A's offer - limit) / p at p = {BREAKDOWNS[-2]:g}",
        limit / 2,
        (rows[-2][1] - limit) / BREAKDOWNS[-2],
        tolerance=TOL_SLOPE,
        source="first-order expansion of the closed form (derived here): the gap shrinks in "
        "proportion to p, with slope 1/3",
    )
    rep.check(
        f"A's offer, p = {BREAKDOWNS[-1]:g}", limit, rows[-1][1], tolerance=TOL_LIMIT, source=where
    )
    rep.check(
        f"B's offer (A's share), p = {BREAKDOWNS[-1]:g}",
        limit,
        rows[-1][2],
        tolerance=TOL_LIMIT,
        source=where,
    )
    rep.table(
        "breakdown",
        [
            "p",
            "A's share, A proposes",
            "A's share, B proposes",
            "closed form of A's offer",
            "Nash (limit)",
        ],
        rows,
    )
    return rows


#: Breakdown payoffs (A, B): not binding, and B's binding (above its Nash utility 0.577).
BREAKDOWN_PAYOFFS = [(0.2, 0.1), (0.2, 0.7)]
STEP = 1e-4  # Delta (time preference) and p (breakdown) at which the limits are checked


def nash_with(b_a: float, b_b: float) -> float:
    """A's share at the Nash solution with disagreement point (b_a, b_b) on x, sqrt(1 - x).

    The first-order condition in y = sqrt(1 - x) is 3y^2 - 2 b_b y - (1 - b_a) = 0.
    """
    y = (b_b + math.sqrt(b_b**2 + 3 * (1 - b_a))) / 3
    return 1 - y * y


def impasse_vs_breakdown(rep: Reproduction, base: bargain.Scenario, frontier) -> None:
    """Which disagreement point? The breakdown payoffs b under breakdown risk; the impasse
    point (0, 0) under time preference, where b acts only as an outside option."""
    rows = []
    for b in BREAKDOWN_PAYOFFS:
        where = f"{PAPER}: impasse vs breakdown point, b = {b} (formula evaluated here)"
        risky = dataclasses.replace(
            base.with_parameters(rA=0.0, rB=0.0, p=STEP).problem(), disagreement=np.array(b)
        )
        risky_frontier = bargain.Frontier(risky, seed=rep.seed)
        nash_b = nash_with(*b)
        solver = bargain.nash_solution(risky, frontier=risky_frontier)
        rep.check(
            f"Nash share of A with d = b = {b} (solver)",
            nash_b,
            solver.deal["x"],
            tolerance=TOL_NASH,
            source=f"{where}: 3y^2 - 2 b_B y - (1 - b_A) = 0, x = 1 - y^2",
        )
        risk = offers(risky, risky_frontier)
        patient = dataclasses.replace(
            base.with_parameters(rA=1.0, rB=1.0, p=0.0, Delta=STEP).problem(),
            outside_options=np.array(b),
        )
        time = offers(patient, frontier)
        # the impasse point is (0, 0): Nash gives 2/3 unless B's option exceeds sqrt(1/3);
        # then B gets exactly its option (the outside option principle): x = 1 - b_B^2
        impasse = 2 / 3 if b[1] <= math.sqrt(1 / 3) else 1 - b[1] ** 2
        rep.check(
            f"breakdown risk, p = {STEP:g}, b = {b}: A's offer",
            nash_b,
            risk[0],
            tolerance=TOL_LIMIT,
            source=f"{where}: limit = Nash with d = b",
        )
        rep.check(
            f"time preference, Delta = {STEP:g}, b = {b}: A's offer",
            impasse,
            time[0],
            tolerance=TOL_LIMIT,
            source=f"{where}: limit = Nash with d = impasse point "
            "(0, 0), b only a constraint (outside option principle)",
        )
        rows.append([b[0], b[1], risk[0], risk[1], nash_b, time[0], time[1], impasse])
    rep.table(
        "impasse_vs_breakdown",
        [
            "b_A",
            "b_B",
            "breakdown: A's offer",
            "breakdown: B's offer",
            "Nash, d = b",
            "time pref.: A's offer",
            "time pref.: B's offer",
            "Nash, d = (0, 0), b as options",
        ],
        rows,
    )


def plot(rep: Reproduction, time_rows: list[list[float]], breakdown_rows: list[list[float]]):
    t = np.array(time_rows)
    b = np.array(breakdown_rows)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.8), sharey=True)
    left.semilogx(t[:, 0], t[:, 3], "o-", color="C0", label="A proposes first")
    left.semilogx(t[:, 0], t[:, 4], "s-", color="C1", label="B proposes first")
    left.axhline(
        t[0, 6],
        color="k",
        linestyle="--",
        label=f"asymmetric Nash, powers 1/r = (1/{RA:g}, 1/{RB:g})",
    )
    left.invert_xaxis()
    left.set_xlabel("time between offers Delta")
    left.set_ylabel("A's share of the pie")
    left.set_title(f"time preference (r = {RA:g}, {RB:g})")
    left.legend(frameon=False, fontsize=8)
    right.semilogx(b[:, 0], b[:, 1], "o-", color="C0", label="A proposes first")
    right.semilogx(b[:, 0], b[:, 2], "s-", color="C1", label="B proposes first")
    right.axhline(b[0, 4], color="k", linestyle="--", label="Nash, d = breakdown payoffs")
    right.invert_xaxis()
    right.set_xlabel("probability of breakdown p")
    right.set_title("risk of breakdown (no discounting)")
    right.legend(frameon=False, fontsize=8)
    fig.suptitle("Binmore, Rubinstein and Wolinsky (1986): A gets x, B gets sqrt(1 - x)")
    fig.tight_layout()
    rep.figure(fig, "convergence")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
