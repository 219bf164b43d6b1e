"""Korea-US investment pact (2025): a working paper generated from the scenarios.

Every number, table, figure and equation of ``output/paper.md`` (and its
self-contained rendering ``output/paper.html``) is computed here from the files
in ``scenarios/korea_us/`` through the public API; the prose around them is
fixed text. There are no published numbers to reproduce: the checks are
internal identities that fail if the computation is inconsistent (the Nash
pulls balance, equity plus loans equals the realised pledge, every solution
lies in the zone of agreement, the components add up to the gains, the Monte
Carlo median read back from the saved table equals the one in the text).

Run from anywhere: ``python papers/korea_us_2025/reproduce.py [--out DIR]``.
The environment variable ``KOREA_PAPER_SAMPLES`` sets the number of Monte Carlo
draws (default 4000; the test suite uses a small number).
"""

from __future__ import annotations

import base64
import csv
import html
import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

import bargain  # noqa: E402
from bargain import plot, sweep  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

bsweep = sweep

SLOW = True

FOLDER = "scenarios/korea_us/"
FLAGSHIP = "september_2025_standoff"
#: (file stem, stage of the timeline or role) in the order the paper shows them.
FILES = [
    ("july_2025_framework", "30 Jul 2025: the framework as Korea read it"),
    ("september_2025_standoff", "Sep 2025: the standoff (flagship)"),
    ("swap_line_granted", "variant: a Fed-style swap line"),
    ("longer_payout", "variant: a 10-year payout"),
    ("negotiated_payout", "variant: the payout period negotiated"),
    ("no_korean_say", "variant: the US picks projects alone"),
    ("patient_us", "variant: a more patient US"),
    ("japan_sep_2025_mou", "comparable: Japan's MOU, 4 Sep 2025"),
    ("eu_jul_2025_turnberry", "comparable: the EU's Turnberry deal, 27 Jul 2025"),
]
SAMPLES = int(os.environ.get("KOREA_PAPER_SAMPLES", "4000"))
SEED = 1
#: Uncertified Monte Carlo draws re-solved one by one (the per-scenario solver, ~1 s each).
RESOLVE = int(os.environ.get("KOREA_PAPER_RESOLVE", "40"))
TOL = 1e-6


def pct(x: float, digits: int = 1) -> str:
    """A share as a percentage."""
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def bn(x: float, digits: int = 1) -> str:
    """A USD bn amount."""
    return "–" if x is None or not np.isfinite(x) else f"{x:,.{digits}f}"


def md_table(columns: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of already formatted cells."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(columns), line(["---"] * len(columns)), *map(line, rows)])


def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv, seed=SEED)
    scen = {stem: rep.scenario(f"{FOLDER}{stem}.toml") for stem, _ in FILES}
    reports = {stem: bargain.solve(s) for stem, s in scen.items()}
    s, report = scen[FLAGSHIP], reports[FLAGSHIP]
    sec: dict[str, str] = {}
    sec["model"] = model_section(rep, s)
    sec["calibration"] = calibration_section(rep, s)
    sec["solutions"], nash = solutions_section(rep, s, report)
    sec["tornado"], sec["mc"], mc = sensitivity_sections(rep, s, nash)
    sec["compare"] = comparison_section(rep, scen, reports)
    sec["limits"] = limitations_section(s, report, mc, reports)
    paper = assemble(s, report, nash, mc, sec)
    (rep.out / "paper.md").write_text(paper, encoding="utf-8", newline="\n")
    (rep.out / "paper.html").write_text(to_html(paper, rep.out), encoding="utf-8", newline="\n")
    rep.files += ["paper.md", "paper.html", "equations.tex"]
    return rep.finish()


