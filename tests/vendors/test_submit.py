"""Submitting, the read-only record of what was sent, and answering a clarification."""

from __future__ import annotations

import pytest
from django.core import mail

from questionnaires.models import Answer, AuditEvent, ResponseScore, ResponseStatus
from questionnaires.services.answers import (
    ResponseIncomplete,
    ResponseNotEditable,
    response_resubmit,
    response_submit,
)
from questionnaires.services.reviews import clarification_request
from tests.factories import ContactFactory, UserFactory, answer_all
from tests.vendors.helpers import link_for, open_response, url

COMPLETE = {
    "live_deployments": 12,
    "rollback_rate": 8,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}


def test_submit_page_lists_every_missing_item_with_a_link(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12, "rollback_rate": 30})
    body = client.get(url("submit", token)).content.decode()
    assert "3 items are missing" in body
    section_one = url("section", token, "track_record")
    section_two = url("section", token, "oversight")
    assert f'href="{section_two}#q-live_monitoring"' in body
    assert f'href="{section_two}#q-human_approval_money"' in body
    # A risky answer needs its explanation before submitting.
    assert f'href="{section_one}#q-rollback_rate"' in body
    assert "Explain your answer: What caused the rollbacks" in body


def test_submitting_with_items_missing_keeps_the_response_open(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    page = client.post(url("submit", token), {"confirm": "yes"})
    assert page.status_code == 200
    assert "Not submitted yet" in page.content.decode()
    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS


def test_questions_hidden_by_a_condition_are_not_required(example_version):
    _, response = open_response(example_version)
    answer_all(
        response,
        {"live_deployments": 0, "live_monitoring": "sampled", "human_approval_money": "no"},
    )
    response_submit(response=response, actor="Dana")
    assert response.status == ResponseStatus.SUBMITTED


def test_submit_locks_the_response_scores_it_and_records_who(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, COMPLETE)
    page = client.post(url("submit", token), {"confirm": "yes"})
    assert page["Location"] == url("sent", token)
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.submitted_at is not None
    event = AuditEvent.objects.get(response=response, kind=AuditEvent.Kind.STATUS_CHANGED)
    assert event.data == {"from": "in_progress", "to": "submitted"}
    assert event.actor_label.startswith("Dana Vendor")
    assert ResponseScore.objects.filter(response=response).exists()

    # Read-only from now on: sections show the record, saving is refused.
    assert client.get(url("section", token, "track_record"))["Location"].startswith(
        url("sent", token)
    )
    locked = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "99", "live_deployments-revision": 1},
    )
    assert locked.status_code == 409
    assert Answer.objects.get(response=response, question__key="live_deployments").value == 12


def test_the_sent_page_shows_everything_that_was_sent_for_printing(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {**COMPLETE, "kill_switch_owner": "Duty manager"})
    Answer.objects.filter(response=response, question__key="rollback_rate").update(
        comment="Two pilots in 2025."
    )
    response_submit(response=response, actor="Dana")
    body = client.get(url("sent", token)).content.decode()
    assert "Submitted" in body
    for shown in ("12", "8%", "Real-time monitoring with alerting", "Yes", "Duty manager"):
        assert shown in body
    assert "Two pilots in 2025." in body
    assert "data-print" in body  # a Print button (and print styles in portal.css)
    # The reasons question stays hidden: its condition did not hold.
    assert "What were the reasons?" in body  # rollback_rate 8 > 0 shows it
    assert "Not answered" in body


def test_a_submitted_response_cannot_be_submitted_twice(example_version):
    _, response = open_response(example_version)
    answer_all(response, COMPLETE)
    response_submit(response=response, actor="Dana")
    with pytest.raises(ResponseNotEditable):
        response_submit(response=response, actor="Dana")


def test_submit_service_reports_what_is_missing(example_version):
    _, response = open_response(example_version)
    with pytest.raises(ResponseIncomplete) as incomplete:
        response_submit(response=response, actor="Dana")
    assert [m.question_key for m in incomplete.value.missing] == [
        "live_deployments",
        "live_monitoring",
        "human_approval_money",
    ]


