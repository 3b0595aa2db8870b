"""Demo data: five invented vendors answering the shipped questionnaire, and a selection.

The answers live as data in questionnaires/demo/vendors/*.yaml (one file per vendor),
the evidence files in questionnaires/demo/evidence/ and the buyer's selection in
questionnaires/demo/selection.yaml. `demo_seed()` checks every file against the
questionnaire before writing anything, then creates what is missing and leaves what
exists alone: running it twice creates nothing new and changes nothing, and an analyst's
edits to demo responses survive a re-run.
"""

from __future__ import annotations

import datetime
import hashlib
import mimetypes
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ..audit import evidence_added_data, evidence_verified_data, status_changed_data
from ..definition import iter_questions, load_definition, visible_question_keys
from ..models import (
    HANDED_OVER_STATUSES,
    Answer,
    AuditEvent,
    Evidence,
    EvidenceLevel,
    Question,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Selection,
    VersionStatus,
)
from ..scoring import answer_risk
from .definitions import questionnaire_import, version_publish
from .scores import response_score

if TYPE_CHECKING:  # vendors.models is imported where it is used, as below.
    from vendors.models import Vendor

APP_DIR = Path(__file__).resolve().parent.parent
SHIPPED_DEFINITION = APP_DIR / "definitions" / "ai-cx-agent.yaml"
DEMO_DIR = APP_DIR / "demo"
VENDORS_DIR = DEMO_DIR / "vendors"
EVIDENCE_DIR = DEMO_DIR / "evidence"
SELECTION_FILE = DEMO_DIR / "selection.yaml"

# Who the audit trail names for steps an analyst would have taken.
DEMO_ANALYST = "Demo analyst"
ANSWER_FIELDS = {"value", "comment", "files", "level"}


class DemoDataError(Exception):
    """The demo files do not fit the questionnaire; the message lists every problem."""


@dataclass(frozen=True)
class DemoAnswer:
    value: Any = None
    comment: str = ""
    files: tuple[str, ...] = ()
    level: str = EvidenceLevel.SELF_ATTESTED


@dataclass(frozen=True)
class DemoVendor:
    source: str
    name: str
    product: str
    website: str
    notes: str
    contacts: list[dict[str, str]]
    status: str
    due_in_days: int
    submitted_days_ago: int | None
    accepted_days_ago: int | None
    answers: dict[str, DemoAnswer]


@dataclass
class DemoSummary:
    version: QuestionnaireVersion
    vendors_created: int = 0
    contacts_created: int = 0
    responses_created: int = 0
    answers_created: int = 0
    evidence_created: int = 0
    selection_created: bool = False
    responses_scored: int = 0
    # (vendor name, status label) for every demo vendor, in file order.
    responses: list[tuple[str, str]] = field(default_factory=list)
    # A vendor still answering, for trying the portal with a fresh invitation.
    in_progress_vendor_id: int | None = None

    @property
    def created_anything(self) -> bool:
        return bool(
            self.vendors_created
            or self.contacts_created
            or self.responses_created
            or self.answers_created
            or self.evidence_created
            or self.selection_created
        )


# Reading and checking the demo files ---------------------------------------------------


def demo_vendors_load(directory: Path = VENDORS_DIR) -> list[DemoVendor]:
    """Every vendor file in the directory, in name order."""
    return [_vendor_from_file(path) for path in sorted(directory.glob("*.yaml"))]


def _vendor_from_file(path: Path) -> DemoVendor:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        vendor, response = data["vendor"], data["response"]
        return DemoVendor(
            source=path.name,
            name=vendor["name"],
            product=vendor["product"],
            website=vendor.get("website", ""),
            notes=vendor.get("notes", ""),
            contacts=list(data["contacts"]),
            status=response["status"],
            due_in_days=int(response["due_in_days"]),
            submitted_days_ago=response.get("submitted_days_ago"),
            accepted_days_ago=response.get("accepted_days_ago"),
            answers={key: _answer(key, raw, path) for key, raw in data["answers"].items()},
        )
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise DemoDataError(f"{path.name}: cannot read the vendor file ({exc!r})") from None