# ----------------------------------------------------------------------- model
def model_section(rep: Reproduction, s: bargain.Scenario) -> str:
    """The definitions and utilities as printed by ``bargain.explain``; LaTeX to a file."""
    text = bargain.explain(s, unicode=True)
    start = text.index("Definitions\n")
    stop = text.index("Disagreement point and settings")
    block = text[start:stop].rstrip()
    settings = text[stop : text.index("\n\n", stop)].rstrip()
    (rep.out / "equations.tex").write_text(
        bargain.explain(s, latex=True), encoding="utf-8", newline="\n"
    )
    comps = s.model.components
    names = ", ".join(f"`{c}`" for c in next(iter(comps.values())))
    return (
        "Each side's utility is a present value in USD bn, written as the gain over no deal "
        f"(so both disagreement points are 0), and is the sum of the components {names}. "
        "The definitions and the utilities below are printed by `bargain.explain` from the "
        "symbolic forms the package compiles from the flagship file (the LaTeX source of the "
        "whole derivation, including the Nash first-order conditions, is in "
        "`equations.tex`):\n\n```\n" + block + "\n\n" + settings + "\n```"
    )


def calibration_section(rep: Reproduction, s: bargain.Scenario) -> str:
    rows, md = [], []
    for name, p in s.parameters.items():
        rng = f"[{p.range[0]:g}, {p.range[1]:g}]" if p.range else ""
        rows.append([name, p.value, p.unit, rng, p.source])
        md.append([f"`{name}`", f"{p.value:g}", p.unit, rng, p.source])
    rep.table("calibration", ["parameter", "value", "unit", "range", "source"], rows)
    judged = [n for n, p in s.parameters.items() if p.source.lower().startswith("judgement")]
    return (
        f"The flagship file has {len(s.parameters)} parameters; {len(judged)} of them are "
        "judgements (their source says so), the others are figures from "
        "`shared/data/facts_pre_deal.md` (public by 27 September 2025). The range is the one "
        "swept in the sensitivity analysis.\n\n"
        + md_table(["parameter", "value", "unit", "range", "source"], md)
    )


