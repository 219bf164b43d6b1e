"""Write the README's flagship block from what ``bargain solve`` prints now.

Run from the repository root: ``python docs/gen_readme.py``. The text block under
"What the first command prints" is replaced by the live output of the README's
first command. ``tests/test_readme.py`` fails when the committed block is stale
(it compares the words exactly and the numbers to one unit of their last printed
digit, so a library release that moves a number across a rounding edge does not
fail it, while a changed model does).
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "## What the first command prints"
_BLOCK = re.compile(r"(```text\n)(.*?)(```)", re.S)


def flagship_command(readme: str) -> list[str]:
    """The arguments of the README's first ``bargain solve`` command."""
    found = re.search(r"pip install \. && bargain solve (\S+)", readme)
    if not found:
        raise SystemExit("README.md: the first command no longer names a flagship scenario")
    return ["solve", found.group(1)]


def live_output(readme: str) -> str:
    """What the README's first command prints now (run in this process)."""
    from bargain.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(flagship_command(readme))
    if status != 0:
        raise SystemExit(f"bargain {' '.join(flagship_command(readme))} exited with {status}")
    return buffer.getvalue().strip() + "\n"


def committed_block(readme: str) -> str:
    """The text block under the "What the first command prints" heading."""
    section = readme.split(SECTION, 1)[1]
    found = _BLOCK.search(section)
    if not found:
        raise SystemExit(f"README.md: no ```text block under {SECTION!r}")
    return found.group(2)


def updated(readme: str) -> str:
    """The README with its flagship block replaced by the live output."""
    head, section = readme.split(SECTION, 1)
    section = _BLOCK.sub(lambda m: m.group(1) + live_output(readme) + m.group(3), section, 1)
    return head + SECTION + section


def main() -> int:
    """Rewrite README.md in place."""
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: flagship block rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
