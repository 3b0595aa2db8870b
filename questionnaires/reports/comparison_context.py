"""The vendor comparison's context: summary, charts and one part per section, in rank order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..comparison import Cell, Comparison, Row, Subtotal
from ..decision import Decision
from ..display import NOT_ANSWERED, shorten
from ..recommendation import recommendation_drift
from .charts import (
    LANDSCAPE_CHART_WIDTH,
    GridCell,
    RangeBar,
    grid_chart,
    range_chart,
    score_text,
)
from .decision_context import (
    case_line,
    decision_report_context,
    framework_counts,
    has_business_case,
    money,
)
from .inputs import person_name
from .summary import EVIDENCE_SHORT, VendorSummary, numbered_rows, ranked_vendors

# Below this share of the scored weight answered, the summary says the score rests on
# part of the picture.
LOW_COVERAGE = 0.8

# What the comparison prints per cell: enough of an answer to compare, never a wall. A
# longer answer is printed in full in the notes under its table, the cell pointing there.
CELL_ANSWER_CHARS = 90
# A comment is worth printing in the comparison when the answer is at least this risky,
# or flagged, or under clarification.
COMMENT_MIN_RISK = 0.5
# Room a cell keeps for " (see note 12)".
NOTE_REFERENCE_CHARS = 14


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
    number: str
    text: str
    evidence_requested: bool
    cells: list[ComparisonCell]
    continues: bool = False  # a grid question's row, under the question


@dataclass
class CellNote:
    """An answer too long for its cell, printed in full under the table."""

    number: int
    question: str
    vendor: str
    text: str


@dataclass
class SectionPart:
    title: str
    weight: float
    subtotals: list[Subtotal | None]
    rows: list[ComparisonRow]
    comments: list[dict[str, str]] = field(default_factory=list)
    notes: list[CellNote] = field(default_factory=list)


def comparison_context(
    comparison: Comparison,
    snapshot: dict[str, Any],
    *,
    robustness: str | None = None,
    decision: Decision | None = None,
) -> dict[str, Any]:
    """The comparison's part of the context: the verdict, the ranking, charts, sections.

    `robustness` is the ranking's robustness among the ranked (handed-over) vendors
    when some vendor is not ranked (inputs.ranked_robustness); else the comparison's.
    `decision` is the round's coverage and business cases (inputs.report_decision)."""
    selection = snapshot.get("selection") or {}
    # Every table and chart lists the vendors in rank order, as the summary does; the
    # vendors still answering come last and are not ranked.
    vendors = ranked_vendors(
        comparison, override_reasons(snapshot), selection.get("recommended_id")
    )
    ranked = [v for v in vendors if v.rank]
    for vendor in vendors:
        vendor.findings = decisive_findings(vendor)
    return {
        "selection": selection,
        "running_title": selection.get("name", ""),
        "vendors": vendors,
        "ranked": ranked,
        "not_ranked": [v for v in vendors if not v.rank],
        "verdict": verdict(selection, vendors),
        "recommendation": selection.get("recommendation", ""),
        "recommendation_at": selection.get("recommendation_at"),
        "recommendation_drift": recommendation_drift(
            selection.get("recommendation_basis") if selection.get("recommendation") else None,
            comparison.vendors,
            profile_key=comparison.profile_key,
        ),
        "robustness": robustness or comparison.robustness,
        "evidence_basis": evidence_basis(comparison, vendors),
        "score_chart": score_chart(vendors),
        "section_chart": section_chart(comparison, vendors),
        "section_parts": section_parts(comparison, vendors),
        **_column_widths(len(vendors)),
        "flag_count": sum(len(v.column.flags) for v in vendors),
        "landscape": True,
        # The framework pages, the business case page and the baselines, with their
        # glance on the executive summary (decision_context).
        **decision_report_context(decision, comparison, vendors),
    }


