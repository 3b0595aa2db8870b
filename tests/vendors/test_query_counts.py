"""The section page and an autosave cost the same number of queries for 5 or 40 questions."""

from __future__ import annotations

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from questionnaires.services.definitions import questionnaire_import
from tests.factories import round_of
from tests.synthetic import definition_yaml, generated_answers, one_section_definition
from tests.vendors.helpers import open_response, url

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Unchanged since the last view: the link with its round (the buyer context every page
# shows) and the response's fingerprint (section cached).
SECTION_PAGE_CACHED_QUERIES = 2
# After a change: also the answers and the files.
SECTION_PAGE_QUERIES = 4
# The link, the answers, then the transaction: begin, lock the response, write the answer
# (still as the page read it) and its audit event, commit.
AUTOSAVE_QUERIES = 7


@pytest.fixture
def filled_response(db):
    """Build a response to a generated questionnaire with every question answered."""

    def build(question_count: int):
        from tests.factories import answer_all

        definition = one_section_definition(question_count, key=f"generated_{question_count}")
        version = questionnaire_import(text=definition_yaml(definition), publish=True).version
        token, response = open_response(
            version, selection=round_of(version, buyer_currency="EUR", buyer_industry="retail")
        )
        questions = [q for s in version.definition["sections"] for q in s["questions"]]
        # Careful answers, seeded: the yes/no s0_q3 is "yes", so posting "no" changes it.
        answers = generated_answers(version.definition, random.Random(question_count), appetite=0)
        answer_all(response, answers)
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
        page_url = url("section", token, "section0")
        client.get(page_url)  # the first visit stamps last_used_at
        with django_assert_num_queries(SECTION_PAGE_CACHED_QUERIES):
            page = client.get(page_url)
        assert page.content.decode().count('class="card question-card') == size

        client.post(
            url("autosave", token, "s0_q4"), {"s0_q4": f"Changed {size}", "s0_q4-revision": 1}
        )
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
        save_url = url("autosave", token, "s0_q3")
        revision = response.answers.get(question__key="s0_q3").revision
        with django_assert_max_num_queries(AUTOSAVE_QUERIES):
            reply = client.post(save_url, {"s0_q3": "no", "s0_q3-revision": revision}).json()
        assert reply["status"] == "saved"
        counts[size] = _count(
            lambda save_url=save_url, revision=reply["revision"]: client.post(
                save_url, {"s0_q3": "yes", "s0_q3-revision": revision}
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
