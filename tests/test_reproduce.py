"""Tests of bargain.reproduce, the `bargain reproduce` command and the papers/ reproductions."""

from __future__ import annotations

import argparse
import math
import textwrap
from pathlib import Path

import pytest

from bargain.errors import BargainError
from bargain.reproduce import (
    CHECK_COLUMNS,
    Check,
    Reproduction,
    discover,
    format_checks,
    read_checks,
    run_paper,
)
from bargain.reproduce_cli import add_reproduce_command

ROOT = Path(__file__).resolve().parent.parent
PAPERS = discover(ROOT / "papers")
FAST = [p for p in PAPERS if not p.slow]
SLOW = [p for p in PAPERS if p.slow]
REQUIRED = {
    "nash_1950",
    "rubinstein_1982",
    "binmore_rubinstein_wolinsky_1986",
    "kalai_smorodinsky_1975",
    "binmore_shaked_sutton_1989",
    "abreu_gul_2000",
    "fudenberg_tirole_1983",
    "chatterjee_samuelson_1983",
    "stahl_1972",
    "kalai_1977",
}


def _run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bargain")
    add_reproduce_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def _fake_paper(root: Path, slug: str, body: str) -> Path:
    """A papers/<slug>/reproduce.py under ``root`` that records the checks in ``body``."""
    folder = root / "papers" / slug
    folder.mkdir(parents=True)
    script = textwrap.dedent(
        '''
        """A fake paper for the tests."""
        import sys
        from bargain.reproduce import Reproduction

        rep = Reproduction(__file__)
        {body}
        sys.exit(rep.finish())
        '''
    ).format(body=body)
    (folder / "reproduce.py").write_text(script)
    return folder


def test_check_difference_and_tolerance():
    """A check is ok exactly when |reproduced - published| <= tolerance."""
    assert Check("p", "q", 1.0, 1.0 + 5e-7, 1e-6).ok
    assert not Check("p", "q", 1.0, 1.0 + 2e-6, 1e-6).ok
    assert math.isclose(Check("p", "q", 2.0, 1.5, 0.1).difference, -0.5)


def test_nan_is_never_ok():
    """A reproduction that produced no number (nan) is a mismatch."""
    assert not Check("p", "q", 1.0, float("nan"), 1e6).ok


def test_format_checks_has_one_line_per_check():
    """The printed table has a header and one line per number, marking mismatches."""
    text = format_checks([Check("a", "x", 1.0, 1.0, 0.1), Check("b", "y", 1.0, 3.0, 0.1)])
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[1].endswith("ok") and lines[2].endswith("MISMATCH")


def test_reproduction_round_trip(tmp_path):
    """Checks written by a Reproduction read back unchanged, with the standard columns."""
    rep = Reproduction(ROOT / "papers" / "nash_1950" / "reproduce.py", ["--out", str(tmp_path)])
    rep.check("q1", 0.25, 0.2500000001, tolerance=1e-6, source="eq. (1)")
    rep.check("q2", 3.0, 4.0, tolerance=0.5, source="table 2")
    assert rep.finish(echo=False) == 1
    header = (tmp_path / "checks.csv").read_text().splitlines()[0]
    assert header == ",".join(CHECK_COLUMNS)
    back = read_checks(tmp_path / "checks.csv")
    assert [(c.quantity, c.ok) for c in back] == [("q1", True), ("q2", False)]
    assert back[0].published == 0.25 and back[0].source == "eq. (1)"


def test_reproduction_without_checks_fails(tmp_path):
    """A script that checked nothing has reproduced nothing: exit status 1."""
    rep = Reproduction(ROOT / "papers" / "nash_1950" / "reproduce.py", ["--out", str(tmp_path)])
    assert rep.finish(echo=False) == 1


def test_every_required_paper_is_present():
    """The issue's five reproductions are all in papers/, each with a README."""
    assert {p.slug for p in PAPERS} >= REQUIRED
    for paper in PAPERS:
        assert (paper.folder / "README.md").is_file(), paper.slug
        assert paper.title, paper.slug


