"""Korea-US investment pact (2025): a pre-registered forecast generated from the scenarios.

Every number, table and figure of ``output/paper.md`` (and its self-contained
rendering ``output/paper.html``) and every number of ``output/forecast.json`` is
computed here from the files in ``scenarios/korea_us/`` through the public API; the
prose around them is fixed text. The forecast is the posterior predictive of
``bargain.calibrate``: parameter draws from the scenario's declared priors,
kept where they agree with what the two sides revealed before 27 September 2025
(the files' ``[[observations]]``), each solved by the Nash and Rubinstein solvers.
There are no published numbers to reproduce: the checks are internal identities
(every kept draw satisfies every hard observation, the dollars add up to the
pledge, the forecast re-read from ``forecast.json`` equals the one computed).

Run from anywhere: ``python papers/korea_us_2025/reproduce.py [--out DIR]``. The
environment variable ``KOREA_PAPER_SAMPLES`` sets the number of prior draws
(default 20000; the test suite uses a small number).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import bargain  # noqa: E402
from bargain.reproduce import Reproduction  # noqa: E402

SLOW = True

FOLDER = "scenarios/korea_us/"
FLAGSHIP = FOLDER + "september_2025_standoff.toml"
SOFT = FOLDER + "september_2025_soft_rejection.toml"
JAPAN_CALL = FOLDER + "japan_sep_2025_mou.toml"
JAPAN_NEGOTIATOR = FOLDER + "japan_sep_2025_mou_negotiator.toml"
EU = FOLDER + "eu_jul_2025_turnberry.toml"
SAMPLES = int(os.environ.get("KOREA_PAPER_SAMPLES", "20000"))
SEED = 1
#: The posterior predictive's solution concepts; the forecast pools them with equal weight.
CONCEPTS = ("nash", "rubinstein")
LEVELS = (50, 80, 90)
#: (column, what it is, unit) of the headline forecast, in the order the paper shows them.
HEADLINE = [
    ("cash_share_of_pledge", "cash share of the $350 bn", "share"),
    ("cash_usd_bn", "total cash", "USD bn"),
    ("cash_per_year_usd_bn", "cash per year", "USD bn a year"),
    ("payout_years", "payout period", "years"),
    ("c", "Korea's say over projects", "share"),
    ("ship_led", "Korea-led share of the $150 bn shipbuilding fund", "share"),
]
#: The two sides' public positions (facts_pre_deal.md), marked on the figures.
POSITIONS = {
    "cash_share_of_pledge": {"Korea: under 5% (3 Aug)": 0.05, "US: all of it (25 Sep)": 1.0},
    "cash_usd_bn": {"Korea: $17.5 bn": 17.5, "US: $350 bn": 350.0},
}


def fmt(value: float | None, unit: str) -> str:
    """A number as the paper prints it: shares as percentages, the rest with 1 decimal."""
    if value is None or not np.isfinite(value):
        return "–"
    if unit == "share":
        return f"{100 * value:.1f}%"
    return f"{value:,.1f}"


def md_table(columns: list[str], rows: list[list[str]]) -> str:
    """A Markdown table of already formatted cells."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(columns), line(["---"] * len(columns)), *map(line, rows)])


def _round(x: float | None) -> float | None:
    """Ten significant digits: what forecast.json records (stable across platforms' last bits)."""
    return None if x is None or not np.isfinite(x) else float(f"{x:.10g}")


# ------------------------------------------------------------------ predictive
def column(cal, concept: str, name: str) -> np.ndarray:
    """A concept's issue or output at every draw (nan where it has no certified answer)."""
    key = f"{concept}.{name}"  # an issue or an [outputs] name (none of them is an issue's)
    ok = cal.table[f"{concept}.status"].to_numpy().astype(str) == "ok"
    return np.where(ok, cal.table[key].to_numpy(dtype=float), np.nan)