def _answer(key: str, raw: Any, path: Path) -> DemoAnswer:
    if not isinstance(raw, dict):
        return DemoAnswer(value=raw)
    unknown = set(raw) - ANSWER_FIELDS
    if unknown:
        raise DemoDataError(f"{path.name}: {key}: unknown fields {sorted(unknown)}")
    files = tuple(raw.get("files") or ())
    default_level = EvidenceLevel.DOCUMENT if files else EvidenceLevel.SELF_ATTESTED
    return DemoAnswer(
        value=raw.get("value"),
        comment=(raw.get("comment") or "").strip(),
        files=files,
        level=raw.get("level", default_level),
    )


def demo_vendor_problems(definition: dict[str, Any], vendor: DemoVendor) -> list[str]:
    """Everything about a vendor file that the portal would refuse, in plain words."""
    questions = {q["key"]: q for _, q in iter_questions(definition)}
    values = {key: a.value for key, a in vendor.answers.items()}
    visible = visible_question_keys(definition, values)
    problems = []
    if vendor.status not in ResponseStatus.values:
        problems.append(f"status {vendor.status!r} is not one of {ResponseStatus.values}")
    for key, answer in vendor.answers.items():
        question = questions.get(key)
        if question is None:
            problems.append(f"{key}: not a question of the questionnaire")
            continue
        if key not in visible and answer.value is not None:
            problems.append(f"{key}: answered, but its condition hides it ({question['show_if']})")
        if answer.value is not None:
            problems.extend(f"{key}: {p}" for p in _value_problems(question, answer.value))
        problems.extend(f"{key}: {p}" for p in _evidence_problems(answer))
    if vendor.status in HANDED_OVER_STATUSES:
        problems.extend(_submission_problems(definition, vendor, visible))
    return problems


def _value_problems(question: dict[str, Any], value: Any) -> list[str]:
    kind = question["type"]
    choices = {c["key"] for c in question["choices"]}
    if kind == "yes_no":
        return [] if value in ("yes", "no") else [f"{value!r} is not yes or no (quote it)"]
    if kind == "single_choice":
        return [] if value in choices else [f"{value!r} is not one of {sorted(choices)}"]
    if kind == "multiple_choice":
        if not isinstance(value, list) or not value:
            return ["expected a non-empty list of choices"]
        return [f"{v!r} is not one of {sorted(choices)}" for v in value if v not in choices]
    if kind in ("integer", "decimal", "percentage"):
        return _number_problems(question, value)
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            return ["expected text"]
        too_long = len(value) > question["max_length"]
        return [f"longer than {question['max_length']} characters"] if too_long else []
    return [f"demo data cannot answer a {kind} question"]


def _number_problems(question: dict[str, Any], value: Any) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [f"{value!r} is not a number"]
    if question["type"] == "integer" and not isinstance(value, int):
        return [f"{value!r} is not a whole number"]
    low, high = question["min"], question["max"]
    if (low is not None and value < low) or (high is not None and value > high):
        return [f"{value} is outside {low} to {high}"]
    return []


def _evidence_problems(answer: DemoAnswer) -> list[str]:
    problems = [
        f"evidence file {name} is missing"
        for name in answer.files
        if not (EVIDENCE_DIR / name).is_file()
    ]
    if answer.level not in EvidenceLevel.values:
        problems.append(f"evidence level {answer.level!r} is not one of {EvidenceLevel.values}")
    elif answer.level != EvidenceLevel.SELF_ATTESTED and not answer.files:
        problems.append(f"evidence level {answer.level} needs a file")
    return problems