# Clarification ---------------------------------------------------------------------------------


@pytest.fixture
def clarification(example_version, django_capture_on_commit_callbacks):
    """A submitted response whose analyst reopened the rollback rate with a note."""
    token, response = open_response(example_version)
    answer_all(response, COMPLETE)
    ContactFactory(vendor=response.vendor, email="second@vendor.example")
    response_submit(response=response, actor="Dana")
    analyst = UserFactory(username="reviewer")
    with django_capture_on_commit_callbacks(execute=True):
        clarification_request(
            response=response,
            questions={"rollback_rate": "Over which period? Please attach the log."},
            user=analyst,
        )
    return token, response


def test_clarification_emails_the_vendor_and_shows_the_notes(client, clarification):
    token, response = clarification
    assert [m.to for m in mail.outbox] == [[response.access_links.get().contact.email]]
    assert "Over which period?" in mail.outbox[0].body
    body = client.get(url("overview", token)).content.decode()
    assert "The analyst asked you to clarify one answer" in body
    assert "Over which period? Please attach the log." in body


def test_during_clarification_only_reopened_answers_can_change(client, clarification):
    token, response = clarification
    page = client.get(url("section", token, "track_record")).content.decode()
    assert "The analyst asked you to clarify this answer" in page
    # The other answer of the section is shown read-only.
    start = page.index('name="live_deployments"')
    assert "disabled" in page[start : page.index(">", start)]

    refused = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "13", "live_deployments-revision": 1},
    )
    assert refused.status_code == 409
    assert refused.json()["status"] == "locked"
    allowed = client.post(
        url("autosave", token, "rollback_rate"),
        {"rollback_rate": "9", "rollback_rate-revision": 1, "rollback_rate-comment": "FY2025"},
    ).json()
    assert allowed["status"] == "saved"
    answers = dict(Answer.objects.filter(response=response).values_list("question__key", "value"))
    assert answers["live_deployments"] == 12
    assert answers["rollback_rate"] == 9


def test_a_full_save_during_clarification_ignores_locked_answers(client, clarification):
    token, response = clarification
    client.post(
        url("section", token, "track_record"),
        {
            "live_deployments": "999",
            "live_deployments-revision": 1,
            "rollback_rate": "7",
            "rollback_rate-revision": 1,
        },
    )
    answers = dict(Answer.objects.filter(response=response).values_list("question__key", "value"))
    assert answers == {**COMPLETE, "rollback_rate": 7}


def test_resubmitting_clears_the_flags_and_records_the_transition(client, clarification):
    token, response = clarification
    body = client.get(url("submit", token)).content.decode()
    assert "Submit again" in body
    page = client.post(url("submit", token), {"confirm": "yes"})
    assert page["Location"] == url("sent", token)
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    assert not Answer.objects.filter(response=response, needs_clarification=True).exists()
    event = AuditEvent.objects.filter(
        response=response, kind=AuditEvent.Kind.STATUS_CHANGED
    ).first()
    assert event.data == {
        "from": "clarification",
        "to": "submitted",
        "clarified": ["rollback_rate"],
    }
    assert event.actor_label.startswith("Dana Vendor")


def test_resubmit_service_refuses_without_a_clarification(example_version):
    _, response = open_response(example_version)
    with pytest.raises(ResponseNotEditable):
        response_resubmit(response=response, actor="Dana")


def test_second_contact_link_sees_the_same_response(client, example_version):
    token, response = open_response(example_version)
    second_token, _ = link_for(response, contact=ContactFactory(vendor=response.vendor, name="Lee"))
    client.post(
        url("autosave", token, "kill_switch_owner"),
        {"kill_switch_owner": "Ops", "kill_switch_owner-revision": 0},
    )
    body = client.get(url("section", second_token, "oversight")).content.decode()
    assert "Ops" in body
    assert "Last saved at" in body and "by Dana Vendor" in body
