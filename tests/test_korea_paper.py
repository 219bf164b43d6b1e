"""The Korea-US working paper (papers/korea_us_2025): its numbers are the public API's."""

from __future__ import annotations

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bargain
from bargain import sweep as bsweep

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "papers" / "korea_us_2025" / "reproduce.py"
FLAGSHIP = ROOT / "scenarios" / "korea_us" / "september_2025_standoff.toml"
SAMPLES = 60


def _module():
    spec = importlib.util.spec_from_file_location("korea_paper", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_html_converter_renders_the_constructs_used(tmp_path):
    """Headings, tables, lists, code, emphasis and embedded figures become HTML, offline."""
    korea = _module()
    (tmp_path / "f.png").write_bytes(b"\x89PNG fake")
    text = (
        "# T\n\nA **b** and `x<y`.\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n- i\n\n![cap](f.png)\n"
    )
    page = korea.to_html(text, tmp_path)
    assert "<h1>T</h1>" in page and "<strong>b</strong>" in page
    assert "<code>x&lt;y</code>" in page and "<td>1</td><td>2</td>" in page
    assert "<li>i</li>" in page and 'src="data:image/png;base64,' in page
    assert "http" not in page


@pytest.mark.slow
def test_paper_numbers_equal_the_api(tmp_path):
    """A reduced run (60 draws) passes its checks and prints what bargain computes."""
    env = {**os.environ, "KOREA_PAPER_SAMPLES": str(SAMPLES), "KOREA_PAPER_RESOLVE": "3"}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    scenario = bargain.load(FLAGSHIP)
    report = bargain.solve(scenario)
    solutions = {r["solution"]: r for r in _rows(tmp_path / "solutions.csv")}
    for name, sol in report.solutions.items():
        assert solutions[name]["status"] == sol.status
        assert float(solutions[name]["e"]) == pytest.approx(sol.deal["e"], rel=1e-9, abs=1e-12)
        assert float(solutions[name]["equity_usd_bn"]) == pytest.approx(
            sol.outputs["equity_usd_bn"], rel=1e-9
        )
    nash = report.solutions["nash"]
    paper = (tmp_path / "paper.md").read_text(encoding="utf-8")
    assert f"{100 * nash.deal['e']:.1f}%" in paper
    lo, hi = report.zone_of_agreement["e"]
    assert f"e in [{100 * lo:.1f}%, {100 * hi:.1f}%]" in paper
    frame = bsweep.sweep(scenario, samples=SAMPLES, seed=1, solvers=["nash"], fallback=False)
    mc = _rows(tmp_path / "monte_carlo.csv")
    assert [r["status"] for r in mc] == frame["nash.status"].astype(str).tolist()
    ok = frame["nash.status"].to_numpy() == "ok"
    median = float(np.median(frame["nash.e"].to_numpy(dtype=float)[ok]))
    assert f"median {100 * median:.2f}%" in paper
    assert f"in {int(ok.sum())} draws" in paper
    page = (tmp_path / "paper.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 4 and "http" not in page