# ------------------------------------------------------------------- solutions
def solutions_section(rep: Reproduction, s: bargain.Scenario, report) -> tuple[str, dict]:
    values = s.parameter_values()
    total = values["A"] * values["pledge_realised"]
    zone = report.zone_of_agreement or {}
    rows, md = [], []
    for name, sol in report.solutions.items():
        d, o, g = sol.deal or {}, sol.outputs or {}, sol.gains or {}
        rows.append(
            [
                name,
                sol.status,
                d.get("e", np.nan),
                d.get("c", np.nan),
                o.get("equity_usd_bn", np.nan),
                o.get("loans_usd_bn", np.nan),
                o.get("cash_per_year_usd_bn", np.nan),
                g.get("korea", np.nan),
                g.get("us", np.nan),
            ]
        )
        md.append(
            [
                name.replace("_", " "),
                pct(d.get("e", np.nan)),
                f"{d.get('c', np.nan):.2f}",
                bn(o.get("equity_usd_bn", np.nan)),
                bn(o.get("loans_usd_bn", np.nan)),
                bn(o.get("cash_per_year_usd_bn", np.nan), 2),
                bn(g.get("korea", np.nan)),
                bn(g.get("us", np.nan)),
            ]
        )
        if sol.ok:
            rep.check(
                f"{name}: equity + loans = A * pledge_realised",
                total,
                o["equity_usd_bn"] + o["loans_usd_bn"],
                tolerance=1e-9 * total,
                source="identity of the [outputs] formulas",
            )
            for issue, (lo, hi) in zone.items():
                rep.check(
                    f"{name}: {issue} minus its projection on the zone of agreement",
                    0.0,
                    d[issue] - min(max(d[issue], lo), hi),
                    tolerance=1e-6,
                    source="every solution is individually rational",
                )
    rep.table(
        "solutions",
        [
            "solution",
            "status",
            "e",
            "c",
            "equity_usd_bn",
            "loans_usd_bn",
            "cash_per_year_usd_bn",
            "gain_korea",
            "gain_us",
        ],
        rows,
    )
    nash = report.solutions["nash"]
    dec = report.decomposition
    rep.check(
        "Nash deal: pulls on e sum to 0",
        0.0,
        dec["balance"],
        tolerance=TOL,
        source="first-order condition of the Nash product (interior e)",
    )
    for party in ("korea", "us"):
        parts = sum(float(r["value"]) for r in dec["rows"] if r["party"] == party)
        rep.check(
            f"Nash deal: {party}'s components add up to its gain",
            nash.gains[party],
            parts,
            tolerance=TOL,
            source="utility = sum of its components; d = 0",
        )
    rep.table(
        "decomposition",
        ["party", "component", "value_usd_bn", "derivative_wrt_e", "pull"],
        [[r["party"], r["component"], r["value"], r["derivative"], r["pull"]] for r in dec["rows"]],
    )
    fig = plot.decomposition_figure(dec, parties=report.parties)
    rep.figure(fig, "decomposition")
    fig = plot.frontier_figure(s, report)
    rep.figure(fig, "frontier")
    by = {(r["party"], r["component"]): r for r in dec["rows"]}
    pulls = sorted(dec["rows"], key=lambda r: -abs(float(r["pull"])))
    top = ", ".join(f"{r['party']} `{r['component']}` {float(r['pull']):+.2f}" for r in pulls[:4])
    ze = zone.get("e", (np.nan, np.nan))
    text = (
        "All concepts are solved on the flagship at its default values (`bargain.solve`). "
        "Equity and loans are the `[outputs]` of the file in USD bn; gains are over no deal.\n\n"
        + md_table(
            [
                "solution",
                "equity share e",
                "say c",
                "equity",
                "loans",
                "cash per year",
                "gain Korea",
                "gain US",
            ],
            md,
        )
        + "\n\n"
        f"**Zone of agreement.** Deals both sides weakly prefer to no deal have e in "
        f"[{pct(ze[0])}, {pct(ze[1])}]"
        + (f" and c in [{zone['c'][0]:.2f}, {zone['c'][1]:.2f}]" if "c" in zone else "")
        + ". The US's demand for most or all of the $350 bn in cash lies far outside it.\n\n"
        "![The frontier, the zone of agreement and the solutions](frontier.png)\n\n"
        f"**Why there.** At the Nash deal (e = {pct(nash.deal['e'], 2)}, "
        f"c = {nash.deal['c']:.3f}) each component's pull on e (power x derivative / gain) "
        f"is tabulated in `decomposition.csv`; they sum to {dec['balance']:.1e}. The largest "
        f"are {top}. Equity is expensive to Korea because of the profit split "
        f"(its `investment` component pulls e down by "
        f"{-float(by[('korea', 'investment')]['pull']):.2f}) and valuable to the US for the "
        f"same reason (+{float(by[('us', 'investment')]['pull']):.2f}); Korea's FX risk pulls "
        f"only {float(by[('korea', 'fx_risk')]['pull']):+.2f} at this small outflow "
        f"(${bn(nash.outputs['cash_per_year_usd_bn'], 2)} bn a year). Tariff relief and energy "
        "do not depend on e: they set the size of the surplus, not where e settles.\n\n"
        "![Components at the Nash deal and their pulls on e](decomposition.png)"
    )
    return text, {"nash": nash, "zone": zone}


