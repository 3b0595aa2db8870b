"""What both reports share: the vendors as the summary ranks them, the questions' numbers."""

from __future__ import annotations

from dataclasses import dataclass

from ..comparison import Comparison, Row, VendorColumn
from ..display import shorten
from ..scoring import Flag, ScoreResult

# The evidence level in a word, where a table has no room for its label.
# A vendor's name in narrow table headers.
VENDOR_LABEL_CHARS = 18
EVIDENCE_SHORT = {"self_attested": "self-attested", "document": "document", "verified": "verified"}


@dataclass
class VendorSummary:
    """One vendor as the summary prints it: the effective score and what qualifies it."""

    index: int  # position in the comparison's columns
    column: VendorColumn
    rank: int = 0
    label: str = ""  # short name for narrow table headers and the charts

    @property
    def name(self) -> str:
        return self.column.vendor_name

    @property
    def result(self) -> ScoreResult:
        return self.column.result

    @property
    def score(self) -> float | None:
        return self.column.effective_score

    @property
    def tier(self) -> str:
        return self.column.effective_tier

    @property
    def overridden(self) -> bool:
        return self.column.is_overridden

    @property
    def serious_flags(self) -> list[Flag]:
        return [f for f in self.column.flags if f.severity in ("critical", "high")]


def ranked_vendors(comparison: Comparison) -> list[VendorSummary]:
    """Lowest risk first, as the scoring engine ranks: a critical tier below every other,
    no score last, then by score; an analyst's override counts as the score."""
    vendors = [
        VendorSummary(index=i, column=c, label=shorten(c.vendor_name, VENDOR_LABEL_CHARS))
        for i, c in enumerate(comparison.vendors)
    ]
    ordered = sorted(
        vendors,
        key=lambda v: (
            v.tier == "critical",
            v.score is None,
            round(v.score, 9) if v.score is not None else 0.0,
            v.index,
        ),
    )
    for rank, vendor in enumerate(ordered, start=1):
        vendor.rank = rank
    return ordered


def numbered_rows(comparison: Comparison) -> dict[str, tuple[int, Row]]:
    """Each question's number (Q1, Q2, ...) and row, in the order the report lists them;
    every table, comment, flag and cited source of a report uses these numbers."""
    return {row.key: (number, row) for number, (_, row) in enumerate(comparison.rows(), start=1)}
