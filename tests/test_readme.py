"""The README shows real output: its flagship block is what `bargain solve` prints now."""

from __future__ import annotations

import re
from pathlib import Path

from bargain.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_readme_flagship_output_is_current(capsys):
    """The text block under 'What the first command prints' equals the live output."""
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"pip install \. && bargain solve (\S+)", readme)
    assert command, "the README's first command names the flagship scenario"
    section = readme.split("## What the first command prints", 1)[1]
    block = re.search(r"```text\n(.*?)```", section, re.S)
    assert block
    assert main(["solve", command.group(1)]) == 0
    assert capsys.readouterr().out.strip() == block.group(1).strip()
