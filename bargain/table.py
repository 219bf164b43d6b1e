"""Plain-text tables of solve reports for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .solve import Report

__all__ = ["render_report", "format_table"]


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
    return "-" if value is None else f"{value:.4g}" if abs(value) >= 1e4 else f"{value:.4f}"


def render_report(report: Report) -> str:
    """Render a :class:`~bargain.solve.Report` as readable text."""
    issues = list(report.issues)
    parties = list(report.parties)
    header = [
        "solution",
        *issues,
        *(f"u_{p}" for p in parties),
        *(f"gain_{p}" for p in parties),
        "status",
    ]
    rows = []
    for name, sol in report.solutions.items():
        cells = [name]
        cells += [_num(sol.deal[i]) if sol.deal else "-" for i in issues]
        cells += [_num(sol.utilities[p]) if sol.utilities else "-" for p in parties]
        cells += [_num(sol.gains[p]) if sol.gains else "-" for p in parties]
        cells.append(sol.status)
        rows.append(cells)
    lines = [
        report.scenario["title"],
        f"scenario {report.scenario['path']}  sha256 {report.scenario['sha256'][:12]}  "
        f"bargain {report.version}",
        "",
    ]
    lines.append(format_table(header, rows))
    first = next(iter(report.solutions.values()))
    lines.append("")
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
    if report.overrides:
        lines.append("overrides: " + ", ".join(f"{k}={v:g}" for k, v in report.overrides.items()))
    return "\n".join(lines)
