"""Questionnaires and responses of any size for the analyst workspace's tests and benchmark.

`generated_definition(sections, per_section)` writes a valid YAML definition that uses
every scored question type, evidence requests, a knock-out and a cross-answer rule;
`answered_responses(version, count)` creates submitted responses with varied answers.
"""

from __future__ import annotations

import random

import yaml

from questionnaires.models import Answer, Response, ResponseStatus
from questionnaires.services.definitions import questionnaire_import
from tests.factories import ResponseFactory, VendorFactory

KINDS = ("yes_no", "single_choice", "percentage", "multiple_choice", "text", "integer")


def _question(section: int, index: int) -> dict:
    key = f"s{section}_q{index}"
    kind = KINDS[index % len(KINDS)]
    question: dict = {"key": key, "text": f"Question {index + 1} of section {section + 1}?"}
    question["type"] = kind
    if kind == "yes_no":
        question["scoring"] = {"yes": 0, "no": 1}
        question["evidence"] = index % 4 == 0
    elif kind == "single_choice":
        question["choices"] = [
            {"key": "strong", "label": "Strong control", "risk": 0},
            {"key": "partial", "label": "Partial control", "risk": 0.5},
            {"key": "none", "label": "No control", "risk": 1},
        ]
    elif kind == "percentage":
        question["scoring"] = {
            "bands": [
                {"min": 0, "max": 10, "risk": 0.1},
                {"min": 10, "max": 30, "risk": 0.6},
                {"min": 30, "max": 100, "risk": 1},
            ]
        }
        question["evidence"] = True
    elif kind == "multiple_choice":
        question["choices"] = [
            {"key": "email", "label": "Email", "risk": 0.1},
            {"key": "chat", "label": "Chat", "risk": 0.3},
            {"key": "voice", "label": "Voice", "risk": 0.7},
        ]
    elif kind == "integer":
        question["min"] = 0
    return question


def generated_definition(
    *, sections: int = 3, per_section: int = 6, key: str = "generated_check", version: int = 1
) -> dict:
    definition = {
        "key": key,
        "title": f"Generated check ({sections * per_section} questions)",
        "version": version,
        "sections": [
            {
                "key": f"s{s}",
                "title": f"Section {s + 1}",
                "weight": 1 + s % 3,
                "questions": [_question(s, i) for i in range(per_section)],
            }
            for s in range(sections)
        ],
        "profiles": [
            {"key": "general", "title": "General"},
            {
                "key": "financial_services",
                "title": "Financial services",
                "section_weights": {"s0": 5},
            },
        ],
        "rules": [
            {
                "key": "weak_pair",
                "severity": "high",
                "title": "No control and no confirmation",
                "when": "s0_q1 == 'none' and s0_q0 == 'no'",
                "message": "Neither safeguard is in place.",
            }
        ],
    }
    definition["sections"][0]["questions"][0]["knockouts"] = [
        {
            "answers": ["no"],
            "severity": "critical",
            "title": "No human confirmation",
            "message": "Nobody confirms the agent's actions.",
        }
    ]
    return definition


def import_definition(definition: dict):
    """Import and publish a definition given as a dict; returns the version."""
    return questionnaire_import(text=yaml.safe_dump(definition), publish=True).version


def _value(question, rng: random.Random):
    kind = question.type
    if kind == "yes_no":
        return rng.choice(["yes", "no"])
    if kind == "single_choice":
        return rng.choice(["strong", "partial", "none"])
    if kind == "percentage":
        return rng.choice([2, 5, 12.5, 40])
    if kind == "multiple_choice":
        return rng.sample(["email", "chat", "voice"], rng.randint(1, 3))
    if kind == "integer":
        return rng.randint(0, 500)
    if kind == "text":
        return rng.choice(["Operations lead", "On-call engineer", "=SUM(A1:A9)"])
    return None


def answered_responses(
    version, count: int, *, seed: int = 7, status: str = ResponseStatus.SUBMITTED
) -> list[Response]:
    """`count` responses from new vendors with every question answered (bulk inserted)."""
    rng = random.Random(seed)
    questions = list(version.questions.all())
    responses = [
        ResponseFactory(version=version, vendor=VendorFactory(), status=status)
        for _ in range(count)
    ]
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=question,
            value=_value(question, rng),
            comment=rng.choice(["", "", "Covered by the runbook.", "+44 20 7946 0000"]),
            revision=1,
        )
        for response in responses
        for question in questions
    )
    return responses
