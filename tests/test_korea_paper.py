"""The Korea-US working paper (papers/korea_us_2025): its forecast is what the code computes."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bargain

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "papers" / "korea_us_2025"
SCRIPT = FOLDER / "reproduce.py"
OUTPUT = FOLDER / "output"


def _module():
    spec = importlib.util.spec_from_file_location("korea_paper", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def test_committed_paper_states_the_committed_forecast():
    """Every headline sentence written from forecast.json stands in paper.md."""
    korea = _module()
    forecast = json.loads((OUTPUT / "forecast.json").read_text(encoding="utf-8"))
    paper = (OUTPUT / "paper.md").read_text(encoding="utf-8")
    lines = korea.forecast_text(forecast)
    assert len(lines) == len(korea.HEADLINE)
    for line in lines:
        assert line in paper, line
    share = forecast["point_prediction"]["cash_share_of_pledge"]
    assert f"a cash share of {korea.fmt(share, 'share')} of the" in paper


def test_committed_forecast_is_not_stale():
    """forecast.json records the hashes of the scenario files and the script as they are now
    (regenerate with `python papers/korea_us_2025/reproduce.py` after changing either)."""
    forecast = json.loads((OUTPUT / "forecast.json").read_text(encoding="utf-8"))
    for relative, sha in forecast["inputs"].items():
        assert bargain.load(ROOT / relative).sha256 == sha, relative
    script = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()
    assert forecast["script_sha256"] == script, "the script changed: regenerate the paper"
    assert forecast["bargain_version"] == bargain.__version__  # the package that wrote it


def test_forecast_distribution_is_ordered_and_inside_the_bounds():
    """Intervals nest around the median, and shares stay in [0, 1]."""
    forecast = json.loads((OUTPUT / "forecast.json").read_text(encoding="utf-8"))
    for name, d in forecast["forecast"]["pooled"].items():
        lo90, hi90 = d["90%"]
        lo80, hi80 = d["80%"]
        lo50, hi50 = d["50%"]
        assert lo90 <= lo80 <= lo50 <= d["median"] <= hi50 <= hi80 <= hi90, name
    share = forecast["forecast"]["pooled"]["cash_share_of_pledge"]
    assert share["90%"][0] >= 0.0 and share["90%"][1] <= 1.0


@pytest.mark.slow
def test_reduced_run_passes_its_checks_and_regenerates_identically(tmp_path):
    """A reduced run (300 draws) passes its checks, and a second run writes the same bytes."""
    env = {**os.environ, "KOREA_PAPER_SAMPLES": "300", "MPLBACKEND": "Agg"}
    outs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--out", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert done.returncode == 0, done.stderr + done.stdout
        outs.append(out)
    for name in ("forecast.json", "paper.md", "observations.csv", "prior_posterior.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    with open(outs[0] / "checks.csv", encoding="utf-8", newline="") as handle:
        assert all(row["ok"] == "ok" for row in csv.DictReader(handle))
