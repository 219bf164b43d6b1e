"""Figures: the frontier, the decomposition, sensitivity and Rubinstein's convergence.

Every function returns a :class:`matplotlib.figure.Figure` built without
``pyplot`` (no global state, no display needed); :func:`save` writes it to the
path the user chose, deterministically: fixed ``svg.hashsalt``, no dates in the
file's metadata, so the same inputs give the same bytes. The sensitivity
figures (:func:`tornado_figure`, :func:`heatmap_figure`,
:func:`histogram_figure`) take plain inputs (a pandas DataFrame or arrays), so
they plot whatever produced the numbers: :mod:`bargain.sweep` or a loop over
:meth:`bargain.Scenario.with_parameters`.

Examples
--------
>>> import bargain
>>> from bargain.plot import frontier_figure
>>> pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
>>> fig = frontier_figure(pie, resolution=11)
>>> [ax.get_xlabel() for ax in fig.axes]
['utility of Player A (A)', 'utility of Player B (B)']
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .errors import BargainError
from .frontier import Frontier, FrontierSample
from .nash import nash_solution
from .rubinstein import rubinstein_solution

if TYPE_CHECKING:
    from .problem import BargainingProblem
    from .scenario import Scenario
    from .solve import Report

__all__ = [
    "FORMATS",
    "RubinsteinPath",
    "decomposition_figure",
    "frontier_figure",
    "frontier_svg",
    "heatmap_figure",
    "histogram_figure",
    "posterior_figure",
    "rubinstein_figure",
    "rubinstein_path",
    "save",
    "tornado_figure",
]

#: File formats :func:`save` writes, with the metadata that keeps them free of dates.
FORMATS: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
}

_RC: dict[str, Any] = {
    "svg.hashsalt": "bargain",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.framealpha": 0.9,
    "image.cmap": "viridis",
}
# marker, colour of each solution concept: distinguishable in greyscale print too
_STYLE = {
    "nash": ("o", "#1f77b4"),
    "asymmetric_nash": ("D", "#17becf"),
    "kalai_smorodinsky": ("s", "#ff7f0e"),
    "egalitarian": ("^", "#2ca02c"),
    "utilitarian": ("v", "#d62728"),
    "rubinstein": ("P", "#9467bd"),
    "rubinstein_other_first": ("X", "#8c564b"),
}


@contextlib.contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context(cast(Any, _RC)):
        yield


def save(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write a figure to ``path`` (PNG, SVG or PDF by its suffix), without dates.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or pathlib.Path
        Where to write; the parent folder must exist.
    dpi : int, optional
        Resolution of PNG files.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    BargainError
        For a suffix other than ``.png``, ``.svg`` or ``.pdf``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> _ = fig.add_subplot().plot([0, 1], [1, 0])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     a = save(fig, pathlib.Path(tmp) / "a.svg").read_bytes()
    ...     b = save(fig, pathlib.Path(tmp) / "b.svg").read_bytes()
    >>> a == b
    True
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise BargainError(
            f"cannot write {str(path)!r}: unknown figure format {fmt!r}; "
            f"use one of {', '.join('.' + f for f in FORMATS)}"
        )
    if not path.parent.is_dir():
        raise BargainError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} not found")
    with _style():
        fig.savefig(path, format=fmt, dpi=dpi, metadata=FORMATS[fmt], bbox_inches="tight")
    return path


# ---------------------------------------------------------------------- frontier
def _issue_label(scenario: Scenario, issue: str) -> str:
    info = next(i for i in scenario.issues if i.name == issue)
    unit = f" [{info.unit}]" if info.unit else ""
    return f"{issue}{unit}"


def _party_label(scenario: Scenario, k: int) -> str:
    party = scenario.parties[k]
    return f"{party.label} ({party.name})" if party.label != party.name else party.name


def _deal_text(deal: Mapping[str, float]) -> str:
    return ", ".join(f"{k} = {v:.3g}" for k, v in list(deal.items())[:3])


def frontier_figure(
    scenario: Scenario,
    report: Report | None = None,
    *,
    issue: str | None = None,
    resolution: int = 41,
    sample: FrontierSample | None = None,
) -> Figure:
    """The utility-possibility frontier, the zone of agreement and every solution.

    Left: both utilities along the Pareto frontier (party 1 across, party 2 up),
    the disagreement point :math:`d`, the zone of agreement (deals both prefer to
    :math:`d`, shaded) and each solution concept's point. Right: the same
    frontier mapped back to one issue (default the first), against party 2's
    utility, with the issue's zone of agreement as a band.

    Parameters
    ----------
    scenario : Scenario
    report : Report, optional
        From :func:`bargain.solve`; solved here if not given.
    issue : str, optional
        The issue of the right panel; default the first.
    resolution : int, optional
        Frontier points.
    sample : FrontierSample, optional
        The frontier already sampled (:func:`bargain.pareto_frontier`, or
        :meth:`bargain.batch_frontier.FrontierTrace.sample`); traced here if not
        given. An empty sample means no agreement.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .solve import solve

    problem = scenario.problem()
    if sample is None:
        frontier = Frontier(problem, resolution=resolution)
        sample = frontier.sample() if frontier.agreement else None
    elif not len(sample.utilities):
        sample = None
    report = report or solve(scenario, resolution=resolution)
    issue = issue or scenario.issue_names[0]
    k = scenario.issue_names.index(issue)
    a, b = scenario.party_names
    with _style():
        fig = Figure(figsize=(10, 4.4), layout="constrained")
        left, right = fig.subplots(1, 2)
        d = problem.disagreement
        left.plot(*d, "ko", ms=7, label=f"disagreement d = ({d[0]:.3g}, {d[1]:.3g})", zorder=5)
        if sample is not None:
            u = sample.utilities
            zone = np.vstack([d, [u[0, 0], d[1]], u, [d[0], u[-1, 1]]])
            left.fill(*zone.T, color="0.85", label="zone of agreement (both gain)")
            left.plot(*u.T, "k-", lw=1.5, label="Pareto frontier")
            right.plot(u[:, 1], sample.deals[:, k], "k-", lw=1.5, label=f"{issue} on the frontier")
            zoa = report.zone_of_agreement or {}
            if issue in zoa:
                lo, hi = zoa[issue]
                right.axhspan(
                    lo,
                    hi,
                    color="0.85",
                    label=f"zone of agreement: {issue} in [{lo:.3g}, {hi:.3g}]",
                )
        else:
            left.set_title("no deal beats disagreement for both parties")
        for name, sol in report.solutions.items():
            marker, colour = _STYLE.get(name, ("*", "0.3"))
            if sol.ok and sol.utilities and sol.deal:
                ua, ub = sol.utilities[a], sol.utilities[b]
                kw = {
                    "marker": marker,
                    "color": colour,
                    "ls": "none",
                    "ms": 8,
                    "mec": "k",
                    "mew": 0.5,
                }
                left.plot(ua, ub, label=f"{name}: {_deal_text(sol.deal)}", zorder=6, **kw)
                right.plot(ub, sol.deal[issue], label=name, zorder=6, **kw)
            else:
                left.plot([], [], " ", label=f"{name}: {sol.status}")
        left.set_xlabel(f"utility of {_party_label(scenario, 0)}")
        left.set_ylabel(f"utility of {_party_label(scenario, 1)}")
        left.set_title(left.get_title() or "Bargaining set and solutions")
        left.legend(loc="best")
        right.set_xlabel(f"utility of {_party_label(scenario, 1)}")
        right.set_ylabel(_issue_label(scenario, issue))
        right.set_title(f"The frontier in terms of {issue}")
        if right.get_legend_handles_labels()[0]:  # nothing to label without an agreement
            right.legend(loc="best")
        fig.suptitle(scenario.title, fontsize=11)
    return fig