def test_scripts_use_only_the_public_api():
    """Each script imports bargain and bargain.reproduce only, and no private name."""
    for paper in PAPERS:
        text = paper.script.read_text()
        for line in text.splitlines():
            if line.startswith(("import bargain", "from bargain")):
                # the package, plus its documented public modules for figures and sweeps
                assert line in (
                    "import bargain  # noqa: E402",
                    "from bargain import plot, sweep  # noqa: E402",
                ) or line.startswith("from bargain.reproduce import Reproduction"), (
                    paper.slug,
                    line,
                )
        assert "bargain._" not in text, paper.slug
        assert "import_module" not in text, paper.slug


def test_discover_unknown_name_suggests(tmp_path):
    """Asking for a paper that does not exist names the closest one."""
    with pytest.raises(BargainError, match="nash_1950"):
        discover(ROOT / "papers", ["nash_195"])


def test_discover_reads_slow_flag(tmp_path):
    """A script that sets SLOW = True is reported as slow, without running it."""
    _fake_paper(tmp_path, "fast_one", "rep.check('q', 1, 1, tolerance=0, source='s')")
    _fake_paper(tmp_path, "slow_one", "SLOW = True\nrep.check('q', 1, 1, tolerance=0, source='s')")
    found = {p.slug: p.slow for p in discover(tmp_path / "papers")}
    assert found == {"fast_one": False, "slow_one": True}


def test_cli_exits_nonzero_on_mismatch(tmp_path, capsys):
    """`bargain reproduce` prints every number and exits 1 when one misses its tolerance."""
    _fake_paper(tmp_path, "good", "rep.check('right', 2.0, 2.0, tolerance=1e-9, source='s')")
    _fake_paper(tmp_path, "bad", "rep.check('wrong', 2.0, 2.5, tolerance=1e-9, source='s')")
    out = tmp_path / "out"
    status = _run_cli(["reproduce", "--papers", str(tmp_path / "papers"), "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 1
    assert "right" in printed and "wrong" in printed and "MISMATCH" in printed
    good = ["reproduce", "good", "--papers", str(tmp_path / "papers"), "--out", str(out)]
    assert _run_cli(good) == 0


def test_cli_reports_a_crashing_script(tmp_path, capsys):
    """A script that raises counts as a failure, with its error on stderr."""
    _fake_paper(tmp_path, "crash", "raise RuntimeError('no data')")
    status = _run_cli(
        ["reproduce", "--papers", str(tmp_path / "papers"), "--out", str(tmp_path / "o")]
    )
    assert status == 1
    assert "no data" in capsys.readouterr().err


def test_cli_list(capsys):
    """`bargain reproduce --list` names every paper without running any."""
    assert _run_cli(["reproduce", "--list", "--papers", str(ROOT / "papers")]) == 0
    printed = capsys.readouterr().out
    assert all(slug in printed for slug in REQUIRED)


def _reproduce(paper, out: Path) -> None:
    run = run_paper(paper, out)
    bad = [c for c in run.checks if not c.ok]
    assert run.returncode == 0, (run.stderr[-2000:], bad)
    assert run.ok and run.checks
    assert (out / "metadata.json").is_file() and (out / "checks.md").is_file()


@pytest.mark.papers
@pytest.mark.parametrize("paper", FAST, ids=lambda p: p.slug)
def test_fast_paper_reproduces(paper, tmp_path):
    """Every published number of the paper is reproduced within its tolerance."""
    _reproduce(paper, tmp_path / paper.slug)


@pytest.mark.papers
@pytest.mark.slow
@pytest.mark.parametrize("paper", SLOW, ids=lambda p: p.slug)
def test_slow_paper_reproduces(paper, tmp_path):
    """Every published number of the (slow) paper is reproduced within its tolerance."""
    _reproduce(paper, tmp_path / paper.slug)


@pytest.mark.papers
def test_outputs_are_byte_identical(tmp_path):
    """Two runs into different folders write byte-identical tables, figures and metadata."""
    paper = next(p for p in PAPERS if p.slug == "nash_1950")
    first, second = tmp_path / "one", tmp_path / "two"
    _reproduce(paper, first)
    _reproduce(paper, second)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert {"checks.csv", "checks.md", "metadata.json"} <= set(names)
    assert any(n.endswith(".svg") for n in names) and any(n.endswith(".png") for n in names)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
