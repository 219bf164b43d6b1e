"""The ``bargain explore`` command.

``cli.py`` adds it with ``add_explore_command(subparsers)``.
"""

from __future__ import annotations

import argparse
from typing import Any

from .errors import BargainError

__all__ = ["add_explore_command"]

_MISSING = (
    "bargain explore needs the 'explore' extra (starlette, uvicorn, tomli-w): "
    "pip install 'bargaining-toolkit[explore]'"
)


def _cmd_explore(args: argparse.Namespace) -> int:
    try:
        import starlette  # noqa: F401
        import tomli_w  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise BargainError(_MISSING) from None
    from .explore import Explorer
    from .explore_app import serve

    if not 0 <= args.port <= 65535:
        raise BargainError("--port must be between 0 and 65535 (0: a free port)")
    explorer = Explorer(args.file, resolution=args.resolution)
    return serve(explorer, port=args.port, open_browser=not args.no_browser)


def add_explore_command(subparsers: Any) -> None:
    """Add ``bargain explore FILE [--port N] [--no-browser] [--resolution N]``."""
    p = subparsers.add_parser(
        "explore", help="change assumptions in the browser and watch the solutions move"
    )
    p.add_argument("file", help="a scenario TOML file (never overwritten)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument(
        "--resolution",
        type=int,
        default=41,
        help="frontier points of the full update and the figure (bargain solve uses 81)",
    )
    p.set_defaults(func=_cmd_explore)
