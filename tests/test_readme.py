"""The README shows real output: its flagship block is what `bargain solve` prints now.

Words must match exactly; numbers are compared as numbers, to one unit of the last
digit printed (a new numpy or scipy may move a value across a rounding edge, as
12.71635 printing as 12.7163 or 12.7164). Regenerate with ``python docs/gen_readme.py``.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_NUMBER = re.compile(r"^([+-]?)(\d+)(?:\.(\d+))?(%?)$")


def _generator():
    spec = importlib.util.spec_from_file_location("gen_readme", ROOT / "docs" / "gen_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _number(token: str) -> tuple[float, float] | None:
    """A printed number and one unit of its last digit, or None for a word."""
    found = _NUMBER.match(token)
    if not found:
        return None
    sign, whole, decimals, _ = found.groups()
    places = len(decimals or "")
    return float(f"{sign}{whole}.{decimals or 0}"), 10.0**-places


def differences(expected: str, actual: str) -> list[str]:
    """Where two printed texts differ beyond the rounding of their last digits."""
    out: list[str] = []
    a_lines, b_lines = expected.strip().splitlines(), actual.strip().splitlines()
    if len(a_lines) != len(b_lines):
        return [f"{len(a_lines)} lines committed, {len(b_lines)} printed"]
    for row, (a_line, b_line) in enumerate(zip(a_lines, b_lines, strict=True), 1):
        a_tokens, b_tokens = a_line.split(), b_line.split()
        if len(a_tokens) != len(b_tokens):
            out.append(f"line {row}: {a_line!r} != {b_line!r}")
            continue
        for a, b in zip(a_tokens, b_tokens, strict=True):
            na, nb = _number(a), _number(b)
            if na is None or nb is None:
                if a != b:
                    out.append(f"line {row}: {a!r} != {b!r}")
            elif na[1] != nb[1] or abs(na[0] - nb[0]) > 1.000001 * na[1]:
                out.append(f"line {row}: {a} != {b}")
    return out


@pytest.mark.parametrize(
    "committed, printed, same",
    [
        ("e  12.7163 -0.3148 ok", "e  12.7164 -0.3149 ok", True),  # a rounding edge
        ("e  12.7163", "e  12.7165", False),  # two units: the model changed
        ("e  0.0116", "e  0.01160", False),  # printed differently
        ("status ok", "status nonconvex", False),
        ("1.16%", "1.17%", True),
        ("sha256 0400815cc8e8", "sha256 0400815cc8e9", False),  # a hash is a word
    ],
)
def test_comparison_tolerates_the_last_digit_only(committed, printed, same):
    """The comparison forgives one unit of the last printed digit and nothing else."""
    assert (differences(committed, printed) == []) is same


def test_readme_flagship_output_is_current():
    """The text block under 'What the first command prints' equals the live output."""
    gen = _generator()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = differences(gen.committed_block(readme), gen.live_output(readme))
    assert not found, "run: python docs/gen_readme.py\n" + "\n".join(found[:20])
