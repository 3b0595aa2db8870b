"""Vendors and analysts quote the same question numbers ("3.6"), and a partly answered
grid shows what it has on every analyst surface."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from questionnaires.audit import EventLabels, stored_question_name
from questionnaires.comparison import build_comparison
from questionnaires.decision import _question_refs
from questionnaires.definition import grid_cells, iter_questions, question_numbers
from questionnaires.exports import comparison_csv
from questionnaires.reports.summary import numbered_rows
from tests.factories import ResponseFactory, VendorFactory, answer_all
from vendors.portal import questionnaire_plan

pytestmark = pytest.mark.django_db

COMPARE_URL = reverse("admin:questionnaires_response_compare")
GRID = "action_authority"  # the shipped v2's grid: 5 kinds of action x 4 channels


@pytest.fixture
def response(shipped_v2_version):
    return ResponseFactory(version=shipped_v2_version, vendor=VendorFactory(name="Quillmere"))


def _csv(data: bytes) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _after(html: str, anchor: str, pattern: str) -> str:
    """The first match of `pattern` after `anchor` in the page."""
    start = html.index(anchor)
    found = re.search(pattern, html[start:])
    assert found, f"{pattern!r} not found after {anchor!r}"
    return found.group(1)


def test_question_numbers_count_by_section(shipped_v2_version):
    definition = shipped_v2_version.definition
    numbers = question_numbers(definition)

    first, second = definition["sections"][0], definition["sections"][1]
    assert numbers[first["questions"][0]["key"]] == "1.1"
    assert numbers[first["questions"][-1]["key"]] == f"1.{len(first['questions'])}"
    assert numbers[second["questions"][0]["key"]] == "2.1"
    assert len(set(numbers.values())) == len(numbers) > 100


def test_portal_and_analyst_numbers_agree_for_every_question(client, analyst, response):
    version = response.version
    definition = version.definition
    portal = questionnaire_plan(version).numbers
    questions = [q for _, q in iter_questions(definition)]
    assert len(portal) == len(questions) > 100

    labels = EventLabels.of(definition)
    refs = _question_refs(definition)
    comparison = build_comparison([response])
    rows = numbered_rows(comparison)
    stored = {q.key: stored_question_name(q) for q in version.questions.all()}
    answers = {r["Question key"]: r["No."] for r in _csv(comparison_csv(comparison))}
    page = client.get(reverse("admin:questionnaires_response_change", args=[response.pk]))
    matrix = client.get(COMPARE_URL, {"ids": str(response.pk)})
    assert page.status_code == matrix.status_code == 200
    page_html, matrix_html = page.content.decode(), matrix.content.decode()

    for question in questions:
        key, number = question["key"], portal[question["key"]]
        assert labels.question(key).startswith(f"Q{number} “"), key  # audit trail, messages
        assert stored[key].startswith(f"Q{number} “"), key  # evidence list and its filter
        assert refs[key].label == f"Q{number} {question['text']}"  # frameworks, coverage
        assert rows[key][0] == number  # the reports
        assert answers[key] == f"Q{number}"  # the exports
        qnum = r'<span class="cx-qnum">Q([\d.]+)</span>'
        assert _after(page_html, f'id="answer-{key}"', qnum) == number  # response page
        assert _after(matrix_html, f'id="q-{key}"', qnum) == number  # comparison matrix


def test_the_evidence_filter_names_questions_as_the_portal_numbers_them(client, analyst, response):
    from questionnaires.models import Evidence
    from tests.factories import AnswerFactory

    question = response.version.questions.get(key=GRID)
    answer = AnswerFactory(response=response, question=question, value={})
    Evidence.objects.create(
        answer=answer, file="evidence/a.pdf", original_name="a.pdf", size=10, sha256="0" * 64
    )
    number = questionnaire_plan(response.version).numbers[GRID]

    html = client.get(reverse("admin:questionnaires_evidence_changelist")).content.decode()

    assert f"Q{number} “For each kind of action" in html


# A partly answered grid ---------------------------------------------------------------------

PARTIAL = {"choices": {"refund.voice": "alone", "refund.chat": "approved"}, "limits": {}}


@pytest.fixture
def partial(response):
    # The grid is asked of an agent that acts (its show_if).
    answer_all(response, {"autonomy": "acts_autonomously", GRID: PARTIAL})
    return response


def test_a_partly_answered_grid_counts_its_cells(partial):
    question = next(q for _, q in iter_questions(partial.version.definition) if q["key"] == GRID)
    cell = build_comparison([partial]).sections[3].rows[0].cells[0]

    assert cell.state == "unanswered"  # still missing for completeness and scoring
    assert cell.partial == f"partly answered (2 of {len(grid_cells(question))} cells)"
    assert cell.grid[0][1] == [("Voice", "Acts alone"), ("Chat", "A human approves each one")]
    assert cell.grid[1][1] == []  # a row with nothing answered yet
    assert cell.display.startswith(
        "Refunds to the customer — Voice: Acts alone, Chat: A human approves each one; "
    )


def test_the_response_page_shows_a_partly_answered_grid(client, analyst, partial):
    html = client.get(
        reverse("admin:questionnaires_response_change", args=[partial.pk])
    ).content.decode()
    row = html[html.index(f'id="answer-{GRID}"') :]
    row = row[: row.index("</tr>")]

    assert "Partly answered (2 of 20 cells)" in row
    assert "<strong>Refunds to the customer</strong>: Voice: Acts alone, Chat: A human" in row
    assert "Unanswered" not in row


def test_the_comparison_page_shows_grid_rows_partly_or_wholly_answered(
    client, analyst, partial, shipped_v2_version
):
    whole = ResponseFactory(version=shipped_v2_version, vendor=VendorFactory(name="Wholly"))
    question = next(q for _, q in iter_questions(shipped_v2_version.definition) if q["key"] == GRID)
    answer_all(
        whole,
        {
            "autonomy": "acts_autonomously",
            GRID: {"choices": dict.fromkeys(grid_cells(question), "approved")},
        },
    )

    html = client.get(COMPARE_URL, {"ids": f"{partial.pk},{whole.pk}"}).content.decode()
    start = html.index(f'id="q-{GRID}"')
    lines = re.findall(r'<tr class="cx-grid-line">(.*?)</tr>', html[start:])[:5]

    assert "Partly answered (2 of 20 cells)" in html[start : start + 20000]
    assert len(lines) == 5
    refunds = lines[0]
    assert "Refunds to the customer" in refunds
    assert "Voice: Acts alone<br>Chat: A human approves each one" in refunds
    assert "Email: A human approves each one" in refunds  # the complete grid's row
    assert "not answered" in lines[1]  # nothing answered yet in the partial grid's row


def test_the_exports_give_a_partly_answered_grid_its_state_and_cells(partial):
    comparison = build_comparison([partial])

    answers = {r["Question key"]: r for r in _csv(comparison_csv(comparison))}
    matrix = _csv(comparison_csv(comparison, part="matrix"))[0]
    grid = answers[GRID]

    assert grid["Answer state"] == "partly answered (2 of 20 cells)"
    assert grid["Answer"].startswith("Refunds to the customer — Voice: Acts alone")
    refunds = next(v for k, v in matrix.items() if k.startswith("Q4.1.1 "))
    assert refunds == "Voice: Acts alone; Chat: A human approves each one"
    assert next(v for k, v in matrix.items() if k.startswith("Q4.1.2 ")) == "Not answered"


def test_filtering_the_comparison_keeps_each_question_s_number(partial):
    other = ResponseFactory(version=partial.version, vendor=VendorFactory(name="Other"))
    answer_all(other, {"autonomy": "answers_only"})
    portal = questionnaire_plan(partial.version).numbers

    shown = numbered_rows(build_comparison([partial, other], differences_only=True))

    assert 0 < len(shown) < len(portal)
    assert {key: number for key, (number, _) in shown.items()} == {k: portal[k] for k in shown}