# ----------------------------------------------------------------- sensitivity
def sensitivity_sections(rep: Reproduction, s: bargain.Scenario, info: dict):
    nash = info["nash"]
    base = float(nash.deal["e"])
    frame = bsweep.tornado(s, solver="nash", issue="e", fallback=True)
    rows = frame[["parameter", "low", "high", "at_low", "at_high", "swing"]].values.tolist()
    statuses = frame[["status_low", "status_high"]].values.tolist()
    rep.table(
        "tornado",
        [
            "parameter",
            "low",
            "high",
            "nash_e_at_low",
            "nash_e_at_high",
            "swing",
            "status_low",
            "status_high",
        ],
        [[*r, *st] for r, st in zip(rows, statuses, strict=True)],
    )
    fig = plot.tornado_figure(frame, base=base, label="Nash equity share e")
    rep.figure(fig, "tornado")
    top = frame.head(5)
    lines = [
        f"`{r.parameter}` from {r.low:g} to {r.high:g} moves e from {pct(r.at_low)} to "
        f"{pct(r.at_high)}"
        for r in top.itertuples()
    ]
    noagree = [
        r.parameter for r in frame.itertuples() if "no_agreement" in (r.status_low, r.status_high)
    ]
    tornado_text = (
        "Each ranged parameter is set to each end of its range, the others at their values "
        "(`bargain.sweep.tornado`, Nash, every point certified or solved by the per-scenario "
        "solver). The five largest swings: "
        + "; ".join(lines)
        + ". "
        + (
            "At one end of its range, "
            + ", ".join(f"`{n}`" for n in noagree)
            + " leaves no zone of agreement at all. "
            if noagree
            else ""
        )
        + "The patience parameters do not move the symmetric Nash solution (they enter only "
        "the asymmetric and Rubinstein solutions).\n\n![Tornado](tornado.png)"
    )

    df = bsweep.sweep(s, samples=SAMPLES, seed=SEED, solvers=["nash"], fallback=False)
    status = df["nash.status"].to_numpy().astype(str)
    rep.table(
        "monte_carlo",
        ["point", "status", "e", "c", "gain_korea", "gain_us"],
        [
            [int(p), st, float(e), float(c), float(uk), float(uu)]
            for p, st, e, c, uk, uu in zip(
                df["point"],
                status,
                df["nash.e"],
                df["nash.c"],
                df["nash.u_korea"],
                df["nash.u_us"],
                strict=True,
            )
        ],
    )
    ok = status == "ok"
    e_ok = df["nash.e"].to_numpy(dtype=float)[ok]
    qs = np.quantile(e_ok, [0.05, 0.25, 0.5, 0.75, 0.95])
    n_ok, n_no = int(ok.sum()), int((status == "no_agreement").sum())
    n_nc = int((status == "nonconvex").sum())
    n_unc = SAMPLES - n_ok - n_no - n_nc
    median_back = read_median(rep.out / "monte_carlo.csv")
    rep.check(
        "Monte Carlo median of Nash e: text vs monte_carlo.csv",
        float(qs[2]),
        median_back,
        tolerance=1e-9,
        source="median recomputed from the saved table",
    )
    fig = plot.histogram_figure(
        e_ok, level=0.9, base=base, label="Nash equity share e", failed=SAMPLES - n_ok
    )
    rep.figure(fig, "monte_carlo")
    mc = {"n": SAMPLES, "ok": n_ok, "no": n_no, "nc": n_nc, "unc": n_unc, "q": qs}
    resolved = resolve_uncertified(rep, s, df, status, e_ok)
    below = float(np.mean(e_ok <= base)) if n_ok else float("nan")
    mc_text = (
        f"All ranged parameters are drawn at once from their distributions ({SAMPLES} draws, "
        f"seed {SEED}, `bargain.sweep.sweep(..., fallback=False)`; each draw's frontier is "
        "traced to check that the bargaining set is convex, as the per-scenario solver does). "
        f"The batched Nash solver finds an agreement it can certify in {n_ok} draws "
        f"({pct(n_ok / SAMPLES)}) and shows there is no zone of agreement in {n_no} "
        f"({pct(n_no / SAMPLES)}). "
        + (
            f"In {n_nc} ({pct(n_nc / SAMPLES)}) the bargaining set is not convex, where the "
            f"Nash solution is not defined, and in {n_unc} ({pct(n_unc / SAMPLES)}) it cannot "
            "certify its answer; those are left out rather than solved by the per-scenario "
            "solver, which is slow (about a second per point). So the share of draws with a "
            f"zone of agreement lies between {pct(n_ok / SAMPLES)} and "
            f"{pct((n_ok + n_nc + n_unc) / SAMPLES)}. "
            if n_nc + n_unc
            else "Every draw is settled one way or the other: none has a bargaining set that "
            "is not convex and none is left uncertified. "
        )
        + "Among the certified agreements the Nash equity "
        f"share has median {pct(qs[2], 2)}, quartiles {pct(qs[1], 2)} and {pct(qs[3], 2)}, "
        f"and 90% interval [{pct(qs[0], 2)}, {pct(qs[4], 2)}] (`monte_carlo.csv` has every "
        "draw). The prediction at the default values is above only "
        f"{pct(below)} of the certified draws: jointly varied, the judgements favour more "
        "equity than the default calibration gives. " + resolved + "\n\n"
        "![Monte Carlo distribution of the Nash equity share](monte_carlo.png)"
    )
    return tornado_text, mc_text, mc


