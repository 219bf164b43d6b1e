"""The ``bargain plot`` and ``bargain report`` commands.

``cli.py`` adds them with ``add_plot_commands(subparsers)``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from .errors import BargainError, ScenarioError
from .scenario import Scenario, load

__all__ = ["KINDS", "add_plot_commands"]

#: The figures ``bargain plot --kind`` draws.
KINDS = ("frontier", "decomposition", "rubinstein", "tornado", "heatmap", "histogram", "posterior")


#: Limits checked before any work: figure and report sizes (a sweep has its own).
MAX_SAMPLES = 1_000_000
MAX_GRID = 200
MAX_HORIZON = 10_000


def _scenario(args: argparse.Namespace) -> Scenario:
    from .cli import _with_sets  # the same --set rules and messages as every other command

    if args.samples < 0 or args.grid < 2 or getattr(args, "horizon", 1) < 1:
        raise BargainError(
            "--samples must be 0 or more, --grid at least 2 and --horizon at least 1"
        )
    if (
        args.samples > MAX_SAMPLES
        or args.grid > MAX_GRID
        or getattr(args, "horizon", 1) > MAX_HORIZON
    ):
        raise BargainError(
            f"--samples is at most {MAX_SAMPLES:,}, --grid at most {MAX_GRID} and --horizon at "
            f"most {MAX_HORIZON:,} (for more, use bargain sweep)"
        )
    return _with_sets(load(args.file), args.set)


def _pair(text: str | None, file: str) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",")]
    if len(names) != 2 or not all(names):
        raise ScenarioError(
            f"--params {text!r} is not two names", fix="write e.g. --params a,b", file=file
        )
    return names


def _figure(args: argparse.Namespace, scenario: Scenario) -> Any:
    from . import plot, report
    from .solve import solve

    issue = scenario.issue_names[0]
    label = f"Nash {plot._issue_label(scenario, issue)}"
    if args.kind == "frontier":
        return plot.frontier_figure(scenario)
    if args.kind == "rubinstein":
        return plot.rubinstein_figure(scenario, horizons=range(1, args.horizon + 1))
    if args.kind == "posterior":  # prior draws: 50 x --samples (10,000 by default)
        from .calibrate import calibrate

        cal = calibrate(scenario, samples=50 * args.samples, seed=args.seed, solvers=())
        return plot.posterior_figure(cal)
    if args.kind == "decomposition":
        result = solve(scenario, methods=["nash", "asymmetric_nash"])
        if result.decomposition is None:
            raise ScenarioError(
                "no decomposition: the Nash solution has no unique answer", file=scenario.path
            )
        return plot.decomposition_figure(result.decomposition, parties=result.parties)
    base = solve(scenario, methods=["nash"]).solutions["nash"]
    at = base.deal[issue] if base.ok and base.deal else None
    if args.kind == "histogram":
        sample = report.monte_carlo_data(scenario, samples=args.samples, seed=args.seed)
        return plot.histogram_figure(
            sample, base=at, label=label, failed=int(np.isnan(sample).sum())
        )
    frame = report.tornado_data(scenario)
    if len(frame) == 0:
        raise ScenarioError(
            "no parameter has a range to vary",
            file=scenario.path,
            fix="give some parameters a 'range'",
        )
    if args.kind == "tornado":
        return plot.tornado_figure(frame, base=at, label=label)
    x, y = _pair(args.params, scenario.path) or list(frame["parameter"][:2])
    xs, ys, z = report.grid_data(scenario, x, y, n=args.grid)
    units = {n: scenario.parameters[n].unit for n in (x, y)}
    return plot.heatmap_figure(
        xs, ys, z, x_label=f"{x} [{units[x]}]", y_label=f"{y} [{units[y]}]", z_label=label
    )


def _cmd_plot(args: argparse.Namespace) -> int:
    from .plot import save

    scenario = _scenario(args)
    path = save(_figure(args, scenario), args.output)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    scenario = _scenario(args)
    say = None if args.quiet else (lambda part: print(f"report: {part} ...", file=sys.stderr))
    path = write_report(
        scenario,
        args.output,
        sensitivity=not args.no_sensitivity,
        samples=args.samples,
        seed=args.seed,
        heatmap=_pair(args.params, scenario.path),
        grid=args.grid,
        progress=say,
    )
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _add_shared(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a scenario TOML file (at most 1 MB)")
    p.add_argument("-o", "--output", required=True, help="where to write")
    p.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="change a parameter (repeatable)"
    )
    p.add_argument(
        "--samples",
        type=int,
        default=200,
        help="Monte Carlo draws (default 200, at most 1,000,000)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo draws (default 0)")
    p.add_argument(
        "--params",
        metavar="X,Y",
        help="the heat map's two parameters (default: the two with the largest tornado swing)",
    )
    p.add_argument(
        "--grid", type=int, default=7, help="heat-map points per axis (default 7, at most 200)"
    )


def add_plot_commands(subparsers: Any) -> None:
    """Add ``plot`` and ``report`` to the ``bargain`` command's subparsers."""
    p_plot = subparsers.add_parser(
        "plot", help="draw one figure (PNG, SVG or PDF by the suffix of -o)"
    )
    _add_shared(p_plot)
    p_plot.add_argument(
        "--kind", choices=KINDS, default="frontier", help="which figure (default frontier)"
    )
    p_plot.add_argument(
        "--horizon",
        type=int,
        default=20,
        help="longest deadline of the rubinstein figure (at most 10,000)",
    )
    p_plot.set_defaults(func=_cmd_plot)
    p_report = subparsers.add_parser(
        "report", help="one self-contained HTML report with every figure"
    )
    _add_shared(p_report)
    p_report.add_argument(
        "--no-sensitivity",
        action="store_true",
        help="leave out the tornado, heat map and Monte Carlo",
    )
    p_report.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p_report.set_defaults(func=_cmd_report)
