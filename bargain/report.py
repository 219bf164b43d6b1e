"""A report in one self-contained HTML file: equations, parameters, solutions, figures.

:func:`build_report` returns the HTML text and :func:`write_report` writes it.
Nothing in the file needs the network: figures are embedded as base64 PNG, the
equations are the text form of :func:`bargain.explain` (with the LaTeX source
alongside, to copy into a paper), and the style sheet is inline.

The sensitivity data (:func:`tornado_data`, :func:`grid_data`,
:func:`monte_carlo_data`) come from the batched solvers of :mod:`bargain.sweep`
when that module is present, and otherwise from a plain loop over
:meth:`bargain.Scenario.with_parameters` and :func:`bargain.nash_solution`.

Examples
--------
>>> import bargain
>>> from bargain.report import build_report
>>> html = build_report(bargain.load("scenarios/textbook/unit_pie.toml"), sensitivity=False,
...                     rubinstein=False)
>>> html.startswith("<!DOCTYPE html>"), "<script" in html, "http" in html
(True, False, False)
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import plot
from ._version import __version__
from .errors import BargainError
from .frontier import Frontier
from .nash import nash_solution
from .scenario import Scenario
from .solve import Report, solve

__all__ = ["build_report", "grid_data", "monte_carlo_data", "tornado_data", "write_report"]

_CSS = """
body { font-family: Georgia, 'DejaVu Serif', serif; max-width: 62rem; margin: 2rem auto;
       padding: 0 1rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #999; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #bbb; padding: 0.2rem 0.45rem; vertical-align: top; }
th { background: #eee; } td.num { text-align: right; font-family: monospace; }
pre { background: #f6f6f6; padding: 0.6rem; overflow-x: auto; font-size: 0.8rem; }
img { max-width: 100%; } .meta { color: #444; font-size: 0.85rem; }
.note { color: #7a3b00; }
"""


# ------------------------------------------------------------------ sensitivity data
def _sweep_module() -> Any:
    try:
        from . import sweep
    except ImportError:
        return None
    return sweep if hasattr(sweep, "sweep") and hasattr(sweep, "tornado") else None


def _nash_issue(scenario: Scenario, issue: str) -> float:
    """The symmetric Nash value of one issue (nan without a unique solution)."""
    problem = scenario.problem()
    sol = nash_solution(problem, frontier=Frontier(problem, resolution=21))
    return float(sol.deal[issue]) if sol.ok and sol.deal else float("nan")


def _ranged(scenario: Scenario) -> dict[str, tuple[float, float]]:
    out = {}
    for name, p in scenario.parameters.items():
        dist = p.distribution or {}
        ends = p.range or ((dist["low"], dist["high"]) if "low" in dist else None)
        if ends is not None and ends[1] > ends[0]:
            out[name] = (float(ends[0]), float(ends[1]))
    return out


def tornado_data(scenario: Scenario, *, issue: str | None = None) -> Any:
    """The Nash value of ``issue`` with each ranged parameter at each end of its range.

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``low``, ``high``, ``at_low``, ``at_high``, ``swing``,
        largest swing first (the input of :func:`bargain.plot.tornado_figure`).

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> t = tornado_data(pie)  # symmetric Nash: x = (1 + dA0 - dB0) / 2
    >>> t[["parameter", "at_low", "at_high"]].round(6).values.tolist()
    [['dA0', 0.45, 0.65], ['dB0', 0.6, 0.4], ['a', 0.55, 0.55]]
    """
    import pandas as pd

    issue = issue or scenario.issue_names[0]
    sweep = _sweep_module()
    if sweep is not None:
        frame = sweep.tornado(scenario, solver="nash", issue=issue)
    else:
        rows = [
            (
                name,
                lo,
                hi,
                *(_nash_issue(scenario.with_parameters(**{name: v}), issue) for v in (lo, hi)),
            )
            for name, (lo, hi) in _ranged(scenario).items()
        ]
        frame = pd.DataFrame(rows, columns=["parameter", "low", "high", "at_low", "at_high"])
        frame["swing"] = (frame["at_high"] - frame["at_low"]).abs()
    frame = frame[["parameter", "low", "high", "at_low", "at_high", "swing"]]
    order = np.argsort(-frame["swing"].fillna(-1.0).to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def grid_data(
    scenario: Scenario, x: str, y: str, *, n: int = 7, issue: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Nash value of ``issue`` on an ``n`` by ``n`` grid over two parameters' ranges.

    Returns
    -------
    x_values, y_values : ndarray
    z : ndarray of shape (n, n)
        ``z[j, i]`` at ``x_values[i]``, ``y_values[j]``.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> xs, ys, z = grid_data(pie, "dA0", "dB0", n=3)
    >>> bool(np.allclose(z, (1 + xs[None, :] - ys[:, None]) / 2))
    True
    """
    issue = issue or scenario.issue_names[0]
    ranges = _ranged(scenario)
    missing = [p for p in (x, y) if p not in ranges]
    if missing or x == y:
        raise BargainError(
            f"a heat map needs two different parameters with a range; {missing or [x]} "
            f"have none or repeat (ranged: {', '.join(ranges) or 'none'})"
        )
    xs, ys = np.linspace(*ranges[x], n), np.linspace(*ranges[y], n)
    sweep = _sweep_module()
    if sweep is not None:
        vary = [sweep.Vary(y, *ranges[y], n), sweep.Vary(x, *ranges[x], n)]
        frame = sweep.sweep(scenario, vary=vary, solvers=["nash"])
        z = frame[f"nash.{issue}"].to_numpy(dtype=float).reshape(n, n)
    else:
        z = np.array(
            [[_nash_issue(scenario.with_parameters(**{x: a, y: b}), issue) for a in xs] for b in ys]
        )
    return xs, ys, z


def monte_carlo_data(
    scenario: Scenario, *, samples: int = 200, seed: int = 0, issue: str | None = None
) -> np.ndarray:
    """The Nash value of ``issue`` over random draws of every ranged parameter.

    With :mod:`bargain.sweep` the draws follow each parameter's ``distribution``
    (uniform on its ``range`` when it has none); without it, uniform on the
    range. The draws depend on ``seed`` alone. Draws without a unique solution
    are ``nan``.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    >>> sample = monte_carlo_data(pie, samples=20, seed=1)
    >>> sample.shape, bool(np.array_equal(sample, monte_carlo_data(pie, samples=20, seed=1)))
    ((20,), True)
    """
    issue = issue or scenario.issue_names[0]
    sweep = _sweep_module()
    if sweep is not None:
        frame = sweep.sweep(scenario, samples=samples, seed=seed, solvers=["nash"])
        ok = frame["nash.status"].to_numpy() == "ok"
        return np.where(ok, frame[f"nash.{issue}"].to_numpy(dtype=float), np.nan)
    rng = np.random.default_rng(seed)
    ranges = _ranged(scenario)
    draws = {k: rng.uniform(lo, hi, samples) for k, (lo, hi) in ranges.items()}
    return np.array(
        [
            _nash_issue(
                scenario.with_parameters(**{k: float(v[i]) for k, v in draws.items()}), issue
            )
            for i in range(samples)
        ]
    )


# ----------------------------------------------------------------------------- HTML
def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "&ndash;"
    if isinstance(value, int | float | np.floating):
        return f"{float(value):.{digits}g}"
    return _esc(value)


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool]) -> str:
    out = ["<table>", "<tr>" + "".join(f"<th>{_esc(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = [
            f'<td class="num">{_num(v)}</td>' if isnum else f"<td>{_esc(v)}</td>"
            for v, isnum in zip(row, numeric, strict=True)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _figure(fig: Any, alt: str, caption: str) -> str:
    buf = io.BytesIO()
    with plot._style():
        fig.savefig(buf, format="png", dpi=110, metadata=plot.FORMATS["png"], bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'<figure><img alt="{_esc(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
    )


def _solutions(report: Report) -> str:
    issues = list(report.issues)
    parties = list(report.parties)
    first = next((s for s in report.solutions.values() if s.outputs), None)
    outputs = list(first.outputs) if first and first.outputs else []
    head = ["solution", *issues, *outputs, *(f"gain {p}" for p in parties), "status"]
    rows = []
    for name, s in report.solutions.items():
        deal, out, gains = s.deal or {}, s.outputs or {}, s.gains or {}
        rows.append(
            [
                name,
                *(deal.get(i) for i in issues),
                *(out.get(o) for o in outputs),
                *(gains.get(p) for p in parties),
                s.status,
            ]
        )
    numeric = [False, *[True] * (len(head) - 2), False]
    text = _table(head, rows, numeric)
    d = report.solutions[next(iter(report.solutions))].disagreement
    text += "<p>Disagreement point: " + ", ".join(f"{_esc(p)} {_num(v)}" for p, v in d.items())
    zone = report.zone_of_agreement
    text += ". Zone of agreement: " + (
        ", ".join(f"{_esc(k)} in [{_num(lo)}, {_num(hi)}]" for k, (lo, hi) in zone.items())
        if zone
        else "empty (no deal beats disagreement for both)"
    )
    return text + ".</p>"


def _decomposition(report: Report) -> str:
    dec = report.decomposition
    if not dec:
        return "<p>No decomposition: the Nash solution has no unique interior answer.</p>"
    issue = dec["issue"]
    head = ["party", "component", "value", f"d/d{issue}", "pull", "pushes"]
    head += [f"{issue} per +1", f"{issue} if removed (1st order)"]
    rows = [
        [
            r["party"],
            r["component"],
            r["value"],
            r["derivative"],
            r["pull"],
            "up" if r["pull"] > 0 else "down" if r["pull"] < 0 else "-",
            r.get("level_effect"),
            r.get("removal_effect"),
        ]
        for r in dec["rows"]
    ]
    intro = (
        f"<p>Each utility component at the {_esc(dec['method'])} deal and its pull on "
        f"{_esc(issue)} (power &times; derivative / gain); at an interior solution the "
        f"pulls balance (sum {_num(dec['balance'], 2)}). <em>{_esc(issue)} per +1</em>: how "
        f"far {_esc(issue)} moves if the component were one unit larger (exact, implicit "
        "function theorem; the same for every component of a party). <em>If removed</em>: "
        "the first-order (linear) change without the component, not a re-solve.</p>"
    )
    return intro + _table(head, rows, [False, False, True, True, True, False, True, True])


def _parameters(scenario: Scenario) -> str:
    head = ["name", "value", "unit", "range", "source"]
    rows = []
    for name, p in scenario.parameters.items():
        rng = f"[{p.range[0]:g}, {p.range[1]:g}]" if p.range else ""
        changed = " (changed)" if name in scenario.overrides else ""
        source = p.source + (f" Note: {p.note}" if p.note else "")
        rows.append([name + changed, p.value, p.unit, rng, source])
    return _table(head, rows, [False, True, False, False, False])


def _equations(scenario: Scenario) -> str:
    from .explain import explain

    try:
        text = explain(scenario, unicode=True)
        tex = explain(scenario, latex=True)
    except (ValueError, TypeError, NotImplementedError) as exc:  # report the rest regardless
        return f'<p class="note">The equations could not be rendered: {_esc(exc)}</p>'
    return (
        f"<pre>{_esc(text)}</pre>\n<details><summary>LaTeX source (for a paper)</summary>"
        f"<pre>{_esc(tex)}</pre></details>"
    )


def _section(title: str, anchor: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{_esc(title)}</h2>\n{body}\n</section>'


def _sensitivity(
    scenario: Scenario,
    base: float | None,
    samples: int,
    seed: int,
    heatmap: Sequence[str] | None,
    grid: int,
) -> str:
    issue = scenario.issue_names[0]
    label = f"Nash {plot._issue_label(scenario, issue)}"
    parts = []
    frame = tornado_data(scenario)
    if len(frame) == 0:
        return "<p>No parameter has a range, so there is nothing to vary.</p>"
    parts.append(
        _figure(
            plot.tornado_figure(frame, base=base, label=label),
            "tornado chart",
            f"Tornado: {label} with each parameter at the ends of its range.",
        )
    )
    names = list(heatmap) if heatmap else list(frame["parameter"][:2])
    if len(names) == 2:
        xs, ys, z = grid_data(scenario, names[0], names[1], n=grid)
        units = {n: scenario.parameters[n].unit for n in names}
        parts.append(
            _figure(
                plot.heatmap_figure(
                    xs,
                    ys,
                    z,
                    x_label=f"{names[0]} [{units[names[0]]}]",
                    y_label=f"{names[1]} [{units[names[1]]}]",
                    z_label=label,
                ),
                "heat map",
                f"{label} over {names[0]} and {names[1]} ({grid} x {grid} grid).",
            )
        )
    if samples > 0:
        sample = monte_carlo_data(scenario, samples=samples, seed=seed)
        failed = int(np.sum(~np.isfinite(sample)))
        parts.append(
            _figure(
                plot.histogram_figure(sample, base=base, label=label, failed=failed),
                "Monte Carlo histogram",
                f"{samples} draws of every ranged parameter (seed {seed}); {failed} without a "
                "unique Nash solution (e.g. no agreement).",
            )
        )
    return "\n".join(parts)


def build_report(
    scenario: Scenario,
    *,
    sensitivity: bool = True,
    rubinstein: bool = True,
    samples: int = 200,
    seed: int = 0,
    heatmap: Sequence[str] | None = None,
    grid: int = 7,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The report of one scenario as a self-contained HTML page.

    Parameters
    ----------
    scenario : Scenario
    sensitivity : bool, optional
        Include the tornado chart, the heat map and the Monte Carlo histogram.
    rubinstein : bool, optional
        Include Rubinstein's convergence figure.
    samples, seed : int, optional
        Monte Carlo draws (0 for none) and their seed.
    heatmap : pair of str, optional
        The heat map's parameters; default the two with the largest tornado swing.
    grid : int, optional
        Heat-map points per axis.
    progress : callable, optional
        Called with the name of each section as it starts.

    Returns
    -------
    str
    """
    say = progress or (lambda _: None)
    say("solutions")
    report = solve(scenario, resolution=41)
    issue = scenario.issue_names[0]
    nash = report.solutions.get("nash")
    base = nash.deal[issue] if nash is not None and nash.ok and nash.deal else None
    sections = [_section("Solutions", "solutions", _solutions(report))]
    say("frontier")
    sections.append(
        _section(
            "Frontier and solutions",
            "frontier",
            _figure(
                plot.frontier_figure(scenario, report),
                "frontier",
                "Left: the bargaining set, the zone of agreement and every solution. Right: the "
                f"frontier mapped to {issue}.",
            ),
        )
    )
    body = _decomposition(report)
    if report.decomposition:
        body += _figure(
            plot.decomposition_figure(report.decomposition, parties=report.parties),
            "decomposition",
            "Components at the deal and their pulls, per party.",
        )
    sections.append(_section("Why the deal is there: decomposition", "decomposition", body))
    if rubinstein:
        say("rubinstein")
        sections.append(
            _section(
                "Rubinstein: deadlines and the speed of offers",
                "rubinstein",
                _figure(
                    plot.rubinstein_figure(scenario, horizons=range(1, 21)),
                    "Rubinstein convergence",
                    "Finite deadlines and shorter periods between offers.",
                ),
            )
        )
    if sensitivity:
        say("sensitivity")
        sections.append(
            _section(
                "Sensitivity",
                "sensitivity",
                _sensitivity(scenario, base, samples, seed, heatmap, grid),
            )
        )
    say("equations")
    sections.append(_section("Equations", "equations", _equations(scenario)))
    sections.append(_section("Parameters and sources", "parameters", _parameters(scenario)))
    return _page(scenario, report, sections)


def _page(scenario: Scenario, report: Report, sections: list[str]) -> str:
    overrides = ", ".join(f"{k} = {v:g}" for k, v in scenario.overrides.items()) or "none"
    toc = "".join(
        f'<li><a href="#{a}">{t}</a></li>'
        for a, t in [
            ("solutions", "Solutions"),
            ("frontier", "Frontier"),
            ("decomposition", "Decomposition"),
            ("rubinstein", "Rubinstein"),
            ("sensitivity", "Sensitivity"),
            ("equations", "Equations"),
            ("parameters", "Parameters"),
        ]
        if f'id="{a}"' in "".join(sections)
    )
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(scenario.title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_esc(scenario.title)}</h1><p>{_esc(scenario.description)}</p>"
        f'<p class="meta">Scenario {_esc(scenario.path)} (sha256 {_esc(scenario.sha256[:12])}); '
        f"parameters changed: {_esc(overrides)}; bargain {_esc(__version__)}.<br>"
        f"Citation: {_esc(scenario.citation or 'none given')}</p><ol>{toc}</ol>"
    )
    return head + "\n".join(sections) + "\n</body></html>\n"


def write_report(scenario: Scenario, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`build_report`'s page to ``path`` (UTF-8) and return the path.

    Examples
    --------
    >>> import bargain, tempfile, pathlib
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_report(pie, pathlib.Path(tmp) / "r.html", sensitivity=False)
    ...     "<img" in out.read_text(encoding="utf-8")
    True
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise BargainError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} not found")
    path.write_text(build_report(scenario, **kwargs), encoding="utf-8")
    return path