def frontier_svg(
    scenario: Scenario, report: Report, sample: FrontierSample, *, issue: str | None = None
) -> str:
    """The content of :func:`frontier_figure` as plain SVG text, in about a millisecond.

    For the explorer, which redraws it at every slider move: no matplotlib (whose
    text layout alone takes a few tenths of a second), no fonts embedded, markers
    in the colours of :func:`frontier_figure`, the legend under the panels.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> svg = frontier_svg(pie, bargain.solve(pie), bargain.pareto_frontier(pie.problem()))
    >>> svg.startswith("<svg") and svg.count("<polyline") == 2
    True
    """
    from xml.sax.saxutils import escape

    issue = issue or scenario.issue_names[0]
    k = scenario.issue_names.index(issue)
    a, b = scenario.party_names
    d = np.asarray(sample.disagreement, dtype=float)
    u, deals = np.asarray(sample.utilities), np.asarray(sample.deals)
    sols = {
        n: (s.utilities, s.deal)
        for n, s in report.solutions.items()
        if s.ok and s.utilities and s.deal
    }
    pts_l = [d, *u] + [np.array([ut[a], ut[b]]) for ut, _ in sols.values()]
    pts_r = [np.array([p[1], p[0]]) for p in zip(deals[:, k], u[:, 1], strict=True)]
    pts_r += [np.array([ut[b], deal[issue]]) for ut, deal in sols.values()]
    zoa = (report.zone_of_agreement or {}).get(issue)
    if zoa is not None:
        pts_r += [np.array([u[0, 1], zoa[0]]), np.array([u[0, 1], zoa[1]])]
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="900" height="{h}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="450" y="18" text-anchor="middle" font-size="13">{escape(scenario.title)}</text>',
    ]
    left = _Panel(60, 40, 360, 280, pts_l)
    right = _Panel(510, 40, 360, 280, pts_r if len(pts_r) > 1 else pts_l)
    out += left.axes(
        f"utility of {_party_label(scenario, 0)}", f"utility of {_party_label(scenario, 1)}"
    )
    out += right.axes(f"utility of {_party_label(scenario, 1)}", _issue_label(scenario, issue))
    if len(u):
        zone = np.vstack([d, [u[0, 0], d[1]], u, [d[0], u[-1, 1]]])
        out.append(left.path(zone, 'fill="#d9d9d9" stroke="none"', "polygon"))
        out.append(left.path(u, 'fill="none" stroke="black" stroke-width="1.5"'))
        if zoa is not None:
            band = np.array(
                [[u[0, 1], zoa[0]], [u[-1, 1], zoa[0]], [u[-1, 1], zoa[1]], [u[0, 1], zoa[1]]]
            )
            out.append(right.path(band, 'fill="#d9d9d9" stroke="none"', "polygon"))
        line = np.column_stack([u[:, 1], deals[:, k]])
        out.append(right.path(line, 'fill="none" stroke="black" stroke-width="1.5"'))
    else:
        out.append(left.text(0.5, 0.5, "no deal beats disagreement for both parties"))
    out.append(left.marker(d, "black", "disagreement"))
    legend = [("black", f"disagreement d = ({d[0]:.3g}, {d[1]:.3g})")]
    for name, sol in report.solutions.items():
        colour = _STYLE.get(name, ("*", "#4d4d4d"))[1]
        if name in sols:
            ut, deal = sols[name]
            out.append(left.marker(np.array([ut[a], ut[b]]), colour, name))
            out.append(right.marker(np.array([ut[b], deal[issue]]), colour, name))
            legend.append((colour, f"{name}: {_deal_text(deal)}"))
        else:
            legend.append(("white", f"{name}: {sol.status}"))
    for j, (colour, label) in enumerate(legend):
        x, y = 60 + 420 * (j % 2), 360 + 16 * (j // 2)
        out.append(f'<circle cx="{x}" cy="{y - 4}" r="4.5" fill="{colour}" stroke="black"/>')
        out.append(f'<text x="{x + 10}" y="{y}">{escape(label)}</text>')
    out.append("</svg>")
    out[0] = out[0].format(h=370 + 16 * ((len(legend) + 1) // 2))
    return "\n".join(out)


class _Panel:
    """One panel of :func:`frontier_svg`: data to pixel coordinates, axes and marks."""

    def __init__(self, x0: float, y0: float, w: float, h: float, points: list) -> None:
        data = np.array([p for p in points if np.all(np.isfinite(p))] or [[0.0, 0.0]])
        lo, hi = data.min(axis=0), data.max(axis=0)
        pad = np.where(hi > lo, 0.06 * (hi - lo), np.maximum(np.abs(lo), 1.0) * 0.1)
        self.lo, self.hi = lo - pad, hi + pad
        self.x0, self.y0, self.w, self.h = x0, y0, w, h

    def xy(self, p: np.ndarray) -> tuple[float, float]:
        t = (np.asarray(p, dtype=float) - self.lo) / (self.hi - self.lo)
        return self.x0 + t[0] * self.w, self.y0 + (1 - t[1]) * self.h

    def axes(self, xlabel: str, ylabel: str) -> list[str]:
        from xml.sax.saxutils import escape

        x0, y0, w, h = self.x0, self.y0, self.w, self.h
        out = [f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="black"/>']
        for t in np.linspace(0, 1, 5):
            vx = self.lo[0] + t * (self.hi[0] - self.lo[0])
            vy = self.lo[1] + t * (self.hi[1] - self.lo[1])
            px, py = x0 + t * w, y0 + (1 - t) * h
            out.append(f'<line x1="{px:.1f}" y1="{y0}" x2="{px:.1f}" y2="{y0 + h}" stroke="#eee"/>')
            out.append(f'<line x1="{x0}" y1="{py:.1f}" x2="{x0 + w}" y2="{py:.1f}" stroke="#eee"/>')
            out.append(f'<text x="{px:.1f}" y="{y0 + h + 14}" text-anchor="middle">{vx:.3g}</text>')
            out.append(f'<text x="{x0 - 4}" y="{py + 4:.1f}" text-anchor="end">{vy:.3g}</text>')
        out.append(
            f'<text x="{x0 + w / 2}" y="{y0 + h + 30}" text-anchor="middle">{escape(xlabel)}</text>'
        )
        cx, cy = x0 - 45, y0 + h / 2
        out.append(
            f'<text x="{cx}" y="{cy}" text-anchor="middle" '
            f'transform="rotate(-90 {cx} {cy})">{escape(ylabel)}</text>'
        )
        return out

    def path(self, p: np.ndarray, style: str, tag: str = "polyline") -> str:
        coords = " ".join("{:.2f},{:.2f}".format(*self.xy(q)) for q in p if np.all(np.isfinite(q)))
        return f'<{tag} points="{coords}" {style}/>'

    def marker(self, p: np.ndarray, colour: str, name: str) -> str:
        x, y = self.xy(p)
        return (
            f'<circle cx="{x:.2f}" cy="{y:.2f}" r="5" fill="{colour}" stroke="black" '
            f'stroke-width="0.6"><title>{name}</title></circle>'
        )

    def text(self, tx: float, ty: float, label: str) -> str:
        x, y = self.x0 + tx * self.w, self.y0 + (1 - ty) * self.h
        return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{label}</text>'


# ----------------------------------------------------------------- decomposition
def decomposition_figure(
    decomposition: Mapping[str, Any] | Any, *, parties: Mapping[str, str] | None = None
) -> Figure:
    """Each party's utility components at the deal (top) and their pull on the issue (bottom).

    Parameters
    ----------
    decomposition : Decomposition or dict
        From :func:`bargain.decompose` or ``report.decomposition``: ``rows`` of
        ``{"party", "component", "value", "derivative", "pull"}``.
    parties : dict, optional
        Party name to label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    data = decomposition if isinstance(decomposition, Mapping) else decomposition.to_dict()
    rows, issue = data["rows"], data["issue"]
    names = list(dict.fromkeys(r["party"] for r in rows))
    parties = parties or {}
    with _style():
        fig = Figure(figsize=(10, 1.6 + 0.9 * max(len(rows) // 2, 2)), layout="constrained")
        axes = fig.subplots(2, len(names), sharey="col", squeeze=False)
        for j, party in enumerate(names):
            mine = [r for r in rows if r["party"] == party]
            labels = [str(r["component"]) for r in mine]
            y = np.arange(len(mine))[::-1]
            for i, (key, what) in enumerate(
                [
                    ("value", "value at the deal [utility units]"),
                    ("pull", f"pull on {issue} (+ pushes {issue} up)"),
                ]
            ):
                ax = axes[i, j]
                vals = np.array([float(r[key]) for r in mine])
                colours = np.where(vals >= 0, "#2c7fb8", "#d95f0e")
                ax.barh(y, np.nan_to_num(vals), color=colours, edgecolor="k", lw=0.4)
                ax.axvline(0, color="k", lw=0.8)
                ax.set_yticks(y, labels)
                ax.set_xlabel(what)
                ax.set_title(f"{parties.get(party, party)}: {'components' if i == 0 else 'pulls'}")
        fig.suptitle(
            f"Why the {data['method']} deal sits where it does (pulls sum to "
            f"{float(data['balance']):.2g})",
            fontsize=11,
        )
    return fig


# --------------------------------------------------------------------- sensitivity
def tornado_figure(
    frame: Any, *, base: float | None = None, label: str = "predicted split", top: int = 15
) -> Figure:
    """A tornado chart: each parameter from the low to the high end of its range.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``parameter``, ``low``, ``high``, ``at_low``, ``at_high`` (the
        prediction with the parameter at each end, the others at their values),
        as returned by :func:`bargain.report.tornado_data`.
    base : float, optional
        The prediction at the scenario's values (a vertical line).
    label : str, optional
        What is predicted, with its unit (the x axis).
    top : int, optional
        Show the ``top`` parameters with the largest swing.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"parameter": ["a", "b"], "low": [0, 1], "high": [1, 2],
    ...                   "at_low": [0.2, 0.45], "at_high": [0.8, 0.55]})
    >>> fig = tornado_figure(t, base=0.5, label="share")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]  # largest swing on top
    ['a [0, 1]', 'b [1, 2]']
    """
    swing = (frame["at_high"] - frame["at_low"]).abs().fillna(-1.0).to_numpy()
    order = np.argsort(-swing, kind="stable")[:top]
    rows = frame.iloc[order]
    n = len(rows)
    with _style():
        fig = Figure(figsize=(8, 1.2 + 0.32 * max(n, 3)), layout="constrained")
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        ref = base if base is not None else 0.0
        lo = rows["at_low"].to_numpy(dtype=float)
        hi = rows["at_high"].to_numpy(dtype=float)
        ax.barh(
            y,
            lo - ref,
            left=ref,
            color="#d95f0e",
            edgecolor="k",
            lw=0.4,
            label="parameter at the low end of its range",
        )
        ax.barh(
            y,
            hi - ref,
            left=ref,
            color="#2c7fb8",
            edgecolor="k",
            lw=0.4,
            alpha=0.85,
            label="parameter at the high end of its range",
        )
        if base is not None:
            ax.axvline(
                base, color="k", lw=1, ls="--", label=f"at the scenario's values: {base:.3g}"
            )
        ax.set_yticks(
            y,
            [
                f"{p} [{lw:.3g}, {hg:.3g}]"
                for p, lw, hg in zip(rows["parameter"], rows["low"], rows["high"], strict=True)
            ],
        )
        ax.set_xlabel(label)
        ax.set_title("Sensitivity: one parameter at a time over its range")
        fig.legend(loc="outside lower center", ncols=3)
    return fig


def heatmap_figure(
    x: ArrayLike,
    y: ArrayLike,
    z: ArrayLike,
    *,
    x_label: str,
    y_label: str,
    z_label: str = "predicted split",
) -> Figure:
    """A heat map of a prediction over a grid of two parameters.

    Parameters
    ----------
    x, y : sequence of float
        The grid values of the two parameters (lengths ``nx`` and ``ny``).
    z : array of shape (ny, nx)
        The prediction at each grid point (nan where there is none).
    x_label, y_label, z_label : str
        Axis labels, with units.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.linspace(0, 1, 3), np.linspace(0, 2, 4)
    >>> fig = heatmap_figure(x, y, np.add.outer(y, x), x_label="a", y_label="b")
    >>> fig.axes[1].get_ylabel()
    'predicted split'
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    zs = np.asarray(z, dtype=float)
    if zs.shape != (ys.size, xs.size):
        raise ValueError(
            f"z has shape {zs.shape}; expected (len(y), len(x)) = {(ys.size, xs.size)}"
        )
    with _style():
        fig = Figure(figsize=(6.5, 4.8), layout="constrained")
        ax = fig.add_subplot()
        mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(zs), shading="nearest")
        fig.colorbar(mesh, ax=ax, label=z_label)
        if xs.size >= 2 and ys.size >= 2 and np.isfinite(zs).sum() >= 4 and np.nanstd(zs) > 0:
            with np.errstate(all="ignore"):
                lines = ax.contour(xs, ys, zs, colors="w", linewidths=0.8)
            ax.clabel(lines, fmt="%.3g", fontsize=7)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.set_title(f"{z_label} over two parameters")
        ax.grid(False)
    return fig


