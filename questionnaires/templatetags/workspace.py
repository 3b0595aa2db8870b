"""Template filters of the analyst workspace: scores, tiers and severities in words."""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ..display import score_range_shown, score_shown

register = template.Library()

TIER_WORDS = {
    "low": "Low",
    "moderate": "Moderate",
    "high": "High",
    "critical": "Critical",
    "unrated": "Unrated",
}
# Flag severities share the risk colours: info is neutral, critical the strongest.
SEVERITY_CLASSES = {
    "info": "risk-not-scored",
    "moderate": "risk-moderate",
    "high": "risk-high",
    "critical": "risk-severe",
}


@register.filter
def score_range(result: Any) -> str:
    """'42.3 (31.0-58.4)' from anything with score, low and high; the range alone if no
    score. One decimal as the PDFs print it (display.score_range_shown)."""
    if result is None:
        return "—"
    return score_range_shown(
        getattr(result, "score", None), getattr(result, "low", None), getattr(result, "high", None)
    )


@register.filter
def score(value: float | None) -> str:
    """A single 0-100 score (an override, a section's bound) as the PDFs print it."""
    return score_shown(value)


@register.filter
def percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction:.0%}"


@register.filter
def tier_badge(tier: str | None) -> SafeString:
    """A tier as a coloured badge that also says the word (never colour alone)."""
    if not tier:
        return mark_safe('<span class="cx-muted">not scored</span>')
    return format_html(
        '<span class="cx-tier cx-tier-{}">{}</span>', tier, TIER_WORDS.get(tier, tier)
    )


@register.filter
def severity_badge(severity: str) -> str:
    return format_html(
        '<span class="cx-risk {}">{}</span>',
        SEVERITY_CLASSES.get(severity, "risk-not-scored"),
        severity,
    )


@register.filter
def signed_points(value: float | None) -> str:
    """+12.3 / -4.0 points, for how far an answer pulls the score."""
    if value is None:
        return "—"
    sign = "+" if value >= 0 else "-"
    return f"{sign}{abs(value):.1f}"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key], or None: for dicts keyed by question key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


# The comparison matrix's body -------------------------------------------------------------
# Hundreds of cells: built in Python, several times faster than a template loop over
# them. Every value goes through escape(); the markup is the same a template would give.


def escape(value: Any) -> str:
    # The standard library's escape (quotes included), without the lazy-string handling
    # of django.utils.html.escape, which costs more than the escaping on a large page.
    return _escape(str(value), quote=True)


@register.simple_tag
def comparison_rows(comparison: Any) -> str:
    """The <tbody> rows of a comparison: per section a subtotal row, then its questions."""
    columns = len(comparison.vendors) + 1
    parts: list[str] = []
    for section in comparison.sections:
        parts.append(_section_row(section))
        for row in section.rows:
            parts.append(_question_row(row))
        if not section.rows:
            parts.append(
                f'<tr><td class="cx-muted" colspan="{columns}">No question in this section '
                "matches the filters.</td></tr>"
            )
    return mark_safe("\n".join(parts))


def _section_row(section: Any) -> str:
    cells = []
    for subtotal in section.subtotals:
        if subtotal is None:
            cells.append('<td><span class="cx-risk risk-not-asked">not asked</span></td>')
        else:
            cells.append(
                f"<td>Subtotal {escape(score_range(subtotal))} · "
                f"{percent(subtotal.coverage)} answered</td>"
            )
    weight = f"{section.weight:.2f}".rstrip("0").rstrip(".")
    return (
        f'<tr class="cx-section" id="section-{escape(section.key)}"><th class="cx-q" '
        f'scope="rowgroup">{escape(section.title)} <span class="cx-muted">· weight '
        f"{weight}</span></th>{''.join(cells)}</tr>"
    )


def _question_row(row: Any) -> str:
    requested = " · evidence requested" if row.evidence_requested else ""
    notes = (
        f'<div class="cx-muted cx-scoring-notes">Scoring: {escape(row.scoring_notes)}</div>'
        if row.scoring_notes
        else ""
    )
    head = (
        f'<th class="cx-q" scope="row"><span class="cx-qnum">Q{escape(row.number)}</span> '
        f'{escape(row.text)}<div class="cx-muted"><code>{escape(row.key)}</code>{requested}'
        f"</div>{notes}</th>"
    )
    cells = "".join(_cell(cell, table=False) for cell in row.cells)
    return f'<tr id="q-{escape(row.key)}">{head}{cells}</tr>{_grid_lines(row)}'