def _submission_problems(
    definition: dict[str, Any], vendor: DemoVendor, visible: set[str]
) -> list[str]:
    """A submitted response must be complete, as the portal's submit requires."""
    problems = []
    for _, question in iter_questions(definition):
        key = question["key"]
        if key not in visible:
            continue
        answer = vendor.answers.get(key, DemoAnswer())
        if question["required"] and answer.value in (None, "", []):
            problems.append(f"{key}: required, but a {vendor.status} response leaves it unanswered")
        explain = question["explain"]
        risk = answer_risk(question, answer.value)
        if explain and risk is not None and risk >= explain["min_risk"] and not answer.comment:
            problems.append(f"{key}: the answer's risk asks for an explanation comment")
    return problems


def _selection_spec() -> dict[str, Any]:
    return yaml.safe_load(SELECTION_FILE.read_text(encoding="utf-8"))


def _selection_problems(version: QuestionnaireVersion, vendors: list[DemoVendor]) -> list[str]:
    spec = _selection_spec()
    profiles = {p["key"] for p in version.definition["profiles"]}
    scored = {v.name for v in vendors if v.status in HANDED_OVER_STATUSES}
    problems = []
    if spec["profile_key"] not in profiles:
        problems.append(f"profile {spec['profile_key']!r} is not one of {sorted(profiles)}")
    problems.extend(
        f"vendor {name!r} has no submitted or accepted demo response"
        for name in spec["vendors"]
        if name not in scored
    )
    return [f"{SELECTION_FILE.name}: {p}" for p in problems]


# Writing ---------------------------------------------------------------------------------


@transaction.atomic
def demo_seed() -> DemoSummary:
    """Create the demo vendors, their responses, evidence and selection where missing.

    Imports and publishes the shipped questionnaire if it is not there yet. Raises
    DemoDataError, before writing anything, if a demo file does not fit it.
    """
    version = _shipped_version()
    vendors = demo_vendors_load()
    problems = [
        f"{vendor.source}: {problem}"
        for vendor in vendors
        for problem in demo_vendor_problems(version.definition, vendor)
    ]
    problems += _selection_problems(version, vendors)
    if problems:
        raise DemoDataError("The demo data does not fit the questionnaire:\n" + "\n".join(problems))
    summary = DemoSummary(version=version)
    questions = {q.key: q for q in version.questions.all()}
    to_score = []
    for spec in vendors:
        response, created = _vendor_response(spec, version, questions, summary)
        summary.responses.append((spec.name, response.get_status_display()))
        if response.status == ResponseStatus.IN_PROGRESS:
            summary.in_progress_vendor_id = response.vendor_id
        if response.status in HANDED_OVER_STATUSES and (created or not response.scores.exists()):
            to_score.append(response)
    _selection(version, summary)
    for response in to_score:
        response_score(response=response)
    summary.responses_scored = len(to_score)
    return summary


def _shipped_version() -> QuestionnaireVersion:
    """The shipped questionnaire's version as stored, imported and published if missing."""
    text = SHIPPED_DEFINITION.read_text(encoding="utf-8")
    definition = load_definition(text)
    version = QuestionnaireVersion.objects.filter(
        questionnaire__key=definition["key"], number=definition["version"]
    ).first()
    if version is None:
        return questionnaire_import(text=text, publish=True).version
    if version.status == VersionStatus.DRAFT:
        version_publish(version=version)
    return version


def _vendor_response(
    spec: DemoVendor,
    version: QuestionnaireVersion,
    questions: dict[str, Question],
    summary: DemoSummary,
) -> tuple[Response, bool]:
    from vendors.models import Contact, Vendor

    vendor, created = Vendor.objects.get_or_create(
        name=spec.name,
        defaults={"product": spec.product, "website": spec.website, "notes": spec.notes},
    )
    summary.vendors_created += created
    contacts = []
    for raw in spec.contacts:
        contact, created = Contact.objects.get_or_create(
            vendor=vendor,
            email=raw["email"],
            defaults={"name": raw["name"], "role": raw.get("role", "")},
        )
        summary.contacts_created += created
        contacts.append(contact)
    response = Response.objects.filter(version=version, vendor=vendor).first()
    if response is not None:
        return response, False
    response = _response_create(spec, version, vendor)
    author = f"{contacts[0].name} <{contacts[0].email}>"
    _answers_create(spec, response, questions, author, summary)
    _status_history(spec, response, author)
    summary.responses_created += 1
    return response, True


