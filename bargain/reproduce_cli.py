"""The ``bargain reproduce`` command: rerun the reproductions in ``papers/``.

``cli.py`` adds it with ``add_reproduce_command(subparsers)``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .reproduce import discover, format_checks, run_paper

__all__ = ["add_reproduce_command"]


def _cmd_reproduce(args: argparse.Namespace) -> int:
    papers = discover(args.papers, args.names)
    if args.list:
        for paper in papers:
            print(f"{paper.slug:<34} {'slow' if paper.slow else 'fast'}  {paper.title}")
        return 0
    checks = []
    failed = []
    for paper in papers:
        out = Path(args.out) / paper.slug if args.out else None
        run = run_paper(paper, out)
        checks += run.checks
        if not run.checks or run.returncode not in (0, 1):
            failed.append(run)
    print(format_checks(checks))
    for run in failed:
        tail = "\n".join(run.stderr.strip().splitlines()[-5:])
        print(
            f"{run.paper.slug}: the script failed (exit {run.returncode})\n{tail}", file=sys.stderr
        )
    bad = sum(not c.ok for c in checks)
    print(
        f"{len(checks) - bad} of {len(checks)} numbers reproduced within tolerance "
        f"in {len(papers) - len(failed)} of {len(papers)} papers"
    )
    return 1 if bad or failed else 0


def add_reproduce_command(sub: Any) -> None:
    """Add ``reproduce`` to the ``bargain`` command's subparsers."""
    p = sub.add_parser(
        "reproduce",
        help="rerun the reproductions of published results in papers/",
        description="Run every papers/<name>/reproduce.py (or the ones named), print one "
        "line per reproduced number and exit 1 if any differs from the published one "
        "beyond its tolerance.",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="papers to run (default all)")
    p.add_argument(
        "--out", default=None, help="write outputs to OUT/<name>/ instead of papers/<name>/output/"
    )
    p.add_argument("--papers", default=None, help="the papers folder (default ./papers)")
    p.add_argument("--list", action="store_true", help="list the papers and exit")
    p.set_defaults(func=_cmd_reproduce)