def histogram_figure(
    sample: ArrayLike,
    *,
    level: float = 0.9,
    base: float | None = None,
    label: str = "predicted split",
    failed: int = 0,
) -> Figure:
    """A histogram of a Monte Carlo sample with its central interval.

    Parameters
    ----------
    sample : sequence of float
        The prediction at each draw (non-finite values are dropped).
    level : float, optional
        Coverage of the central interval, between the
        :math:`(1 - \\text{level})/2` and :math:`(1 + \\text{level})/2` quantiles.
    base : float, optional
        The prediction at the scenario's values.
    label : str, optional
        What is predicted, with its unit.
    failed : int, optional
        Draws with no prediction (e.g. no agreement), reported in the title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = histogram_figure(np.arange(1001.0), level=0.9)  # quantiles 0.05 and 0.95
    >>> fig.axes[0].get_title()
    'Monte Carlo: 1001 draws; 90% interval [50, 950]'
    """
    data = np.asarray(sample, dtype=float)
    data = data[np.isfinite(data)]
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    with _style():
        fig = Figure(figsize=(7, 4), layout="constrained")
        ax = fig.add_subplot()
        title = f"Monte Carlo: {data.size} draws"
        if data.size:
            lo, med, hi = np.quantile(data, [(1 - level) / 2, 0.5, (1 + level) / 2])
            bins = max(10, min(50, int(math.sqrt(data.size)) * 2))
            ax.hist(
                data, bins=bins, color="#9ecae1", edgecolor="k", lw=0.4, label="draws", zorder=2
            )
            ax.axvspan(
                lo,
                hi,
                color="#fdae6b",
                alpha=0.35,
                zorder=0,
                label=f"{level:.0%} interval [{lo:.3g}, {hi:.3g}]",
            )
            ax.axvline(med, color="k", lw=1.2, label=f"median {med:.3g}")
            title += f"; {level:.0%} interval [{lo:.3g}, {hi:.3g}]"
        if base is not None:
            ax.axvline(
                base,
                color="#d62728",
                lw=1.2,
                ls="--",
                label=f"at the scenario's values: {base:.3g}",
            )
        if failed:
            title += f"; {failed} without a prediction"
        ax.set_xlabel(label)
        ax.set_ylabel("number of draws")
        ax.set_title(title)
        ax.legend(loc="best")
    return fig


