"""The section page and an autosave cost the same number of queries for 5 or 40 questions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from questionnaires.services.definitions import questionnaire_import
from tests.vendors.helpers import open_response, url

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Unchanged since the last view: the link and the response's fingerprint (section cached).
SECTION_PAGE_CACHED_QUERIES = 2
# After a change: also the answers and the files.
SECTION_PAGE_QUERIES = 4
# The link, the answers, then the transaction: begin, lock the response, write the answer
# (still as the page read it) and its audit event, commit.
AUTOSAVE_QUERIES = 7


def questionnaire_yaml(question_count: int, key: str) -> str:
    """One big section mixing every type, with conditions, explanations and documents."""
    lines = [
        f"key: {key}",
        f"title: Generated with {question_count} questions",
        "version: 1",
        "sections:",
        "  - key: big",
        "    title: Big section",
        "    questions:",
        "      - key: q0",
        "        text: How many deployments?",
        "        type: integer",
        "        required: true",
        "        min: 0",
    ]
    kinds = ["decimal", "percentage", "single_choice", "yes_no", "text", "multiple_choice", "date"]
    for i in range(1, question_count):
        kind = kinds[i % len(kinds)]
        lines += [
            f"      - key: q{i}",
            f"        text: Generated question {i}?",
            f"        help: Why the buyer asks question {i}.",
            f"        type: {kind}",
            "        show_if: 'q0 > 0'",
        ]
        if kind == "percentage":
            lines += [
                "        evidence: true",
                "        scoring: {bands: [{min: 0, max: 10, risk: 0}, {min: 10, max: 100, risk: 1}]}",
                "        explain: {min_risk: 0.5, prompt: 'Why so high?'}",
            ]
        if kind in ("single_choice", "multiple_choice"):
            lines += [
                "        choices:",
                "          - {key: a, label: Option A}",
                "          - {key: b, label: Option B}",
                "          - {key: c, label: Option C}",
            ]
    lines += ["profiles:", "  - key: general", "    title: General"]
    return "\n".join(lines) + "\n"


def sample_value(i: int, kind: str):
    return {
        "percentage": 20,
        "single_choice": "b",
        "yes_no": "yes",
        "text": f"Answer {i}",
        "multiple_choice": ["a", "c"],
        "date": "2026-03-31",
        "decimal": 2.5,
        "integer": 7,
    }[kind]


@pytest.fixture
def filled_response(db):
    """Build a response to a generated questionnaire with every question answered."""

    def build(question_count: int):
        from tests.factories import answer_all

        text = questionnaire_yaml(question_count, key=f"generated_{question_count}")
        version = questionnaire_import(text=text, publish=True).version
        token, response = open_response(version)
        questions = [q for s in version.definition["sections"] for q in s["questions"]]
        answer_all(
            response, {q["key"]: sample_value(i, q["type"]) for i, q in enumerate(questions)}
        )
        return token, response, questions

    return build


def _count(callable_) -> int:
    with CaptureQueriesContext(connection) as queries:
        callable_()
    return len(queries)


def test_section_page_queries_do_not_grow_with_questions(
    client, filled_response, django_assert_num_queries
):
    counts = {}
    for size in (5, 40):
        token, _, questions = filled_response(size)
        evidence_key = next(q["key"] for q in questions if q["evidence"])
        client.post(
            url("evidence", token, evidence_key),
            {f"{evidence_key}-evidence": [SimpleUploadedFile("a.pdf", PDF)]},
        )
        page_url = url("section", token, "big")
        client.get(page_url)  # the first visit stamps last_used_at
        with django_assert_num_queries(SECTION_PAGE_CACHED_QUERIES):
            page = client.get(page_url)
        assert page.content.decode().count('class="card question-card') == size

        client.post(url("autosave", token, "q4"), {"q4": f"Changed {size}", "q4-revision": 1})
        with django_assert_num_queries(SECTION_PAGE_QUERIES):
            page = client.get(page_url)
        assert page.status_code == 200
        assert page.content.decode().count('class="card question-card') == size
        assert f"Changed {size}" in page.content.decode()
        counts[size] = _count(lambda page_url=page_url: client.get(page_url))
    assert counts[5] == counts[40] == SECTION_PAGE_CACHED_QUERIES


def test_autosave_queries_do_not_grow_with_questions(
    client, filled_response, django_assert_max_num_queries
):
    counts = {}
    for size in (5, 40):
        token, response, _ = filled_response(size)
        client.get(url("overview", token))  # the first visit stamps last_used_at
        save_url = url("autosave", token, "q3")
        revision = response.answers.get(question__key="q3").revision
        with django_assert_max_num_queries(AUTOSAVE_QUERIES):
            reply = client.post(save_url, {"q3": "no", "q3-revision": revision}).json()
        assert reply["status"] == "saved"
        counts[size] = _count(
            lambda save_url=save_url, revision=reply["revision"]: client.post(
                save_url, {"q3": "yes", "q3-revision": revision}
            )
        )
    assert counts[5] == counts[40]


def test_overview_queries_do_not_grow_with_questions(client, filled_response):
    counts = {}
    for size in (5, 40):
        token, _, _ = filled_response(size)
        client.get(url("overview", token))
        counts[size] = _count(lambda token=token: client.get(url("overview", token)))
    assert counts[5] == counts[40] <= 3