def assessment_decision(decision: Decision | None) -> dict[str, Any]:
    """The assessment's summary of its vendor's coverage per chosen framework and its
    business case, from its round's decision (empty without a round)."""
    if decision is None or not decision.business_cases:
        return {"framework_counts": [], "vendor_case": None}
    figures = decision.round_figures
    return {
        "framework_counts": [
            (matrix.framework.title, framework_counts(matrix.counts[0]))
            for matrix in decision.frameworks
            if matrix.counts
        ],
        "vendor_case": case_line(decision.business_cases[0], ranked=True)
        if has_business_case(decision)
        else None,
        "case_inputs": {
            "volume": f"{figures.yearly_contact_volume:,} contacts a year"
            if figures.yearly_contact_volume is not None
            else "a yearly contact volume not given",
            "human_cost": money(figures.human_contact_cost, figures.currency),
        },
    }


def override_reasons(snapshot: dict[str, Any]) -> dict[int, str]:
    """Each overridden response's reason for the buyer, from the snapshot's score rows."""
    return {row[0]: row[-1] or "" for row in snapshot.get("scores", [])}


def verdict(selection: dict[str, Any], vendors: list[VendorSummary]) -> dict[str, Any]:
    """The cover's verdict: the recommended vendor, or none yet; and who vouches for it."""
    recommended = next((v for v in vendors if v.recommended), None)
    signed_at = selection.get("signed_off_at")
    name = recommended.name if recommended else selection.get("recommended__vendor__name")
    detail = "The analyst has not chosen a vendor for this round."
    if recommended is not None:
        detail = (
            f"Risk score {score_text(recommended.score)} of 100 · tier {recommended.tier} · "
            f"range {score_text(recommended.result.low)}\u2013{score_text(recommended.result.high)}"
            + (
                f" · ranked {recommended.rank} of {sum(1 for v in vendors if v.rank)}"
                if recommended.rank
                else " · not ranked: its answers are not handed over"
            )
        )
    return {
        "vendor": recommended,
        "name": name,
        "text": f"Recommended: {name}" if name else "No recommendation yet",
        "detail": detail if name is None or recommended is not None else "",
        "signed_off_by": person_name(
            selection.get("signed_off_by__username"),
            selection.get("signed_off_by__first_name", ""),
            selection.get("signed_off_by__last_name", ""),
        )
        if signed_at
        else "",
        "signed_off_at": signed_at,
        "prepared_by": prepared_by(selection),
    }


def prepared_by(selection: dict[str, Any]) -> list[str]:
    """The round's owners; the analyst who created it when it names none."""
    owners = [name for name in selection.get("owners", []) if name]
    if owners:
        return owners
    creator = person_name(
        selection.get("created_by__username"),
        selection.get("created_by__first_name", ""),
        selection.get("created_by__last_name", ""),
    )
    return [creator] if creator else []


def decisive_findings(vendor: VendorSummary) -> list[str]:
    """What decides about a vendor beside its serious flags, in plain words: no score, or
    a score that rests on part of the picture. (An adjustment by the analyst is printed
    under the table with its reason.)"""
    findings: list[str] = []  # the serious flags' titles are printed beside these
    coverage = vendor.result.coverage
    if vendor.result.score is None:
        findings.append("No scored question is answered yet: there is no score, only a range.")
    elif coverage < LOW_COVERAGE:
        findings.append(
            f"Only {round(coverage * 100)}% of the scored weight is answered: the score rests "
            "on part of the picture, see its range."
        )
    if not findings and not vendor.serious_flags:
        findings.append("No critical or high red flag.")
    return findings


def evidence_basis(comparison: Comparison, vendors: list[VendorSummary]) -> list[dict[str, Any]]:
    """Per vendor, for the limitations: how the answers that asked for evidence stand."""
    basis = []
    for vendor in vendors:
        counts = {"self_attested": 0, "document": 0, "verified": 0}
        unanswered = 0
        for _, row in comparison.rows():
            cell = row.cells[vendor.index]
            if cell.state == "unanswered":
                unanswered += 1
            if row.evidence_requested and cell.state == "answered":
                counts[cell.evidence_level] = counts.get(cell.evidence_level, 0) + 1
        basis.append(
            {
                "vendor": vendor,
                "coverage": vendor.result.coverage,
                "unanswered": unanswered,
                **counts,
            }
        )
    return basis


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
    """One part per section: its rows as compact cells, the answers too long for their
    cell in full (numbered notes, one sequence for the report), the comments that matter."""
    parts = []
    numbers = numbered_rows(comparison)
    # Narrower columns hold less before a cell grows taller than the question beside it.
    answer_chars = CELL_ANSWER_CHARS if len(vendors) <= 6 else CELL_ANSWER_CHARS * 2 // 3
    notes: list[CellNote] = []
    for section in comparison.sections:
        rows = []
        comments = []
        first_note = len(notes)
        for row in section.rows:
            number, _ = numbers[row.key]
            rows.append(_comparison_row(number, row, vendors, answer_chars, notes))
            rows.extend(_grid_rows(number, row, vendors))
            comments.extend(_comments_that_matter(number, row, vendors))
        parts.append(
            SectionPart(
                title=section.title,
                weight=section.weight,
                subtotals=[section.subtotals[v.index] for v in vendors],
                rows=rows,
                comments=comments,
                notes=notes[first_note:],
            )
        )
    return parts