def pooled(cal, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Values and weights of ``name`` pooled over :data:`CONCEPTS` (equal weight each)."""
    w = cal.weights
    values = np.concatenate([column(cal, c, name) for c in CONCEPTS])
    return values, np.concatenate([w for _ in CONCEPTS])


def describe(values: np.ndarray, weights: np.ndarray) -> dict:
    """Weighted median and central intervals."""
    qs = [0.5]
    for level in LEVELS:
        qs += [(1 - level / 100) / 2, 1 - (1 - level / 100) / 2]
    got = [_round(float(v)) for v in bargain.weighted_quantile(values, weights, qs)]
    out: dict = {"median": got[0]}
    for i, level in enumerate(LEVELS):
        out[f"{level}%"] = [got[1 + 2 * i], got[2 + 2 * i]]
    return out


def forecast_of(cal) -> dict:
    """The headline quantities: pooled and per concept; the no-agreement share."""
    w = cal.weights
    out: dict = {
        "pooled": {},
        "by_concept": {c: {} for c in CONCEPTS},
        "no_agreement": {},
        "not_certified": {},
    }
    for name, _, _ in HEADLINE:
        out["pooled"][name] = describe(*pooled(cal, name))
        for c in CONCEPTS:
            out["by_concept"][c][name] = describe(column(cal, c, name), w)
    for c in CONCEPTS:
        status = cal.table[f"{c}.status"].to_numpy().astype(str)
        total = w.sum()
        for key, bad in [("no_agreement", status == "no_agreement")] + [
            ("not_certified", ~np.isin(status, ["ok", "no_agreement"]))
        ]:
            share = w[bad].sum() / total if total > 0 else np.nan
            out[key][c] = _round(float(share))
    return out


# ------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    rep = Reproduction(__file__, argv, seed=SEED)
    files = [FLAGSHIP, SOFT, JAPAN_CALL, JAPAN_NEGOTIATOR, EU]
    scen = {f: rep.scenario(f) for f in files}
    flag = scen[FLAGSHIP]
    default = bargain.solve(flag, methods=list(CONCEPTS))
    # a draw the batched solvers cannot certify is re-solved from its traced frontier
    # (calibrate's default); what is still uncertified is labelled and its share reported
    run = {"samples": SAMPLES, "seed": SEED, "solvers": CONCEPTS}
    hard = bargain.calibrate(flag, **run)
    soft = bargain.calibrate(scen[SOFT], **run)
    # each comparable held out against the flagship's posterior (the US's shared
    # preferences as the Korea observations leave them); the three signed deals jointly
    holdouts = [
        bargain.calibrate([flag, scen[f]], **run, hold_out=True).holdout
        for f in (JAPAN_NEGOTIATOR, JAPAN_CALL, EU)
    ]
    joint = bargain.calibrate([flag, scen[JAPAN_NEGOTIATOR], scen[EU]], **run)
    result = {
        "hard": forecast_of(hard),
        "soft": forecast_of(soft),
        "hard_summary": hard.summary(),
        "soft_summary": soft.summary(),
        "joint_summary": joint.summary(),
        "holdout": [relative(h) for hs in holdouts for h in hs],
    }
    forecast = forecast_json(rep, scen, default, result)
    text = forecast_text(forecast)
    sec = {
        "default": default_section(rep, flag, default),
        "observations": observations_section(rep, result),
        "parameters": parameters_section(rep, hard),
        "comparables": comparables_section(rep, result),
    }
    figures(rep, hard, soft)
    checks(rep, hard, soft, forecast)
    paper = assemble(flag, forecast, text, sec)
    (rep.out / "paper.md").write_text(paper, encoding="utf-8", newline="\n")
    (rep.out / "paper.html").write_text(to_html(paper, rep.out), encoding="utf-8", newline="\n")
    rep.files += ["paper.md", "paper.html"]
    return rep.finish()


def relative(holdout: dict) -> dict:
    """A hold-out entry with the files' paths relative to the repository (the same bytes
    on every checkout)."""
    root = Path(__file__).resolve().parent.parent.parent

    def rel(path: str) -> str:
        return Path(path).resolve().relative_to(root).as_posix()

    out = dict(holdout)
    out["file"] = rel(holdout["file"])
    out["calibrated_on"] = [rel(f) for f in holdout.get("calibrated_on", [])]
    return out


# -------------------------------------------------------------------- forecast
def forecast_json(rep: Reproduction, scen: dict, default, result: dict) -> dict:
    """Write ``forecast.json``: the numbers, the inputs' hashes and the code version."""
    hard, soft = result["hard"], result["soft"]
    point = {name: hard["pooled"][name]["median"] for name, _, _ in HEADLINE}
    nash = default.solutions["nash"]
    data = {
        "question": "where the cash/credit split of Korea's $350 bn US investment pledge settles",
        "information_set": "figures public by 27 September 2025 (docs/korea_us_sources.md)",
        "point_prediction": {
            "statistic": "posterior predictive median, Nash and Rubinstein pooled with equal "
            "weight, the US's rejection of Korea's written position read as hard",
            **point,
        },
        "forecast": hard,
        "soft_reading": soft,
        "calibration": {
            key: {
                k: result[f"{key}_summary"][k]
                for k in ("draws", "accepted", "acceptance_rate", "ess")
            }
            for key in ("hard", "soft", "joint")
        },
        "observations_alone_keep": {
            o["name"]: o.get("prior_kept") for o in result["hard_summary"]["observations"]
        },
        "holdout": [
            {k: (_round(v) if isinstance(v, float) else v) for k, v in h.items()}
            for h in result["holdout"]
        ],
        "default_point": {
            "status": nash.status,
            "deal": {k: _round(v) for k, v in nash.deal.items()},
            "cash_share_of_pledge": _round(nash.outputs.get("cash_share_of_pledge", np.nan)),
        },
        "positions": {"korea_cash_share": 0.05, "us_cash_share": 1.0},
        "samples": SAMPLES,
        "seed": SEED,
        "bargain_version": default.version,
        "inputs": {f: s.sha256 for f, s in sorted(scen.items())},
        "script_sha256": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
    }
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    (rep.out / "forecast.json").write_text(text, encoding="utf-8", newline="\n")
    rep.files.append("forecast.json")
    return data


