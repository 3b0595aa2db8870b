"""Clarification, the analyst's side: documents asked for, a reply-by date, and each reopened
answer before and after on the response page once the vendor has answered."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from questionnaires.audit import ClarificationRequested
from questionnaires.clarifications import latest_clarification
from questionnaires.evidence import check_upload
from questionnaires.models import Answer, AuditEvent, ResponseStatus
from questionnaires.selectors import response_clarification_events
from questionnaires.services.answers import (
    AnswerChange,
    answers_save,
    evidence_add,
    response_resubmit,
)
from questionnaires.services.reviews import (
    ReviewNotAllowed,
    clarification_request,
    default_reply_by,
)
from tests.factories import ResponseFactory, UserFactory, answer_all

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANSWERS = {
    "live_deployments": 30,
    "rollback_rate": 5,
    "live_monitoring": "sampled",
    "human_approval_money": "yes",
    "kill_switch_owner": "Ops",
}


@pytest.fixture
def submitted(example_version):
    response = ResponseFactory(
        version=example_version, status=ResponseStatus.SUBMITTED, submitted_at=timezone.now()
    )
    answer_all(response, ANSWERS)
    return response


@pytest.fixture
def analyst():
    return UserFactory(username="ana")


def _vendor_saves(response, key, value, comment=""):
    answer = Answer.objects.get(response=response, question__key=key)
    change = AnswerChange(key, value, comment, answer.revision)
    return answers_save(response=response, changes=[change], actor="Vera Vendor")


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2026, 5, 11), datetime.date(2026, 5, 18)),  # Monday: next Monday
        (datetime.date(2026, 5, 15), datetime.date(2026, 5, 22)),  # Friday: next Friday
        (datetime.date(2026, 5, 16), datetime.date(2026, 5, 22)),  # Saturday: Friday
    ],
)
def test_the_default_reply_by_is_five_working_days_on(today, expected):
    assert default_reply_by(today) == expected


def test_a_request_asks_for_documents_and_sets_the_reply_by_date(submitted, analyst):
    reply_by = timezone.localdate() + datetime.timedelta(days=3)

    clarification_request(
        response=submitted,
        questions={"rollback_rate": "Which period?", "live_monitoring": "How often?"},
        documents=["rollback_rate"],
        reply_by=reply_by,
        user=analyst,
    )

    submitted.refresh_from_db()
    assert submitted.clarification_reply_by == reply_by
    wanted = dict(
        Answer.objects.filter(response=submitted, needs_clarification=True).values_list(
            "question__key", "clarification_wants_document"
        )
    )
    assert wanted == {"rollback_rate": True, "live_monitoring": False}
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.CLARIFICATION_REQUESTED)
    assert event.data[ClarificationRequested.DOCUMENTS] == ["rollback_rate"]
    assert event.data[ClarificationRequested.REPLY_BY] == reply_by.isoformat()
    assert event.data[ClarificationRequested.PREVIOUS] == {
        "rollback_rate": {"value": 5, "comment": ""},
        "live_monitoring": {"value": "sampled", "comment": ""},
    }


def test_without_a_date_the_vendor_gets_five_working_days(submitted, analyst):
    clarification_request(response=submitted, questions={"rollback_rate": "x"}, user=analyst)

    submitted.refresh_from_db()
    assert submitted.clarification_reply_by == default_reply_by()


def test_a_reply_by_date_in_the_past_is_refused(submitted, analyst):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    with pytest.raises(ReviewNotAllowed, match="has passed"):
        clarification_request(
            response=submitted, questions={"rollback_rate": "x"}, reply_by=yesterday, user=analyst
        )

    submitted.refresh_from_db()
    assert submitted.status == ResponseStatus.SUBMITTED


def test_a_document_is_asked_for_only_on_a_reopened_question(submitted, analyst):
    with pytest.raises(
        ReviewNotAllowed, match=r"also reopen: Q2\.1 “How are live interactions monitored\?”"
    ):
        clarification_request(
            response=submitted,
            questions={"rollback_rate": "x"},
            documents=["live_monitoring"],
            user=analyst,
        )


def test_resubmitting_clears_the_documents_asked_for(submitted, analyst):
    clarification_request(
        response=submitted,
        questions={"rollback_rate": "x"},
        documents=["rollback_rate"],
        user=analyst,
    )
    submitted.refresh_from_db()

    response_resubmit(response=submitted, actor="Vera Vendor")

    assert not Answer.objects.filter(response=submitted, clarification_wants_document=True).exists()


def test_the_reply_shows_each_reopened_answer_before_and_after(submitted, analyst, example_version):
    clarification_request(
        response=submitted,
        questions={"rollback_rate": "Which period?", "live_monitoring": "Still sampled?"},
        documents=["rollback_rate"],
        user=analyst,
    )
    submitted.refresh_from_db()
    _vendor_saves(submitted, "rollback_rate", 12)
    _vendor_saves(submitted, "rollback_rate", 9, "Over 2025.")
    upload = check_upload(SimpleUploadedFile("log.pdf", PDF, content_type="application/pdf"))
    evidence_add(response=submitted, question_key="rollback_rate", upload=upload, actor="Vera")
    response_resubmit(response=submitted, actor="Vera Vendor")

    clarification = latest_clarification(
        response_clarification_events(submitted), example_version.definition
    )

    assert clarification.answered and clarification.answered_by == "Vera Vendor"
    assert clarification.requested_by == "ana"
    assert clarification.changed_count == 1
    rollback, monitoring = clarification.answers
    assert (rollback.key, rollback.before, rollback.after) == ("rollback_rate", "5%", "9%")
    assert rollback.after_comment == "Over 2025." and rollback.files_added == ["log.pdf"]
    assert rollback.document_asked and not monitoring.document_asked
    assert (monitoring.before, monitoring.after) == ("Sampled review after the fact", None)
    assert not monitoring.changed


def test_an_answer_changed_back_counts_as_unchanged(submitted, analyst, example_version):
    clarification_request(response=submitted, questions={"rollback_rate": "x"}, user=analyst)
    submitted.refresh_from_db()
    _vendor_saves(submitted, "rollback_rate", 12)
    _vendor_saves(submitted, "rollback_rate", 5)

    clarification = latest_clarification(
        response_clarification_events(submitted), example_version.definition
    )

    assert not clarification.answered
    assert not clarification.answers[0].changed


def test_no_clarification_no_card(submitted, example_version):
    assert response_clarification_events(submitted) == []
    assert latest_clarification([], example_version.definition) is None


# The admin --------------------------------------------------------------------------------


def test_the_form_asks_for_a_document_and_a_reply_by_date(client, submitted):
    client.force_login(UserFactory(username="root"))
    url = reverse("admin:questionnaires_response_clarify", args=[submitted.pk])
    page = client.get(url).content.decode()
    assert f'value="{default_reply_by().isoformat()}"' in page
    assert 'name="document__rollback_rate"' in page
    reply_by = timezone.localdate() + datetime.timedelta(days=2)

    client.post(
        url,
        {
            "reopen__rollback_rate": "on",
            "document__rollback_rate": "on",
            "note__rollback_rate": "Send the incident log.",
            "reply_by": reply_by.isoformat(),
        },
    )

    submitted.refresh_from_db()
    assert submitted.status == ResponseStatus.CLARIFICATION_REQUESTED
    assert submitted.clarification_reply_by == reply_by
    assert Answer.objects.get(
        response=submitted, question__key="rollback_rate"
    ).clarification_wants_document


def test_the_form_refuses_a_past_date_and_a_document_on_a_closed_question(client, submitted):
    client.force_login(UserFactory(username="root"))
    url = reverse("admin:questionnaires_response_clarify", args=[submitted.pk])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    past = client.post(url, {"reopen__rollback_rate": "on", "note": "x", "reply_by": yesterday})
    closed = client.post(
        url, {"reopen__rollback_rate": "on", "note": "x", "document__kill_switch_owner": "on"}
    )

    assert "Choose today or a later day" in past.content.decode()
    # The question is named by number and text, never by its key.
    assert "also tick Reopen for Q2.3 “Who may pull the kill switch?”" in closed.content.decode()
    assert "kill_switch_owner." not in closed.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == ResponseStatus.SUBMITTED


def test_the_response_page_shows_the_answers_before_and_after(client, submitted, analyst):
    clarification_request(
        response=submitted,
        questions={"rollback_rate": "Which period?"},
        documents=["rollback_rate"],
        user=analyst,
    )
    submitted.refresh_from_db()
    _vendor_saves(submitted, "rollback_rate", 9)
    response_resubmit(response=submitted, actor="Vera Vendor")
    client.force_login(analyst)

    page = client.get(reverse("admin:questionnaires_response_change", args=[submitted.pk]))

    html = page.content.decode()
    assert 'id="clarification"' in html and "Clarification answered" in html
    card = html[html.index('id="clarified-answers"') :]
    assert "5%" in card and "<strong>9%</strong>" in card
    assert "document asked for" in card


def test_a_derived_value_cannot_be_reopened_only_the_answers_it_comes_from(extensions_version):
    from questionnaires.admin.review_forms import ClarificationForm
    from tests.factories import ResponseFactory

    form = ClarificationForm(response=ResponseFactory(version=extensions_version))
    assert "reopen__rollbacks" in form.fields
    assert "reopen__live_deployments" in form.fields
    assert "reopen__rollback_rate" not in form.fields
