"""What a report depends on, read in one snapshot, and the fingerprint of that snapshot.

The same fingerprint means the same PDF, so a stored file is reused while it holds.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template import engines
from django.template.utils import get_app_template_dirs

from ..comparison import ANSWER_FIELDS, Comparison, StoredAnswers, build_comparison
from ..decision import Decision, decision_from_values
from ..models import (
    HANDED_OVER_STATUSES,
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
from ..rounds import currency_code
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


RESPONSE_FIELDS = (
    "pk",
    "status",
    "vendor__name",
    "vendor__product",
    "version_id",
    "version__number",
    "version__content_hash",
    "submitted_at",
    "accepted_at",
    "selection_id",
    # The analyst's price, for the business case: a new price makes the report stale.
    "analyst_yearly_price",
)
EVIDENCE_FIELDS = ("answer_id", "answer__question__key", "original_name", "sha256")
SCORE_FIELDS = (
    "response_id",
    "engine_version",
    "inputs_hash",
    "score",
    "low",
    "high",
    "tier",
    "override_score",
    "override_tier",
    # The reason for the buyer; never the internal note (override_justification), which
    # is for analysts only and so is not even part of what a report is made from.
    "override_reason",
)
# What a comparison prints of its round: names, and the recommendation with the vendors
# and scores it was written against (so the PDF can say when it predates a change).
SELECTION_FIELDS = (
    "name",
    "buyer_name",
    "recommendation",
    "recommendation_basis",
    "recommendation_at",
    # The verdict and who vouches for it, for the cover.
    "recommended_id",
    "recommended__vendor__name",
    "signed_off_at",
    "signed_off_by__username",
    "signed_off_by__first_name",
    "signed_off_by__last_name",
    "created_by__username",
    "created_by__first_name",
    "created_by__last_name",
    # What the decision pages read (questionnaires.decision): the frameworks chosen and
    # the business case's round figures.
    "version_id",
    "frameworks",
    "yearly_contact_volume",
    "human_contact_cost",
    "buyer_currency",
)


def report_inputs(subject: ReportSubject) -> dict[str, Any]:
    """Everything the report depends on, as plain JSON-able data (constant queries)."""
    return report_inputs_many([subject])[0]


def report_inputs_many(subjects: Sequence[ReportSubject]) -> list[dict[str, Any]]:
    """report_inputs of each subject, in order: the same queries for one or for many
    (one per kind of row, the responses' rows split between the subjects after)."""
    ids = sorted({pk for subject in subjects for pk in subject.response_ids})
    keys = {subject.profile_key for subject in subjects}
    responses = _by_response(
        Response.objects.filter(pk__in=ids).order_by("pk").values(*RESPONSE_FIELDS), "pk"
    )
    # Read once: the comparison the report prints is built from these (report_comparison).
    answers = _by_response(
        Answer.objects.filter(response_id__in=ids)
        .order_by("response_id", "question__position")
        .values(*ANSWER_FIELDS, "clarification_note")
    )
    evidence = _by_response(
        Evidence.objects.filter(answer__response_id__in=ids)
        .order_by("pk")
        .values(*EVIDENCE_FIELDS, "pk", "answer__response_id"),
        "answer__response_id",
    )
    scores: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in (
        ResponseScore.objects.filter(response_id__in=ids, profile_key__in=keys)
        .order_by("response_id")
        .values_list("profile_key", *SCORE_FIELDS)
    ):
        scores[(row[1], row[0])].append(row[1:])
    version_of = {pk: rows[0]["version_id"] for pk, rows in responses.items()}
    profiles: dict[tuple[int, str], tuple[Any, ...]] = {
        (row[0], row[4]): row[:4]
        for row in Profile.objects.filter(version_id__in=set(version_of.values()), key__in=keys)
        .order_by("version_id")
        .values_list("version_id", "title", "section_weights", "rules", "key")
    }
    # A comparison's round, and the round an assessed response belongs to (its verdict).
    round_of = {pk: rows[0]["selection_id"] for pk, rows in responses.items()}
    selection_ids = {s.selection_id for s in subjects if s.selection_id is not None} | {
        round_of[pk]
        for s in subjects
        if s.kind == ReportKind.ASSESSMENT
        for pk in s.response_ids
        if round_of.get(pk) is not None
    }
    selections = {
        row.pop("pk"): row
        for row in Selection.objects.filter(pk__in=selection_ids).values("pk", *SELECTION_FIELDS)
    }
    owners: dict[int, list[str]] = defaultdict(list)
    for selection_id, *name in (
        Selection.owners.through.objects.filter(selection_id__in=selection_ids)
        .order_by("user__last_name", "user__username")
        .values_list("selection_id", "user__username", "user__first_name", "user__last_name")
    ):
        owners[selection_id].append(person_name(*name))
    for selection_id, row in selections.items():
        row["owners"] = owners.get(selection_id, [])
    history_ids = {pk for s in subjects if s.kind == ReportKind.ASSESSMENT for pk in s.response_ids}
    history: dict[int, list[Any]] = defaultdict(list)
    for row in (
        AuditEvent.objects.filter(response_id__in=history_ids, kind__in=HISTORY_KINDS)
        .order_by("at", "pk")
        .values_list(
            "response_id", "pk", "kind", "at", "actor_label", "actor_user__username", "data"
        )
    ):
        history[row[0]].append(row[1:])
    snapshots = []
    for subject in subjects:
        own = sorted(subject.response_ids)
        key = subject.profile_key
        snapshot: dict[str, Any] = {
            "kind": subject.kind,
            "profile_key": key,
            "responses": [row for pk in own for row in responses.get(pk, [])],
            "answers": [row for pk in own for row in answers.get(pk, [])],
            "evidence": [
                {field: row[field] for field in EVIDENCE_FIELDS}
                for row in sorted(
                    (row for pk in own for row in evidence.get(pk, [])), key=lambda r: r["pk"]
                )
            ],
            "scores": [row for pk in own for row in scores.get((pk, key), [])],
            "profiles": [
                profiles[(version, key)]
                for version in sorted({version_of[pk] for pk in own if pk in version_of})
                if (version, key) in profiles
            ],
        }
        if subject.selection_id is not None:
            snapshot["selection"] = selections.get(subject.selection_id)
        if subject.kind == ReportKind.ASSESSMENT:
            snapshot["history"] = [row for pk in own for row in history.get(pk, [])]
            snapshot["round"] = next(
                (selections[round_of[pk]] for pk in own if round_of.get(pk) in selections), None
            )
        snapshots.append(snapshot)
    return snapshots


def person_name(username: str | None, first_name: str = "", last_name: str = "") -> str:
    """An analyst as a report names them: their full name, else their username."""
    full = f"{first_name or ''} {last_name or ''}".strip()
    return full or (username or "")


def _by_response(rows: Iterable[dict[str, Any]], key: str = "response_id") -> dict[int, list]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def snapshot_as_stored(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as Report.inputs keeps it: JSON, with dates and times as the text the
    fingerprint reads them as, so the stored snapshot fingerprints like the one it was."""
    return json.loads(json.dumps(snapshot, default=str))


def inputs_hash(
    subject: ReportSubject, snapshot: dict[str, Any], *, templates: str | None = None
) -> str:
    """SHA-256 of the inputs, the report templates and the scoring engine's version.

    `templates` is template_digest(), for a caller that fingerprints many snapshots."""
    payload = {
        "engine": ENGINE_VERSION,
        "templates": templates or template_digest(),
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


def ranked_robustness(subject: ReportSubject, snapshot: dict[str, Any]) -> str | None:
    """The robustness of the ranking among the handed-over responses alone, when the
    report holds some that are not (they are listed, not ranked); None otherwise."""
    handed_over = [
        row["pk"] for row in snapshot["responses"] if row["status"] in HANDED_OVER_STATUSES
    ]
    if not subject.is_comparison or len(handed_over) == len(snapshot["responses"]):
        return None
    if len(handed_over) < 2:
        return "Fewer than two vendors have handed their answers over: there is no ranking yet."
    kept = set(handed_over)
    rows = [row for row in snapshot["answers"] if row["response_id"] in kept]
    answer_ids = {row["id"] for row in rows}
    answers = StoredAnswers(
        rows=rows,
        evidence_files=Counter(
            item["answer_id"] for item in snapshot["evidence"] if item["answer_id"] in answer_ids
        ),
    )
    return build_comparison(
        handed_over, profile_key=subject.profile_key, answers=answers
    ).robustness


def report_decision(
    subject: ReportSubject, snapshot: dict[str, Any], comparison: Comparison
) -> Decision | None:
    """The round's decision data (coverage, business cases, baselines) from the snapshot,
    as the admin's comparison page computes it from the round; None for an assessment
    without a round."""
    selection = snapshot.get("selection") if subject.is_comparison else snapshot.get("round")
    if selection is None:
        return None
    version_id = selection.get("version_id")
    definition = (
        QuestionnaireVersion.objects.only("definition").get(pk=version_id).definition
        if version_id is not None
        else newest_definition(snapshot)
    )
    return decision_from_values(
        definition,
        comparison,
        frameworks=selection.get("frameworks") or [],
        yearly_contact_volume=selection.get("yearly_contact_volume"),
        human_contact_cost=_decimal(selection.get("human_contact_cost")),
        currency=currency_code(selection.get("buyer_currency")),
        prices={
            row["pk"]: _decimal(row.get("analyst_yearly_price")) for row in snapshot["responses"]
        },
    )


def _decimal(value: Any) -> Decimal | None:
    """A stored amount (Decimal when read, its text once stored as JSON) as Decimal."""
    return None if value is None or value == "" else Decimal(str(value))


def newest_definition(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The definition of the newest questionnaire version among the snapshot's responses."""
    newest = max(snapshot["responses"], key=lambda r: r["version__number"])
    return QuestionnaireVersion.objects.only("definition").get(pk=newest["version_id"]).definition
