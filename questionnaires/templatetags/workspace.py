"""Template filters of the analyst workspace: scores, tiers and severities in words."""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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
    """'42 (31-58)' from anything with score, low and high; the range alone if no score."""
    if result is None:
        return "—"
    low, high = getattr(result, "low", None), getattr(result, "high", None)
    if low is None or high is None:
        return "—"
    span = f"{low:.0f}-{high:.0f}"
    score = getattr(result, "score", None)
    return f"{score:.0f} ({span})" if score is not None else f"no score yet ({span})"


@register.filter
def percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction:.0%}"


@register.filter
def tier_badge(tier: str | None) -> str:
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
    head = (
        f'<th class="cx-q" scope="row">{escape(row.text)}<div class="cx-muted"><code>'
        f"{escape(row.key)}</code>{requested}</div></th>"
    )
    return f'<tr id="q-{escape(row.key)}">{head}{"".join(map(_cell, row.cells))}</tr>'


def _cell(cell: Any) -> str:
    answer = (
        f'<div class="cx-answer">{escape(cell.display)}</div>' if cell.state == "answered" else ""
    )
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