# ------------------------------------------------------------------------ posterior
def posterior_figure(calibration: Any, *, max_parameters: int = 12) -> Figure:
    """Prior against posterior of the drawn parameters of a calibration.

    One panel per parameter with a prior (a ``range`` or a ``distribution``):
    the histogram of the prior draws and the weighted histogram of the same
    draws (the posterior, :func:`bargain.calibrate`), both as densities. Shown are
    the ``max_parameters`` parameters whose median moved most, in units of the
    prior's interquartile range; the title names the observations.

    Parameters
    ----------
    calibration : bargain.Calibration
    max_parameters : int, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import bargain
    >>> cal = bargain.calibrate("tests/calibrate/pie_observed.toml", samples=500, solvers=())
    >>> fig = posterior_figure(cal)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['dA0 [share of the pie]', 'dB0 [share of the pie]']
    """
    from .calibrate import weighted_quantile

    table, w = calibration.table, calibration.weights
    panels = []
    for k, s in enumerate(calibration.scenarios):
        pre = calibration._prefix(k)
        for name, p in s.parameters.items():
            if p.range is None and p.distribution is None:
                continue
            v = table[pre + name].to_numpy()
            q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
            post = weighted_quantile(v, w, 0.5)
            moved = abs(float(post) - med) / (q3 - q1) if q3 > q1 and w.sum() > 0 else 0.0
            panels.append((moved, f"{pre}{name}", p.unit, v))
    panels.sort(key=lambda t: -t[0])
    panels = panels[:max_parameters]
    observations = [o.name for s in calibration.scenarios for o in s.observations]
    with _style():
        cols = min(3, max(1, len(panels)))
        rows = max(1, math.ceil(len(panels) / cols))
        fig = Figure(figsize=(3.3 * cols, 2.6 * rows + 0.6), layout="constrained")
        for j, (_, name, unit, v) in enumerate(panels):
            ax = fig.add_subplot(rows, cols, j + 1)
            bins = np.histogram_bin_edges(v, bins=30).tolist()
            ax.hist(v, bins=bins, density=True, histtype="step", color="k", lw=1, label="prior")
            if w.sum() > 0:
                ax.hist(v, bins=bins, weights=w, density=True, color="#9ecae1", label="posterior")
            ax.set_xlabel(f"{name} [{unit}]")
            ax.set_yticks([])
            if j == 0:
                ax.legend(loc="best")
        ess = float(w.sum() ** 2 / (w**2).sum()) if w.sum() > 0 else 0.0
        fig.suptitle(
            f"prior vs posterior: {len(table)} draws, ESS {ess:.0f}; observations: "
            + ", ".join(observations),
            wrap=True,
        )
    return fig