def forecast_text(forecast: dict) -> list[str]:
    """The headline sentences of the paper, written from ``forecast.json`` alone.

    The test suite checks that every one of them stands in the committed paper.
    """
    hard = forecast["forecast"]["pooled"]
    lines = []
    for name, label, unit in HEADLINE:
        d = hard[name]
        lo80, hi80 = d["80%"]
        lo90, hi90 = d["90%"]
        lines.append(
            f"- **{label}**: median {fmt(d['median'], unit)}; 80% interval "
            f"[{fmt(lo80, unit)}, {fmt(hi80, unit)}]; 90% interval "
            f"[{fmt(lo90, unit)}, {fmt(hi90, unit)}]"
        )
    return lines


def headline_table(forecast: dict, key: str) -> str:
    """Median and intervals of every headline quantity, per concept and pooled."""
    f = forecast[key]
    rows = []
    for name, label, unit in HEADLINE:
        for concept, d in [("pooled", f["pooled"][name])] + [
            (c, f["by_concept"][c][name]) for c in CONCEPTS
        ]:
            cells = [label if concept == "pooled" else "", concept, fmt(d["median"], unit)]
            cells += [
                f"[{fmt(d[f'{lv}%'][0], unit)}, {fmt(d[f'{lv}%'][1], unit)}]" for lv in LEVELS
            ]
            rows.append(cells)
    return md_table(["quantity", "concept", "median", "50%", "80%", "90%"], rows)