def _response_create(spec: DemoVendor, version: QuestionnaireVersion, vendor: Vendor) -> Response:
    now = timezone.now()

    def days_ago(days: int | None) -> datetime.datetime | None:
        return None if days is None else now - datetime.timedelta(days=days)

    return Response.objects.create(
        version=version,
        vendor=vendor,
        status=spec.status,
        due_date=timezone.localdate() + datetime.timedelta(days=spec.due_in_days),
        submitted_at=days_ago(spec.submitted_days_ago),
        accepted_at=days_ago(spec.accepted_days_ago),
    )


def _answers_create(
    spec: DemoVendor,
    response: Response,
    questions: dict[str, Question],
    author: str,
    summary: DemoSummary,
) -> None:
    answers = Answer.objects.bulk_create(
        Answer(
            response=response,
            question=questions[key],
            value=demo.value,
            comment=demo.comment,
            evidence_level=demo.level,
            revision=1,
            updated_by=author,
        )
        for key, demo in spec.answers.items()
    )
    summary.answers_created += len(answers)
    for answer, demo in zip(answers, spec.answers.values(), strict=True):
        for name in demo.files:
            _evidence_attach(answer, name, author)
            summary.evidence_created += 1
        if demo.level == EvidenceLevel.VERIFIED:
            AuditEvent.objects.create(
                response=response,
                kind=AuditEvent.Kind.EVIDENCE_VERIFIED,
                actor_label=DEMO_ANALYST,
                data=evidence_verified_data(
                    question=answer.question.key,
                    before=EvidenceLevel.DOCUMENT,
                    after=EvidenceLevel.VERIFIED,
                ),
            )


def _evidence_attach(answer: Answer, name: str, author: str) -> Evidence:
    """Store a copy of a demo file through the default storage, as an upload would be."""
    content = (EVIDENCE_DIR / name).read_bytes()
    evidence = Evidence(
        answer=answer,
        original_name=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=author,
    )
    evidence.file.save(name, ContentFile(content), save=False)
    evidence.save()
    AuditEvent.objects.create(
        response=answer.response,
        kind=AuditEvent.Kind.EVIDENCE_ADDED,
        actor_label=author,
        data=evidence_added_data(evidence, question=answer.question.key),
    )
    return evidence


def _status_history(spec: DemoVendor, response: Response, author: str) -> None:
    """The status changes a real response would have gone through to reach its status."""
    path = [ResponseStatus.INVITED, ResponseStatus.IN_PROGRESS]
    if spec.status in HANDED_OVER_STATUSES:
        path.append(ResponseStatus.SUBMITTED)
    if spec.status == ResponseStatus.ACCEPTED:
        path.append(ResponseStatus.ACCEPTED)
    for before, after in pairwise(path):
        actor = DEMO_ANALYST if after == ResponseStatus.ACCEPTED else author
        AuditEvent.objects.create(
            response=response,
            kind=AuditEvent.Kind.STATUS_CHANGED,
            actor_label=actor,
            data=status_changed_data(before, after),
        )


def _selection(version: QuestionnaireVersion, summary: DemoSummary) -> Selection:
    spec = _selection_spec()
    selection, created = Selection.objects.get_or_create(
        name=spec["name"],
        buyer_name=spec["buyer_name"],
        defaults={"profile_key": spec["profile_key"], "recommendation": spec["recommendation"]},
    )
    if created:
        responses = Response.objects.filter(
            version=version, vendor__name__in=spec["vendors"], status__in=HANDED_OVER_STATUSES
        )
        selection.responses.set(responses)
        summary.selection_created = True
    return selection
