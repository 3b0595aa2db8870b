"""Demo data: five invented vendors answering the shipped questionnaire, and a selection.

The answers live as data in questionnaires/demo/vendors/*.yaml (one file per vendor,
answering the current version), the evidence files in questionnaires/demo/evidence/ and
the buyer's selection in questionnaires/demo/selection.yaml. One vendor also answered
version 1 in an earlier round (questionnaires/demo/earlier/): its current response is
carried forward from that one by the keys the versions share, through the same service a
real re-assessment uses, and then confirmed or changed answer by answer.

`demo_seed()` checks every file against its version before writing anything, then
creates what is missing and leaves what exists alone: running it twice creates nothing
new and changes nothing, and an analyst's edits to demo responses survive a re-run.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import mimetypes
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ..audit import (
    answer_changed_data,
    clarification_requested_data,
    email_data,
    evidence_added_data,
    evidence_verified_data,
    status_changed_data,
)
from ..completeness import needs_explanation
from ..definition import (
    grid_cells,
    grid_choices,
    grid_limits,
    iter_questions,
    load_definition,
    question_answered,
    visible_question_keys,
)
from ..frameworks import catalogues
from ..models import (
    HANDED_OVER_STATUSES,
    Answer,
    AuditEvent,
    Evidence,
    EvidenceLevel,
    Question,
    QuestionnaireVersion,
    Reminder,
    ReminderKind,
    Response,
    ResponseStatus,
    Selection,
    VersionStatus,
)
from .answers import AnswerChange, answers_confirm, answers_save
from .carry_forward import carry_forward
from .definitions import questionnaire_import, version_publish
from .prices import response_price_set
from .reviews import answer_evidence_level_set
from .scores import response_score

if TYPE_CHECKING:  # vendors.models is imported where it is used, as below.
    from vendors.models import Vendor

APP_DIR = Path(__file__).resolve().parent.parent
# Every shipped version, oldest first: the demo round asks the last; the earlier round
# the one its story names.
SHIPPED_DEFINITIONS = (
    APP_DIR / "definitions" / "ai-cx-agent.yaml",
    APP_DIR / "definitions" / "ai-cx-agent-v2.yaml",
)
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


@dataclass(frozen=True)
class EarlierRound:
    """The round a vendor answered before (selection.yaml, story.earlier_round): its
    answers to an older version, which the vendor's current response starts from."""

    name: str
    days_ago: int
    version_number: int
    answers: DemoVendor  # the vendor's file, with the earlier round's status and answers


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
    if question.get("derived"):
        return ["worked out from other answers, so it is not answered"]
    if kind == "grid":
        return _grid_problems(question, value)
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
    declared = [d["key"] for d in question.get("declared", ())]
    if isinstance(value, str) and value in declared:
        return []
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if declared:
            return [f"{value!r} is neither a number nor one of {declared}"]
        return [f"{value!r} is not a number"]
    if question["type"] == "integer" and not isinstance(value, int):
        return [f"{value!r} is not a whole number"]
    low, high = question["min"], question["max"]
    if (low is not None and value < low) or (high is not None and value > high):
        return [f"{value} is outside {low} to {high}"]
    return []


def _grid_problems(question: dict[str, Any], value: Any) -> list[str]:
    """A grid answer as the portal stores it: {choices: {"row.column": cell answer},
    limits: {"row.column": amount}}; cells may be left open while a response is in
    progress, an amount only where the cell's answer takes a limit."""
    if not isinstance(value, dict) or set(value) - {"choices", "limits"}:
        return ["expected a mapping with `choices` and, where a cell has a limit, `limits`"]
    cells, answers = set(grid_cells(question)), {c["key"]: c for c in question["cells"]}
    choices, limits = grid_choices(value), grid_limits(value)
    problems = [f"{cell!r} is not a cell of the grid" for cell in choices if cell not in cells]
    problems += [
        f"{cell}: {answer!r} is not one of {sorted(answers)}"
        for cell, answer in choices.items()
        if answer not in answers
    ]
    for cell, amount in limits.items():
        answer = answers.get(choices.get(cell, ""))
        if answer is None or not answer["limit"]:
            problems.append(f"{cell}: a limit, but the cell's answer takes none")
        elif isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
            problems.append(f"{cell}: the limit {amount!r} is not an amount")
    return problems


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
        if question["required"] and not question_answered(question, answer.value):
            problems.append(f"{key}: required, but a {vendor.status} response leaves it unanswered")
        if needs_explanation(question, answer.value) and not answer.comment:
            problems.append(f"{key}: the answer asks for an explanation comment")
    return problems