# -------------------------------------------------------------------- sections
def default_section(rep: Reproduction, s: bargain.Scenario, report) -> str:
    """The flagship solved at its default values (the pre-registered point)."""
    rows, md = [], []
    for name, sol in report.solutions.items():
        deal = sol.deal or {}
        cells = [deal.get(i, np.nan) for i in s.issue_names]
        share = sol.outputs.get("cash_share_of_pledge", np.nan) if sol.ok else np.nan
        rows.append([name, *cells, share, sol.status])
        md.append(
            [name, *(fmt(v, s.issues[k].unit) for k, v in enumerate(cells)), fmt(share, "share")]
            + [sol.status]
        )
    cols = ["solution", *s.issue_names, "cash_share_of_pledge", "status"]
    rep.table("default_point", cols, rows)
    zone = report.zone_of_agreement or {}
    lo, hi = zone.get("e", (np.nan, np.nan))
    held = observations_at_defaults(s)
    broken = [name for name, (ok, _) in held.items() if not ok]
    us_gain = held["us_rejects_korea_position"][1]
    rep.table(
        "observations_at_defaults",
        ["observation", "holds", "observed party's best gain"],
        [[name, str(ok), gain] for name, (ok, gain) in held.items()],
    )
    nash_share = report.solutions["nash"].outputs.get("cash_share_of_pledge", np.nan)
    return (
        "At the default value of every parameter (set before any result was computed), the "
        f"Nash solution puts the cash share of the $350 bn at {fmt(nash_share, 'share')}; the "
        f"zone of agreement in `e` is [{fmt(lo, 'share')}, {fmt(hi, 'share')}]. With "
        "near-linear utilities the cash works as a transfer from Korea to the US, and it "
        "stops near its lower bound when the US already gains from a deal with little cash. "
        "That point lies below Korea's own offer, and it contradicts what the two sides "
        f"revealed: at the defaults the US gains {us_gain:,.1f} USD bn from Korea's written "
        "position at its best payout period, so it should have accepted it at once, yet it "
        "rejected it through September. At the defaults "
        + (", ".join(f"`{b}`" for b in broken) or "no observation")
        + " fails (table `observations_at_defaults`). The defaults are one point of the "
        "prior; the forecast keeps only the parameter draws that agree with every "
        "observation.\n\n" + md_table(["solution", *s.issue_names, "cash share", "status"], md)
    )


def observations_at_defaults(s: bargain.Scenario) -> dict[str, tuple[bool, float]]:
    """Whether each deal observation of one party holds at the default values, and that
    party's gain there (at its best value of the free issues)."""
    out = {}
    for obs in s.observations:
        if obs.kind in ("zone", "signed"):
            continue
        problem = s.with_parameters(**obs.parameters).problem()
        party = s.party_names.index(obs.party)
        free = [s.issue_names.index(f) for f in obs.free]
        grids = [np.linspace(problem.lower[k], problem.upper[k], 129) for k in free]
        best = -np.inf
        for values in np.array(np.meshgrid(*grids)).reshape(len(free), -1).T if free else [()]:
            x = np.array([obs.deal.get(i, np.nan) for i in s.issue_names], dtype=float)
            x[free] = values
            gain = problem.utility(x)[party] - problem.disagreement[party]
            best = max(best, float(gain))
        out[obs.name] = (best < 0 if obs.kind == "rejects" else best >= 0, best)
    return out


def observations_section(rep: Reproduction, result: dict) -> str:
    """Each observation of the flagship and how much of the prior it alone keeps."""
    rows, md = [], []
    for o in result["hard_summary"]["observations"]:
        kept = o.get("prior_kept")
        rows.append(
            [o["name"], o["kind"], o.get("party") or "", o["strength"]]
            + [np.nan if kept is None else kept, o["date"]]
        )
        md.append(
            [f"`{o['name']}`", o["kind"], o.get("party") or "both", o["strength"]]
            + [fmt(kept, "share"), o["date"], o["source"]]
        )
    rep.table("observations", ["observation", "kind", "party", "strength", "kept", "date"], rows)
    cal = {k: result[f"{k}_summary"] for k in ("hard", "soft")}
    h, s = cal["hard"], cal["soft"]
    return (
        f"Of {h['draws']:,} prior draws, {h['accepted']:,} satisfy every hard observation "
        f"of the flagship (acceptance {fmt(h['acceptance_rate'], 'share')}, effective sample "
        f"size {h['ess']:,.0f}). With the US's rejection read as soft (logistic, scale "
        f"5 USD bn), the effective sample size is {s['ess']:,.0f}. The column *kept* is the "
        "share of the prior that the observation alone keeps: the smaller it is, the more the "
        "observation says.\n\n"
        + md_table(["observation", "kind", "party", "strength", "kept", "date", "source"], md)
    )


