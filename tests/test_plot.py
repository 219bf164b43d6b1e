"""Tests of bargain.plot and the ``bargain plot`` command: figures exist, are not blank, are
deterministic, and the Rubinstein data match closed forms."""

from __future__ import annotations

import argparse
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import bargain
from bargain import plot
from bargain.errors import BargainError

PIE = "scenarios/textbook/unit_pie_weighted.toml"
DISCOUNT = "scenarios/textbook/unit_pie.toml"


def _ink(path_or_bytes: Path | bytes) -> tuple[float, float]:
    """Fraction of non-white pixels and the grey-level standard deviation of a PNG."""
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    grey = np.asarray(Image.open(src).convert("L"), dtype=float)
    return float((grey < 245).mean()), float(grey.std())


def _assert_drawn(path: Path) -> None:
    ink, spread = _ink(path)
    assert 0.02 < ink < 0.9, f"{path.name}: {ink:.3f} of the pixels are not white"
    assert spread > 10, f"{path.name}: almost uniform image (std {spread:.1f})"


@pytest.fixture
def run_cli(monkeypatch):
    """``bargain.cli.main`` with the plot commands (added here until cli.py adds them)."""
    from bargain import cli
    from bargain.plot_cli import add_plot_commands

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "plot" not in sub.choices:
        original = cli.build_parser

        def build() -> argparse.ArgumentParser:
            parser = original()
            sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
            add_plot_commands(sub)
            return parser

        monkeypatch.setattr(cli, "build_parser", build)
    return cli.main


@pytest.fixture(scope="module")
def pie() -> bargain.Scenario:
    """The weighted unit pie (textbook, fast)."""
    return bargain.load(PIE)


def test_frontier_figure_is_drawn_with_every_solution(pie, tmp_path):
    """The frontier figure has both panels, a legend entry per solution, and ink."""
    report = bargain.solve(pie)
    fig = plot.frontier_figure(pie, report, resolution=11)
    left, right = fig.axes
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    for name in report.solutions:
        assert any(lab.startswith(name) for lab in labels)
    assert right.get_ylabel() == "x [share]"
    _assert_drawn(plot.save(fig, tmp_path / "frontier.png"))


def test_frontier_panel_maps_back_to_the_issue(pie):
    """On the unit pie u_B = 1 - x, so the right panel's curve is x = 1 - u_B."""
    fig = plot.frontier_figure(pie, resolution=11)
    line = fig.axes[1].get_lines()[0]
    ub, x = line.get_xdata(), line.get_ydata()
    np.testing.assert_allclose(x, 1 - np.asarray(ub), atol=1e-7)


def test_decomposition_figure_bars_are_the_rows(pie, tmp_path):
    """Each bar of the decomposition is a row's value or pull."""
    report = bargain.solve(pie, methods=["nash"])
    fig = plot.decomposition_figure(report.decomposition)
    rows = report.decomposition["rows"]
    widths = sorted(p.get_width() for ax in fig.axes for p in ax.patches)
    expect = sorted([r["value"] for r in rows] + [r["pull"] for r in rows])
    np.testing.assert_allclose(widths, expect)
    _assert_drawn(plot.save(fig, tmp_path / "decomposition.png"))


def test_tornado_heatmap_histogram_from_plain_inputs(tmp_path):
    """The sensitivity figures take a DataFrame or arrays and draw them."""
    frame = pd.DataFrame(
        {
            "parameter": ["p", "q"],
            "low": [0, 1],
            "high": [1, 3],
            "at_low": [0.1, 0.4],
            "at_high": [0.9, 0.5],
        }
    )
    x, y = np.linspace(0, 1, 5), np.linspace(0, 2, 4)
    figs = {
        "tornado": plot.tornado_figure(frame, base=0.45, label="share [-]"),
        "heat": plot.heatmap_figure(x, y, np.add.outer(y, x), x_label="a [-]", y_label="b [-]"),
        "hist": plot.histogram_figure(np.random.default_rng(3).normal(size=300), base=0.0),
    }
    for name, fig in figs.items():
        _assert_drawn(plot.save(fig, tmp_path / f"{name}.png"))
    # tornado bars run from the base to each end
    bars = figs["tornado"].axes[0].patches
    assert sorted(b.get_x() + b.get_width() for b in bars) == pytest.approx([0.1, 0.4, 0.5, 0.9])


