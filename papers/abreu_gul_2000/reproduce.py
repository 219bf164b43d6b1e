"""Abreu and Gul (2000), Bargaining and reputation: the war of attrition between obstinate types.

Each side may be an obstinate type (prior z_i) that demands the share a_i and
never yields; with a_1 + a_2 > 1 the rational types concede at constant rates
lambda_i = r_j (1 - a_i) / (a_1 + a_2 - 1), the weak side (larger
T_i = -log(z_i) / lambda_i) with a mass c_i at time 0. The script checks the
solver against these formulas (re-coded here independently), against a seeded
simulation, and in the limits the paper discusses (z -> 0: immediate agreement).
Run: ``python papers/abreu_gul_2000/reproduce.py [--out DIR]``.
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

PAPER = "Abreu and Gul (2000)"
DEMANDS, PRIORS, RATES = (0.7, 0.6), (0.05, 0.1), (1.0, 1.0)
TOL = 1e-10  # closed forms against the solver (both double precision)
SIMULATIONS = 400_000


def closed_form(a, z, r):
    """The equilibrium in closed form, coded independently of bargain.reputation."""
    excess = a[0] + a[1] - 1
    lam = (r[1] * (1 - a[0]) / excess, r[0] * (1 - a[1]) / excess)
    times = (-math.log(z[0]) / lam[0], -math.log(z[1]) / lam[1])
    end = min(times)
    weak = 0 if times[0] > times[1] else 1
    atom = [0.0, 0.0]
    atom[weak] = 1 - z[weak] * math.exp(lam[weak] * end)
    total = lam[0] + lam[1]
    survive = (1 - atom[0]) * (1 - atom[1])
    first = [atom[i] + lam[i] / total * (survive - z[0] * z[1]) for i in (0, 1)]
    payoff = [atom[1 - i] * a[i] + (1 - atom[1 - i]) * (1 - a[1 - i]) for i in (0, 1)]
    return {"lam": lam, "times": times, "end": end, "atom": atom, "first": first, "pay": payoff}


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv, seed=2000)
    baseline(rep)
    symmetric(rep)
    small_priors(rep)
    simulation(rep)
    general(rep)
    figure(rep)
    return rep.finish()


def baseline(rep: Reproduction) -> None:
    s = bargain.reputation_solution(DEMANDS, PRIORS, RATES)
    d, ref = s.diagnostics, closed_form(DEMANDS, PRIORS, RATES)
    at = f"a = {DEMANDS}, z = {PRIORS}, r = {RATES}"
    where = f"{PAPER}, sec. 3 (formula evaluated at {at})"
    for i, name in enumerate("AB"):
        rep.check(
            f"lambda_{name}",
            ref["lam"][i],
            d["concession_rates"][i],
            tolerance=TOL,
            source=f"{where}: r_j (1 - a_i)/(a_i + a_j - 1)",
        )
        rep.check(
            f"T_{name}",
            ref["times"][i],
            d["times"][i],
            tolerance=TOL,
            source=f"{where}: -log(z_i)/lambda_i",
        )
        rep.check(
            f"c_{name} (mass conceding at 0)",
            ref["atom"][i],
            d["atom"][i],
            tolerance=TOL,
            source=f"{where}: 1 - z_i exp(lambda_i T0) for the weak side, else 0",
        )
        rep.check(
            f"P({name} concedes first)",
            ref["first"][i],
            d["first_to_concede"][i],
            tolerance=TOL,
            source=f"{where}: c_i + lambda_i/(lambda_A + lambda_B) ((1 - c_A)(1 - c_B) - z_A z_B)",
        )
        rep.check(
            f"rational {name}'s payoff",
            ref["pay"][i],
            s.utilities[name],
            tolerance=TOL,
            source=f"{where}: c_j a_i + (1 - c_j)(1 - a_j) (indifference)",
        )
    rep.check(
        "P(no agreement)",
        PRIORS[0] * PRIORS[1],
        d["no_agreement"],
        tolerance=TOL,
        source=f"{where}: z_A z_B",
    )


def symmetric(rep: Reproduction) -> None:
    a, z, r = 0.6, 0.1, 1.0
    s = bargain.reputation_solution([a, a], [z, z], [r, r])
    lam = r * (1 - a) / (2 * a - 1)
    end = -math.log(z) / lam
    where = f"{PAPER}, symmetric case (formula evaluated at a = {a}, z = {z}, r = {r})"
    rep.check(
        "symmetric: P(A concedes first)",
        (1 - z * z) / 2,
        s.diagnostics["first_to_concede"][0],
        tolerance=TOL,
        source=f"{where}: (1 - z^2)/2",
    )
    mean = ((1 - z * z) / (2 * lam) - 2 * z * (1 - z) / lam + z * z * end) / (1 - z) ** 2
    rep.check(
        "symmetric: mean delay, both rational",
        mean,
        s.diagnostics["mean_delay_if_rational"],
        tolerance=TOL,
        source=f"{where}: integral of ((e^(-lambda t) - z)/(1 - z))^2 over [0, T]",
    )
    rep.check(
        "symmetric: rational payoff",
        1 - a,
        s.utilities["A"],
        tolerance=TOL,
        source=f"{where}: 1 - a",
    )


def small_priors(rep: Reproduction) -> None:
    rows = []
    for z in [0.2, 0.1, 0.05, 0.01, 1e-3, 1e-6, 1e-12, 1e-40]:
        s = bargain.reputation_solution(DEMANDS, [z, z], RATES)
        d = s.diagnostics
        rows.append(
            [
                z,
                d["weak_side"],
                d["atom"][0],
                d["agreement_at_zero"],
                d["mean_delay_if_rational"],
                d["first_to_concede"][0],
                s.utilities["A"],
                s.utilities["B"],
            ]
        )
    rep.table(
        "small_priors",
        [
            "z_A = z_B",
            "weak side",
            "c_A",
            "P(agreement at 0)",
            "mean delay (rational)",
            "P(A concedes first)",
            "payoff A",
            "payoff B",
        ],
        rows,
    )
    where = f"{PAPER}: as z -> 0 the weak side concedes at once (a = {DEMANDS}, z = 1e-40)"
    rep.check("z -> 0: P(agreement at time 0)", 1.0, rows[-1][3], tolerance=1e-8, source=where)
    rep.check("z -> 0: mean delay", 0.0, rows[-1][4], tolerance=1e-8, source=where)
    rep.check(
        "z -> 0: strong B's payoff -> a_B", DEMANDS[1], rows[-1][7], tolerance=1e-8, source=where
    )


def simulation(rep: Reproduction) -> None:
    """A seeded simulation of concession times (inverse CDF) against the closed forms."""
    s = bargain.reputation_solution(DEMANDS, PRIORS, RATES)
    d = s.diagnostics
    rng = np.random.default_rng(rep.seed)
    times = np.empty((2, SIMULATIONS))
    for i in range(2):
        u = rng.random(SIMULATIONS)
        c, z, lam = d["atom"][i], PRIORS[i], d["concession_rates"][i]
        with np.errstate(divide="ignore"):
            t = np.log((1 - c) / (1 - u)) / lam
        times[i] = np.where(u < c, 0.0, np.where(u > 1 - z, np.inf, t))
    first = float((times[0] < times[1]).mean())
    se = math.sqrt(first * (1 - first) / SIMULATIONS)
    rep.check(
        "simulated P(A concedes first)",
        d["first_to_concede"][0],
        first,
        tolerance=4 * se,
        source=f"closed form vs {SIMULATIONS} simulated wars (seed {rep.seed}); "
        "tolerance 4 standard errors",
    )
    done = np.minimum(times[0], times[1])
    agreed = done[np.isfinite(done)]
    rep.check(
        "simulated mean delay given agreement",
        d["mean_delay_given_agreement"],
        float(agreed.mean()),
        tolerance=4 * float(agreed.std()) / math.sqrt(agreed.size),
        source="closed form vs the same simulation; tolerance 4 standard errors",
    )


def general(rep: Reproduction) -> None:
    """Demands as deals on a scenario: the unit pie reproduces the share version exactly."""
    problem = rep.scenario("scenarios/textbook/unit_pie.toml").problem()
    deals = [{"x": DEMANDS[0]}, {"x": 1 - DEMANDS[1]}]
    s = bargain.reputation_problem_solution(problem, deals, PRIORS, RATES)
    t = bargain.reputation_solution(DEMANDS, PRIORS, RATES)
    rep.check(
        "unit pie scenario: A's expected share",
        t.deal["x"],
        s.deal["x"],
        tolerance=TOL,
        source="cross-check: gains over disagreement replace shares (not in the paper)",
    )
    curved = rep.scenario("scenarios/textbook/brw_1986_convergence.toml").problem()
    u = bargain.reputation_problem_solution(curved, [{"x": 0.8}, {"x": 0.4}], PRIORS, RATES)
    rows = [
        [
            name,
            u.settings["demands"][name]["x"],
            u.diagnostics["demand_utilities"][name],
            u.diagnostics["concede_utilities"][name],
            u.diagnostics["concession_rates"][i],
            u.diagnostics["atom"][i],
            u.utilities[name],
        ]
        for i, name in enumerate("AB")
    ]
    rep.table(
        "general_utilities",
        [
            "party",
            "demanded x",
            "utility of own demand",
            "utility if conceding",
            "concession rate",
            "mass at 0",
            "equilibrium payoff",
        ],
        rows,
    )


def figure(rep: Reproduction) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    for z in [0.2, 0.05, 0.01, 0.001]:
        w = bargain.war_of_attrition(DEMANDS, [1 - DEMANDS[1], 1 - DEMANDS[0]], [z, z], RATES)
        t = np.linspace(0, 1.05 * w.end, 400)
        left.plot(t, w.delay_cdf(t), label=f"z = {z:g}")
    left.set_xlabel("time t")
    left.set_ylabel("P(agreement by t | both rational)")
    left.set_title(f"delay, a = {DEMANDS}")
    left.legend(frameon=False, fontsize=8)
    w = bargain.war_of_attrition(DEMANDS, [1 - DEMANDS[1], 1 - DEMANDS[0]], PRIORS, RATES)
    t = np.linspace(0, 1.3 * w.end, 400)
    s = w.survival(t)
    right.plot(t, s[0], label="A has not conceded")
    right.plot(t, s[1], label="B has not conceded")
    right.axvline(w.end, color="k", linestyle=":", label="T0")
    right.set_xlabel("time t")
    right.set_title(f"z = {PRIORS}: A is weak, concedes at once w.p. {w.atom[0]:.3f}")
    right.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    rep.figure(fig, "war_of_attrition")
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
