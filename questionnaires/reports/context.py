"""What the report templates print, shaped from the snapshot and the comparison.

No database access here: `report_context` gets the snapshot (reports.inputs), the
comparison built from it and the questionnaire's definition, and returns the context
of `templates/reports/<kind>.html`: what both reports share (cover, appendix) from this
module, the rest from comparison_context or assessment_context. Scores and rows come
from questionnaires.comparison, the code behind the admin's comparison page, so a PDF
and the page always agree.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from ..comparison import Comparison
from ..decision import Decision
from ..definition import iter_questions
from ..scoring import (
    CRITICAL_FROM,
    ENGINE_VERSION,
    HIGH_FROM,
    MODERATE_FROM,
    UNCERTAINTY,
    WEIGHT_SPREAD,
)
from .assessment_context import assessment_context
from .charts import shade_legend
from .comparison_context import assessment_decision, comparison_context
from .subject import ReportSubject
from .summary import EVIDENCE_SHORT, numbered_rows

FINGERPRINT_LENGTH = 12
TIER_LEGEND = (
    ("low", f"below {MODERATE_FROM:g}"),
    ("moderate", f"{MODERATE_FROM:g} to below {HIGH_FROM:g}"),
    ("high", f"{HIGH_FROM:g} to below {CRITICAL_FROM:g}, or any high flag"),
    ("critical", f"{CRITICAL_FROM:g} and above, or any critical flag"),
)


def report_context(
    subject: ReportSubject,
    snapshot: dict[str, Any],
    comparison: Comparison,
    definition: dict[str, Any],
    digest: str,
    *,
    now: datetime.datetime,
    robustness: str | None = None,
    decision: Decision | None = None,
) -> dict[str, Any]:
    """The template context of the report of `subject`.

    `definition` is that of the newest questionnaire version in the report, `digest`
    the fingerprint of `snapshot` (reports.inputs.inputs_hash), `decision` the round's
    coverage and business cases from the snapshot (reports.inputs.report_decision).
    """
    context: dict[str, Any] = {
        "kind": subject.kind,
        "generated_at": timezone.localtime(now),
        "fingerprint": digest[:FINGERPRINT_LENGTH],
        "inputs_hash": digest,
        "comparison": comparison,
        "questionnaire_title": comparison.questionnaire_title,
        "version_label": _versions_label(comparison),
        "profile_title": comparison.profile_title,
        "methodology": methodology(comparison),
        "sources": cited_sources(definition, numbered_rows(comparison)),
        "scoring_notes": [
            (number, row.text, row.scoring_notes)
            for number, row in numbered_rows(comparison).values()
            if row.scoring_notes
        ],
        "tier_legend": TIER_LEGEND,
        "shade_legend": shade_legend(),
    }
    if subject.is_comparison:
        context.update(
            comparison_context(comparison, snapshot, robustness=robustness, decision=decision)
        )
    else:
        context.update(assessment_context(comparison, snapshot, definition))
        context.update(assessment_decision(decision))
    return context


def _versions_label(comparison: Comparison) -> str:
    numbers = comparison.version_numbers
    if len(numbers) == 1:
        return f"version {numbers[0]}"
    return "versions " + ", ".join(str(n) for n in numbers)


# The appendix ------------------------------------------------------------------------------


def methodology(comparison: Comparison) -> dict[str, Any]:
    """The numbers behind the methodology appendix, taken from the scoring engine."""
    sections = comparison.sections
    total = sum(s.weight for s in sections) or 1
    return {
        "weights": [
            {"title": s.title, "weight": s.weight, "share": s.weight / total} for s in sections
        ],
        "thresholds": TIER_LEGEND,
        "uncertainty": [(EVIDENCE_SHORT[level], value) for level, value in UNCERTAINTY.items()],
        "spread": WEIGHT_SPREAD,
        "engine_version": ENGINE_VERSION,
        "moderate_from": MODERATE_FROM,
        "high_from": HIGH_FROM,
        "critical_from": CRITICAL_FROM,
    }


def cited_sources(
    definition: dict[str, Any], numbers: Mapping[str, tuple[str, Any]]
) -> list[dict[str, Any]]:
    """The questionnaire's sources that its questions cite, with the citing questions
    by the numbers the report gives them (`numbers`, from numbered_rows)."""
    citing: dict[str, list[str]] = defaultdict(list)
    for _, question in iter_questions(definition):
        for key in question.get("sources", []):
            citing[key].append(f"Q{numbers[question['key']][0]}")
    return [
        {**source, "questions": citing[source["key"]]}
        for source in definition.get("sources", [])
        if citing.get(source["key"])
    ]