def _comparison_row(
    number: str, row: Row, vendors: list[VendorSummary], answer_chars: int, notes: list[CellNote]
) -> ComparisonRow:
    cells = []
    for v in vendors:
        cell = row.cells[v.index]
        note = None
        if cell.state == "answered" and not cell.grid and len(cell.display) > answer_chars:
            note = CellNote(len(notes) + 1, number, v.name, cell.display)
            notes.append(note)
        cells.append(_comparison_cell(row, cell, answer_chars, note))
    return ComparisonRow(
        number=number, text=row.text, evidence_requested=row.evidence_requested, cells=cells
    )


def _grid_rows(number: str, row: Row, vendors: list[VendorSummary]) -> list[ComparisonRow]:
    """A grid question's answers as a grid: one line per grid row under the question,
    each vendor's cell listing what the agent may do on each channel."""
    grids = [row.cells[v.index].grid for v in vendors]
    shape = next((grid for grid in grids if grid), None)
    if shape is None:
        return []
    lines = []
    for i, (label, _) in enumerate(shape):
        cells = [ComparisonCell(css="grid", text=_grid_line(grid, i)) for grid in grids]
        lines.append(
            ComparisonRow(
                number=number, text=label, evidence_requested=False, cells=cells, continues=True
            )
        )
    return lines


def _grid_line(grid: list[tuple[str, list[tuple[str, str]]]] | None, i: int) -> str:
    """Row `i` of a vendor's grid, a channel a line; a row of a partly answered grid
    (which lists only its answered cells) with none says so."""
    if not grid:
        return ""
    return "\n".join(f"{column}: {text}" for column, text in grid[i][1]) or NOT_ANSWERED


def _comparison_cell(
    row: Row, cell: Cell, answer_chars: int, note: CellNote | None = None
) -> ComparisonCell:
    if cell.partial:  # its answered cells follow, row by row (_grid_rows), as in the admin
        return ComparisonCell(css="unanswered", text=cell.partial.capitalize())
    if cell.state == "hidden":  # "hidden" is the engine's word, not the reader's
        return ComparisonCell(css="hidden", text="skipped by an earlier answer")
    if cell.state != "answered":
        return ComparisonCell(css=cell.state.replace("_", "-"), text=cell.risk_word)
    if cell.grid:  # its answers follow, row by row (_grid_rows)
        return ComparisonCell(css=cell.risk_word, text=cell.risk_word.upper())
    answer = cell.display
    if note is not None:  # the start, and where to read the rest
        answer = shorten(answer, answer_chars - NOTE_REFERENCE_CHARS) + f" (see note {note.number})"
    if cell.unlike_definition:  # in full: the part that differs may be the last
        answer += f"\n\u2260 counted differently: {cell.definition}"
    if cell.risk is None:
        return ComparisonCell(css="not-scored", text=answer)
    marks = [cell.risk_word.upper() + (" \u2691" if cell.flagged else "")]
    if row.evidence_requested:
        marks.append(EVIDENCE_SHORT.get(cell.evidence_level, cell.evidence_level))
    if cell.needs_clarification:
        marks.append("clarifying")
    return ComparisonCell(css=cell.risk_word, text=" \u00b7 ".join(marks) + "\n" + answer)


def _comments_that_matter(
    number: str, row: Row, vendors: list[VendorSummary]
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