def parameters_section(rep: Reproduction, cal) -> str:
    """Prior against posterior for every drawn parameter, largest shift first."""
    rows = []
    for p in cal.summary()["parameters"]:
        pr, po = p["prior"], p["posterior"]
        if po["median"] is None or pr["95%"] == pr["5%"]:
            continue
        shift = (po["median"] - pr["median"]) / (pr["95%"] - pr["5%"])
        rows.append((abs(shift), p["name"], p["unit"], pr, po, shift))
    rows.sort(key=lambda r: (-r[0], r[1]))
    rep.table(
        "prior_posterior",
        ["parameter", "prior median", "prior 5%", "prior 95%", "posterior median", "shift"],
        [[r[1], r[3]["median"], r[3]["5%"], r[3]["95%"], r[4]["median"], r[5]] for r in rows],
    )
    md = [
        [f"`{r[1]}`", r[2], f"{r[3]['median']:.4g} [{r[3]['5%']:.4g}, {r[3]['95%']:.4g}]"]
        + [f"{r[4]['median']:.4g} [{r[4]['5%']:.4g}, {r[4]['95%']:.4g}]", f"{r[5]:+.2f}"]
        for r in rows[:12]
    ]
    return (
        "The twelve parameters whose posterior median moved most, in units of the prior's "
        "90% width (the full table is `prior_posterior.csv`). Each prior is the parameter's "
        "declared distribution in the flagship file, fixed before the posterior was computed.\n\n"
        + md_table(["parameter", "unit", "prior median [5%, 95%]", "posterior", "shift"], md)
    )


def comparables_section(rep: Reproduction, result: dict) -> str:
    """Hold-one-out: each comparable's signed deal against the others' posterior."""
    j = result["joint_summary"]
    rows, md = [], []
    for h in result["holdout"]:
        p = h.get("p_both_accept")
        rows.append(
            [h["file"], h["observation"], h["draws_with_weight"]]
            + [np.nan if v is None else v for v in (p, h.get("percentile"))]
        )
        pct = h.get("percentile")
        md.append(
            [f"`{Path(h['file']).name}`", f"`{h['observation']}`", f"{h['draws_with_weight']:,}"]
            + [fmt(p, "share"), "–" if pct is None else f"{pct:.0f}"]
        )
    rep.table(
        "holdout",
        ["file", "observation", "draws kept", "p_both_accept", "percentile"],
        rows,
    )
    return (
        "The US's preferences (`shared = true` in the files: its weight on tariff revenue, its "
        "values of cash, credit and investment, its rate on cash, ...) are the same in the Korea, "
        "Japan and EU files. Each row below calibrates on the flagship's observations only "
        "and asks whether the comparable's signed deal is predicted: the posterior "
        "probability that both sides accept it, and where its cash share falls in the "
        "predictive of the comparable's Nash deal (percentile). Calibrated jointly on the "
        "flagship, Japan's MOU read as its negotiator did (1-2% cash) and the EU deal, "
        f"{j['accepted']:,} of {j['draws']:,} draws are kept.\n\n"
        + md_table(["file", "signed deal", "draws kept", "P(both accept)", "percentile"], md)
        + "\n\n"
        + comparables_verdict(result["holdout"])
    )


def comparables_verdict(holdout: list[dict]) -> str:
    """Which signed comparables the model fails to predict (P(both accept) under 5%)."""
    failed = [
        f"`{Path(h['file']).name}` ({fmt(h['p_both_accept'], 'share')})"
        for h in holdout
        if h.get("p_both_accept") is not None and h["p_both_accept"] < 0.05
    ]
    if not failed:
        return (
            "Every signed comparable has a posterior probability of at least 5% that both "
            "sides accept it."
        )
    return (
        "The model predicts these signed deals poorly: the posterior gives less than 5% "
        "probability that both sides accept " + ", ".join(failed) + ". What it leaves out "
        "(the EU's capacity to retaliate, Japan's own reading of its fund, headline pledges "
        "that are not enforced) matters there, so the comparables are a test the model "
        "partly fails, not support for the forecast."
    )


# --------------------------------------------------------------------- figures
def _hist(ax, values, weights, bins, **kw) -> None:
    keep = np.isfinite(values) & (weights > 0)
    if keep.any():
        ax.hist(values[keep], bins=bins, weights=weights[keep], density=True, **kw)


