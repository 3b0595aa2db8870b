"""questionnaires.services.reviews: accept, clarification requests, evidence levels."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from questionnaires.models import (
    Answer,
    AuditEvent,
    EvidenceLevel,
    ResponseScore,
    ResponseStatus,
)
from questionnaires.services.reviews import (
    ReviewNotAllowed,
    answer_evidence_level_set,
    clarification_request,
    response_accept,
)
from tests.conftest import wait_until
from tests.factories import ContactFactory, ResponseFactory, UserFactory, answer_all
from vendors.models import AccessLink

pytestmark = pytest.mark.django_db

ANSWERS = {
    "live_deployments": 30,
    "rollback_rate": 20,
    "live_monitoring": "sampled",
    "human_approval_money": "yes",
}


@pytest.fixture
def analyst():
    return UserFactory(username="ana")


@pytest.fixture
def submitted(example_version):
    response = ResponseFactory(
        version=example_version, status=ResponseStatus.SUBMITTED, submitted_at=timezone.now()
    )
    answer_all(response, ANSWERS)
    contact = ContactFactory(vendor=response.vendor, email="cto@vendor.example")
    AccessLink.objects.create(response=response, contact=contact, token_hash="a" * 64)
    return response


def test_accepting_a_submitted_response_finalises_it_records_who_and_rescores(submitted, analyst):
    response_accept(response=submitted, user=analyst)

    submitted.refresh_from_db()
    assert submitted.status == ResponseStatus.ACCEPTED
    assert submitted.accepted_at is not None
    event = AuditEvent.objects.get(response=submitted, kind=AuditEvent.Kind.STATUS_CHANGED)
    assert event.actor_user == analyst
    assert event.data == {"from": "submitted", "to": "accepted"}
    scores = ResponseScore.objects.filter(response=submitted)
    assert {s.profile_key for s in scores} == {"general", "financial_services"}
    assert scores.get(profile_key="general").score is not None


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (ResponseStatus.IN_PROGRESS, "in progress"),
        (ResponseStatus.INVITED, "invited"),
        (ResponseStatus.ACCEPTED, "accepted"),
        (ResponseStatus.CLARIFICATION_REQUESTED, "clarification requested"),
    ],
)
def test_only_a_submitted_response_can_be_accepted(example_version, analyst, status, label):
    response = ResponseFactory(version=example_version, status=status)

    with pytest.raises(ReviewNotAllowed, match=f"the response is {label}"):
        response_accept(response=response, user=analyst)

    response.refresh_from_db()
    assert response.status == status
    assert not AuditEvent.objects.filter(response=response).exists()


def test_accept_reads_the_current_status_not_a_stale_instance(submitted, analyst):
    stale = type(submitted).objects.get(pk=submitted.pk)
    response_accept(response=submitted, user=analyst)

    with pytest.raises(ReviewNotAllowed, match="accepted"):
        response_accept(response=stale, user=analyst)


def test_clarification_reopens_the_named_questions_with_notes(
    submitted, analyst, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        clarification_request(
            response=submitted,
            questions={
                "rollback_rate": "Which deployments does the 20% cover?",
                "kill_switch_owner": "",
            },
            note="Please answer by Friday.",
            user=analyst,
        )

    submitted.refresh_from_db()
    assert submitted.status == ResponseStatus.CLARIFICATION_REQUESTED
    reopened = {
        a.question.key: a.clarification_note
        for a in Answer.objects.filter(response=submitted, needs_clarification=True)
    }
    # An unanswered question gets an answer row to reopen; without its own note it
    # carries the general one.
    assert reopened == {
        "rollback_rate": "Which deployments does the 20% cover?",
        "kill_switch_owner": "Please answer by Friday.",
    }
    assert not Answer.objects.get(
        response=submitted, question__key="live_monitoring"
    ).needs_clarification
    event = AuditEvent.objects.get(response=submitted, kind=AuditEvent.Kind.CLARIFICATION_REQUESTED)
    assert event.actor_user == analyst
    assert event.data["questions"] == reopened
    assert event.data["note"] == "Please answer by Friday."
    # The vendor is told only once the request is committed.
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_the_vendor_is_emailed_the_reopened_questions_after_commit(
    example_version, celery_worker_process, settings
):
    """With REDIS_URL set the email goes out from a real worker process."""
    response = ResponseFactory(
        version=example_version, status=ResponseStatus.SUBMITTED, submitted_at=timezone.now()
    )
    answer_all(response, ANSWERS)
    contact = ContactFactory(vendor=response.vendor, email="cto@vendor.example")
    link = AccessLink.objects.create(response=response, contact=contact, token_hash="b" * 64)

    clarification_request(
        response=response,
        questions={"rollback_rate": "Which deployments does the 20% cover?"},
        user=UserFactory(),
    )

    wait_until(lambda: AccessLink.objects.get(pk=link.pk).clarification_notified_at)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        assert [m.to for m in mail.outbox] == [["cto@vendor.example"]]
        assert "Which deployments does the 20% cover?" in mail.outbox[0].body


def test_clarification_accepts_answers_with_notes(submitted, analyst):
    answer = Answer.objects.get(response=submitted, question__key="live_monitoring")

    clarification_request(
        response=submitted,
        questions=[(answer, "Share the sampling rate.")],
        user=analyst,
    )

    answer.refresh_from_db()
    assert answer.needs_clarification
    assert answer.clarification_note == "Share the sampling rate."


def test_clarification_on_unknown_questions_changes_nothing(submitted, analyst):
    with pytest.raises(ReviewNotAllowed, match="not in version 1 of the questionnaire: nope"):
        clarification_request(
            response=submitted,
            questions={"rollback_rate": "x", "nope": "y"},
            user=analyst,
        )

    submitted.refresh_from_db()
    assert submitted.status == ResponseStatus.SUBMITTED
    assert not Answer.objects.filter(response=submitted, needs_clarification=True).exists()


def test_clarification_needs_at_least_one_question(submitted, analyst):
    with pytest.raises(ReviewNotAllowed, match="at least one question"):
        clarification_request(response=submitted, questions={}, user=analyst)


def test_clarification_only_on_a_submitted_response(example_version, analyst):
    response = ResponseFactory(version=example_version, status=ResponseStatus.IN_PROGRESS)

    with pytest.raises(ReviewNotAllowed, match="only a submitted response"):
        clarification_request(response=response, questions={"rollback_rate": "x"}, user=analyst)


def test_verifying_evidence_narrows_the_range_and_is_recorded(submitted, analyst):
    response_accept(response=submitted, user=analyst)
    before = ResponseScore.objects.get(response=submitted, profile_key="general")
    answer = Answer.objects.get(response=submitted, question__key="rollback_rate")

    answer_evidence_level_set(answer=answer, level=EvidenceLevel.VERIFIED, user=analyst)

    answer.refresh_from_db()
    assert answer.evidence_level == EvidenceLevel.VERIFIED
    after = ResponseScore.objects.get(response=submitted, profile_key="general")
    assert after.high < before.high
    assert after.score == pytest.approx(before.score)
    event = AuditEvent.objects.get(response=submitted, kind=AuditEvent.Kind.EVIDENCE_VERIFIED)
    assert event.actor_user == analyst
    assert event.data == {"question": "rollback_rate", "from": "self_attested", "to": "verified"}


def test_setting_the_same_evidence_level_again_records_nothing(submitted, analyst):
    answer = Answer.objects.get(response=submitted, question__key="rollback_rate")
    answer_evidence_level_set(answer=answer, level=EvidenceLevel.DOCUMENT, user=analyst)
    answer_evidence_level_set(answer=answer, level=EvidenceLevel.DOCUMENT, user=analyst)

    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.EVIDENCE_VERIFIED).count() == 1


def test_unknown_evidence_level_is_refused(submitted, analyst):
    answer = Answer.objects.get(response=submitted, question__key="rollback_rate")

    with pytest.raises(ReviewNotAllowed, match="use one of: self_attested, document, verified"):
        answer_evidence_level_set(answer=answer, level="trusted", user=analyst)


def test_evidence_is_not_reviewed_before_submission(example_version, analyst):
    response = ResponseFactory(version=example_version, status=ResponseStatus.IN_PROGRESS)
    answer = answer_all(response, {"rollback_rate": 3})[0]

    with pytest.raises(ReviewNotAllowed, match="once the vendor has submitted"):
        answer_evidence_level_set(answer=answer, level=EvidenceLevel.VERIFIED, user=analyst)
    answer.refresh_from_db()
    assert answer.evidence_level == EvidenceLevel.SELF_ATTESTED