def resolve_uncertified(rep: Reproduction, s: bargain.Scenario, df, status, e_ok) -> str:
    """Solve the first RESOLVE uncertified draws with the per-scenario fallback; describe them."""
    todo = np.flatnonzero(~np.isin(status, ("ok", "no_agreement", "nonconvex")))[:RESOLVE]
    if todo.size == 0:
        for stale in rep.out.glob("monte_carlo_resolved.*"):  # from a run that had some
            stale.unlink()
        return ""
    st, e = [], []
    for k in todo:
        draw = s.with_parameters(**{n: float(df[n].iloc[k]) for n in s.parameters})
        sol = bargain.nash_solution(draw.problem())
        st.append(sol.status)
        e.append(sol.deal["e"] if sol.ok else np.nan)
    st, e = np.array(st), np.array(e, dtype=float)
    rep.table(
        "monte_carlo_resolved",
        ["point", "status", "e"],
        [[int(df["point"].iloc[k]), a, float(b)] for k, a, b in zip(todo, st, e, strict=True)],
    )
    ok = st == "ok"
    corner = ok & (e < 1e-6)
    inner = ok & ~corner
    other = int(todo.size - ok.sum() - (st == "no_agreement").sum())
    text = (
        f"What are the uncertified draws? The first {todo.size} of them, "
        "solved one by one with the per-scenario solver (`monte_carlo_resolved.csv`), give "
        f"{int(corner.sum())} deals with no equity at all (e below 1e-6), "
        f"{int(inner.sum())} interior deals"
        + (f" (median e {pct(float(np.median(e[inner])), 2)})" if inner.any() else "")
        + f", {int((st == 'no_agreement').sum())} without agreement"
        + (f" and {other} still unsolved" if other else "")
        + ". "
    )
    if corner.sum() * 2 > todo.size:
        pooled = np.concatenate(
            [e_ok, np.zeros(int(np.sum(~np.isin(status, ("ok", "no_agreement", "nonconvex")))))]
        )
        q = np.quantile(pooled, [0.05, 0.5, 0.95])
        text += (
            "Most re-solved draws are no-equity corners, so the interval from certified draws "
            "only overstates the equity share. If every uncertified draw were such a corner, "
            f"the median would be {pct(q[1], 2)} and the 90% interval [{pct(q[0], 2)}, "
            f"{pct(q[2], 2)}]; the truth for the pooled draws lies between this and the "
            "certified-only figures, to the extent the re-solved draws are typical."
        )
    return text


def read_median(path: Path) -> float:
    """The median of e over the rows with status ok, read back from the CSV."""
    with open(path, encoding="utf-8", newline="") as handle:
        vals = [float(r["e"]) for r in csv.DictReader(handle) if r["status"] == "ok"]
    return float(np.median(vals))


# ------------------------------------------------------------------ comparison
def best_for_both(scenario: bargain.Scenario) -> dict:
    """On a grid of the issue box: the US's best gain and the largest smaller gain."""
    problem = scenario.problem()
    axes = [np.linspace(lo, hi, 41) for lo, hi in zip(problem.lower, problem.upper, strict=True)]
    grid = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
    gains = np.array([problem.utility(x) for x in grid]) - problem.disagreement
    k_us = int(np.argmax(gains[:, 1]))
    k_min = int(np.argmax(gains.min(axis=1)))
    comps = problem.components(grid[k_us])
    return {
        "us_best": float(gains[k_us, 1]),
        "korea_at_us_best": float(gains[k_us, 0]),
        "deal_us_best": dict(zip(problem.issues, grid[k_us], strict=True)),
        "maxmin": float(gains[k_min].min()),
        "components": comps,
    }