def test_heatmap_rejects_a_misshapen_grid():
    """z must have shape (len(y), len(x))."""
    with pytest.raises(ValueError, match="shape"):
        plot.heatmap_figure([0, 1], [0, 1, 2], np.zeros((2, 3)), x_label="a", y_label="b")


def test_histogram_interval_is_the_central_quantiles():
    """The shaded interval spans the 5% and 95% quantiles of the sample (0, 1, ..., 100)."""
    fig = plot.histogram_figure(np.arange(101.0), level=0.9)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "90% interval [5, 95]" in labels and "median 50" in labels


def test_rubinstein_path_closed_forms():
    """Deadlines follow the alternating sums; small periods reach Nash with powers 1/r."""
    pie = bargain.load(DISCOUNT)  # dA = 0.9, dB = 0.8, A proposes first
    da, db = 0.9, 0.8
    path = plot.rubinstein_path(pie.problem(), horizons=range(1, 9), periods=[1.0, 1e-3])
    expect = [1.0]
    for t in range(2, 9):  # the proposer keeps what the responder cannot get by waiting
        prev = 1.0
        for s in range(t - 1, 0, -1):
            prev = 1 - (db if (s % 2) == 1 else da) * prev
        expect.append(prev)
    np.testing.assert_allclose(path.by_horizon, expect, atol=1e-7)
    assert path.infinite == pytest.approx((1 - db) / (1 - da * db), abs=1e-7)
    alpha = math.log(db) / math.log(da * db)
    assert path.powers[0] == pytest.approx(alpha)
    assert path.nash == pytest.approx(alpha, abs=1e-6)
    assert abs(path.by_period[1] - alpha) < abs(path.by_period[0] - alpha) / 100


def test_rubinstein_figure_and_deterministic_files(tmp_path):
    """Saving the same figure twice gives identical bytes in every format."""
    pie = bargain.load(DISCOUNT)
    fig = plot.rubinstein_figure(pie, horizons=range(1, 6), periods=[0.1, 1.0])
    _assert_drawn(plot.save(fig, tmp_path / "r.png"))
    for fmt in ("png", "svg", "pdf"):
        a = plot.save(fig, tmp_path / f"a.{fmt}").read_bytes()
        b = plot.save(fig, tmp_path / f"b.{fmt}").read_bytes()
        assert a == b, fmt
    assert b"Date" not in (tmp_path / "a.svg").read_bytes()


def test_save_refuses_unknown_formats_and_folders(tmp_path):
    """A wrong suffix or a missing folder is a BargainError, not a traceback."""
    fig = plot.histogram_figure([1.0, 2.0])
    with pytest.raises(BargainError, match="format"):
        plot.save(fig, tmp_path / "x.jpg")
    with pytest.raises(BargainError, match="not found"):
        plot.save(fig, tmp_path / "missing" / "x.png")


@pytest.mark.parametrize("kind", ["frontier", "tornado", "heatmap", "histogram"])
def test_plot_command_writes_the_file(kind, tmp_path, run_cli):
    """``bargain plot --kind K`` writes a non-blank figure where -o says."""
    out = tmp_path / f"{kind}.png"
    assert run_cli(["plot", PIE, "-o", str(out), "--kind", kind, "--samples", "20"]) == 0
    _assert_drawn(out)


def test_plot_command_reports_bad_input(tmp_path, capsys, run_cli):
    """Bad --set, --params or output folder: exit status 2 and one line on stderr."""
    cases = [
        ["--set", "nope=1"],
        ["--kind", "heatmap", "--params", "a"],
        ["--kind", "heatmap", "--params", "a,zz"],
    ]
    for extra in cases:
        assert run_cli(["plot", PIE, "-o", str(tmp_path / "x.png"), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("bargain: error:") and "Traceback" not in err
    assert run_cli(["plot", PIE, "-o", str(tmp_path / "no" / "x.png")]) == 2
