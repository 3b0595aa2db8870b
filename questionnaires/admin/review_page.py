"""The response page's answers as an analyst works through them: each answer with what
marks it (flagged, risky, under clarification, unanswered, carried forward, changed
since the last round, clarified), the filters over those marks and the section index.

Pure: it reads the page's comparison (one vendor), what changed since the vendor's
previous round (selectors.response_vendor_rounds) and the latest clarification
(questionnaires.clarifications), and decides nothing about who may see them.

The page filters on the server (`?show=flagged&show=risky`, so a filtered view is a link
and works without JavaScript) and in the browser (static/cxvet/admin/response_filters.js
hides the same rows as the boxes are ticked, from each row's `data-cx-marks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..clarifications import Clarification, ClarifiedAnswer
from ..comparison import Cell, Comparison, Row, SectionBlock, Subtotal
from ..models import Evidence
from ..selectors import ChangedAnswer, VendorRounds

# An answer is risky from this risk up: the risk words "high" and "severe".
RISKY_FROM = 0.5

# (mark, what the filter box says), in the order the page offers them.
FILTERS: tuple[tuple[str, str], ...] = (
    ("flagged", "Flagged"),
    ("risky", "Risky (high or severe)"),
    ("clarification", "Under clarification"),
    ("unanswered", "Unanswered"),
    ("carried", "Carried forward, not confirmed"),
    ("changed", "Changed since the last round"),
)
FILTER_KEYS = frozenset(key for key, _ in FILTERS)


@dataclass(frozen=True)
class ReviewRow:
    """One answer on the response page."""

    row: Row
    cell: Cell
    files: list[tuple[Evidence, str]]
    number: str  # "3.6", by section, as the portal numbers it (Row.number)
    marks: frozenset[str]
    changed: ChangedAnswer | None = None  # its value in the last round, where it changed
    clarified: ClarifiedAnswer | None = None  # reopened and answered again
    shown: bool = True  # under the filters the page was asked for

    @property
    def marks_attr(self) -> str:
        return " ".join(key for key, _ in FILTERS if key in self.marks)


@dataclass(frozen=True)
class ReviewSection:
    block: SectionBlock
    subtotal: Subtotal | None
    rows: tuple[ReviewRow, ...]

    @property
    def shown_count(self) -> int:
        return sum(1 for r in self.rows if r.shown)


@dataclass(frozen=True)
class FilterChoice:
    key: str
    label: str
    count: int  # answers with this mark on the whole page
    checked: bool


def chosen_filters(values: Iterable[str]) -> frozenset[str]:
    """The filters asked for (`?show=`); unknown values are ignored."""
    return frozenset(v for v in values if v in FILTER_KEYS)


def marks_of(cell: Cell, *, changed: bool) -> frozenset[str]:
    marks = set()
    if cell.flagged:
        marks.add("flagged")
    if cell.risk is not None and cell.risk >= RISKY_FROM:
        marks.add("risky")
    if cell.needs_clarification:
        marks.add("clarification")
    if cell.state == "unanswered":
        marks.add("unanswered")
    if cell.carried_forward:
        marks.add("carried")
    if changed:
        marks.add("changed")
    return frozenset(marks)


def clarified_answers(clarification: Clarification | None) -> dict[str, ClarifiedAnswer]:
    """The reopened answers the vendor has answered again: every one once the response
    came back, or before that those already changed."""
    if clarification is None:
        return {}
    return {
        a.key: a for a in clarification.answers if clarification.answered or a.after is not None
    }


def review_sections(
    comparison: Comparison,
    evidence: Mapping[int | None, list[tuple[Evidence, str]]],
    *,
    vendor_rounds: VendorRounds | None,
    clarification: Clarification | None,
    show: frozenset[str],
) -> list[ReviewSection]:
    changed = {c.key: c for c in vendor_rounds.changed} if vendor_rounds else {}
    clarified = clarified_answers(clarification)
    sections = []
    for block in comparison.sections:
        rows = []
        for row in block.rows:
            cell = row.cells[0]
            marks = marks_of(cell, changed=row.key in changed)
            rows.append(
                ReviewRow(
                    row=row,
                    cell=cell,
                    files=evidence.get(cell.answer_id, []),
                    number=row.number,
                    marks=marks,
                    changed=changed.get(row.key),
                    clarified=clarified.get(row.key),
                    shown=not show or bool(marks & show),
                )
            )
        sections.append(ReviewSection(block=block, subtotal=block.subtotals[0], rows=tuple(rows)))
    return sections


def filter_choices(sections: Sequence[ReviewSection], show: frozenset[str]) -> list[FilterChoice]:
    counts: dict[str, int] = dict.fromkeys(FILTER_KEYS, 0)
    for section in sections:
        for row in section.rows:
            for mark in row.marks:
                counts[mark] += 1
    return [FilterChoice(key, label, counts[key], key in show) for key, label in FILTERS]


def review_context(
    comparison: Comparison,
    evidence: Mapping[int | None, list[tuple[Evidence, str]]],
    *,
    vendor_rounds: VendorRounds | None,
    clarification: Clarification | None,
    show_values: Iterable[str],
) -> dict[str, Any]:
    """What the response page's answers, filters and section index need."""
    show = chosen_filters(show_values)
    sections = review_sections(
        comparison,
        evidence,
        vendor_rounds=vendor_rounds,
        clarification=clarification,
        show=show,
    )
    return {
        "sections": sections,
        "filters": filter_choices(sections, show),
        "filtering": bool(show),
        "shown_answers": sum(s.shown_count for s in sections),
        "total_answers": sum(len(s.rows) for s in sections),
    }
