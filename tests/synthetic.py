"""Synthetic questionnaires, answers and selections of any size, for tests and benchmarks.

One generator, outside the application: the tests, the benchmarks (benchmarks/) and
nothing in production import it.

- `generated_definition(sections=, per_section=, ...)`: a valid definition (as a dict in
  the documented format) whose questions cycle through `kinds`, with evidence requests,
  knock-outs and cross-answer rules; `realistic=True` words it like a real questionnaire
  (question texts, help, explanations asked for risky answers, cited sources), and
  `gated=True` opens with a "how many" question in each section that the section's other
  questions depend on (`show_if`).
  `one_section_definition(size)` is the long single section the portal's tests and
  benchmark load.
- `generated_value(question, rng, appetite)`: an answer to any question type, riskier the
  higher the appetite; `generated_answers(definition, rng, ...)` answers a whole
  questionnaire through its visibility rule.
- `answered_responses(version, count)`: submitted responses of new vendors, each with
  its own risk appetite so that vendors differ consistently (bulk inserted);
  `scored_selection(version, vendors)`: those in a scored selection with a
  clarification request and a recommendation, for the reports.

The same seed gives the same data.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from questionnaires.definition import dump_definition, iter_questions, visible_question_keys
from questionnaires.models import (
    HANDED_OVER_STATUSES,
    Answer,
    EvidenceLevel,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Selection,
)
from questionnaires.services.definitions import questionnaire_import
from questionnaires.services.reviews import clarification_request
from questionnaires.services.scores import response_score
from vendors.models import Vendor

SCORED_KINDS = ("yes_no", "single_choice", "percentage", "multiple_choice", "text", "integer")
# Every type, in the order a long portal section mixes them (the first becomes the gate).
SECTION_KINDS = (
    "integer",
    "percentage",
    "single_choice",
    "yes_no",
    "text",
    "multiple_choice",
    "date",
    "decimal",
)
NUMERIC_KINDS = ("integer", "decimal", "percentage")

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
# A realistic question per kind; {what} is a topic's phrase.
WORDING = {
    "single_choice": "How does the agent decide when it {what}?",
    "yes_no": "Does a named person approve each change to how the agent {what}?",
    "percentage": "In what share of last year's conversations was it needed that the agent {what}?",
    "multiple_choice": "In which channels does the agent {what}?",
    "text": "Describe, in your words, how the agent {what}.",
    "integer": "How many times last month did it happen that the agent {what}?",
    "decimal": "How many hours, on average, pass before the agent {what}?",
    "date": "When did you last test how the agent {what}?",
}
OWNER_PREFIX = WORDING["yes_no"].split("{what}")[0]
CONTROL_LABELS = {
    False: ("Strong control", "Partial control", "No control"),
    True: ("Automatically, with live alerting", "Manually, case by case", "It does not"),
}
COMMENTS = (
    "Measured across all enterprise deployments; the monthly report is attached.",
    "We rely on the customer's own QA team for this today; a built-in dashboard ships in Q3.",
    "Two deployments were paused in March after a prompt change; both resumed within 48 hours.",
    "Applies to voice and chat; email and SMS follow the same policy from the next release.",
    "The figure excludes pilots. Including pilots it would be roughly twice as high.",
    "A human approves anything above the customer's configured limit (default 50 EUR).",
    "Not measured yet. We can share raw logs so the buyer can compute it.",
    "Covered by the runbook; call +44 20 7946 0000 for the on-call lead.",
)
# Text answers, one that a spreadsheet would take for a formula among them.
TEXT_ANSWERS = ("The customer's operations lead", "=SUM(A1:A9)", *COMMENTS[:4])
COMMENT_SHARE = 0.3
SOURCE = {
    "key": "sinch_2026",
    "title": "Sinch, The AI Production Paradox (2026): 74% of enterprises rolled back a live "
    "AI agent",
    "url": "",
    "note": "",
}


# Definitions -----------------------------------------------------------------------------


def generated_definition(
    *,
    sections: int = 3,
    per_section: int = 6,
    questions: int | None = None,
    key: str = "synthetic",
    version: int = 1,
    kinds: Sequence[str] = SCORED_KINDS,
    realistic: bool = False,
    gated: bool = False,
    knockouts: int = 1,
    rules: int = 1,
) -> dict[str, Any]:
    """A valid definition of `sections` x `per_section` questions, keyed `s<S>_q<I>`
    (or of `questions` questions, spread over the sections as evenly as they go).

    Question I of a section has kind `kinds[I % len(kinds)]`; percentage questions and
    every fourth question request evidence. The first `knockouts` yes/no questions carry a
    knock-out (the first critical, the others high); the first `rules` sections have a
    rule on their first choice and yes/no questions. Sections are keyed `section<S>`; the
    profiles are general and financial_services (section0 weighs 5).
    """
    counts = (
        [questions // sections + (1 if s < questions % sections else 0) for s in range(sections)]
        if questions is not None
        else [per_section] * sections
    )
    definition: dict[str, Any] = {
        "key": key,
        "title": (
            f"AI agent readiness ({sum(counts)} questions)"
            if realistic
            else f"Generated check ({sum(counts)} questions)"
        ),
        "version": version,
        "description": "A generated questionnaire for tests and benchmarks.",
        "sources": [SOURCE] if realistic else [],
        "sections": [
            _section(s, count, kinds, realistic=realistic, gated=gated)
            for s, count in enumerate(counts)
        ],
        "profiles": [
            {"key": "general", "title": "General"},
            {
                "key": "financial_services",
                "title": "Financial services",
                "section_weights": {"section0": 5},
            },
        ],
        "rules": [],
    }
    _add_knockouts(definition, knockouts, realistic=realistic)
    _add_rules(definition, rules)
    return definition


def one_section_definition(size: int, *, key: str) -> dict[str, Any]:
    """One section of `size` questions of every type, all behind the first ("how many")
    question, worded, with help and explanations: a long page of the vendor portal."""
    return generated_definition(
        sections=1,
        per_section=size,
        key=key,
        kinds=SECTION_KINDS,
        realistic=True,
        gated=True,
        knockouts=0,
        rules=0,
    )


def definition_yaml(definition: dict[str, Any]) -> str:
    return dump_definition(definition)


def import_definition(definition: dict[str, Any]) -> QuestionnaireVersion:
    """Import and publish a definition given as a dict; returns the version."""
    return questionnaire_import(text=definition_yaml(definition), publish=True).version


def _section(
    s: int, per_section: int, kinds: Sequence[str], *, realistic: bool, gated: bool
) -> dict[str, Any]:
    topic = TOPICS[s % len(TOPICS)][0].replace("_", " ")
    questions = [
        _question(s, i, kinds[i % len(kinds)], realistic=realistic) for i in range(per_section)
    ]
    if gated and questions:
        questions[0] = _gate(s, realistic=realistic)
        for question in questions[1:]:
            question["show_if"] = f"{questions[0]['key']} > 0"
    return {
        "key": f"section{s}",
        "title": f"{topic.capitalize()} and controls" if realistic else f"Section {s + 1}",
        "weight": 1 + s % 3,
        "questions": questions,
    }


def _question(s: int, i: int, kind: str, *, realistic: bool) -> dict[str, Any]:
    what = TOPICS[(s + i) % len(TOPICS)][1]
    question: dict[str, Any] = {
        "key": f"s{s}_q{i}",
        "text": WORDING[kind].format(what=what)
        if realistic
        else f"Question {i + 1} of section {s + 1}?",
        "type": kind,
        "evidence": kind == "percentage" or i % 4 == 0,
    }
    if realistic:
        question["help"] = f"Why the buyer asks: an agent that {what} needs an owner and evidence."
        question["sources"] = [SOURCE["key"]] if (s + i) % 7 == 6 else []
    if kind == "yes_no":
        question["scoring"] = {"yes": 0, "no": 1}
    elif kind == "single_choice":
        strong, partial, none = CONTROL_LABELS[realistic]
        question["choices"] = [
            {"key": "strong", "label": strong, "risk": 0},
            {"key": "partial", "label": partial, "risk": 0.5},
            {"key": "none", "label": none, "risk": 1},
        ]
    elif kind == "multiple_choice":
        question["choices"] = [
            {"key": "email", "label": "Email", "risk": 0.1},
            {"key": "chat", "label": "Chat", "risk": 0.3},
            {"key": "voice", "label": "Voice", "risk": 0.7},
        ]
    elif kind == "percentage":
        question["scoring"] = {
            "bands": [
                {"min": 0, "max": 10, "risk": 0.1},
                {"min": 10, "max": 30, "risk": 0.6},
                {"min": 30, "max": 100, "risk": 1},
            ]
        }
        if realistic:
            question["explain"] = {
                "min_risk": 0.5,
                "prompt": "What explains this share, and what is being done about it?",
            }
    elif kind in ("integer", "decimal"):
        question["min"] = 0
    return question


def _gate(s: int, *, realistic: bool) -> dict[str, Any]:
    text = (
        f"How many live deployments does the {TOPICS[s % len(TOPICS)][0].replace('_', ' ')} "
        "policy cover?"
        if realistic
        else f"How many deployments does section {s + 1} cover?"
    )
    return {"key": f"s{s}_q0", "text": text, "type": "integer", "required": True, "min": 0}


def _add_knockouts(definition: dict[str, Any], count: int, *, realistic: bool) -> None:
    yes_no = [q for _, q in iter_questions(definition) if q["type"] == "yes_no"]
    for index, question in enumerate(yes_no[:count]):
        subject = question["text"].removeprefix(OWNER_PREFIX).rstrip("?")
        question["knockouts"] = [
            {
                "answers": ["no"],
                "severity": "critical" if index == 0 else "high",
                "title": (
                    f"No named approver: the agent {subject}"
                    if realistic
                    else f"No named approver ({question['key']})"
                ),
                "message": "Nobody is accountable for changes to this behaviour.",
            }
        ]


def _add_rules(definition: dict[str, Any], count: int) -> None:
    for section in definition["sections"][:count]:
        kinds: dict[str, str] = {}
        for question in section["questions"]:
            kinds.setdefault(question["type"], question["key"])
        if "single_choice" in kinds and "yes_no" in kinds:
            definition["rules"].append(
                {
                    "key": f"weak_pair_{section['key']}",
                    "severity": "high",
                    "title": "No control and no named approver",
                    "when": f"{kinds['single_choice']} == 'none' and {kinds['yes_no']} == 'no'",
                    "message": "Neither safeguard is in place.",
                }
            )


# Answers -----------------------------------------------------------------------------------


def generated_value(
    question: dict[str, Any], rng: random.Random, appetite: float | None = None
) -> Any:
    """An answer to `question` of any type, riskier the higher `appetite` (0 to 1); any
    answer without one. None for a file question: files are uploads."""
    target = rng.random() if appetite is None else min(1.0, max(0.0, rng.gauss(appetite, 0.3)))
    kind = question["type"]
    if kind in ("single_choice", "multiple_choice"):
        ranked = sorted(question["choices"], key=lambda c: abs((c.get("risk") or 0) - target))
        if kind == "single_choice":
            return ranked[0]["key"]
        return [c["key"] for c in ranked[: rng.randint(1, min(3, len(ranked)))]]
    if kind == "yes_no":
        scoring = question.get("scoring") or {"yes": 0, "no": 1}
        return min(("yes", "no"), key=lambda k: abs((scoring.get(k) or 0) - target))
    if kind in NUMERIC_KINDS:
        return _number(question, target, rng)
    if kind == "text":
        return rng.choice(TEXT_ANSWERS)
    if kind == "date":
        return (datetime.date.today() + datetime.timedelta(days=rng.randint(30, 300))).isoformat()
    return None


def generated_answers(
    definition: dict[str, Any],
    rng: random.Random,
    *,
    appetite: float | None = None,
    unanswered: float = 0.0,
) -> dict[str, Any]:
    """Values for the questions these answers show, leaving a share `unanswered`."""
    values = {}
    for _, question in iter_questions(definition):
        if unanswered and rng.random() < unanswered:
            continue
        value = generated_value(question, rng, appetite)
        if value is not None:
            values[question["key"]] = value
    visible = visible_question_keys(definition, values)
    return {key: value for key, value in values.items() if key in visible}


def _number(question: dict[str, Any], target: float, rng: random.Random) -> float | int:
    low = _or(question.get("min"), 0)
    high = _or(question.get("max"), max(low + 100, 100))
    bands = (question.get("scoring") or {}).get("bands")
    if bands:
        band = min(bands, key=lambda b: abs(b["risk"] - target))
        low = _or(band["min"], low)
        high = _or(band["max"], max(low * 3, low + 50))
    if question["type"] == "integer":
        # From 1: a count of zero would hide whatever depends on it.
        return rng.randint(max(int(low), 1), max(int(high) - 1, int(low), 1))
    return round(rng.uniform(low, high - 0.01), 1)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


# Responses and selections ----------------------------------------------------------------


def answered_responses(
    version: QuestionnaireVersion,
    count: int,
    *,
    seed: int = 7,
    status: str = ResponseStatus.SUBMITTED,
    unanswered: float = 0.0,
) -> list[Response]:
    """`count` responses of new vendors to `version`, answered (bulk inserted).

    Vendor n has a risk appetite of (n + 0.5) / count * 0.8, so the first answers best;
    some answers carry a comment; evidence levels vary.
    """
    rng = random.Random(seed)
    questions = {q.key: q for q in version.questions.all()}
    handed_over = status in HANDED_OVER_STATUSES
    responses = []
    answers: list[Answer] = []
    for index in range(count):
        vendor = _new_vendor(index)
        response = Response.objects.create(
            version=version,
            vendor=vendor,
            status=status,
            due_date=datetime.date.today() + datetime.timedelta(days=14),
            submitted_at=timezone.now() if handed_over else None,
        )
        responses.append(response)
        appetite = (index + 0.5) / count * 0.8
        values = generated_answers(
            version.definition, rng, appetite=appetite, unanswered=unanswered
        )
        answers.extend(
            Answer(
                response=response,
                question=questions[key],
                value=value,
                comment=rng.choice(COMMENTS) if rng.random() < COMMENT_SHARE else "",
                evidence_level=rng.choice(EvidenceLevel.values),
                revision=1,
            )
            for key, value in values.items()
        )
    Answer.objects.bulk_create(answers)
    return responses


def _new_vendor(index: int) -> Vendor:
    base = VENDOR_NAMES[index % len(VENDOR_NAMES)]
    name, number = base, 2
    while Vendor.objects.filter(name=name).exists():
        name, number = f"{base} {number}", number + 1
    return Vendor.objects.create(name=name, product=f"{base} Agent")


@dataclass(frozen=True)
class ScoredSelection:
    selection: Selection
    responses: list[Response]


@transaction.atomic
def scored_selection(
    *, version: QuestionnaireVersion, vendors: int, seed: int = 7, name: str | None = None
) -> ScoredSelection:
    """A selection of `vendors` scored responses to `version`, one of them asked to
    clarify an answer, with a recommendation: what a comparison report shows."""
    responses = answered_responses(version, vendors, seed=seed, unanswered=0.1)
    selection = Selection.objects.create(
        name=name or f"Contact-centre agent {datetime.date.today():%Y}",
        buyer_name="Northwind Retail Bank",
        profile_key=version.default_profile_key,
    )
    selection.responses.add(*responses)
    if len(responses) > 1:
        _clarification(responses[1])
    for response in responses:
        response_score(response=response)
    selection.recommendation = (
        f"Shortlist {responses[0].vendor.name} for a paid pilot on chat only, conditional on "
        "a verified monitoring report and a written kill-switch procedure.\n"
        "Do not proceed with vendors in the critical tier until their red flags are "
        "resolved in writing."
    )
    selection.save(update_fields=["recommendation", "updated_at"])
    return ScoredSelection(selection=selection, responses=responses)


def _clarification(response: Response) -> None:
    first = response.answers.select_related("question").order_by("question__position").first()
    if first is None:
        return
    analyst, _ = get_user_model().objects.get_or_create(
        username="dana.analyst", defaults={"is_staff": True}
    )
    clarification_request(
        response=response,
        questions={first.question.key: "Please state the denominator and the period."},
        note="Two figures need their denominators.",
        user=analyst,
    )
