"""One vendor's assessment: summary, flags with their answers, every answer, the history."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..audit import EventLabels, describe_event
from ..comparison import Comparison, Row
from ..display import shorten
from .charts import PORTRAIT_CHART_WIDTH, RangeBar, range_chart, score_tier
from .comparison_context import decisive_findings, evidence_basis, override_reasons, verdict
from .summary import VendorSummary, numbered_rows, ranked_vendors


def assessment_context(
    comparison: Comparison, snapshot: dict[str, Any], definition: dict[str, Any]
) -> dict[str, Any]:
    """The assessment's part of the context: `comparison` holds the one assessed response,
    `definition` is its questionnaire version's."""
    vendor = ranked_vendors(comparison, override_reasons(snapshot))[0]
    response = snapshot["responses"][0]
    round_row = snapshot.get("round")
    evidence_names: dict[str, list[str]] = defaultdict(list)
    for item in snapshot["evidence"]:
        evidence_names[item["answer__question__key"]].append(item["original_name"])
    answers_by_key = {row["question__key"]: row for row in snapshot["answers"]}
    questions = numbered_rows(comparison)
    return {
        "vendor": vendor,
        "response": response,
        "running_title": f"{vendor.name} · {comparison.questionnaire_title}",
        "flags": _flags_with_answers(vendor, questions),
        "section_scores": vendor.result.sections,
        "score_chart": section_bars(vendor),
        "answer_sections": _answer_sections(comparison, questions, evidence_names, answers_by_key),
        "history": _history(snapshot.get("history", []), EventLabels.of(definition)),
        "round": round_row,
        "verdict": round_verdict(round_row, response["pk"], vendor.name),
        "findings": [
            *(f"{flag.title}: {flag.message}" for flag in vendor.serious_flags),
            *decisive_findings(vendor),
        ],
        "evidence_basis": evidence_basis(comparison, [vendor]),
        "baseline_caveats": [],
        "landscape": False,
    }


def round_verdict(round_row: dict[str, Any] | None, response_id: int, name: str) -> dict[str, Any]:
    """The verdict on this vendor within its round, for the cover."""
    if round_row is None:
        return {
            "text": "No verdict: this response is not part of a selection round",
            "detail": "",
            "prepared_by": [],
            "signed_off_by": "",
            "signed_off_at": None,
        }
    found = verdict(round_row, [])
    recommended = round_row.get("recommended_id")
    if recommended == response_id:
        text = f"Recommended: {name} is the recommended vendor of the round"
    elif recommended:
        text = f"Not recommended: the round recommends {found['name']}"
    else:
        text = "No recommendation yet in this round"
    return {**found, "text": text, "detail": f"Round “{round_row.get('name', '')}”"}


def section_bars(vendor: VendorSummary) -> dict[str, Any]:
    """One vendor's risk per section, with its range."""
    bars = [
        RangeBar(
            label=shorten(s.title, 40),
            low=s.low,
            high=s.high,
            score=s.score,
            tier=score_tier(s.score),
        )
        for s in vendor.result.sections
    ]
    return range_chart(bars, width=PORTRAIT_CHART_WIDTH, label_width=240)


def _flags_with_answers(
    vendor: VendorSummary, questions: dict[str, tuple[str, Row]]
) -> list[dict[str, Any]]:
    flags = []
    for flag in vendor.column.flags:
        behind = []
        for key in flag.questions:
            if key not in questions:
                continue
            number, row = questions[key]
            cell = row.cells[0]
            behind.append({"number": number, "text": row.text, "answer": cell.display})
        flags.append({"flag": flag, "answers": behind})
    return flags


def _answer_sections(
    comparison: Comparison,
    questions: dict[str, tuple[str, Row]],
    evidence_names: dict[str, list[str]],
    answers_by_key: dict[str, Any],
) -> list[dict[str, Any]]:
    sections = []
    for section in comparison.sections:
        subtotal = section.subtotals[0]
        rows = []
        for row in section.rows:
            number, _ = questions[row.key]
            cell = row.cells[0]
            stored = answers_by_key.get(row.key)
            rows.append(
                {
                    "number": number,
                    "text": row.text,
                    "cell": cell,
                    "evidence_requested": row.evidence_requested,
                    # A partly answered grid too: its answered cells, with its mark.
                    "grid": cell.grid if cell.state == "answered" or cell.partial else None,
                    "files": evidence_names.get(row.key, []),
                    "clarification_note": (
                        stored["clarification_note"]
                        if stored and stored["needs_clarification"]
                        else ""
                    ),
                }
            )
        sections.append({"title": section.title, "subtotal": subtotal, "rows": rows})
    return sections


def _history(events: list[Any], labels: EventLabels) -> list[dict[str, Any]]:
    history = []
    for _pk, kind, at, actor_label, username, data in events:
        # The buyer's words: an override's reason, never its internal note.
        described = describe_event(kind, data, labels, for_buyer=True)
        history.append(
            {
                "at": at,
                "who": actor_label or username or "—",
                "kind": described.what,
                "details": described.details,
            }
        )
    return history