# ----------------------------------------------------------------------- Rubinstein
@dataclasses.dataclass(frozen=True)
class RubinsteinPath:
    """Rubinstein's deal as the horizon grows and as the time between offers shrinks.

    Attributes
    ----------
    issue : str
        The issue reported.
    horizons : ndarray
        Deadlines :math:`T` in rounds.
    by_horizon : ndarray
        The issue at the first proposer's offer with a deadline of :math:`T` rounds.
    infinite : float
        The issue at the infinite-horizon (stationary) equilibrium.
    periods : ndarray
        Times between offers :math:`\\Delta`, in the scenario's rounds.
    by_period : ndarray
        The issue at the infinite-horizon equilibrium with
        :math:`\\delta_i = e^{-r_i \\Delta}`, breakdown risk
        :math:`1 - (1 - p)^\\Delta` and costs :math:`c_i \\Delta`.
    nash : float
        The issue at the asymmetric Nash solution with powers proportional to
        :math:`1 / (r_i + \\lambda)`, :math:`\\lambda = -\\log(1 - p)`: the limit as
        :math:`\\Delta \\to 0` (Binmore, Rubinstein and Wolinsky 1986); nan when a
        party neither discounts nor risks breakdown (no unique limit).
    powers : tuple of float
        Those powers.
    """

    issue: str
    horizons: np.ndarray
    by_horizon: np.ndarray
    infinite: float
    periods: np.ndarray
    by_period: np.ndarray
    nash: float
    powers: tuple[float, float]


