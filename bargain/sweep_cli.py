"""The ``bargain sweep`` and ``bargain tornado`` commands.

``cli.py`` adds them with ``add_sweep_commands(subparsers)``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import sweep as sweep_module
from .scenario import load
from .sweep import run_sweep, spec_from_args, tornado

__all__ = ["add_sweep_commands"]


def _cmd_sweep(args: argparse.Namespace) -> int:
    sweep_module.MAX_POINTS = args.max_points  # one command per process: SweepSpec.validate
    scenario = load(args.file)
    spec = spec_from_args(
        scenario,
        args.vary,
        args.samples,
        args.seed,
        args.solver,
        not args.no_fallback,
        not args.no_convexity_check,
    )
    info = run_sweep(
        scenario,
        spec,
        args.out,
        chunk_size=args.chunk_size,
        engine=args.engine,
        workers=args.workers,
        address=args.address,
        resume=args.resume,
        quiet=args.quiet,
    )
    if not args.quiet:
        print(
            f"{info['points']} points in {info['chunks']} chunks "
            f"({info['chunks_run']} run now) -> {args.out}",
            file=sys.stderr,
        )
    return 0


def _cmd_tornado(args: argparse.Namespace) -> int:
    scenario = load(args.file)
    frame = tornado(
        scenario,
        solver=args.solver,
        issue=args.issue,
        check_convexity=not args.no_convexity_check,
    )
    if args.json:
        print(frame.to_json(orient="records", indent=2))
    else:
        print(f"{frame.attrs['solver']}: {frame.attrs['issue']} at each end of every range")
        print(frame.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    return 0


def add_sweep_commands(sub: Any) -> None:
    """Add ``sweep`` and ``tornado`` to the ``bargain`` command's subparsers."""
    p = sub.add_parser("sweep", help="solve many parameter points (grid and Monte Carlo)")
    p.add_argument("file", help="a scenario TOML file (at most 1 MB)")
    p.add_argument(
        "--vary",
        action="append",
        metavar="NAME=LO:HI:N",
        help="a grid axis: N values of NAME from LO to HI (repeatable; their product)",
    )
    p.add_argument(
        "--samples",
        type=int,
        default=0,
        help="Monte Carlo draws (per grid point) of every other parameter with a range",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo draws")
    p.add_argument(
        "--solver",
        default="nash,rubinstein",
        help="comma-separated: nash, asymmetric_nash, rubinstein (default nash,rubinstein)",
    )
    p.add_argument("--out", required=True, help="output file, .parquet or .csv")
    p.add_argument("--chunk-size", type=int, default=50_000, help="points per chunk")
    p.add_argument("--engine", choices=["local", "dask"], default="local")
    p.add_argument("--workers", type=int, default=None, help="processes (default: CPUs)")
    p.add_argument("--address", default=None, help="Dask scheduler address (engine dask)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted sweep")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--max-points",
        type=int,
        default=sweep_module.MAX_POINTS,
        help=f"refuse sweeps of more points (default {sweep_module.MAX_POINTS:,})",
    )
    p.add_argument(
        "--no-fallback",
        action="store_true",
        help="report not_converged instead of calling the per-scenario solvers",
    )
    _convexity_flag(p)
    p.set_defaults(func=_cmd_sweep)
    t = sub.add_parser("tornado", help="each parameter from the low to the high end of its range")
    t.add_argument("file", help="a scenario TOML file")
    t.add_argument("--solver", default="nash", help="nash, asymmetric_nash or rubinstein")
    t.add_argument("--issue", default=None, help="the issue to chart (default the first)")
    t.add_argument("--json", action="store_true", help="print JSON records")
    _convexity_flag(t)
    t.set_defaults(func=_cmd_tornado)


def _convexity_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-convexity-check",
        action="store_true",
        help="Nash: skip tracing each frontier to check the bargaining set is convex "
        "(over 100x faster; 'ok' then means a certified local maximum of the Nash product)",
    )
