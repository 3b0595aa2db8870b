"""What a report depends on, read in one snapshot, and the fingerprint of that snapshot.

The same fingerprint means the same PDF, so a stored file is reused while it holds.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.template import engines
from django.template.utils import get_app_template_dirs

from ..comparison import ANSWER_FIELDS, Comparison, StoredAnswers, build_comparison
from ..models import (
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
from ..scoring import ENGINE_VERSION
from .subject import ReportSubject

TEMPLATE_FOLDER = "reports"
# The events the assessment's history prints: the review of a response, not its typing.
HISTORY_KINDS = (
    AuditEvent.Kind.CLARIFICATION_REQUESTED,
    AuditEvent.Kind.STATUS_CHANGED,
    AuditEvent.Kind.EVIDENCE_VERIFIED,
    AuditEvent.Kind.SCORE_OVERRIDDEN,
)


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
        # Read once: the comparison the report prints is built from these (report_comparison).
        "answers": list(
            Answer.objects.filter(response_id__in=ids)
            .order_by("response_id", "question__position")
            .values(*ANSWER_FIELDS, "clarification_note")
        ),
        "evidence": list(
            Evidence.objects.filter(answer__response_id__in=ids)
            .order_by("pk")
            .values("answer_id", "answer__question__key", "original_name", "sha256")
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
    """The fingerprint the report of `subject` would have if it were rendered now."""
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


def report_comparison(subject: ReportSubject, snapshot: dict[str, Any]) -> Comparison:
    """The comparison the report prints (the admin's, of the same responses), built from
    the snapshot's answers rather than a second read of them."""
    answers = StoredAnswers(
        rows=snapshot["answers"],
        evidence_files=Counter(item["answer_id"] for item in snapshot["evidence"]),
    )
    return build_comparison(
        list(subject.response_ids), profile_key=subject.profile_key, answers=answers
    )


def newest_definition(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The definition of the newest questionnaire version among the snapshot's responses."""
    newest = max(snapshot["responses"], key=lambda r: r["version__number"])
    return QuestionnaireVersion.objects.only("definition").get(pk=newest["version_id"]).definition
