"""Batched solvers against a per-point scipy loop on the flagship Korea-US scenario.

Run from the repository root::

    python benchmarks/sweep_vs_loop.py [--points 100000] [--loop 300] [--mc 1000000]

Prints, in one run: points per second of the batched Nash and Nash+Rubinstein
solvers on a Monte Carlo sample of the parameters (their ranges and
distributions); the same for the loop a user would otherwise write (one
``scipy.optimize.minimize`` of minus the log Nash product per point, with the
exact gradient, started at the best point of a small grid); the speed ratio;
the largest difference in the equity share ``e`` between the two; and the
wall time of a Monte Carlo of Nash and Rubinstein written to Parquet by
:func:`bargain.sweep.run_sweep` (two worker processes). The batched solvers run
without the per-scenario fallback here, so that the timings measure them alone;
the share of points they could not certify (which the fallback would solve) is
printed. With numba installed (``pip install ".[fast]"``) the batched rates are
printed for both paths, compiled and numpy (the Monte Carlo and the comparison
with the loop use the compiled one, the default); the time to compile or load
the scenario's kernels is printed on its own line and is not in the rates.
"""

from __future__ import annotations

import argparse
import collections
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import optimize

import bargain
from bargain import batch_jit
from bargain.batch import BatchModel, batch_solve
from bargain.sweep import SweepSpec, points, run_sweep

FLAGSHIP = "scenarios/korea_us/september_2025_standoff.toml"


