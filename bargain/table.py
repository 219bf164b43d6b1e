"""Plain-text tables of solve reports for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .solve import Report

__all__ = ["render_report", "render_comparison", "format_table"]


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """Align columns: the first left-aligned, the others right-aligned.

    Examples
    --------
    >>> print(format_table(["a", "b"], [["x", "1.5"], ["yy", "10"]]))
    a     b
    --  ---
    x   1.5
    yy   10
    """
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _num(value: float | None) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:.4g}" if abs(value) >= 1e4 else f"{value:.4f}"


def _columns(reports: Sequence[Report]) -> tuple[list[str], list[str]]:
    """The issues and outputs of several reports, in first-seen order."""
    issues: list[str] = []
    outputs: list[str] = []
    for report in reports:
        issues += [i for i in report.issues if i not in issues]
        for sol in report.solutions.values():
            outputs += [k for k in (sol.outputs or {}) if k not in outputs]
    return issues, outputs


def _solution_rows(
    report: Report, label: str | None = None, columns: tuple[list[str], list[str]] | None = None
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a report's solutions; with a label, gains are by position."""
    issues, outputs = columns or _columns([report])
    parties = list(report.parties)
    if label is None:
        gain_names = [f"gain_{p}" for p in parties]
        lead: list[str] = []
    else:  # comparisons line up scenarios whose parties have different names
        gain_names = ["gain_1", "gain_2"]
        lead = ["parties"]
    header = [*lead, *issues, *outputs, *gain_names, "status"]
    rows = []
    for name, sol in report.solutions.items():
        cells = [name] if label is None else [label, name, "/".join(parties)]
        cells += [_num((sol.deal or {}).get(i)) for i in issues]
        cells += [_num((sol.outputs or {}).get(o)) for o in outputs]
        cells += [_num(sol.gains[p]) if sol.gains else "-" for p in parties]
        cells.append(sol.status)
        rows.append(cells)
    return header, rows


def _decomposition_table(decomposition: dict[str, Any]) -> str:
    issue = decomposition["issue"]
    rows = [
        [
            row["party"],
            row["component"],
            _num(row["value"]),
            _num(row["derivative"]),
            _num(row["pull"]),
            "up" if row["pull"] > 0 else "down" if row["pull"] < 0 else "-",
        ]
        for row in decomposition["rows"]
    ]
    header = ["party", "component", "value", f"d/d{issue}", "pull", f"pushes {issue}"]
    return format_table(header, rows)


def render_report(report: Report) -> str:
    """Render a :class:`~bargain.solve.Report` as readable text."""
    header, rows = _solution_rows(report)
    lines = [
        report.scenario["title"],
        f"scenario {report.scenario['path']}  sha256 {report.scenario['sha256'][:12]}  "
        f"bargain {report.version}",
        "",
        format_table(["solution", *header], rows),
        "",
    ]
    first = next(iter(report.solutions.values()))
    lines.append(
        "disagreement: " + ", ".join(f"{p} {_num(v)}" for p, v in first.disagreement.items())
    )
    if report.zone_of_agreement:
        zone = ", ".join(
            f"{k} in [{_num(lo)}, {_num(hi)}]" for k, (lo, hi) in report.zone_of_agreement.items()
        )
        lines.append(f"zone of agreement: {zone}")
    else:
        lines.append("zone of agreement: empty (no deal beats disagreement for both)")
    if report.frontier.get("agreement_possible") and not report.frontier.get("convex", True):
        lines.append("note: the bargaining set is not convex")
    for name, sol in report.solutions.items():
        if not sol.ok:
            lines.append(f"{name}: {sol.message}")
    if report.decomposition:
        lines += [
            "",
            f"why there: components at the {report.decomposition['method']} deal "
            "(pull = power x derivative / gain; the pulls balance at an interior "
            "solution)",
            _decomposition_table(report.decomposition),
        ]
    if report.overrides:
        lines.append("overrides: " + ", ".join(f"{k}={v:g}" for k, v in report.overrides.items()))
    return "\n".join(lines)


def render_comparison(reports: Sequence[Report], names: Sequence[str]) -> str:
    """One table of every solution of several scenarios, a row per scenario and concept.

    Issues or outputs that a scenario does not have (e.g. an issue it fixes as a
    parameter) are shown as ``-``; gains are listed by party position.
    """
    columns = _columns(reports)
    header: list[str] = []
    rows: list[list[str]] = []
    for report, name in zip(reports, names, strict=True):
        header, body = _solution_rows(report, label=name, columns=columns)
        rows += body
    return format_table(["scenario", "solution", *header], rows)