def comparison_section(rep: Reproduction, scen: dict, reports: dict) -> str:
    rows, md = [], []
    for stem, stage in FILES:
        r = reports[stem]
        n, ru = r.solutions["nash"], r.solutions["rubinstein"]
        home, us = list(r.parties)
        zone = r.zone_of_agreement or {}
        ze = zone.get("e", (np.nan, np.nan))
        fixed_pay = r.parameters.get("payout_years", np.nan)
        pay = n.deal.get("payout_years", np.nan) if n.ok else np.nan
        rows.append(
            [
                stem,
                stage,
                n.status,
                n.deal["e"] if n.ok else np.nan,
                n.deal.get("c", np.nan) if n.ok else np.nan,
                pay,
                ru.deal["e"] if ru.ok else np.nan,
                n.gains[home] if n.ok else np.nan,
                n.gains[us] if n.ok else np.nan,
                ze[0],
                ze[1],
            ]
        )
        md.append(
            [
                f"`{stem}`",
                stage,
                n.status,
                pct(n.deal["e"], 2) if n.ok else "–",
                f"{n.deal['c']:.2f}" if n.ok and "c" in n.deal else "fixed" if n.ok else "–",
                f"{pay:.1f} (negotiated)" if np.isfinite(pay) else f"{fixed_pay:g}",
                pct(ru.deal["e"], 2) if ru.ok else ru.status,
                f"{bn(n.gains[home])} / {bn(n.gains[us])}" if n.ok else "–",
                f"[{pct(ze[0])}, {pct(ze[1])}]" if zone else "empty",
            ]
        )
    rep.table(
        "scenarios",
        [
            "file",
            "stage",
            "nash_status",
            "nash_e",
            "nash_c",
            "nash_payout_years",
            "rubinstein_e",
            "gain_korea",
            "gain_us",
            "zone_e_low",
            "zone_e_high",
        ],
        rows,
    )
    expl = []
    for stem in ("july_2025_framework", "eu_jul_2025_turnberry"):
        if reports[stem].solutions["nash"].status != "no_agreement":
            continue
        b = best_for_both(scen[stem])
        home = list(reports[stem].parties)[0]
        label = reports[stem].parties[home]
        own = b["components"][home]["tariff_relief"]
        us = b["components"][list(reports[stem].parties)[1]]
        parts = ", ".join(f"`{k}` {bn(v, 2)}" for k, v in us.items())
        deal = ", ".join(f"{k} = {v:.3g}" for k, v in b["deal_us_best"].items())
        expl.append(
            f"- `{stem}`: over a 41-point grid of each issue, the deal the US likes best "
            f"({deal}) gives it {bn(b['us_best'], 2)} bn (components: {parts}), and "
            f"{bn(b['korea_at_us_best'], 2)} bn to {label}. The best deal for the worse-off "
            "side gives it "
            f"{bn(b['maxmin'], 2)} bn: no deal in the box makes both better off than no deal. "
            f"The tariff cut costs the US {bn(-us['tariff_relief'], 2)} bn and is worth "
            f"{bn(own, 2)} bn to {label}."
        )
    return (
        "The same model, run on every scenario file (`bargain.solve` on each; the `bargain "
        "compare` table). The first rows follow the talks: the July framework as Korea read it, "
        "the September standoff, then three ways out of it (a swap line, a longer payout, the "
        "payout negotiated) and two counterfactuals; the last two rows are the comparables.\n\n"
        + md_table(
            [
                "file",
                "stage",
                "Nash",
                "Nash e",
                "Nash c",
                "payout (y)",
                "Rubinstein e",
                "gains investor / US",
                "zone of agreement in e",
            ],
            md,
        )
        + "\n\nThe files with no zone of agreement at the default values, and why:\n\n"
        + "\n".join(expl)
        + "\n\nIn the July reading the $350 bn is mostly a ceiling for credit with at most 5% "
        "equity and a Korean say, so the investment is worth little to the US against a tariff "
        "cut it values at more than Korea gains from it (`us_tariff_weight`); the model reads "
        "Korea's July reading as unacceptable to the US, which fits the US's switch to "
        "demanding cash. For the EU the pledge is non-binding private FDI with no profit "
        "split and no US fund: even all in equity it is worth less to the US than the tariff "
        "concession costs it. The Turnberry deal must rest on what the model leaves out (the EU's "
        "capacity to retaliate, its own tariff cuts, the political value of headline pledges)."
    )