def _grid_lines(row: Any) -> str:
    """A grid question's answers as a grid: one line per grid row under the question,
    each vendor's cell listing what the agent may do on each channel."""
    grids = [cell.grid for cell in row.cells]
    shape = next((grid for grid in grids if grid), None)
    if shape is None:
        return ""
    lines = []
    for i, (label, _) in enumerate(shape):
        cells = "".join(
            "<td>"
            + (
                "<br>".join(f"{escape(column)}: {escape(text)}" for column, text in grid[i][1])
                or '<span class="cx-muted">not answered</span>'
            )
            + "</td>"
            if grid
            else "<td></td>"
            for grid in grids
        )
        lines.append(
            f'<tr class="cx-grid-line"><th class="cx-q" scope="row">{escape(label)}</th>'
            f"{cells}</tr>"
        )
    return "".join(lines)


@register.simple_tag
def answer_shown(cell: Any, table: bool = True) -> SafeString:
    """An answered cell's answer: a grid as its table (or nothing, where its lines
    follow: `table` false), a metric with its definition."""
    partial = (
        f'<div class="cx-partial">{escape(cell.partial.capitalize())}</div>'
        if getattr(cell, "partial", "")
        else ""
    )
    if cell.grid and partial:
        return mark_safe(partial + (_grid_row_list(cell.grid) if table else ""))
    if cell.grid:
        return mark_safe(_grid_table(cell.grid) if table else "")
    return mark_safe(f'<div class="cx-answer">{escape(cell.display)}</div>{_definition(cell)}')


def _cell(cell: Any, *, table: bool = True) -> str:
    answer = answer_shown(cell, table) if cell.state == "answered" or cell.partial else ""
    meta = [f'<span class="cx-risk {cell.css_class}">{escape(cell.risk_word)}</span>']
    if cell.evidence_label:
        meta.append(f" · {escape(cell.evidence_label)}")
    if cell.evidence_files:
        files = cell.evidence_files
        meta.append(f" · {files} file{'s' if files != 1 else ''}")
    if cell.flagged:
        meta.append(
            f' <span class="cx-flag" title="{escape("; ".join(cell.flag_titles))}">flag</span>'
        )
    if cell.needs_clarification:
        meta.append(' <span class="cx-clarify">clarification asked</span>')
    comment = (
        '<details><summary>Comment</summary><div class="cx-comment">'
        f"{escape(cell.comment).replace(chr(10), '<br>')}</div></details>"
        if cell.comment
        else ""
    )
    flagged = ' class="cx-flagged"' if cell.flagged else ""
    return f'<td{flagged}>{answer}<div class="cx-meta">{"".join(meta)}</div>{comment}</td>'


def _grid_row_list(grid: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """A partly answered grid: one line per grid row with the cells answered so far."""
    items = "".join(
        f"<li><strong>{escape(row)}</strong>: "
        + (
            ", ".join(f"{escape(column)}: {escape(text)}" for column, text in cells)
            or '<span class="cx-muted">not answered</span>'
        )
        + "</li>"
        for row, cells in grid
    )
    return f'<ul class="cx-grid-rows">{items}</ul>'


def _grid_table(grid: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """A grid answer as a small table: its rows, each column's answer."""
    head = "".join(f'<th scope="col">{escape(column)}</th>' for column, _ in grid[0][1])
    body = "".join(
        f'<tr><th scope="row">{escape(row)}</th>'
        + "".join(f"<td>{escape(text)}</td>" for _, text in cells)
        + "</tr>"
        for row, cells in grid
    )
    return (
        f'<table class="cx-grid"><thead><tr><td></td>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _definition(cell: Any) -> str:
    """A metric's definition under its figure; marked where it differs from the others'."""
    if not cell.definition:
        return ""
    if cell.unlike_definition:
        return (
            '<div class="cx-definition cx-unlike" title="Counted differently from the other '
            'vendors: do not compare this figure as if alike">'
            f"\u2260 counted differently: {escape(cell.definition)}</div>"
        )
    return f'<div class="cx-definition cx-muted">{escape(cell.definition)}</div>'
