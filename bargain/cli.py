"""The ``bargain`` command line.

Every command reads scenario files; bad input prints one message on stderr
(file, key, problem, fix) and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from ._version import __version__
from .calibrate_cli import add_calibrate_command
from .errors import BargainError, ScenarioError
from .explore_cli import add_explore_command
from .plot_cli import add_plot_commands
from .reproduce_cli import add_reproduce_command
from .scenario import Scenario, load
from .solve import SOLVERS, solve
from .sweep_cli import add_sweep_commands

__all__ = ["main"]


def _parse_assignment(text: str, file: str = "") -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ScenarioError(
            f"--set {text!r} is not NAME=VALUE", fix="write e.g. --set dA=0.95", file=file
        )
    try:
        return name.strip(), float(value)
    except ValueError:
        raise ScenarioError(
            f"--set {text!r}: {value!r} is not a number",
            key=f"parameters.{name.strip()}",
            fix="give a plain number, e.g. --set dA=0.95",
            file=file,
        ) from None


def _with_sets(scenario: Scenario, sets: list[str] | None) -> Scenario:
    """Apply --set NAME=VALUE overrides to a scenario."""
    if not sets:
        return scenario
    return scenario.with_parameters(**dict(_parse_assignment(s, scenario.path) for s in sets))


def _scenario_with_sets(args: argparse.Namespace) -> Scenario:
    """Load the scenario named on the command line and apply its --set overrides."""
    return _with_sets(load(args.file), args.set)


def _cmd_solve(args: argparse.Namespace) -> int:
    scenario = _scenario_with_sets(args)
    methods = _methods(args.methods)
    report = solve(scenario, methods=methods)
    statics = _statics(scenario, report) if args.statics else {}
    if args.json:
        data = report.to_dict()
        if statics:
            data["statics"] = {k: s.to_dict() for k, s in statics.items()}
        print(json.dumps(data, indent=2, allow_nan=False))
    else:
        print("\n\n".join([report.table(), *(s.table() for s in statics.values())]))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from .explain import explain

    encoding = (getattr(sys.stdout, "encoding", None) or "").lower()
    text = explain(
        _scenario_with_sets(args),
        latex=args.latex,
        unicode=not args.ascii and encoding.startswith("utf"),
    )
    print(text, end="")
    return 0


def _statics(scenario: Scenario, report: Any) -> dict[str, Any]:
    from .statics import nash_statics, rubinstein_statics

    sols = report.solutions
    statics = {}
    if "nash" in sols:
        statics["nash"] = nash_statics(scenario, sols["nash"])
    if "asymmetric_nash" in sols:
        statics["asymmetric_nash"] = nash_statics(
            scenario, sols["asymmetric_nash"], asymmetric=True
        )
    if "rubinstein" in sols:
        statics["rubinstein"] = rubinstein_statics(scenario, sols["rubinstein"])
    return statics


def _cmd_tree(args: argparse.Namespace) -> int:
    from .tree import render_path, solve_tree

    solution = solve_tree(_scenario_with_sets(args))
    if args.json:
        print(json.dumps(solution.to_dict(), indent=2, allow_nan=False))
    else:
        print(render_path(solution))
    return 0


def _cmd_games(args: argparse.Namespace) -> int:
    from .demand_game import demand_game, smoothed_demand_game
    from .frontier import Frontier
    from .posture_game import posture_game

    if args.levels < 2 or not 0.5 < args.firm_power < 1 or not args.smoothing > 0:
        raise BargainError(
            "--levels must be at least 2, --firm-power in (0.5, 1) and --smoothing positive"
        )
    problem = _scenario_with_sets(args).problem()
    frontier = Frontier(problem)
    dg = demand_game(problem, levels=args.levels, frontier=frontier)
    sm = smoothed_demand_game(problem, smoothing=args.smoothing, frontier=frontier)
    pg = posture_game(problem, firm_power=args.firm_power, frontier=frontier)
    if args.json:
        out = {
            "demand_game": dg.to_dict(),
            "smoothed_demand_game": sm.to_dict(),
            "posture_game": pg.to_dict(),
        }
        print(json.dumps(out, indent=2, allow_nan=False))
        return 0
    a, b = problem.parties
    print(f"Nash demand game ({dg.settings['levels']} demands each): {dg.status}")
    for e in dg.equilibria:
        if e.pure:
            print(f"  pure {e.outcome:12s} {a} {e.payoffs[0]:.4g}, {b} {e.payoffs[1]:.4g}")
    print(f"  mixed (extreme) equilibria: {sum(not e.pure for e in dg.equilibria)}")
    if dg.warning:
        print(f"  warning: {dg.warning}")
    print(f"Smoothed demand game (sigma = {sm.smoothing:g}): {sm.status}")
    if sm.demands:
        print(
            "  demands: "
            + ", ".join(f"{k} {v:.4g}" for k, v in sm.demands.items())
            + f"; deal probability {sm.deal_probability:.4f}; distance to Nash "
            f"{sm.distance_to_nash:.2e} (scaled)"
        )
    print(f"Posture game (firm power {args.firm_power:g}): {pg.status}")
    for e in pg.equilibria:
        print(f"  {e.outcome:16s} {a} {e.payoffs[0]:.4g}, {b} {e.payoffs[1]:.4g}")
    if pg.firm_probability:
        print(
            "  mixed: P(firm) "
            + ", ".join(f"{k} {v:.4f}" for k, v in pg.firm_probability.items())
            + f"; P(impasse) {pg.impasse_probability:.4f}"
        )
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .table import render_comparison

    methods = _methods(args.methods)
    scenarios = [_with_sets(load(path), args.set) for path in args.files]
    reports = [solve(s, methods=methods) for s in scenarios]
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2, allow_nan=False))
    else:
        print(render_comparison(reports, [Path(p).stem for p in args.files]))
    return 0


def _methods(text: str | None) -> list[str] | None:
    if not text:
        return None
    methods = [m.strip() for m in text.split(",")]
    unknown = [m for m in methods if m not in SOLVERS]
    if unknown:
        raise ScenarioError(
            f"unknown method(s) {', '.join(unknown)}", fix="choose from " + ", ".join(SOLVERS)
        )
    return methods


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a scenario TOML file (at most 1 MB)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="change a parameter's value (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``bargain`` command."""
    parser = argparse.ArgumentParser(
        prog="bargain", description="Game-theoretic bargaining models from scenario files."
    )
    parser.add_argument("--version", action="version", version=f"bargain {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_solve = sub.add_parser("solve", help="solve a scenario by every solution concept")
    _add_common(p_solve)
    p_solve.add_argument("--methods", help="comma-separated solution concepts (default all)")
    p_solve.add_argument(
        "--statics",
        action="store_true",
        help="also print the derivative and elasticity of each issue w.r.t. every parameter",
    )
    p_solve.set_defaults(func=_cmd_solve)
    p_explain = sub.add_parser(
        "explain", help="the model's equations, Nash conditions and closed forms"
    )
    p_explain.add_argument("file", help="a scenario TOML file")
    p_explain.add_argument("--latex", action="store_true", help="print LaTeX")
    p_explain.add_argument("--ascii", action="store_true", help="plain ASCII, no Unicode")
    p_explain.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="change a parameter's value"
    )
    p_explain.set_defaults(func=_cmd_explain)
    p_compare = sub.add_parser("compare", help="the solutions of several scenarios in one table")
    p_compare.add_argument("files", nargs="+", help="scenario TOML files")
    p_compare.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_compare.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="change a parameter in every scenario (repeatable)",
    )
    p_compare.add_argument("--methods", help="comma-separated solution concepts (default all)")
    p_compare.set_defaults(func=_cmd_compare)
    p_tree = sub.add_parser("tree", help="solve a scenario's [tree] by backward induction")
    _add_common(p_tree)
    p_tree.set_defaults(func=_cmd_tree)
    p_games = sub.add_parser("games", help="Nash demand games and the posture game (nashpy)")
    _add_common(p_games)
    p_games.add_argument("--levels", type=int, default=6, help="demand levels per party")
    p_games.add_argument("--smoothing", type=float, default=0.01, help="Nash (1953) smoothing")
    p_games.add_argument(
        "--firm-power", type=float, default=0.9, help="bargaining power of a side that holds firm"
    )
    p_games.set_defaults(func=_cmd_games)
    add_reproduce_command(sub)
    add_plot_commands(sub)
    add_explore_command(sub)
    add_sweep_commands(sub)
    add_calibrate_command(sub)
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
    except BrokenPipeError:  # e.g. `bargain solve F --json | head`: the reader has gone
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - RecursionError and MemoryError too: one line
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"bargain: error: {unexpected(exc)}", file=sys.stderr)
        return 2


def unexpected(exc: BaseException, limit: int = 300) -> str:
    """An unexpected exception as one line: its type and message, cut to ``limit``.

    Examples
    --------
    >>> print(unexpected(RecursionError("maximum recursion depth" + chr(10) + "exceeded"))[:59])
    unexpected RecursionError: maximum recursion depth exceeded
    """
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"unexpected {what} (rerun with bargain --debug ... for the traceback)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