# ----------------------------------------------------------------- limitations
def limitations_section(s: bargain.Scenario, report, mc: dict, reports: dict) -> str:
    us_side = [
        n
        for n, p in s.parameters.items()
        if n.startswith("us_") and p.source.lower().startswith("judgement")
    ]
    dec = {(r["party"], r["component"]): r for r in report.decomposition["rows"]}
    nash = report.solutions["nash"]
    fx = float(dec[("korea", "fx_risk")]["value"])
    moves = ", ".join(
        f"`{stem}` by {100 * (reports[stem].solutions['nash'].deal['e'] - nash.deal['e']):+.2f} "
        "percentage points"
        for stem in ("swap_line_granted", "longer_payout", "negotiated_payout")
    )
    inv = float(dec[("korea", "investment")]["value"])
    return "\n".join(
        [
            "- **The US-side values are judgement calls with no data behind them**: "
            + ", ".join(f"`{n}`" for n in us_side)
            + ". They set how much the US gains from each kind of package and from keeping "
            "its tariffs, and so the size and place of the zone of agreement.",
            f"- **The zone of agreement is fragile.** In {pct(mc['ok'] / mc['n'])} of the "
            f"{mc['n']} Monte Carlo draws an agreement is certified, in "
            f"{pct(mc['no'] / mc['n'])} there is none"
            + (
                f", in {pct(mc['nc'] / mc['n'])} the bargaining set is not convex, and "
                f"{pct(mc['unc'] / mc['n'])} are not certified by the batched solver and are "
                "left out of the interval (Section 5.2)."
                if mc["nc"] + mc["unc"]
                else "."
            ),
            f"- **The FX channel is weak at the predicted split.** At the Nash deal Korea's "
            f"expected crisis loss is {bn(-fx, 3)} bn against {bn(-inv, 2)} bn lost on the "
            f"investment itself, so the 1997 argument matters little at this split. Relative to "
            f"the flagship, the ways out of the standoff move the Nash equity share: {moves}.",
            "- **No fitting.** The model is calibrated only from figures public by 27 September "
            "2025 and judgement; nothing was adjusted toward how the talks ended, and the "
            "comparables use approximate figures not in the facts file.",
            "- **What the model leaves out**: security ties, other pending US tariffs, "
            "retaliation and escalation (the disagreement point is only the modelled tariffs); "
            "incomplete information, signalling and domestic ratification; renegotiation and "
            "learning about project quality; demand elasticities and general equilibrium. The "
            "profit split is compressed into one number (`home_share`).",
        ]
    )


# ---------------------------------------------------------------------- paper
def assemble(s: bargain.Scenario, report, info: dict, mc: dict, sec: dict) -> str:
    nash = info["nash"]
    zone = info["zone"]
    ru = report.solutions["rubinstein"]
    q = mc["q"]
    pull = {(r["party"], r["component"]): float(r["pull"]) for r in report.decomposition["rows"]}
    driver = (
        "The profit split, not currency-crisis risk, drives the answer."
        if abs(pull[("korea", "investment")]) > abs(pull[("korea", "fx_risk")])
        else "Currency-crisis risk, more than the profit split, drives the answer."
    )
    abstract = (
        f"In September 2025 the US asked Korea to pay most of a $350 bn investment pledge in "
        f"cash; Korea offered loans and guarantees with little equity. A two-issue bargaining "
        f"model calibrated only on figures public by 27 September 2025 predicts an equity share "
        f"of {pct(nash.deal['e'])} under the Nash solution ({pct(ru.deal['e'])} under "
        f"Rubinstein's alternating offers with the US proposing first), about "
        f"${bn(nash.outputs['equity_usd_bn'])} bn of equity and "
        f"${bn(nash.outputs['loans_usd_bn'])} bn of loans, with Korea's say over projects at "
        f"c = {nash.deal['c']:.2f}. The zone of agreement is e in "
        f"[{pct(zone['e'][0])}, {pct(zone['e'][1])}]. {driver} Over the parameter ranges "
        "the prediction is uncertain: "
        f"among the {mc['ok']} of {mc['n']} draws with a certified agreement the 90% interval "
        f"is [{pct(q[0], 1)}, {pct(q[4], 1)}]."
    )
    return (
        "# How much cash? A bargaining model of the 2025 Korea–US investment pact\n\n"
        f"*Working paper generated by `python papers/korea_us_2025/reproduce.py` with "
        f"bargain {report.version} from `scenarios/korea_us/*.toml`; every number, table "
        "and figure is computed by the script.*\n\n"
        f"**Abstract.** {abstract}\n\n"
        "## 1. The question\n\n"
        f"{s.description}\n\n"
        "The model asks where the equity share e of the headline amount and Korea's say c "
        "over project selection should settle, why there, and how sure we can be. See "
        "`docs/korea_us_model.md` for the full motivation and literature.\n\n"
        "## 2. The model\n\n"
        f"{sec['model']}\n\n"
        "## 3. Calibration\n\n"
        f"{sec['calibration']}\n\n"
        "## 4. The predicted split\n\n"
        f"{sec['solutions']}\n\n"
        "## 5. Sensitivity\n\n"
        "### 5.1 One parameter at a time\n\n"
        f"{sec['tornado']}\n\n"
        "### 5.2 Monte Carlo\n\n"
        f"{sec['mc']}\n\n"
        "## 6. Timeline, variants and comparables\n\n"
        f"{sec['compare']}\n\n"
        "## 7. Limitations\n\n"
        f"{sec['limits']}\n\n"
        "## Files\n\n"
        "Tables (CSV and Markdown): `calibration`, `solutions`, `decomposition`, `tornado`, "
        "`monte_carlo`, `monte_carlo_resolved`, `scenarios`, `checks`; figures (PNG and SVG): "
        "`frontier`, "
        "`decomposition`, `tornado`, `monte_carlo`; `equations.tex`; `metadata.json` "
        "(versions, seed, scenario hashes).\n"
    )