def _selection_spec() -> dict[str, Any]:
    return yaml.safe_load(SELECTION_FILE.read_text(encoding="utf-8"))


def earlier_round_load(vendors: list[DemoVendor]) -> EarlierRound:
    """The earlier round of the story, with the re-assessed vendor's answers to it."""
    spec = _selection_spec()["story"]["earlier_round"]
    vendor = next((v for v in vendors if v.name == spec["vendor"]), None)
    path = DEMO_DIR / spec["answers"]
    if vendor is None:
        raise DemoDataError(f"{SELECTION_FILE.name}: no demo vendor {spec['vendor']!r}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        answers = dataclasses.replace(
            vendor,
            source=spec["answers"],
            status=data["response"]["status"],
            answers={key: _answer(key, raw, path) for key, raw in data["answers"].items()},
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise DemoDataError(f"{spec['answers']}: cannot read the answers ({exc!r})") from None
    return EarlierRound(
        name=spec["name"],
        days_ago=int(spec["days_ago"]),
        version_number=int(spec["version"]),
        answers=answers,
    )


def carried_keys(
    earlier: dict[str, Any], current: dict[str, Any], answers: dict[str, DemoAnswer]
) -> set[str]:
    """The keys of the answers to `earlier` (a definition) that carrying forward copies
    into a response to `current`: the same key and type, not derived, a value that still
    fits (questionnaires/services/carry_forward.py, applied to demo data)."""
    old = {q["key"]: q for _, q in iter_questions(earlier)}
    new = {q["key"]: q for _, q in iter_questions(current)}
    keys = set()
    for key, answer in answers.items():
        question = new.get(key)
        if question is None or question["type"] != old[key]["type"] or question.get("derived"):
            continue
        if answer.value not in (None, "", []) and not _value_problems(question, answer.value):
            keys.add(key)
    return keys


def _earlier_round_problems(
    earlier: EarlierRound,
    version: QuestionnaireVersion,
    current: QuestionnaireVersion,
    current_spec: DemoVendor,
) -> list[str]:
    """The earlier answers fit their version, and the current file answers every one
    that is carried forward (the vendor confirms or changes each before submitting)."""
    problems = demo_vendor_problems(version.definition, earlier.answers)
    carried = carried_keys(version.definition, current.definition, earlier.answers.answers)
    problems += [
        f"{key}: carried forward from the earlier round, but {current_spec.source} does not "
        "confirm or change it"
        for key in sorted(carried - set(current_spec.answers))
    ]
    return [f"{earlier.answers.source}: {p}" for p in problems]


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
    decision = spec["decision"]
    problems.extend(
        f"decision: framework {key!r} is not one of {sorted(catalogues())}"
        for key in decision["frameworks"]
        if key not in catalogues()
    )
    problems.extend(
        f"decision: {name!r} is not a vendor of the round"
        for name in [*decision["yearly_prices"], *decision["verified"], decision["recommended"]]
        if name not in spec["vendors"]
    )
    return [f"{SELECTION_FILE.name}: {p}" for p in problems]


# Writing ---------------------------------------------------------------------------------


@transaction.atomic
def demo_seed() -> DemoSummary:
    """Create the demo vendors, their responses, evidence and selection where missing.

    Imports and publishes each shipped version that is not there yet. Raises
    DemoDataError, before writing anything, if a demo file does not fit its version.
    """
    versions = _shipped_versions()
    version = versions[-1]
    vendors = demo_vendors_load()
    earlier = earlier_round_load(vendors)
    earlier_version = next(v for v in versions if v.number == earlier.version_number)
    problems = [
        f"{vendor.source}: {problem}"
        for vendor in vendors
        for problem in demo_vendor_problems(version.definition, vendor)
    ]
    reassessed_spec = next(v for v in vendors if v.name == earlier.answers.name)
    problems += _earlier_round_problems(earlier, earlier_version, version, reassessed_spec)
    problems += _selection_problems(version, vendors)
    if problems:
        raise DemoDataError("The demo data does not fit the questionnaire:\n" + "\n".join(problems))
    summary = DemoSummary(version=version)
    questions = {q.key: q for q in version.questions.all()}
    to_score = []
    selection = _selection(version, summary)
    for spec in vendors:
        reassessed = (earlier, earlier_version) if spec.name == earlier.answers.name else None
        response, created = _vendor_response(spec, selection, questions, summary, reassessed)
        summary.responses.append((spec.name, response.get_status_display()))
        if response.status == ResponseStatus.IN_PROGRESS:
            summary.in_progress_vendor_id = response.vendor_id
        if response.status in HANDED_OVER_STATUSES and (created or not response.scores.exists()):
            to_score.append(response)
    if summary.selection_created:
        _round_story(selection)
        _decision_inputs(selection)
    for response in to_score:
        response_score(response=response)
    summary.responses_scored = len(to_score)
    return summary


def _shipped_versions() -> list[QuestionnaireVersion]:
    """Every shipped version as stored, oldest first, imported and published if missing."""
    versions = []
    for path in SHIPPED_DEFINITIONS:
        text = path.read_text(encoding="utf-8")
        definition = load_definition(text)
        version = QuestionnaireVersion.objects.filter(
            questionnaire__key=definition["key"], number=definition["version"]
        ).first()
        if version is None:
            version = questionnaire_import(text=text, publish=True).version
        elif version.status == VersionStatus.DRAFT:
            version_publish(version=version)
        versions.append(version)
    return versions


def _vendor_response(
    spec: DemoVendor,
    selection: Selection,
    questions: dict[str, Question],
    summary: DemoSummary,
    reassessed: tuple[EarlierRound, QuestionnaireVersion] | None = None,
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
    response = Response.objects.filter(selection=selection, vendor=vendor).first()
    if response is not None:
        return response, False
    author = f"{contacts[0].name} <{contacts[0].email}>"
    if reassessed is not None:
        _earlier_response_create(*reassessed, selection, vendor, author, summary)
    response = _response_create(spec, selection, vendor)
    _status_started(response, author)
    if reassessed is not None:
        _answers_reassess(spec, response, author, summary)
    else:
        _answers_create(spec, response, questions, author, summary)
    _status_handed_over(spec, response, author)
    summary.responses_created += 1
    return response, True


def _response_create(spec: DemoVendor, selection: Selection, vendor: Vendor) -> Response:
    now = timezone.now()

    def days_ago(days: int | None) -> datetime.datetime | None:
        return None if days is None else now - datetime.timedelta(days=days)

    assert selection.version is not None  # the demo round is made with its version
    # Answered while in progress; _status_handed_over moves it to the file's status.
    return Response.objects.create(
        selection=selection,
        version=selection.version,
        vendor=vendor,
        status=ResponseStatus.IN_PROGRESS,
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
            _verified_recorded(answer)


def _verified_recorded(answer: Answer) -> None:
    AuditEvent.objects.create(
        response=answer.response,
        kind=AuditEvent.Kind.EVIDENCE_VERIFIED,
        actor_label=DEMO_ANALYST,
        data=evidence_verified_data(
            question=answer.question.key,
            before=EvidenceLevel.DOCUMENT,
            after=EvidenceLevel.VERIFIED,
        ),
    )


def _answers_reassess(
    spec: DemoVendor, response: Response, author: str, summary: DemoSummary
) -> None:
    """What a re-assessed vendor does in the portal: the response starts from its
    earlier answers (carried forward by shared key, files included), then each carried
    answer the file repeats is confirmed, each it differs on is changed, and the new
    questions are answered; files the file names that the answer lacks are attached."""
    carry_forward(response=response)
    carried = {a.question.key: a for a in response.answers.select_related("question")}
    changes, unchanged = [], []
    for key, demo in spec.answers.items():
        old = carried.get(key)
        if old is not None and (old.value, old.comment) == (demo.value, demo.comment):
            unchanged.append(key)
        else:
            revision = old.revision if old is not None else 0
            changes.append(AnswerChange(key, demo.value, demo.comment, revision))
    if unchanged:
        answers_confirm(response=response, actor=author, question_keys=unchanged)
    if changes:
        answers_save(response=response, changes=changes, actor=author)
    answers = list(response.answers.select_related("question").prefetch_related("evidence"))
    summary.answers_created += len(answers)
    # Records of the files carried forward with their answers (the stored files are shared).
    summary.evidence_created += sum(len(answer.evidence.all()) for answer in answers)
    for answer in answers:
        demo = spec.answers[answer.question.key]
        attached = {item.original_name for item in answer.evidence.all()}
        for name in demo.files:
            if name not in attached:
                _evidence_attach(answer, name, author)
                summary.evidence_created += 1
        level = demo.level
        if level == EvidenceLevel.SELF_ATTESTED and (attached or demo.files):
            level = EvidenceLevel.DOCUMENT  # files carried forward are still attached
        if level != answer.evidence_level:
            Answer.objects.filter(pk=answer.pk).update(evidence_level=level)
            if level == EvidenceLevel.VERIFIED:
                _verified_recorded(answer)


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


def _status_started(response: Response, author: str) -> None:
    """The vendor opened its invitation: the first step of every demo response."""
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.STATUS_CHANGED,
        actor_label=author,
        data=status_changed_data(ResponseStatus.INVITED, ResponseStatus.IN_PROGRESS),
    )


def _status_handed_over(spec: DemoVendor, response: Response, author: str) -> None:
    """The rest of the way to the file's status: submitted, then accepted."""
    path = [ResponseStatus.IN_PROGRESS]
    if spec.status in HANDED_OVER_STATUSES:
        path.append(ResponseStatus.SUBMITTED)
    if spec.status == ResponseStatus.ACCEPTED:
        path.append(ResponseStatus.ACCEPTED)
    if spec.status != ResponseStatus.IN_PROGRESS:
        Response.objects.filter(pk=response.pk).update(status=spec.status)
        response.status = spec.status
    for before, after in pairwise(path):
        actor = DEMO_ANALYST if after == ResponseStatus.ACCEPTED else author
        AuditEvent.objects.create(
            response=response,
            kind=AuditEvent.Kind.STATUS_CHANGED,
            actor_label=actor,
            data=status_changed_data(before, after),
        )


def _selection(version: QuestionnaireVersion, summary: DemoSummary) -> Selection:
    """The demo round, with its buyer context; created before the responses that join it."""
    spec = _selection_spec()
    selection, created = Selection.objects.get_or_create(
        name=spec["name"],
        buyer_name=spec["buyer_name"],
        defaults={
            "version": version,
            "profile_key": spec["profile_key"],
            "recommendation": spec["recommendation"],
            "due_date": timezone.localdate() + datetime.timedelta(days=spec["due_in_days"]),
            **spec["buyer"],
        },
    )
    summary.selection_created = created
    return selection


# The round in progress (selection.yaml, "story") --------------------------------------------


def _round_story(selection: Selection) -> None:
    """What a round a few weeks in looks like: reminders sent, a vendor overdue, a
    clarification answered (the re-assessed vendor's earlier round is made with its
    response, _earlier_response_create)."""
    story = _selection_spec()["story"]
    responses = {r.vendor.name: r for r in selection.responses.select_related("vendor")}
    reminded = story["reminded"]
    for days in reminded["days"]:
        _reminder_sent(responses[reminded["vendor"]], ReminderKind.BEFORE_DUE, days)
    overdue = responses[story["overdue"]]
    for days in selection.reminder_days:
        _reminder_sent(overdue, ReminderKind.BEFORE_DUE, days)
    _reminder_sent(overdue, ReminderKind.OVERDUE, -1)
    _clarification_answered(responses[story["clarified"]["vendor"]], story["clarified"])


def _decision_inputs(selection: Selection) -> None:
    """The frameworks, the business case's figures and the recommended vendor."""
    decision = _selection_spec()["decision"]
    responses = {r.vendor.name: r for r in selection.responses.select_related("vendor")}
    for name, price in decision["yearly_prices"].items():
        response_price_set(response=responses[name], price=Decimal(price))
    for name, keys in decision["verified"].items():
        for answer in responses[name].answers.filter(question__key__in=keys):
            answer_evidence_level_set(answer=answer, level=EvidenceLevel.VERIFIED, user=None)
    selection.frameworks = decision["frameworks"]
    selection.human_contact_cost = Decimal(decision["human_contact_cost"])
    selection.recommended = responses[decision["recommended"]]
    selection.save(update_fields=["frameworks", "human_contact_cost", "recommended"])


def _backdate(event: AuditEvent, at: datetime.datetime) -> None:
    AuditEvent.objects.filter(pk=event.pk).update(at=at)


def _earlier_response_create(
    earlier: EarlierRound,
    version: QuestionnaireVersion,
    selection: Selection,
    vendor: Vendor,
    author: str,
    summary: DemoSummary,
) -> Response:
    """The vendor's accepted response in the earlier round, to the older version, with
    its answers and files, scored; the current response starts from it."""
    then = timezone.now() - datetime.timedelta(days=earlier.days_ago)
    earlier_round = Selection.objects.create(
        name=earlier.name,
        buyer_name=selection.buyer_name,
        buyer_industry=selection.buyer_industry,
        buyer_regions=selection.buyer_regions,
        buyer_currency=selection.buyer_currency,
        buyer_channels=selection.buyer_channels,
        version=version,
        profile_key=selection.profile_key,
        due_date=then.date(),
    )
    response = Response.objects.create(
        selection=earlier_round,
        version=version,
        vendor=vendor,
        status=ResponseStatus.IN_PROGRESS,
        due_date=then.date(),
        submitted_at=then - datetime.timedelta(days=3),
        accepted_at=then,
    )
    questions = {q.key: q for q in version.questions.all()}
    _status_started(response, author)
    _answers_create(earlier.answers, response, questions, author, summary)
    _status_handed_over(earlier.answers, response, author)
    Selection.objects.filter(pk=earlier_round.pk).update(created_at=then - datetime.timedelta(30))
    Response.objects.filter(pk=response.pk).update(created_at=then - datetime.timedelta(days=30))
    AuditEvent.objects.filter(response=response).update(at=then)
    response_score(response=response)
    return response


def _reminder_sent(response: Response, kind: str, days: int) -> None:
    """A reminder (days before the due date) or the overdue notice (the day after it)."""
    sent = timezone.make_aware(
        datetime.datetime.combine(
            response.due_date - datetime.timedelta(days=days), datetime.time(9)
        )
    )
    Reminder.objects.create(
        response=response,
        kind=kind,
        days_before=max(days, 0),
        due_date=response.due_date,
        sweep="demo",
        claimed_at=sent,
        sent_at=sent,
    )
    what = (
        f"Reminder, {days} day{'s' if days != 1 else ''} before the due date"
        if kind == ReminderKind.BEFORE_DUE
        else "Overdue notice"
    )
    to = list(response.vendor.contacts.values_list("email", flat=True))
    event = AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.EMAIL_SENT,
        actor_label="CX Vet",
        data=email_data(what=what, to=to),
    )
    _backdate(event, sent)


def _clarification_answered(response: Response, spec: dict[str, Any]) -> None:
    """The analyst reopened one answer; the vendor changed it and submitted again."""
    # Recorded as the latest steps of the response's history (its other demo events are
    # written now too), so the history reads in order.
    answer = response.answers.select_related("question").get(question__key=spec["question"])
    vendor_contact = response.vendor.contacts.order_by("name").first()
    author = f"{vendor_contact.name} <{vendor_contact.email}>" if vendor_contact else "Vendor"
    events = [
        AuditEvent(
            response=response,
            kind=AuditEvent.Kind.CLARIFICATION_REQUESTED,
            actor_label=DEMO_ANALYST,
            data=clarification_requested_data(
                before=ResponseStatus.SUBMITTED,
                after=ResponseStatus.CLARIFICATION_REQUESTED,
                note="One figure needs its definition before we compare it.",
                questions={answer.question.key: spec["note"]},
            ),
        ),
    ]
    old_value, old_comment = answer.value, answer.comment
    answer.value = 71
    answer.comment = (
        "Verified resolution for Q2 2026: automated chat conversations our evaluator model "
        "judged solved, with no repeat contact on the same channel within 7 days (a sample "
        "of 1,200). The 87% we first gave was our platform-wide containment."
    )
    answer.revision += 1
    answer.updated_by = author
    answer.save()
    events += [
        AuditEvent(
            response=response,
            kind=AuditEvent.Kind.ANSWER_CHANGED,
            actor_label=author,
            data=answer_changed_data(
                question=answer.question.key,
                value=answer.value,
                comment=answer.comment,
                revision=answer.revision,
                old_value=old_value,
                old_comment=old_comment,
            ),
        ),
        AuditEvent(
            response=response,
            kind=AuditEvent.Kind.STATUS_CHANGED,
            actor_label=author,
            data=status_changed_data(
                ResponseStatus.CLARIFICATION_REQUESTED,
                ResponseStatus.SUBMITTED,
                clarified=[answer.question.key],
            ),
        ),
    ]
    for event in events:
        event.save()
    response.submitted_at = timezone.now()
    response.save(update_fields=["submitted_at"])