def _deal_value(sol: Any, issue: str) -> float:
    return float(sol.deal[issue]) if sol.ok and sol.deal else float("nan")


def _horizon_deals(
    problem: BargainingProblem, frontier: Frontier, horizons: Sequence[int], k: int
) -> np.ndarray:
    """The issue at the first offer of every deadline game, from two backward inductions.

    Round ``t`` of a ``T``-round game is the first round of a ``T - t + 1``-round
    game, so one backward induction over ``N`` rounds solves every shorter game
    whose first proposer moves in an odd round; a second one, with the other
    party first, solves the rest.
    """
    from .deadline import Terms, backward_induction, refusal, settings_of

    first = problem.first_proposer
    n = max(int(t) for t in horizons)
    terms = Terms.of(problem, frontier)
    if refusal(problem, frontier, terms, settings_of(problem, first, n)):
        return np.full(len(horizons), np.nan)
    ours = backward_induction(frontier, terms, first, n)
    theirs = backward_induction(frontier, terms, 1 - first, n)
    values = []
    for t in horizons:
        start = n - int(t)  # index of the round where the T-round game begins
        v = ours[start] if start % 2 == 0 else theirs[start]
        values.append(frontier.solve(v)[1][k])
    return np.array(values)


def rubinstein_path(
    problem: BargainingProblem,
    *,
    issue: str | None = None,
    horizons: Sequence[int] = tuple(range(1, 31)),
    periods: Sequence[float] = tuple(np.geomspace(0.01, 4.0, 13)),
    resolution: int = 41,
) -> RubinsteinPath:
    """Compute the data of :func:`rubinstein_figure` (one frontier, reused throughout).

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> path = rubinstein_path(pie, horizons=[1, 2, 3, 4], periods=[1.0, 0.001])
    >>> path.by_horizon.round(6).tolist()  # 1, 1 - dB, 1 - dB (1 - dA), 1 - dB (1 - dA (1 - dB))
    [1.0, 0.2, 0.92, 0.344]
    >>> round(path.infinite, 6), round(float(path.by_period[0]), 6)  # (1 - dB) / (1 - dA dB)
    (0.714286, 0.714286)
    >>> round(float(path.by_period[1]), 4), round(path.nash, 6)  # r = -log d: ln 0.8 / ln 0.72
    (0.6793, 0.679272)
    """
    issue = issue or problem.issues[0]
    k = problem.issues.index(issue)
    frontier = Frontier(problem, resolution=resolution)
    by_horizon = _horizon_deals(problem, frontier, horizons, k)
    infinite = _deal_value(rubinstein_solution(problem, frontier=frontier), issue)
    with np.errstate(divide="ignore"):
        rates = -np.log(np.asarray(problem.discount, dtype=float))
    hazard = -math.log1p(-problem.breakdown)
    by_period = []
    for dt in periods:
        scaled = dataclasses.replace(
            problem,
            discount=np.exp(-rates * dt),
            breakdown=1.0 - (1.0 - problem.breakdown) ** dt,
            cost_per_round=np.asarray(problem.cost_per_round) * dt,
        )
        by_period.append(_deal_value(rubinstein_solution(scaled, frontier=frontier), issue))
    total = rates + hazard
    if np.all(total > 0) and np.all(np.isfinite(total)):
        weights = 1.0 / total
        powers = (float(weights[0] / weights.sum()), float(weights[1] / weights.sum()))
        nash = _deal_value(nash_solution(problem, powers=powers, frontier=frontier), issue)
    else:  # a party that neither discounts nor risks breakdown: no limit to speak of
        powers, nash = (math.nan, math.nan), math.nan
    return RubinsteinPath(
        issue,
        np.asarray(horizons, dtype=int),
        by_horizon,
        infinite,
        np.asarray(periods, dtype=float),
        np.array(by_period),
        nash,
        powers,
    )