# ----------------------------------------------------------------------- HTML
_CSS = (
    "body{font-family:Georgia,'DejaVu Serif',serif;max-width:60rem;margin:2rem auto;"
    "padding:0 1rem;line-height:1.45;color:#111}table{border-collapse:collapse;"
    "font-size:.8rem;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.2rem .4rem;"
    "vertical-align:top}th{background:#eee}pre{background:#f6f6f6;padding:.6rem;"
    "overflow-x:auto;font-size:.75rem}img{max-width:100%}code{font-size:.9em}"
)


def inline(text: str) -> str:
    """Inline Markdown used in the paper: code, bold, italic (after escaping)."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
            continue
        t = html.escape(part, quote=False)
        t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
        t = re.sub(r"(?<![\w*])\*(\S.*?)\*(?![\w*])", r"<em>\1</em>", t)
        out.append(t)
    return "".join(out)


def to_html(text: str, folder: Path) -> str:
    """The paper's Markdown as one self-contained HTML page (figures embedded as PNG)."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            out.append("<pre>" + html.escape("\n".join(lines[i + 1 : j])) + "</pre>")
            i = j + 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{inline(line[level:].strip())}</h{level}>")
            i += 1
        elif m := re.fullmatch(r"!\[(.*)\]\((.*)\)", line):
            data = base64.b64encode((folder / m.group(2)).read_bytes()).decode("ascii")
            out.append(
                f'<figure><img alt="{html.escape(m.group(1))}" '
                f'src="data:image/png;base64,{data}"><figcaption>{inline(m.group(1))}'
                "</figcaption></figure>"
            )
            i += 1
        elif line.startswith("| "):
            j = i
            while j < len(lines) and lines[j].startswith("| "):
                j += 1
            cells = [
                [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", r)[1:-1]]
                for r in lines[i:j]
            ]
            body = "".join(
                "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>"
                for row in cells[2:]
            )
            head = "<tr>" + "".join(f"<th>{inline(c)}</th>" for c in cells[0]) + "</tr>"
            out.append(f"<table>{head}{body}</table>")
            i = j
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{inline(lines[i][2:])}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
        elif line.strip():
            j = i
            while j < len(lines) and lines[j].strip() and not lines[j].startswith(("#", "|", "-")):
                j += 1
            out.append("<p>" + inline(" ".join(lines[i:j])) + "</p>")
            i = max(j, i + 1)
        else:
            i += 1
    title = re.sub(r"<[^>]+>", "", out[0]) if out else "paper"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(out)
        + "\n</body></html>\n"
    )


if __name__ == "__main__":
    sys.exit(main())
