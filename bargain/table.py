"""Plain-text tables of solve reports for the terminal.

Presentation only: every number is the report's. Issues whose ``unit`` is
``"share"`` print as percentages (their changes in percentage points, ``pp``);
an issue that neither utility depends on at a deal prints as ``any``; the
scenario's ``utility_unit`` is stated under the title. The JSON keeps the raw
numbers.
"""

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


def _is_share(report: Report, issue: str) -> bool:
    return (report.issues.get(issue) or {}).get("unit") == "share"


def _issue_value(report: Report, issue: str, value: float | None) -> str:
    """An issue's value: a percentage for a share, else as :func:`_num`.

    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(issues={"e": {"unit": "share"}, "p": {"unit": "USD"}})
    >>> _issue_value(r, "e", 0.0116), _issue_value(r, "p", 0.0116)
    ('1.16%', '0.0116')
    """
    if value is None or value != value or not _is_share(report, issue):
        return _num(value)
    return f"{100 * value:.2f}%"


def _issue_change(report: Report, issue: str, value: float | None) -> str:
    """A change of an issue, signed: percentage points for a share.

    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(issues={"e": {"unit": "share"}})
    >>> _issue_change(r, "e", 0.0022293), _issue_change(r, "x", -0.3), _issue_change(r, "e", 0.0)
    ('+0.223 pp', '-0.3000', '0')
    """
    if value is None or value != value:
        return "-"
    if value == 0:
        return "0"
    if _is_share(report, issue):
        return f"{100 * value:+.3f} pp"
    return f"{value:+.4g}" if abs(value) >= 1e4 else f"{value:+.4f}"


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
        cells += [
            "any"
            if i in sol.not_unique_issues
            else _issue_value(report, i, (sol.deal or {}).get(i))
            for i in issues
        ]
        cells += [_num((sol.outputs or {}).get(o)) for o in outputs]
        cells += [_num(sol.gains[p]) if sol.gains else "-" for p in parties]
        cells.append(sol.status)
        rows.append(cells)
    return header, rows


def _decomposition_table(report: Report, decomposition: dict[str, Any]) -> str:
    """Each component: value, derivative, pull, and how far the issue moves with its level."""
    issue = decomposition["issue"]
    rows = [
        [
            row["party"],
            row["component"],
            _num(row["value"]),
            _num(row["derivative"]),
            _num(row["pull"]),
            "up" if row["pull"] > 0 else "down" if row["pull"] < 0 else "-",
            _issue_change(report, issue, row.get("level_effect")),
            _issue_change(report, issue, row.get("removal_effect")),
        ]
        for row in decomposition["rows"]
    ]
    header = [
        "party",
        "component",
        "value",
        f"d/d{issue}",
        "pull",
        f"pushes {issue}",
        f"{issue} per +1",
        f"{issue} if removed",
    ]
    return format_table(header, rows)


def _why_there(report: Report) -> list[str]:
    """The "why there" section: the decomposition at the Nash deal and its notes."""
    dec = report.decomposition or {}
    issue = dec["issue"]
    change = " (pp)" if _is_share(report, issue) else ""
    lines = [
        f"why there: components at the {dec['method']} deal",
        f"  pull = power x d/d{issue} / gain; the pulls balance at an interior solution",
        f"  {issue} per +1 = change of {issue}{change} if the component were 1 unit larger "
        "(exact: implicit",
        "    function theorem on the Nash conditions; the same for every component of a party)",
        f"  {issue} if removed = first-order change of {issue} without the component: "
        f"-value x ({issue} per +1)",
        "    plus the shift of its pull; a linear estimate, not a re-solve",
        _decomposition_table(report, dec),
    ]
    for party, moved in (dec.get("level_effects") or {}).items():
        shown = [f"{i} {_issue_change(report, i, v)}" for i, v in moved.items() if v == v]
        if shown:
            lines.append(f"1 unit more for {party} moves " + ", ".join(shown))
    side = (dec.get("at_bound") or {}).get(issue)
    if side:
        way = "down" if dec["balance"] < 0 else "up" if dec["balance"] > 0 else "nowhere"
        lines.append(
            f"{issue} is at its {side} bound: the pulls sum to {_num(dec['balance'])} "
            f"(push {way}); it stays while the bound binds"
        )
    if dec.get("message"):
        lines.append(f"note: {dec['message']}")
    return lines


def _which(report: Report, names: list[str]) -> str:
    """The solutions named, or "every solution" when they are all the ok ones."""
    ok = [name for name, sol in report.solutions.items() if sol.ok]
    return "every solution" if len(names) > 1 and names == ok else ", ".join(names)


def _bound_notes(report: Report) -> list[str]:
    """One line per issue and bound: which solutions sit there."""
    where: dict[tuple[str, str], list[str]] = {}
    for name, sol in report.solutions.items():
        for issue, side in sol.at_bound.items():
            where.setdefault((issue, side), []).append(name)
    lines = []
    for (issue, side), names in where.items():
        limit = report.issues[issue]["min" if side == "lower" else "max"]
        lines.append(
            f"at a bound: {issue} at its {side} bound {_issue_value(report, issue, limit)} "
            f"({_which(report, names)})"
        )
    return lines


def _flat_notes(report: Report) -> list[str]:
    """One line per issue that some solutions leave undetermined."""
    where: dict[tuple[str, float, float], list[str]] = {}
    for name, sol in report.solutions.items():
        for issue, (lo, hi) in sol.not_unique_issues.items():
            where.setdefault((issue, lo, hi), []).append(name)
    return [
        f"not unique: {issue} = any value in [{_issue_value(report, issue, lo)}, "
        f"{_issue_value(report, issue, hi)}] gives the same utilities ({_which(report, names)})"
        for (issue, lo, hi), names in where.items()
    ]


def render_report(report: Report) -> str:
    """Render a :class:`~bargain.solve.Report` as readable text.

    Share issues print as percentages, issues the utilities do not depend on
    at a deal as ``any`` (with a note giving the interval of values), and
    corners are listed under the table; the numbers are those of the report.
    """
    header, rows = _solution_rows(report)
    lines = [
        report.scenario["title"],
        f"scenario {report.scenario['path']}  sha256 {report.scenario['sha256'][:12]}  "
        f"bargain {report.version}",
    ]
    if report.utility_unit:
        lines.append(f"utilities in {report.utility_unit}")
    lines += ["", format_table(["solution", *header], rows), ""]
    first = next(iter(report.solutions.values()))
    lines.append(
        "disagreement: " + ", ".join(f"{p} {_num(v)}" for p, v in first.disagreement.items())
    )
    if report.zone_of_agreement:
        zone = ", ".join(
            f"{k} in [{_issue_value(report, k, lo)}, {_issue_value(report, k, hi)}]"
            for k, (lo, hi) in report.zone_of_agreement.items()
        )
        lines.append(f"zone of agreement: {zone}")
    else:
        lines.append("zone of agreement: empty (no deal beats disagreement for both)")
    lines += _bound_notes(report) + _flat_notes(report)
    if report.frontier.get("agreement_possible") and not report.frontier.get("convex", True):
        lines.append("note: the bargaining set is not convex")
    for name, sol in report.solutions.items():
        if not sol.ok:
            lines.append(f"{name}: {sol.message}")
    if report.decomposition:
        lines += ["", *_why_there(report)]
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
