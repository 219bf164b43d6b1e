"""Tests of bargain.report and ``bargain report``: one self-contained HTML file that renders."""

from __future__ import annotations

import argparse
import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bargain
from bargain import report as rep

PIE = "scenarios/textbook/unit_pie_weighted.toml"
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)


@pytest.fixture(scope="module")
def pie() -> bargain.Scenario:
    """The weighted unit pie: x = (1 + dA0 - dB0) / 2 under symmetric Nash."""
    return bargain.load(PIE)


@pytest.fixture(scope="module")
def page(pie) -> str:
    """The full report of the unit pie, small Monte Carlo."""
    return rep.build_report(pie, samples=40, grid=4)


def test_report_is_self_contained(page):
    """No scripts, no external links or resources: every image is a data URI."""
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "http://" not in page and "https://" not in page
    srcs = re.findall(r'src="([^"]+)"', page)
    assert len(srcs) == 6  # frontier, decomposition, rubinstein, tornado, heat map, histogram
    assert all(s.startswith("data:image/png;base64,") for s in srcs)


def test_report_figures_are_not_blank(page):
    """Each embedded PNG decodes and has ink."""
    for src in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        grey = np.asarray(Image.open(io.BytesIO(base64.b64decode(src))).convert("L"), dtype=float)
        assert 0.02 < (grey < 245).mean() < 0.9 and grey.std() > 10


def test_report_has_every_section_and_the_numbers(pie, page):
    """Equations, parameters with sources, solutions and decomposition are in the page."""
    for anchor in (
        "solutions",
        "frontier",
        "decomposition",
        "rubinstein",
        "sensitivity",
        "equations",
        "parameters",
    ):
        assert f'id="{anchor}"' in page
    for name, p in pie.parameters.items():
        assert f"<td>{name}</td>" in page and p.source.split(";")[0] in page
    assert "u_A = x" in page  # the text form of bargain.explain
    x = (1 + 0.2 - 0.1) / 2  # symmetric Nash on the weighted unit pie
    row = re.search(r"<tr><td>nash</td>(.*?)</tr>", page).group(1)
    assert f'<td class="num">{x:.4g}</td>' in row


def test_report_is_deterministic(pie):
    """The same scenario and seed give the same bytes."""
    kw = {"samples": 10, "grid": 3, "rubinstein": False}
    assert rep.build_report(pie, **kw) == rep.build_report(pie, **kw)


def test_sensitivity_data_without_the_sweep_module(pie, monkeypatch):
    """The plain loop gives the closed form x = (1 + dA0 - dB0) / 2 too."""
    monkeypatch.setattr(rep, "_sweep_module", lambda: None)
    frame = rep.tornado_data(pie)
    by_name = frame.set_index("parameter")
    assert by_name.loc["dA0", ["at_low", "at_high"]].tolist() == pytest.approx(
        [0.45, 0.65], abs=1e-6
    )
    xs, ys, z = rep.grid_data(pie, "dA0", "dB0", n=3)
    np.testing.assert_allclose(z, (1 + xs[None, :] - ys[:, None]) / 2, atol=1e-6)
    sample = rep.monte_carlo_data(pie, samples=5, seed=2)
    assert np.all((sample >= 0.3 - 1e-9) & (sample <= 0.7 + 1e-9))  # dA0, dB0 in [0, 0.4]


def test_grid_data_refuses_unranged_parameters(pie):
    """A heat map over a parameter without a range is a clear error."""
    with pytest.raises(bargain.BargainError, match="range"):
        rep.grid_data(pie, "dA0", "dA0")


def test_report_command(tmp_path, monkeypatch, capsys):
    """``bargain report FILE -o PATH`` writes the page; a bad --set exits with 2."""
    from bargain import cli
    from bargain.plot_cli import add_plot_commands

    original = cli.build_parser

    def build() -> argparse.ArgumentParser:
        parser = original()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "report" not in sub.choices:
            add_plot_commands(sub)
        return parser

    monkeypatch.setattr(cli, "build_parser", build)
    out = tmp_path / "r.html"
    args = [
        "report",
        PIE,
        "-o",
        str(out),
        "--samples",
        "10",
        "--grid",
        "3",
        "--set",
        "dA0=0.3",
        "--quiet",
    ]
    assert cli.main(args) == 0
    text = out.read_text(encoding="utf-8")
    assert "dA0 = 0.3" in text and "dA0 (changed)" in text
    assert cli.main(["report", PIE, "-o", str(out), "--set", "dA0=x"]) == 2
    assert capsys.readouterr().err.count("bargain: error:") == 1


@pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium browser installed (Debian: apt-get install chromium)"
)
def test_report_renders_in_headless_chromium(page, tmp_path):
    """Chromium opens the file offline and paints a page that is not blank."""
    html = tmp_path / "report.html"
    html.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1200,1600",
        html.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    grey = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert 0.02 < (grey < 245).mean() < 0.9 and grey.std() > 10