def scipy_loop(scenario: bargain.Scenario, values: dict[str, np.ndarray], count: int) -> np.ndarray:
    """The straightforward alternative: one scipy.optimize.minimize per parameter point."""
    model = scenario.model
    lo, hi = model.lower, model.upper
    axis = np.linspace(0.02, 0.98, 9)  # inside the box: e**k has a 0/0 slope at e = 0
    grid = [lo + np.array([a, b]) * (hi - lo) for a in axis for b in axis]
    deals = np.full((count, len(lo)), np.nan)
    for i in range(count):
        theta = [float(values[n][i]) for n in model.parameter_names]
        settings = model.evaluate_settings(dict(zip(model.parameter_names, theta, strict=True)))
        d = settings["disagreement"]

        def gains(x, theta=theta, d=d):
            return np.asarray(model.utility_function(*x, *theta), dtype=float) - d

        def gains_jac(x, theta=theta):
            jac = np.asarray(model.jacobian_function(*x, *theta), dtype=float)
            return np.nan_to_num(jac)

        def objective(x):
            g = gains(x)
            return 1e10 if np.any(g <= 0) else -np.log(g).sum()

        def gradient(x):
            g = np.maximum(gains(x), 1e-12)
            return -(gains_jac(x) / g[:, None]).sum(axis=0)

        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x0 = min(grid, key=objective)
            if objective(x0) >= 1e10:
                continue  # no grid point gives both a gain: the user would skip it
            res = optimize.minimize(
                objective,
                x0,
                jac=gradient,
                method="SLSQP",
                bounds=list(zip(lo, hi, strict=True)),
                constraints=[{"type": "ineq", "fun": gains, "jac": gains_jac}],
                options={"ftol": 1e-15, "maxiter": 500},
            )
        deals[i] = res.x
    return deals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000, help="batched sample size")
    parser.add_argument("--loop", type=int, default=300, help="points for the scipy loop")
    parser.add_argument(
        "--checked", type=int, default=2000, help="points for Nash with the convexity check"
    )
    parser.add_argument("--mc", type=int, default=1_000_000, help="Monte Carlo size (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=3, help="Monte Carlo runs (each printed, and the median)"
    )
    args = parser.parse_args()

    scenario = bargain.load(FLAGSHIP)
    bm = BatchModel(scenario)
    spec = SweepSpec(samples=args.points, seed=20250927, fallback=False)
    values = points(scenario, spec, 0, args.points)
    print(f"flagship: {FLAGSHIP}; {args.points} Monte Carlo points; {os.cpu_count()} CPUs")

    compiled = batch_jit.available()
    t = time.perf_counter()
    if compiled:  # compile (first use on a machine) or load the kernels, outside the timings
        compiled = batch_jit.kernels(bm) is not None
    print(
        f"compiled path (numba): {'yes' if compiled else 'no'}; "
        f"kernels compiled or loaded in {time.perf_counter() - t:.1f} s"
    )
    unchecked = {"fallback": False, "check_convexity": False}
    rates: dict[bool, tuple[float, float]] = {}
    for path in sorted({False, compiled}):
        t = time.perf_counter()
        nash = batch_solve(bm, values, ["nash"], compiled=path, **unchecked)["nash"]
        t_nash = time.perf_counter() - t
        t = time.perf_counter()
        both = batch_solve(bm, values, ["nash", "rubinstein"], compiled=path, **unchecked)
        t_both = time.perf_counter() - t
        rates[path] = (args.points / t_nash, args.points / t_both)
    rub = both["rubinstein"]
    few = {k: v[: args.checked] for k, v in values.items()}
    t = time.perf_counter()
    checked = batch_solve(bm, few, ["nash"], fallback=False)["nash"]
    t_checked = time.perf_counter() - t
    for path, (r_nash, r_both) in rates.items():
        name = "compiled" if path else "numpy"
        print(f"batched Nash, {name} (no convexity check):  {r_nash:12,.0f} points/s (1 process)")
        print(f"batched Nash+Rubinstein, {name} (no check): {r_both:12,.0f} points/s (1 process)")
    print(
        f"batched Nash with the convexity check: {args.checked / t_checked:9,.0f} points/s "
        f"on {args.checked} points (1 process)"
    )
    for res in (nash, rub, checked):
        counts = dict(collections.Counter(res.status.tolist()))
        check = "checked" if res.diagnostics.get("convexity_checked") else "unchecked"
        print(f"  {res.method} ({check}) statuses: {counts} (not_converged: for the fallback)")
    same = checked.status == nash.status[: args.checked]
    print(f"  check vs no check: same status at {same.sum()} of {args.checked} points")

    sample = {k: v[: args.loop] for k, v in values.items()}
    t = time.perf_counter()
    loop = scipy_loop(scenario, sample, args.loop)
    t_loop = time.perf_counter() - t
    rate_loop = args.loop / t_loop
    print(f"scipy loop (SLSQP):         {rate_loop:12,.1f} points/s on {args.loop} points")
    for path, (r_nash, _) in rates.items():
        name = "compiled" if path else "numpy"
        print(f"ratio batched Nash ({name}) / loop: {r_nash / rate_loop:,.0f}x (no check)")
    print(f"ratio checked Nash / loop: {args.checked / t_checked / rate_loop:,.1f}x")
    ok = (nash.status[: args.loop] == "ok") & np.isfinite(loop[:, 0])
    diff = np.abs(nash.deal[: args.loop, 0] - loop[:, 0])
    print(f"largest |e_batched - e_loop| over {ok.sum()} points both solved: {diff[ok].max():.2e}")
    # where they differ, which deal has the larger Nash product?
    lower = np.zeros(args.loop, dtype=bool)
    for i in np.flatnonzero(ok):
        theta = [float(sample[n][i]) for n in scenario.model.parameter_names]

        def log_nash(x, theta=theta):
            return np.log(np.asarray(scenario.model.utility_function(*x, *theta))).sum()

        lower[i] = log_nash(loop[i]) < log_nash(nash.deal[i]) - 1e-12
    print(
        f"  points where the loop stopped at a smaller Nash product: {lower.sum()}; "
        f"largest difference elsewhere: {diff[ok & ~lower].max():.2e}"
    )
    missed = (nash.status[: args.loop] == "ok") & ~np.isfinite(loop[:, 0])
    print(f"  points the loop could not start (no grid point with both gains): {missed.sum()}")

    if args.mc:
        mc = SweepSpec(samples=args.mc, seed=1, fallback=False, check_convexity=False)
        times = []
        for _ in range(max(args.repeat, 1)):  # the wall time of a shared machine varies
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "mc.parquet"
                t = time.perf_counter()
                run_sweep(scenario, mc, out, chunk_size=50_000, workers=args.workers, quiet=True)
                times.append(time.perf_counter() - t)
                size = out.stat().st_size
        t_mc = float(np.median(times))
        print(
            f"Monte Carlo of Nash+Rubinstein (no convexity check, no fallback), {args.mc:,} "
            f"points, {args.workers} workers, "
            f"to Parquet: median {t_mc:.1f} s of {len(times)} runs "
            f"({', '.join(f'{x:.1f}' for x in times)} s; {args.mc / t_mc:,.0f} points/s; "
            f"{size / 1e6:.0f} MB; {'compiled' if compiled else 'numpy'})"
        )


if __name__ == "__main__":
    main()