def figures(rep: Reproduction, hard, soft) -> None:
    """The forecast's distribution with both sides' positions; prior against posterior."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, name, scale, unit in [
        (axes[0], "cash_share_of_pledge", 100.0, "cash share of the $350 bn (%)"),
        (axes[1], "cash_usd_bn", 1.0, "total cash (USD bn)"),
    ]:
        bins = np.linspace(0, 100 if scale == 100.0 else 350, 71)
        for cal, label, style in [
            (hard, "hard reading", "stepfilled"),
            (soft, "soft reading", "step"),
        ]:
            v, w = pooled(cal, name)
            _hist(ax, scale * v, w, bins, histtype=style, alpha=0.6, label=label)
        v, w = pooled(hard, name)
        med = float(bargain.weighted_quantile(v, w, [0.5])[0])
        if np.isfinite(med):
            ax.axvline(scale * med, color="k", ls="--", lw=1, label="forecast (median)")
        for (label, x), color in zip(POSITIONS[name].items(), ["tab:blue", "tab:red"], strict=True):
            ax.axvline(scale * x, color=color, lw=2, label=label)
        ax.set_xlabel(unit)
        ax.set_ylabel("posterior predictive density")
        ax.legend(fontsize=7)
    fig.suptitle("Where the cash settles: posterior predictive, Nash and Rubinstein pooled")
    fig.tight_layout()
    rep.figure(fig, "forecast")
    plt.close(fig)

    summary = hard.summary()["parameters"]
    moved = []
    for p in summary:
        pr, po = p["prior"], p["posterior"]
        if po["median"] is not None and pr["95%"] > pr["5%"]:
            moved.append((abs(po["median"] - pr["median"]) / (pr["95%"] - pr["5%"]), p["name"]))
    names = [n for _, n in sorted(moved, key=lambda t: (-t[0], t[1]))[:6]]
    fig, axes = plt.subplots(2, 3, figsize=(11, 6))
    w = hard.weights
    for ax, name in zip(axes.ravel(), names, strict=False):
        v = hard.table[name].to_numpy(dtype=float)
        bins = np.linspace(v.min(), v.max(), 31) if v.max() > v.min() else 10
        _hist(ax, v, np.ones_like(v), bins, histtype="step", color="grey", label="prior")
        _hist(ax, v, w, bins, histtype="stepfilled", alpha=0.6, label="posterior")
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle("Prior against posterior: the parameters the observations moved most")
    fig.tight_layout()
    rep.figure(fig, "prior_posterior")
    plt.close(fig)


# ---------------------------------------------------------------------- checks
def checks(rep: Reproduction, hard, soft, forecast: dict) -> None:
    """Internal identities of the calibration and the forecast."""
    s = hard.scenarios[0]
    kept = hard.weights > 0
    for o in s.observations:
        if o.strength == "hard":
            ll = hard.table[f"loglik.{o.name}"].to_numpy(dtype=float)[kept]
            worst = float(np.max(np.abs(ll), initial=0.0))
            rep.check(f"kept draws satisfy {o.name}", 0.0, worst, tolerance=0.0, source="identity")
    pledge = hard.table["A"].to_numpy(dtype=float) * hard.table["pledge_realised"].to_numpy()
    for c in CONCEPTS:
        total = sum(
            column(hard, c, n) for n in ("cash_usd_bn", "credit_usd_bn", "korea_led_ship_usd_bn")
        )
        gap = np.abs(total - pledge)
        worst = float(np.max(gap[np.isfinite(gap)], initial=0.0))
        rep.check(
            f"{c}: cash + credit + ships = pledge", 0.0, worst, tolerance=1e-9, source="identity"
        )
    reread = json.loads((rep.out / "forecast.json").read_text(encoding="utf-8"))
    for name, _, _ in HEADLINE:
        computed = describe(*pooled(hard, name))["median"]
        rep.check(
            f"forecast.json median {name}",
            np.nan if computed is None else computed,
            np.nan
            if reread["point_prediction"][name] is None
            else reread["point_prediction"][name],
            tolerance=0.0,
            source="identity",
        )


# --------------------------------------------------------------------- assemble
def certified_note(forecast: dict) -> str:
    """The share of the posterior without an agreement or without a certified answer."""
    f = forecast["forecast"]
    parts = [
        f"{c}: no agreement in {fmt(f['no_agreement'][c], 'share')}, not certified in "
        f"{fmt(f['not_certified'][c], 'share')} of the posterior weight"
        for c in CONCEPTS
    ]
    return (
        "The distribution is over the kept draws with a certified answer ("
        + "; ".join(parts)
        + "). A draw is certified when the batched solver's first- and second-order checks "
        "pass, or when its traced frontier certifies it; the others are left out."
    )


def assemble(s: bargain.Scenario, forecast: dict, headline: list[str], sec: dict) -> str:
    point = forecast["point_prediction"]
    share = point["cash_share_of_pledge"]
    inside = share is not None and 0.05 <= share <= 1.0
    where = (
        "inside the range spanned by the two sides' public positions (Korea: cash under 5% of "
        "the $350 bn; the US: all of it, up front)"
        if inside
        else "outside the range spanned by the two sides' public positions (Korea: cash under "
        "5% of the $350 bn; the US: all of it, up front); the default-point section says which "
        "element of the model pulls it there"
    )
    return f"""# Where does Korea's $350 bn settle? A pre-registered bargaining forecast

