"""Plausible selections to render: for the sample pages in docs/reports/ and the benchmark.

`synthetic_definition(questions, sections)` writes a questionnaire of any size in the
documented format; `demo_selection(version, vendors)` invites that many vendors, answers
every question with a seeded random "risk appetite" per vendor (so vendors differ
consistently), adds comments, evidence levels, a clarification request, an override
and a recommendation, and scores the responses. Everything goes through the ordinary
models and services; the same seed gives the same data.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from vendors.models import Vendor

from .audit import ClarificationRequested
from .definition import dump_definition, iter_questions, visible_question_keys
from .models import (
    Answer,
    AuditEvent,
    EvidenceLevel,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Selection,
)
from .services.definitions import questionnaire_import
from .services.scores import response_score

VENDOR_NAMES = (
    "Acme Voice",
    "Brightline AI",
    "Cobalt Assist",
    "Dialogix",
    "Everbridge CX",
    "Fathom Agents",
    "Gridline Support",
    "Helios Conversational",
    "Ironwood AI",
    "Juniper Talk",
    "Kestrel Service",
    "Lumen Contact",
)
TOPICS = (
    ("rollback", "rolled back or paused a live deployment"),
    ("escalation", "hands a conversation to a human agent"),
    ("refunds", "issues refunds or credits"),
    ("monitoring", "monitors live conversations"),
    ("kill_switch", "stops the agent in production"),
    ("consent", "records customer consent"),
    ("redaction", "redacts card and health data"),
    ("hallucination", "detects invented policies or commitments"),
    ("handover", "carries context from chat to voice"),
    ("vulnerability", "detects vulnerable customers"),
    ("retention", "retains and deletes transcripts"),
    ("subprocessors", "discloses sub-processors"),
    ("testing", "tests a new model version before release"),
    ("incidents", "reports incidents to the customer"),
    ("resolution", "measures resolution rather than deflection"),
    ("pricing", "prices a resolved conversation"),
)
ANGLES = (
    ("policy", "How does the agent decide when it {what}?", "single_choice"),
    ("owner", "Does a named person approve each change to how the agent {what}?", "yes_no"),
    (
        "rate",
        "In what share of last year's conversations was it needed that the agent {what}?",
        "percentage",
    ),
    ("notes", "Describe, in your words, how the agent {what}.", "text"),
)
# A few knock-outs, as in a real questionnaire: the 1st, 4th and 8th yes/no question.
KNOCKOUTS = {0: "critical", 3: "high", 7: "high"}
OWNER_PREFIX = ANGLES[1][1].split("{what}")[0]
COMMENTS = (
    "Measured across all enterprise deployments; the monthly report is attached.",
    "We rely on the customer's own QA team for this today; a built-in dashboard ships in Q3.",
    "Two deployments were paused in March after a prompt change; both resumed within 48 hours.",
    "Applies to voice and chat; email and SMS follow the same policy from the next release.",
    "The figure excludes pilots. Including pilots it would be roughly twice as high.",
    "A human approves anything above the customer's configured limit (default 50 EUR).",
    "Not measured yet. We can share raw logs so the buyer can compute it.",
)


def synthetic_definition(*, questions: int, sections: int, key: str = "bench_agent") -> str:
    """A valid questionnaire of exactly `questions` questions in `sections` sections (YAML)."""
    definition: dict[str, Any] = {
        "key": key,
        "title": f"AI agent readiness ({questions} questions)",
        "version": 1,
        "description": "A generated questionnaire for report samples and benchmarks.",
        "sources": [
            {
                "key": "sinch_2026",
                "title": "Sinch, The AI Production Paradox (2026): 74% of enterprises rolled "
                "back a live AI agent",
                "url": "",
                "note": "",
            }
        ],
        "sections": [],
        "profiles": [
            {"key": "general", "title": "General", "description": "", "section_weights": {}},
            {
                "key": "financial_services",
                "title": "Financial services",
                "description": "",
                "section_weights": {"s1": 3},
            },
        ],
        "rules": [
            {
                "key": "blind_spot",
                "severity": "high",
                "title": "Low rollback rate without an owner of monitoring",
                "when": "q1_rate <= 5 and q1_owner == 'no'",
                "message": "A clean record nobody owns is a blind spot, not a track record.",
            }
        ],
    }
    per_section = [
        questions // sections + (1 if i < questions % sections else 0) for i in range(sections)
    ]
    number = 0
    for s, count in enumerate(per_section, start=1):
        topic = TOPICS[(s - 1) % len(TOPICS)]
        section = {
            "key": f"s{s}",
            "title": f"{topic[0].replace('_', ' ').capitalize()} and controls",
            "intro": "",
            "weight": 1 + (s % 3),
            "questions": [],
        }
        for i in range(count):
            number += 1
            angle = ANGLES[i % len(ANGLES)]
            what = TOPICS[(s + i) % len(TOPICS)][1]
            section["questions"].append(_synthetic_question(number, angle, what, i))
        definition["sections"].append(section)
    # The rule above names q1_rate and q1_owner; make sure they exist with those keys.
    _rename_first(definition, "percentage", "q1_rate")
    _rename_first(definition, "yes_no", "q1_owner")
    _add_knockouts(definition)
    return dump_definition(definition)


def _add_knockouts(definition: dict) -> None:
    yes_no = [q for _, q in iter_questions(definition) if q["type"] == "yes_no"]
    for index, severity in KNOCKOUTS.items():
        if index < len(yes_no):
            question = yes_no[index]
            question["knockouts"] = [
                {
                    "answers": ["no"],
                    "severity": severity,
                    "title": "No named approver: the agent "
                    + question["text"].removeprefix(OWNER_PREFIX).rstrip("?"),
                    "message": "Nobody is accountable for changes to this behaviour.",
                }
            ]


def _synthetic_question(number: int, angle: tuple, what: str, index: int) -> dict[str, Any]:
    suffix, text, kind = angle
    question: dict[str, Any] = {
        "key": f"q{number}_{suffix}",
        "text": text.format(what=what),
        "type": kind,
        "weight": 1 + (number % 2),
        "evidence": number % 3 == 0,
        "sources": ["sinch_2026"] if number % 7 == 0 else [],
    }
    if kind == "single_choice":
        question["choices"] = [
            {"key": "automatic", "label": "Automatically, with live alerting", "risk": 0},
            {"key": "rules", "label": "By configured rules reviewed monthly", "risk": 0.3},
            {"key": "manual", "label": "Manually, case by case", "risk": 0.6},
            {"key": "none", "label": "It does not", "risk": 1},
        ]
    elif kind == "yes_no":
        question["scoring"] = {"yes": 0, "no": 1}
    elif kind == "percentage":
        question["scoring"] = {
            "bands": [
                {"min": 0, "max": 5, "risk": 0.1},
                {"min": 5, "max": 20, "risk": 0.5},
                {"min": 20, "max": 100, "risk": 1},
            ]
        }
    else:
        question["max_length"] = 2000
    return question


def _rename_first(definition: dict, kind: str, key: str) -> None:
    for section in definition["sections"]:
        for question in section["questions"]:
            if question["type"] == kind:
                question["key"] = key
                return


@dataclass(frozen=True)
class DemoSelection:
    selection: Selection
    responses: list[Response]


@transaction.atomic
def demo_selection(
    *, version: QuestionnaireVersion, vendors: int, seed: int = 7, name: str | None = None
) -> DemoSelection:
    """A selection of `vendors` scored responses to `version`, with reviews and comments."""
    rng = random.Random(seed)
    definition = version.definition
    questions = {q.key: q for q in version.questions.all()}
    selection = Selection.objects.create(
        name=name or f"Contact-centre agent {datetime.date.today():%Y}",
        buyer_name="Northwind Retail Bank",
        profile_key=definition["profiles"][0]["key"],
    )
    responses = []
    for index in range(vendors):
        appetite = (index + 0.5) / vendors * 0.8
        response = _demo_response(version, questions, index, appetite, rng)
        responses.append(response)
    selection.responses.add(*responses)
    for response in responses:
        response_score(response=response)
    best = responses[0].vendor.name
    selection.recommendation = (
        f"Shortlist {best} for a paid pilot on chat only, conditional on a verified "
        "monitoring report and a written kill-switch procedure.\n"
        "Do not proceed with vendors in the critical tier until their red flags are "
        "resolved in writing."
    )
    selection.save(update_fields=["recommendation", "updated_at"])
    return DemoSelection(selection=selection, responses=responses)


def _demo_response(version, questions, index: int, appetite: float, rng: random.Random):
    name = VENDOR_NAMES[index % len(VENDOR_NAMES)]
    if index >= len(VENDOR_NAMES):
        name = f"{name} {index // len(VENDOR_NAMES) + 1}"
    vendor, _ = Vendor.objects.get_or_create(name=name, defaults={"product": f"{name} Agent"})
    response = Response.objects.create(
        version=version,
        vendor=vendor,
        status=ResponseStatus.SUBMITTED,
        due_date=datetime.date.today() + datetime.timedelta(days=14),
        submitted_at=datetime.datetime.now(datetime.UTC),
    )
    values: dict[str, Any] = {}
    for _, question in iter_questions(version.definition):
        if rng.random() < 0.06 + appetite * 0.08:
            continue  # left unanswered
        value = demo_value(question, appetite, rng)
        if value is not None:
            values[question["key"]] = value
    visible = visible_question_keys(version.definition, values)
    answers = []
    for key, value in values.items():
        if key not in visible:
            continue
        answers.append(
            Answer(
                response=response,
                question=questions[key],
                value=value,
                comment=rng.choice(COMMENTS) if rng.random() < 0.3 else "",
                evidence_level=rng.choice(
                    [EvidenceLevel.SELF_ATTESTED, EvidenceLevel.DOCUMENT, EvidenceLevel.VERIFIED]
                ),
                revision=1,
            )
        )
    Answer.objects.bulk_create(answers)
    if index == 1 and answers:
        _clarification(response, answers[0])
    return response


def _clarification(response: Response, answer: Answer) -> None:
    answer.needs_clarification = True
    answer.clarification_note = "Please state the denominator and the period of this figure."
    answer.save(update_fields=["needs_clarification", "clarification_note"])
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.CLARIFICATION_REQUESTED,
        actor_label="Dana Analyst",
        data={
            ClarificationRequested.FROM: ResponseStatus.SUBMITTED.value,
            ClarificationRequested.TO: ResponseStatus.CLARIFICATION_REQUESTED.value,
            ClarificationRequested.NOTE: "Two figures need their denominators.",
            ClarificationRequested.QUESTIONS: {answer.question.key: answer.clarification_note},
        },
    )


def demo_value(question: dict[str, Any], appetite: float, rng: random.Random) -> Any:
    """An answer to any question type, riskier the higher the vendor's appetite."""
    target = min(1.0, max(0.0, rng.gauss(appetite, 0.3)))
    kind = question["type"]
    if kind in ("single_choice", "multiple_choice"):
        choices = question["choices"]
        ranked = sorted(choices, key=lambda c: abs((c["risk"] or 0) - target))
        if kind == "single_choice":
            return ranked[0]["key"]
        return [c["key"] for c in ranked[: rng.randint(1, min(3, len(ranked)))]]
    if kind == "yes_no":
        scoring = question["scoring"] or {"yes": 0, "no": 1}
        return min(("yes", "no"), key=lambda k: abs((scoring.get(k) or 0) - target))
    if kind in ("integer", "decimal", "percentage"):
        return _demo_number(question, target, rng)
    if kind == "text":
        return rng.choice(COMMENTS)
    if kind == "date":
        return (datetime.date.today() + datetime.timedelta(days=rng.randint(30, 300))).isoformat()
    return None  # file questions need uploads


def _demo_number(question: dict[str, Any], target: float, rng: random.Random) -> float | int:
    low = question["min"] if question["min"] is not None else 0
    high = question["max"] if question["max"] is not None else max(low + 100, 100)
    bands = (question["scoring"] or {}).get("bands")
    if bands:
        band = min(bands, key=lambda b: abs(b["risk"] - target))
        low = band["min"] if band["min"] is not None else low
        high = band["max"] if band["max"] is not None else max(low * 3, low + 50)
    value = rng.uniform(low, high - (1 if question["type"] == "integer" else 0.01))
    if question["type"] == "integer":
        return max(int(low), int(value))
    return round(value, 1)


def import_synthetic(*, questions: int, sections: int) -> QuestionnaireVersion:
    text = synthetic_definition(questions=questions, sections=sections, key=f"bench_{questions}q")
    return questionnaire_import(text=text, publish=True).version
