"""The ``bargain calibrate`` command.

``cli.py`` adds it with ``add_calibrate_command(subparsers)``.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_calibrate_command"]


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate

    solvers = [s.strip() for s in args.solver.split(",") if s.strip()]
    cal = calibrate(
        args.files,
        samples=args.samples,
        seed=args.seed,
        solvers=solvers,
        out=args.out,
        resume=args.resume,
        workers=args.workers,
        chunk_size=args.chunk_size,
        hold_out=args.hold_out,
        fallback=args.fallback,
        check_convexity=args.check_convexity,
        quiet=args.quiet or args.json,
    )
    print(cal.to_json() if args.json else cal.report())
    return 0


def add_calibrate_command(sub: Any) -> None:
    """Add ``calibrate`` to the ``bargain`` command's subparsers."""
    p = sub.add_parser(
        "calibrate",
        help="weight prior draws of the parameters by the files' [[observations]]",
    )
    p.add_argument("files", nargs="+", help="scenario TOML files (calibrated together)")
    p.add_argument("--samples", type=int, default=10_000, help="prior draws (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    p.add_argument("--out", default=None, help="also write every draw to this .parquet or .csv")
    p.add_argument("--resume", action="store_true", help="finish an interrupted run to --out")
    p.add_argument("--workers", type=int, default=None, help="processes (default: CPUs)")
    p.add_argument("--chunk-size", type=int, default=50_000, help="draws per chunk")
    p.add_argument(
        "--hold-out",
        action="store_true",
        help="for each file with a 'signed' observation: calibrate on the others and "
        "check the signed deal against its predictive",
    )
    p.add_argument(
        "--solver",
        default="nash",
        help="posterior predictive concepts, comma-separated: nash, asymmetric_nash, "
        "rubinstein (default nash)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--fallback",
        choices=["trace", "full", "none"],
        default="trace",
        help="draws Newton's method cannot certify: solved again from their traced "
        "frontier (trace, default), also by the per-scenario solvers (full, about 4 s a "
        "draw on the flagship), or left not_converged (none)",
    )
    p.add_argument(
        "--check-convexity",
        action="store_true",
        help="Nash: trace each solved draw's frontier to check the bargaining set is convex "
        "(about 10 ms a draw)",
    )
    p.set_defaults(func=_cmd_calibrate)
