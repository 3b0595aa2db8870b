"""PDF reports for buyers: the vendor comparison of a Selection, the assessment of one response.

Three steps:

1. `report_inputs(subject)` takes a snapshot, in a constant number of queries, of
   everything a report depends on: answers (values, comments, evidence levels and
   files), stored scores and their overrides, the profile and its weights, the
   selection's recommendation, vendor names, the clarification history.
2. `inputs_hash(subject, snapshot)` fingerprints that snapshot together with the report
   templates' content and the scoring engine's version. The same fingerprint means the
   same PDF, so a stored file is reused; its short form is printed in the footer.
3. `render_report(subject)` builds the context (scores and rows come from
   questionnaires.comparison, the same code as the admin's comparison page), renders
   templates/reports/ and turns the HTML into PDF through cxvet.pdf, the one safe
   renderer.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.template import engines
from django.template.loader import render_to_string
from django.template.utils import get_app_template_dirs
from django.utils import timezone

from cxvet.pdf import render_pdf

from .comparison import Comparison, Row, VendorColumn, build_comparison
from .models import (
    Answer,
    AuditEvent,
    Evidence,
    Profile,
    QuestionnaireVersion,
    ReportKind,
    Response,
    ResponseScore,
    Selection,
)
from .scoring import (
    CRITICAL_FROM,
    ENGINE_VERSION,
    HIGH_FROM,
    MODERATE_FROM,
    UNCERTAINTY,
    UNRATED,
    WEIGHT_SPREAD,
    tier_for,
)

# Celery's limits for one rendering. A claim older than the hard limit belongs to a
# worker that was killed, so another may take the report over.
RENDER_SOFT_TIME_LIMIT = 150
RENDER_HARD_TIME_LIMIT = 180

TEMPLATE_FOLDER = "reports"
FINGERPRINT_LENGTH = 12

# What the comparison prints per cell: enough of an answer to compare, never a wall.
CELL_ANSWER_CHARS = 90
# A comment is worth printing in the comparison when the answer is at least this risky,
# or flagged, or under clarification.
COMMENT_MIN_RISK = 0.5
HISTORY_KINDS = (
    AuditEvent.Kind.CLARIFICATION_REQUESTED,
    AuditEvent.Kind.STATUS_CHANGED,
    AuditEvent.Kind.EVIDENCE_VERIFIED,
    AuditEvent.Kind.SCORE_OVERRIDDEN,
)
TIER_ORDER = ("low", "moderate", "high", "critical", UNRATED)
EVIDENCE_SHORT = {"self_attested": "self-attested", "document": "document", "verified": "verified"}


class ReportNotPossible(Exception):
    """The report cannot be made from this data; the message says why and what to do."""


@dataclass(frozen=True)
class ReportSubject:
    """What a report is about: plain ids, so that a task can carry it."""

    kind: str
    profile_key: str
    selection_id: int | None = None
    response_id: int | None = None
    response_ids: tuple[int, ...] = ()

    @property
    def is_comparison(self) -> bool:
        return self.kind == ReportKind.COMPARISON


def report_subject(
    *,
    kind: str,
    selection: Selection | None = None,
    response: Response | None = None,
    profile_key: str | None = None,
) -> ReportSubject:
    """Check that a report of this kind can be made and name what it covers."""
    if kind == ReportKind.COMPARISON:
        if selection is None:
            raise ReportNotPossible("A comparison report needs a selection.")
        response_ids = tuple(selection.responses.order_by("pk").values_list("pk", flat=True))
        if not response_ids:
            raise ReportNotPossible(
                f"The selection “{selection.name}” has no responses yet: add the vendors' "
                "responses to it, then generate the report."
            )
        questionnaires = selection.responses.values("version__questionnaire_id").distinct()
        if questionnaires.count() > 1:
            raise ReportNotPossible(
                f"The selection “{selection.name}” holds responses to different "
                "questionnaires; only answers to the same questionnaire can be compared. "
                "Keep the responses to one questionnaire in the selection."
            )
        subject = ReportSubject(
            kind=kind,
            profile_key=profile_key or selection.profile_key,
            selection_id=selection.pk,
            response_ids=response_ids,
        )
    elif kind == ReportKind.ASSESSMENT:
        if response is None:
            raise ReportNotPossible("An assessment report needs a response.")
        default_profile = response.version.definition["profiles"][0]["key"]
        subject = ReportSubject(
            kind=kind,
            profile_key=profile_key or default_profile,
            response_id=response.pk,
            response_ids=(response.pk,),
        )
    else:
        raise ReportNotPossible(f"Unknown report kind {kind!r}: use comparison or assessment.")
    _require_profile(subject)
    return subject


def subject_of(report) -> ReportSubject:
    """The subject of a stored Report, as it is now (the selection's responses may change)."""
    return report_subject(
        kind=report.kind,
        selection=report.selection,
        response=report.response,
        profile_key=report.profile_key,
    )


def _require_profile(subject: ReportSubject) -> None:
    version_ids = set(
        Response.objects.filter(pk__in=subject.response_ids).values_list("version_id", flat=True)
    )
    having = set(
        Profile.objects.filter(version_id__in=version_ids, key=subject.profile_key).values_list(
            "version_id", flat=True
        )
    )
    if having != version_ids:
        offered = sorted(
            set(Profile.objects.filter(version_id__in=version_ids).values_list("key", flat=True))
        )
        raise ReportNotPossible(
            f"Profile {subject.profile_key!r} is not defined for every questionnaire version "
            f"in this report; choose one of: {', '.join(offered)}."
        )


# Inputs and their fingerprint ----------------------------------------------------------


def report_inputs(subject: ReportSubject) -> dict[str, Any]:
    """Everything the report depends on, as plain JSON-able data (constant queries)."""
    ids = list(subject.response_ids)
    snapshot: dict[str, Any] = {
        "kind": subject.kind,
        "profile_key": subject.profile_key,
        "responses": list(
            Response.objects.filter(pk__in=ids)
            .order_by("pk")
            .values(
                "pk",
                "status",
                "vendor__name",
                "vendor__product",
                "version_id",
                "version__number",
                "version__content_hash",
                "submitted_at",
                "accepted_at",
            )
        ),
        "answers": list(
            Answer.objects.filter(response_id__in=ids)
            .order_by("response_id", "question__position")
            .values_list(
                "response_id",
                "question__key",
                "value",
                "comment",
                "evidence_level",
                "needs_clarification",
                "clarification_note",
            )
        ),
        "evidence": list(
            Evidence.objects.filter(answer__response_id__in=ids)
            .order_by("pk")
            .values_list("answer__response_id", "answer__question__key", "original_name", "sha256")
        ),
        "scores": list(
            ResponseScore.objects.filter(response_id__in=ids, profile_key=subject.profile_key)
            .order_by("response_id")
            .values_list(
                "response_id",
                "engine_version",
                "inputs_hash",
                "score",
                "low",
                "high",
                "tier",
                "override_score",
                "override_tier",
                "override_justification",
            )
        ),
        "profiles": list(
            Profile.objects.filter(version__responses__pk__in=ids, key=subject.profile_key)
            .order_by("version_id")
            .distinct()
            .values_list("version_id", "title", "section_weights", "rules")
        ),
    }
    if subject.selection_id is not None:
        snapshot["selection"] = (
            Selection.objects.filter(pk=subject.selection_id)
            .values("name", "buyer_name", "recommendation")
            .first()
        )
    if subject.kind == ReportKind.ASSESSMENT:
        snapshot["history"] = list(
            AuditEvent.objects.filter(response_id__in=ids, kind__in=HISTORY_KINDS)
            .order_by("at", "pk")
            .values_list("pk", "kind", "at", "actor_label", "actor_user__username", "data")
        )
    return snapshot


def inputs_hash(subject: ReportSubject, snapshot: dict[str, Any]) -> str:
    """SHA-256 of the inputs, the report templates and the scoring engine's version."""
    payload = {
        "engine": ENGINE_VERSION,
        "templates": template_digest(),
        "inputs": snapshot,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def current_inputs_hash(subject: ReportSubject) -> str:
    return inputs_hash(subject, report_inputs(subject))


def template_digest() -> str:
    """SHA-256 of every file in the report template folders, so a new template is a new PDF."""
    digest = hashlib.sha256()
    for path in sorted(_template_files()):
        digest.update(str(path.relative_to(path.parents[1])).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _template_files() -> list[Path]:
    folders: list[Path] = []
    for backend in engines.all():
        engine = getattr(backend, "engine", None)
        if engine is None:
            continue
        folders.extend(Path(d) / TEMPLATE_FOLDER for d in engine.dirs)
        if engine.app_dirs:
            folders.extend(Path(d) / TEMPLATE_FOLDER for d in get_app_template_dirs("templates"))
    return [p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file()]


# Rendering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedReport:
    pdf: bytes
    inputs_hash: str
    html: str


def render_report(
    subject: ReportSubject, *, now: datetime.datetime | None = None
) -> RenderedReport:
    """Build the report's HTML from current data and render it to PDF."""
    html, digest = report_html(subject, now=now)
    return RenderedReport(pdf=render_pdf(html), inputs_hash=digest, html=html)


def report_html(subject: ReportSubject, *, now: datetime.datetime | None = None) -> tuple[str, str]:
    """The report as one HTML document, and the fingerprint of the inputs it shows."""
    snapshot = report_inputs(subject)
    digest = inputs_hash(subject, snapshot)
    context = report_context(subject, snapshot, digest, now=now or timezone.now())
    template = f"{TEMPLATE_FOLDER}/{subject.kind}.html"
    return render_to_string(template, context), digest


def report_context(
    subject: ReportSubject,
    snapshot: dict[str, Any],
    digest: str,
    *,
    now: datetime.datetime,
) -> dict[str, Any]:
    comparison = build_comparison(list(subject.response_ids), profile_key=subject.profile_key)
    version = _newest_version(comparison, snapshot)
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
        "sources": cited_sources(version.definition),
        "tier_legend": TIER_LEGEND,
    }
    if subject.is_comparison:
        context.update(_comparison_context(comparison, snapshot))
    else:
        context.update(_assessment_context(comparison, snapshot))
    return context


def _newest_version(comparison: Comparison, snapshot: dict[str, Any]) -> QuestionnaireVersion:
    newest = max(snapshot["responses"], key=lambda r: r["version__number"])
    return QuestionnaireVersion.objects.only("definition").get(pk=newest["version_id"])


def _versions_label(comparison: Comparison) -> str:
    numbers = comparison.version_numbers
    if len(numbers) == 1:
        return f"version {numbers[0]}"
    return "versions " + ", ".join(str(n) for n in numbers)


# Shared parts: vendors, tiers, methodology, sources ---------------------------------------

TIER_LEGEND = (
    ("low", f"below {MODERATE_FROM:g}"),
    ("moderate", f"{MODERATE_FROM:g} to below {HIGH_FROM:g}"),
    ("high", f"{HIGH_FROM:g} to below {CRITICAL_FROM:g}, or any high flag"),
    ("critical", f"{CRITICAL_FROM:g} and above, or any critical flag"),
)


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
    def result(self):
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
    def serious_flags(self) -> list:
        return [f for f in self.column.flags if f.severity in ("critical", "high")]

    @property
    def other_flags(self) -> list:
        return [f for f in self.column.flags if f.severity not in ("critical", "high")]


def ranked_vendors(comparison: Comparison) -> list[VendorSummary]:
    """Lowest risk first, as the scoring engine ranks: a critical tier below every other,
    no score last, then by score; an analyst's override counts as the score."""
    vendors = [
        VendorSummary(index=i, column=c, label=_short_label(c.vendor_name))
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


def _short_label(name: str, limit: int = 18) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


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


def cited_sources(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The questionnaire's sources that its questions cite, with the citing questions."""
    citing: dict[str, list[str]] = defaultdict(list)
    number = 0
    for section in definition["sections"]:
        for question in section["questions"]:
            number += 1
            for key in question.get("sources", []):
                citing[key].append(f"Q{number}")
    return [
        {**source, "questions": citing[source["key"]]}
        for source in definition.get("sources", [])
        if citing.get(source["key"])
    ]


# The comparison -----------------------------------------------------------------------------


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
    subtotals: list[Any]
    rows: list[ComparisonRow]
    comments: list[dict[str, str]] = field(default_factory=list)


def _comparison_context(comparison: Comparison, snapshot: dict[str, Any]) -> dict[str, Any]:
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


def _column_widths(vendors: int) -> dict[str, float]:
    question = 30 if vendors <= 4 else 24 if vendors <= 8 else 20
    return {
        "question_width": question,
        "vendor_width": round((100 - question) / max(1, vendors), 3),
    }


def section_parts(comparison: Comparison, vendors: list[VendorSummary]) -> list[SectionPart]:
    parts = []
    number = 0
    # Narrower columns hold less before a cell grows taller than the question beside it.
    answer_chars = CELL_ANSWER_CHARS if len(vendors) <= 6 else CELL_ANSWER_CHARS * 2 // 3
    for section in comparison.sections:
        rows = []
        comments = []
        for row in section.rows:
            number += 1
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


def _comparison_cell(row: Row, cell, answer_chars: int) -> ComparisonCell:
    if cell.state != "answered":
        return ComparisonCell(css=cell.state.replace("_", "-"), text=cell.risk_word)
    answer = _truncate(cell.display, answer_chars)
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


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# The assessment ---------------------------------------------------------------------------


def _assessment_context(comparison: Comparison, snapshot: dict[str, Any]) -> dict[str, Any]:
    vendor = ranked_vendors(comparison)[0]
    response = snapshot["responses"][0]
    evidence_names: dict[str, list[str]] = defaultdict(list)
    for _, key, name, _sha in snapshot["evidence"]:
        evidence_names[key].append(name)
    answers_by_key = {row[1]: row for row in snapshot["answers"]}
    questions = _numbered_rows(comparison)
    return {
        "vendor": vendor,
        "response": response,
        "running_title": f"{vendor.name} · {comparison.questionnaire_title}",
        "flags": _flags_with_answers(vendor, questions),
        "section_scores": vendor.result.sections,
        "score_chart": section_bars(vendor),
        "answer_sections": _answer_sections(comparison, questions, evidence_names, answers_by_key),
        "history": _history(snapshot.get("history", []), questions),
        "landscape": False,
    }


def _numbered_rows(comparison: Comparison) -> dict[str, tuple[int, Row]]:
    numbered = {}
    for number, (_, row) in enumerate(comparison.rows(), start=1):
        numbered[row.key] = (number, row)
    return numbered


def _flags_with_answers(vendor: VendorSummary, questions: dict[str, tuple[int, Row]]):
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


def _answer_sections(comparison, questions, evidence_names, answers_by_key):
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
                    "files": evidence_names.get(row.key, []),
                    "clarification_note": stored[6] if stored and stored[5] else "",
                }
            )
        sections.append({"title": section.title, "subtotal": subtotal, "rows": rows})
    return sections


def _history(events: list, questions: dict[str, tuple[int, Row]]) -> list[dict[str, Any]]:
    history = []
    labels = dict(AuditEvent.Kind.choices)
    for _pk, kind, at, actor_label, username, data in events:
        data = data or {}
        entry = {
            "at": at,
            "who": actor_label or username or "—",
            "kind": labels.get(kind, kind),
            "details": [],
        }
        if kind == AuditEvent.Kind.CLARIFICATION_REQUESTED:
            if data.get("note"):
                entry["details"].append(data["note"])
            for key, note in (data.get("questions") or {}).items():
                number = questions.get(key, (None,))[0]
                label = f"Q{number}" if number else key
                entry["details"].append(f"{label}: {note}" if note else label)
        elif kind == AuditEvent.Kind.STATUS_CHANGED:
            entry["details"].append(f"{data.get('from', '?')} → {data.get('to', '?')}")
        elif kind == AuditEvent.Kind.EVIDENCE_VERIFIED:
            number = questions.get(data.get("question"), (None,))[0]
            label = f"Q{number}" if number else data.get("question", "")
            entry["details"].append(f"{label}: {data.get('from')} → {data.get('to')}")
        elif kind == AuditEvent.Kind.SCORE_OVERRIDDEN:
            entry["details"].extend(
                str(data[k]) for k in ("justification", "score", "tier") if data.get(k)
            )
        history.append(entry)
    return history


# Charts (SVG drawn from the data) ---------------------------------------------------------

# Chart widths in CSS pixels: the text width of an A4 page, landscape and portrait.
LANDSCAPE_CHART_WIDTH = 1000
PORTRAIT_CHART_WIDTH = 700
BAR_ROW = 22
# Fills are SVG attributes: WeasyPrint does not apply the page's CSS inside inline SVG.
BAND_FILL = {"low": "#e3f1e4", "moderate": "#fdf0d3", "high": "#fbdccb", "critical": "#f5c6c6"}
CELL_FILL = {
    "low": "#cfe8d1",
    "moderate": "#fbe2a8",
    "high": "#f7bfa2",
    "critical": "#ee9c9c",
    UNRATED: "#e6e9ec",
}
DOT_FILL = {
    "low": "#2e7d32",
    "moderate": "#b26a00",
    "high": "#c2410c",
    "critical": "#9b1c1c",
    UNRATED: "#6b7680",
}


def _x(value: float, left: float, width: float) -> float:
    return round(left + width * max(0.0, min(100.0, value)) / 100.0, 1)


def _tier_bands(left: float, width: float) -> list[dict[str, Any]]:
    edges = [0, MODERATE_FROM, HIGH_FROM, CRITICAL_FROM, 100]
    return [
        {
            "tier": tier,
            "fill": BAND_FILL[tier],
            "x": _x(edges[i], left, width),
            "width": round(_x(edges[i + 1], left, width) - _x(edges[i], left, width), 1),
        }
        for i, tier in enumerate(("low", "moderate", "high", "critical"))
    ]


@dataclass(frozen=True)
class RangeBar:
    label: str
    low: float
    high: float
    score: float | None
    tier: str


def range_chart(bars: list[RangeBar], *, width: int, label_width: int) -> dict[str, Any]:
    """Score (a dot) and range (a line) per bar on a 0-100 axis, the tier bands behind."""
    left, top = label_width, 18
    plot = width - label_width - 50
    rows = []
    for i, bar in enumerate(bars):
        y = top + i * BAR_ROW + BAR_ROW / 2
        rows.append(
            {
                "label": bar.label,
                "y": y,
                "y_top": y - 4,
                "y_bottom": y + 4,
                "text_y": y + 4,
                "low": _x(bar.low, left, plot),
                "high": _x(bar.high, left, plot),
                "score": None if bar.score is None else _x(bar.score, left, plot),
                "fill": DOT_FILL.get(bar.tier, DOT_FILL[UNRATED]),
                "value": _score_text(bar.score),
            }
        )
    height = top + len(bars) * BAR_ROW + 6
    return {
        "width": width,
        "height": height,
        "plot_height": height - top,
        "top": top,
        "tick_y": top - 5,
        "label_x": left - 8,
        "bands": _tier_bands(left, plot),
        "ticks": [{"x": _x(v, left, plot), "label": v} for v in (0, 25, 50, 75, 100)],
        "rows": rows,
        "value_x": left + plot + 8,
    }


def score_chart(ranked: list[VendorSummary]) -> dict[str, Any]:
    """Each vendor's score and range; the dot takes the colour of the vendor's tier."""
    bars = [
        RangeBar(
            label=_short_label(v.name, 28),
            low=v.result.low,
            high=v.result.high,
            score=v.score,
            tier=v.tier,
        )
        for v in ranked
    ]
    return range_chart(bars, width=LANDSCAPE_CHART_WIDTH, label_width=200)


def section_bars(vendor: VendorSummary) -> dict[str, Any]:
    """One vendor's risk per section, with its range."""
    bars = [
        RangeBar(
            label=_short_label(s.title, 40),
            low=s.low,
            high=s.high,
            score=s.score,
            tier=_tier_of(s.score),
        )
        for s in vendor.result.sections
    ]
    return range_chart(bars, width=PORTRAIT_CHART_WIDTH, label_width=240)


def section_chart(comparison: Comparison, vendors: list[VendorSummary]) -> dict[str, Any]:
    """A grid of section risk: one row per section, one column per vendor (in rank order)."""
    label_width, top = 280, 40
    column = max(40, min(110, (LANDSCAPE_CHART_WIDTH - label_width) // max(1, len(vendors))))
    label_chars = max(6, column // 7)
    cells = []
    for r, section in enumerate(comparison.sections):
        for c, vendor in enumerate(vendors):
            subtotal = section.subtotals[vendor.index]
            score = None if subtotal is None else subtotal.score
            cells.append(
                {
                    "x": label_width + c * column,
                    "y": top + r * BAR_ROW,
                    "fill": CELL_FILL[_tier_of(score)],
                    "text": _score_text(score) if subtotal is not None else "n/a",
                    "text_x": label_width + c * column + column / 2,
                    "text_y": top + r * BAR_ROW + 15,
                }
            )
    return {
        "width": label_width + column * len(vendors) + 4,
        "height": top + BAR_ROW * len(comparison.sections) + 4,
        "column": column - 2,
        "row": BAR_ROW - 2,
        "sections": [
            {"title": _short_label(s.title, 46), "y": top + r * BAR_ROW + 15}
            for r, s in enumerate(comparison.sections)
        ],
        "vendors": [
            {"label": _short_label(v.name, label_chars), "x": label_width + c * column + column / 2}
            for c, v in enumerate(vendors)
        ],
        "cells": cells,
        "header_y": top - 8,
        "label_x": label_width - 8,
    }


def _tier_of(score: float | None) -> str:
    """The tier a score alone gives (no flags): for sections, which have none."""
    return tier_for(score, ())


def _score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.0f}"
