"""What both reports share: the vendors as the summary ranks them, the questions' numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..audit import OVERRIDE_WITHOUT_REASON
from ..comparison import Comparison, Row, VendorColumn
from ..display import shorten
from ..models import HANDED_OVER_STATUSES
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
    rank: int = 0  # 0: not ranked (its response is not handed over yet)
    label: str = ""  # short name for narrow table headers and the charts
    override_reason: str = ""  # the reason for the buyer (never the internal note)
    recommended: bool = False
    findings: list[str] = field(default_factory=list)  # what decides, in plain words

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

    @property
    def handed_over(self) -> bool:
        """Submitted at least once: only such a response is ranked."""
        return self.column.status in HANDED_OVER_STATUSES

    @property
    def override_note(self) -> str:
        """What the reports print beside an overridden score."""
        return self.override_reason or OVERRIDE_WITHOUT_REASON


def ranked_vendors(
    comparison: Comparison,
    reasons: Mapping[int, str] | None = None,
    recommended_id: int | None = None,
) -> list[VendorSummary]:
    """Lowest risk first, as the scoring engine ranks: a critical tier below every other,
    no score last, then by score; an analyst's override counts as the score.

    Only handed-over responses get a rank (1, 2, ...); one still being answered is
    listed after them with rank 0. `reasons` holds the override reasons for the buyer
    by response id, `recommended_id` the round's recommended response."""
    reasons = reasons or {}
    vendors = [
        VendorSummary(
            index=i,
            column=c,
            label=shorten(c.vendor_name, VENDOR_LABEL_CHARS),
            override_reason=reasons.get(c.response_id, ""),
            recommended=c.response_id == recommended_id,
        )
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
    ranked = [v for v in ordered if v.handed_over]
    for rank, vendor in enumerate(ranked, start=1):
        vendor.rank = rank
    return ranked + [v for v in ordered if not v.handed_over]


def numbered_rows(comparison: Comparison) -> dict[str, tuple[str, Row]]:
    """Each question's number ("3.6", as the portal numbers the newest compared version)
    and row, in the order the report lists them; every table, comment, flag and cited
    source of a report uses these numbers. The number is the row's place in the
    comparison's sections (Row.number): a question only an older version asks continues
    its section's count, and filtering rows out leaves the others' numbers as they are."""
    return {row.key: (row.number, row) for _, row in comparison.rows()}
