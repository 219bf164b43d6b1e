"""Calibration of the flagship Korea-US scenario against a per-draw scipy loop.

Run from the repository root::

    python benchmarks/calibrate_speed.py [--samples 100000] [--workers 2] [--loop 40]
                                         [--convexity 1000]

Prints, in one run: the wall time of :func:`bargain.calibrate` on ``--samples``
prior draws of the flagship (every ``[[observations]]`` of the file evaluated on
every draw; the draws with positive weight solved by the batched Nash solver,
defaults: the traced-frontier fallback, no convexity check; ``--fallback``), with its acceptance,
ESS and the share of solved draws whose status is not certified; the time per
draw of the straightforward alternative on the first ``--loop`` draws (the same
prior draws, one at a time: every observation's gains from the per-scenario
problem, a free issue maximised or minimised by ``scipy.optimize.minimize_scalar``
and a ``zone`` by :func:`bargain.nash_solution`'s status, then
:func:`bargain.nash_solution` for the draws that pass), extrapolated to
``--samples`` draws; and the ratio of the two. ``--convexity N`` also times the
Nash solutions of N kept draws with and without the convexity check and counts
how many the check finds ``nonconvex`` (the measurement behind the default).
If the flagship has no observations, a copy with three is calibrated instead.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import optimize

import bargain
from bargain.batch import BatchModel, batch_solve
from bargain.sweep import SweepSpec, points

FLAGSHIP = "scenarios/korea_us/september_2025_standoff.toml"
FALLBACK_OBSERVATIONS = """
[[observations]]
name = "korea_offer"
kind = "offer"
party = "korea"
deal = { e = 0.1, c = 0.5 }
free = ["payout_years"]
source = "benchmark only"
date = "2025-08-03"

[[observations]]
name = "us_rejects"
kind = "rejects"
party = "us"
deal = { e = 0.1, c = 0.5 }
free = ["payout_years"]
source = "benchmark only"
date = "2025-09-25"

[[observations]]
name = "zone"
kind = "zone"
source = "benchmark only"
date = "2025-09-27"
"""


def _scenario_file(tmp: Path) -> Path:
    path = Path(FLAGSHIP)
    if bargain.load(path).observations:
        return path
    copy = tmp / path.name
    shutil.copy(path, copy)
    with open(copy, "a", encoding="utf-8") as fh:
        fh.write(FALLBACK_OBSERVATIONS)
    return copy


def _gain(scenario, values, obs, x_free=None):
    """One party's gain (or both) at the observation's deal, per-scenario problem."""
    problem = scenario.with_parameters(**{**values, **obs.parameters}).problem()
    x = np.array([obs.deal.get(i, np.nan) for i in scenario.issue_names])
    free = [scenario.issue_names.index(f) for f in obs.free]
    if x_free is not None:
        x[free] = x_free
    return problem.utility(x) - problem.disagreement


def loop_draw(scenario: bargain.Scenario, values: dict[str, float]) -> tuple[bool, str]:
    """The straightforward alternative for one draw: every observation, then Nash if kept."""
    kept = True
    for obs in scenario.observations:
        if obs.kind == "zone":
            problem = scenario.with_parameters(**{**values, **obs.parameters}).problem()
            kept &= bargain.nash_solution(problem).status != "no_agreement"
            continue
        party = scenario.party_names.index(obs.party) if obs.party else 0
        if obs.free and len(obs.free) == 1:
            issue = next(i for i in scenario.issues if i.name == obs.free[0])
            sign = 1.0 if obs.kind == "rejects" else -1.0  # minimise for rejects
            res = optimize.minimize_scalar(
                lambda v, obs=obs, sign=sign, p=party: sign * _gain(scenario, values, obs, [v])[p],
                bounds=(issue.min, issue.max),
                method="bounded",
            )
            g = sign * res.fun
        else:
            gains = _gain(scenario, values, obs)
            g = gains.min() if obs.kind == "signed" else gains[party]
        kept &= bool(g < 0) if obs.kind == "rejects" else bool(g >= 0)
    if not kept:
        return False, "not_solved"
    return True, bargain.nash_solution(scenario.with_parameters(**values).problem()).status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--loop", type=int, default=40, help="draws for the scipy loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fallback", default="trace", choices=["trace", "full", "none"])
    parser.add_argument("--convexity", type=int, default=0, help="kept draws to time the check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = _scenario_file(Path(tmp))
        scenario = bargain.load(path)
        start = time.perf_counter()
        cal = bargain.calibrate(
            path,
            samples=args.samples,
            seed=args.seed,
            workers=args.workers,
            out=Path(tmp) / "posterior.parquet",
            fallback=args.fallback,
        )
        batched = time.perf_counter() - start
    s = cal.summary()
    (nash,) = s["predictive"]
    print(f"scenario: {path} ({len(scenario.observations)} observations)")
    print(
        f"bargain.calibrate (fallback {args.fallback}): {args.samples} draws on "
        f"{args.workers} workers in {batched:.1f} s "
        f"({args.samples / batched:,.0f} draws/s); acceptance {s['acceptance_rate']:.4f}, "
        f"ESS {s['ess']:.0f}; Nash statuses of kept draws {nash['statuses']}, not certified "
        f"{nash['not_certified']:.4f}, fallback {nash['fallback']}"
    )
    drawn = points(scenario, SweepSpec(samples=args.samples, seed=args.seed), 0, args.loop)
    start = time.perf_counter()
    loop_kept = []
    for i in range(args.loop):
        kept, _ = loop_draw(scenario, {n: float(v[i]) for n, v in drawn.items()})
        loop_kept.append(kept)
    per_draw = (time.perf_counter() - start) / args.loop
    agree = np.array(loop_kept) == (cal.table["weight"].to_numpy()[: args.loop] > 0)
    print(
        f"scipy loop: {per_draw * 1e3:.0f} ms per draw on {args.loop} draws (one process), "
        f"{per_draw * args.samples:.0f} s extrapolated to {args.samples} draws; "
        f"kept/dropped agree with the calibration on {agree.sum()} of {args.loop}"
    )
    print(f"ratio: {per_draw * args.samples / batched:.0f}x")
    if args.convexity:
        _convexity(scenario, cal, args.convexity)


def _convexity(scenario: bargain.Scenario, cal, count: int) -> None:
    kept = np.flatnonzero(cal.weights > 0)[:count]
    values = {n: cal.table[n].to_numpy()[kept] for n in scenario.parameters}
    bm = BatchModel(scenario)
    batch_solve(bm, {n: v[:10] for n, v in values.items()}, ["nash"])  # warm up
    times = {}
    for check in (False, True):
        start = time.perf_counter()
        res = batch_solve(bm, values, ["nash"], check_convexity=check)["nash"]
        times[check] = time.perf_counter() - start
        statuses = dict(zip(*np.unique(res.status, return_counts=True), strict=True))
        print(
            f"Nash of {kept.size} kept draws, check_convexity={check}: {times[check]:.2f} s "
            f"({kept.size / times[check]:,.0f} draws/s), statuses "
            f"{ {str(k): int(v) for k, v in statuses.items()} }, fallback {int(res.fallback.sum())}"
        )


if __name__ == "__main__":
    main()