def rubinstein_figure(
    scenario: Scenario, path: RubinsteinPath | None = None, **kwargs: Any
) -> Figure:
    """Rubinstein's deal converging: to the stationary equilibrium as the deadline
    grows (left), and to the asymmetric Nash solution as offers come faster (right).

    Parameters
    ----------
    scenario : Scenario
    path : RubinsteinPath, optional
        From :func:`rubinstein_path`; computed here if not given.
    **kwargs
        Passed to :func:`rubinstein_path`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    problem = scenario.problem()
    path = path or rubinstein_path(problem, **kwargs)
    ylabel = _issue_label(scenario, path.issue)
    first = scenario.parties[problem.first_proposer].name
    with _style():
        fig = Figure(figsize=(10, 4), layout="constrained")
        left, right = fig.subplots(1, 2, sharey=True)
        left.plot(
            path.horizons,
            path.by_horizon,
            "o-",
            ms=3.5,
            color="#9467bd",
            label=f"deadline of T rounds ({first} proposes first)",
        )
        if math.isfinite(path.infinite):
            left.axhline(
                path.infinite,
                color="k",
                ls="--",
                lw=1,
                label=f"no deadline (stationary): {path.infinite:.4g}",
            )
        left.set_xlabel("deadline T [rounds]")
        left.set_ylabel(ylabel)
        left.set_title("Finite horizon converges to Rubinstein")
        left.legend(loc="best")
        right.semilogx(
            path.periods,
            path.by_period,
            "o-",
            ms=3.5,
            color="#9467bd",
            label="Rubinstein, offers every Δ rounds",
        )
        a, b = path.powers
        if math.isfinite(path.nash):
            right.axhline(
                path.nash,
                color="#1f77b4",
                ls="--",
                lw=1,
                label=f"asymmetric Nash (α = {a:.3g}, {b:.3g}): {path.nash:.4g}",
            )
        right.axvline(1.0, color="0.5", lw=0.8, ls=":", label="the scenario's round (Δ = 1)")
        right.set_xlabel("time between offers Δ [rounds, log scale]")
        right.set_title("Faster offers converge to Nash")
        right.legend(loc="best")
        fig.suptitle(scenario.title, fontsize=11)
    return fig
