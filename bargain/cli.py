"""The ``bargain`` command line.

Every command reads scenario files; bad input prints one message on stderr
(file, key, problem, fix) and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._version import __version__
from .errors import BargainError, ScenarioError
from .scenario import load
from .solve import SOLVERS, solve

__all__ = ["main"]


def _parse_assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ScenarioError(f"--set {text!r} is not NAME=VALUE", fix="write e.g. --set dA=0.95")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise ScenarioError(
            f"--set {text!r}: {value!r} is not a number",
            key=f"parameters.{name.strip()}",
            fix="give a plain number, e.g. --set dA=0.95",
        ) from None


def _cmd_solve(args: argparse.Namespace) -> int:
    scenario = load(args.file)
    if args.set:
        scenario = scenario.with_parameters(**dict(_parse_assignment(s) for s in args.set))
    methods = args.methods.split(",") if args.methods else None
    if methods:
        unknown = [m for m in methods if m not in SOLVERS]
        if unknown:
            raise ScenarioError(
                f"unknown method(s) {', '.join(unknown)}", fix="choose from " + ", ".join(SOLVERS)
            )
    report = solve(scenario, methods=methods)
    print(report.to_json() if args.json else report.table())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``bargain`` command."""
    parser = argparse.ArgumentParser(
        prog="bargain", description="Game-theoretic bargaining models from scenario files."
    )
    parser.add_argument("--version", action="version", version=f"bargain {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p_solve = sub.add_parser("solve", help="solve a scenario by every solution concept")
    p_solve.add_argument("file", help="a scenario TOML file")
    p_solve.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_solve.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="change a parameter's value (repeatable)",
    )
    p_solve.add_argument("--methods", help="comma-separated solution concepts (default all)")
    p_solve.set_defaults(func=_cmd_solve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BargainError as exc:
        print(f"bargain: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bargain: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
