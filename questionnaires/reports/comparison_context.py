"""The vendor comparison's context: summary, charts and one part per section, in rank order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..comparison import Cell, Comparison, Row, Subtotal
from ..display import shorten
from .charts import LANDSCAPE_CHART_WIDTH, GridCell, RangeBar, grid_chart, range_chart
from .summary import EVIDENCE_SHORT, VendorSummary, numbered_rows, ranked_vendors

# What the comparison prints per cell: enough of an answer to compare, never a wall.
CELL_ANSWER_CHARS = 90
# A comment is worth printing in the comparison when the answer is at least this risky,
# or flagged, or under clarification.
COMMENT_MIN_RISK = 0.5


@dataclass
class ComparisonCell:
    """One compact cell as plain text: "HIGH ⚑ · document", a line break, the answer.

    Plain text on purpose: every inline element in a cell (bold, spans, <br>) costs
    WeasyPrint layout time, about a third more for the whole table (benchmarks/).
    Unscored answers have no risk line; unanswered, hidden and unasked cells say so.
    """

    css: str
    text: str


@dataclass
class ComparisonRow:
    number: int
    text: str
    evidence_requested: bool
    cells: list[ComparisonCell]


@dataclass
class SectionPart:
    title: str
    weight: float
    subtotals: list[Subtotal | None]
    rows: list[ComparisonRow]
    comments: list[dict[str, str]] = field(default_factory=list)


def comparison_context(comparison: Comparison, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The comparison's part of the context: the selection, the ranking, charts, sections."""
    # Every table and chart lists the vendors in rank order, as the summary does.
    ranked = ranked_vendors(comparison)
    selection = snapshot.get("selection") or {}
    return {
        "selection": selection,
        "running_title": selection.get("name", ""),
        "vendors": ranked,
        "ranked": ranked,
        "recommendation": selection.get("recommendation", ""),
        "robustness": comparison.robustness,
        "score_chart": score_chart(ranked),
        "section_chart": section_chart(comparison, ranked),
        "section_parts": section_parts(comparison, ranked),
        **_column_widths(len(ranked)),
        "flag_count": sum(len(v.column.flags) for v in ranked),
        "landscape": True,
    }


def section_chart(comparison: Comparison, vendors: list[VendorSummary]) -> dict[str, Any]:
    """A grid of section risk: one row per section, one column per vendor (in rank order)."""
    cells = [
        [_grid_cell(section.subtotals[v.index]) for v in vendors] for section in comparison.sections
    ]
    return grid_chart(
        rows=[s.title for s in comparison.sections],
        columns=[v.name for v in vendors],
        cells=cells,
    )


def _grid_cell(subtotal: Subtotal | None) -> GridCell:
    if subtotal is None:
        return GridCell(score=None, asked=False)
    return GridCell(score=subtotal.score)


def _column_widths(vendors: int) -> dict[str, float]:
    question = 30 if vendors <= 4 else 24 if vendors <= 8 else 20
    return {
        "question_width": question,
        "vendor_width": round((100 - question) / max(1, vendors), 3),
    }


def section_parts(comparison: Comparison, vendors: list[VendorSummary]) -> list[SectionPart]:
    """One part per section: its rows as compact cells, and the comments that matter."""
    parts = []
    numbers = numbered_rows(comparison)
    # Narrower columns hold less before a cell grows taller than the question beside it.
    answer_chars = CELL_ANSWER_CHARS if len(vendors) <= 6 else CELL_ANSWER_CHARS * 2 // 3
    for section in comparison.sections:
        rows = []
        comments = []
        for row in section.rows:
            number, _ = numbers[row.key]
            rows.append(_comparison_row(number, row, vendors, answer_chars))
            comments.extend(_comments_that_matter(number, row, vendors))
        parts.append(
            SectionPart(
                title=section.title,
                weight=section.weight,
                subtotals=[section.subtotals[v.index] for v in vendors],
                rows=rows,
                comments=comments,
            )
        )
    return parts


def _comparison_row(
    number: int, row: Row, vendors: list[VendorSummary], answer_chars: int
) -> ComparisonRow:
    return ComparisonRow(
        number=number,
        text=row.text,
        evidence_requested=row.evidence_requested,
        cells=[_comparison_cell(row, row.cells[v.index], answer_chars) for v in vendors],
    )


def _comparison_cell(row: Row, cell: Cell, answer_chars: int) -> ComparisonCell:
    if cell.state != "answered":
        return ComparisonCell(css=cell.state.replace("_", "-"), text=cell.risk_word)
    answer = shorten(cell.display, answer_chars)
    if cell.risk is None:
        return ComparisonCell(css="not-scored", text=answer)
    marks = [cell.risk_word.upper() + (" \u2691" if cell.flagged else "")]
    if row.evidence_requested:
        marks.append(EVIDENCE_SHORT.get(cell.evidence_level, cell.evidence_level))
    if cell.needs_clarification:
        marks.append("clarifying")
    return ComparisonCell(css=cell.risk_word, text=" \u00b7 ".join(marks) + "\n" + answer)


def _comments_that_matter(
    number: int, row: Row, vendors: list[VendorSummary]
) -> list[dict[str, str]]:
    comments = []
    for vendor in vendors:
        cell = row.cells[vendor.index]
        if not cell.comment.strip():
            continue
        risky = cell.risk is not None and cell.risk >= COMMENT_MIN_RISK
        if risky or cell.flagged or cell.needs_clarification:
            comments.append(
                {"question": f"Q{number}", "vendor": vendor.name, "comment": cell.comment.strip()}
            )
    return comments


def score_chart(ranked: list[VendorSummary]) -> dict[str, Any]:
    """Each vendor's score and range; the dot takes the colour of the vendor's tier."""
    bars = [
        RangeBar(
            label=shorten(v.name, 28),
            low=v.result.low,
            high=v.result.high,
            score=v.score,
            tier=v.tier,
        )
        for v in ranked
    ]
    return range_chart(bars, width=LANDSCAPE_CHART_WIDTH, label_width=200)