*bargain {forecast["bargain_version"]}; generated by `papers/korea_us_2025/reproduce.py` from
`scenarios/korea_us/`; {forecast["samples"]:,} prior draws, seed {forecast["seed"]}. Only figures
public by 27 September 2025 are used (docs/korea_us_sources.md); what happened after that
date was not consulted. The numbers are also in `forecast.json`, with the inputs' hashes.*

## The forecast

The question is how the $350 bn that Korea pledged in the July 2025 framework splits between
money funded on call (cash the US directs and shares the profits of) and contingent credit
(loans and guarantees drawn as projects need), over how many years the cash is paid, how
much say Korea gets over projects, and whether the $150 bn shipbuilding fund is Korea-led.
The model (docs/korea_us_model.md) writes each side's gain from a deal as the sum of tariff
relief, the chip and drug tariff cover, the investment package, project control, the
currency-crisis risk of the dollars that flow each year, and energy; the disagreement point
mixes the impasse and breakdown points as Binmore, Rubinstein and Wolinsky (1986) do.

**Point prediction** ({point["statistic"]}): a cash share of {fmt(share, "share")} of the
$350 bn, {where}. The distribution, pooled over the Nash and Rubinstein solutions:

{chr(10).join(headline)}

{headline_table(forecast, "forecast")}

![The forecast: cash share and total cash, with both positions](forecast.png)

{certified_note(forecast)}

With the US's rejection of Korea's written position read as soft instead (a likelihood, so a
bluffing US is not ruled out), the forecast is:

{headline_table(forecast, "soft_reading")}

## The default point, and why it is not the forecast

{sec["default"]}

## What the two sides revealed

{sec["observations"]}

## Prior against posterior

{sec["parameters"]}

![Prior against posterior for the parameters the observations moved most](prior_posterior.png)

## The comparables: Japan and the EU, held out

{sec["comparables"]}

## Limitations

- The forecast is only as good as the priors: most parameters are judgements with stated
  ranges (every source is in the scenario files). The observations cut the prior, but what
  they leave is still the prior's shape inside the kept region.
- Complete information: every kept draw is solved as if both sides knew it. The stalling
  from July to September is read only as a constraint on preferences (the US rejected
  Korea's position), not explained; the incomplete-information solvers are not yet applied.
- The rejection observation is the one that carries the forecast. Read as hard, it says the
  US preferred breaking off to Korea's position; a rejection can also be a bargaining move.
  The soft reading shows how much the answer depends on that.
- The Japan and EU comparables share the US's preferences with the flagship but use rough
  trade and macro figures that the facts file does not give (marked as judgements).
- The issues' bounds (payout 1-10 years) are judgements, and the crisis block's shape
  (a Hill curve in outflow over capacity) is assumed, not estimated.
"""


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
