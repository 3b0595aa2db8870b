"""Answering in the portal: section pages, saving, validation, conditions, conflicts."""

from __future__ import annotations

import json

import pytest

from questionnaires.audit import AnswerChanged, EventLabels, describe_event
from questionnaires.models import Answer, AuditEvent, ResponseStatus
from questionnaires.services.answers import AnswerChange, answers_save, response_submit
from questionnaires.services.reviews import clarification_request
from tests.factories import UserFactory, answer_all
from tests.vendors.helpers import open_response, section_post, url
from vendors.forms import answer_fingerprint
from vendors.models import AccessLink
from vendors.sections import NOT_ASKED

COMPLETE = {
    "live_deployments": 12,
    "rollback_rate": 8,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}


def _answers(response) -> dict:
    return dict(Answer.objects.filter(response=response).values_list("question__key", "value"))


# The section page ------------------------------------------------------------------------


def test_section_page_shows_questions_help_sources_and_progress(client, example_version):
    token, _ = open_response(example_version)
    page = client.get(url("section", token, "track_record"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Production track record" in body
    assert "How many enterprise deployments" in body
    # Help says why the buyer asks; sources are cited.
    assert "The denominator for every rate below" in body
    assert "Sinch, The AI Production Paradox" in body
    assert "0 of 1 answered" in body
    # Every visible input has a label.
    for field_id in ("id_live_deployments", "id_live_deployments-comment"):
        assert f'for="{field_id}"' in body


def test_conditional_questions_are_hidden_until_their_condition_holds(client, example_version):
    token, response = open_response(example_version)
    body = client.get(url("section", token, "track_record")).content.decode()
    assert _card_hidden(body, "rollback_rate")

    answer_all(response, {"live_deployments": 12})
    body = client.get(url("section", token, "track_record")).content.decode()
    assert not _card_hidden(body, "rollback_rate")
    assert _card_hidden(body, "rollback_reasons")
    assert "1 of 2 answered" in body


def _card_hidden(body: str, key: str) -> bool:
    start = body.index(f'id="q-{key}"')
    tag_end = body.index(">", start)
    return "hidden" in body[start:tag_end]


# Saving without JavaScript ------------------------------------------------------------------


def test_save_button_stores_answers_and_records_who(client, example_version):
    token, response = open_response(example_version)
    page = client.post(
        url("section", token, "oversight"),
        section_post(
            {
                "live_monitoring": "sampled",
                "human_approval_money": "yes",
                "kill_switch_owner": "The duty manager",
            }
        ),
    )
    assert page.status_code == 302
    assert _answers(response) == {
        "live_monitoring": "sampled",
        "human_approval_money": "yes",
        "kill_switch_owner": "The duty manager",
    }
    answer = Answer.objects.get(response=response, question__key="kill_switch_owner")
    assert answer.revision == 1
    assert answer.updated_by.startswith("Dana Vendor <")
    assert (
        AuditEvent.objects.filter(response=response, kind=AuditEvent.Kind.ANSWER_CHANGED).count()
        == 3
    )
    follow = client.get(page["Location"]).content.decode()
    assert "Last saved at" in follow


def test_save_and_continue_goes_to_the_next_section(client, example_version):
    token, _ = open_response(example_version)
    page = client.post(
        url("section", token, "track_record"),
        section_post({"live_deployments": "3"}, action="next"),
    )
    assert page["Location"] == url("section", token, "oversight")


def test_first_save_moves_an_invited_response_to_in_progress(client, example_version):
    token, response = open_response(example_version, status=ResponseStatus.INVITED)
    client.post(url("section", token, "track_record"), section_post({"live_deployments": "3"}))
    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS
    event = AuditEvent.objects.get(response=response, kind=AuditEvent.Kind.STATUS_CHANGED)
    assert event.data == {"from": "invited", "to": "in_progress"}
    assert event.actor_label.startswith("Dana Vendor")


@pytest.mark.parametrize(
    "typed, stored",
    [("12", 12), (" 1,200 ", 1200)],
)
def test_whole_numbers_are_read_as_people_type_them(client, example_version, typed, stored):
    token, response = open_response(example_version)
    client.post(url("section", token, "track_record"), section_post({"live_deployments": typed}))
    assert _answers(response)["live_deployments"] == stored


def test_percentages_accept_a_percent_sign_and_store_numbers(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    client.post(
        url("section", token, "track_record"),
        section_post(
            {"live_deployments": "12", "rollback_rate": "12.5 %"}, revisions={"live_deployments": 1}
        ),
    )
    assert _answers(response)["rollback_rate"] == 12.5


def test_invalid_answer_is_named_next_to_the_field_and_in_a_summary_and_others_are_kept(
    client, example_version
):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    page = client.post(
        url("section", token, "track_record"),
        {
            "live_deployments": "20",
            "live_deployments-revision": 1,
            "rollback_rate": "150",
            "rollback_rate-revision": 0,
            "rollback_rate-comment": "Two pilots paused",
        },
    )
    body = page.content.decode()
    assert page.status_code == 200
    message = "Enter a percentage between 0 and 100."
    assert body.count(message) == 2  # next to the field and in the summary
    assert 'id="error-summary"' in body
    assert 'href="#id_rollback_rate"' in body
    # The bad value stays in the field for correcting; the valid answer is saved.
    assert 'value="150"' in body
    assert _answers(response)["live_deployments"] == 20
    assert "rollback_rate" not in _answers(response)


@pytest.mark.parametrize(
    "key, typed, message",
    [
        ("live_deployments", "twelve", "Enter a whole number of at least 0."),
        ("live_deployments", "-3", "Enter a whole number of at least 0."),
        ("live_deployments", "2.5", "Enter a whole number of at least 0."),
    ],
)
def test_number_errors_speak_the_vendors_language(client, example_version, key, typed, message):
    token, _ = open_response(example_version)
    page = client.post(url("section", token, "track_record"), section_post({key: typed}))
    assert message in page.content.decode()


def test_text_longer_than_allowed_is_refused_with_the_limit(client, example_version):
    token, response = open_response(example_version)
    page = client.post(
        url("section", token, "oversight"), section_post({"kill_switch_owner": "x" * 501})
    )
    assert "Keep this answer to 500 characters or fewer (it has 501)." in page.content.decode()
    assert "kill_switch_owner" not in _answers(response)


def test_server_ignores_answers_to_questions_hidden_by_their_condition(client, example_version):
    token, response = open_response(example_version)
    # No deployments: the rollback rate does not apply, even if a value is posted.
    page = client.post(
        url("section", token, "track_record"),
        section_post({"live_deployments": "0", "rollback_rate": "999"}),
    )
    assert page.status_code == 302
    assert _answers(response) == {"live_deployments": 0}


def test_unchanged_fields_are_not_saved_again(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    page = client.get(url("section", token, "track_record")).content.decode()
    loaded = _hidden_value(page, "live_deployments-loaded")
    client.post(
        url("section", token, "track_record"),
        {
            "live_deployments": "12",
            "live_deployments-revision": 1,
            "live_deployments-loaded": loaded,
        },
    )
    assert Answer.objects.get(response=response, question__key="live_deployments").revision == 1


def _hidden_value(body: str, name: str) -> str:
    start = body.index(f'name="{name}"')
    value_at = body.index('value="', start) + len('value="')
    return body[value_at : body.index('"', value_at)]


# Conflicts -----------------------------------------------------------------------------------


def test_save_based_on_a_stale_revision_is_not_applied_and_shows_both_values(
    client, example_version
):
    token, response = open_response(example_version)
    page = client.get(url("section", token, "oversight")).content.decode()
    loaded = _hidden_value(page, "kill_switch_owner-loaded")
    # A colleague saves first.
    client.post(
        url("autosave", token, "kill_switch_owner"),
        {"kill_switch_owner": "Head of operations", "kill_switch_owner-revision": 0},
    )
    # This vendor's Save still carries revision 0.
    page = client.post(
        url("section", token, "oversight"),
        {
            "kill_switch_owner": "The CTO",
            "kill_switch_owner-revision": 0,
            "kill_switch_owner-loaded": loaded,
        },
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Someone else changed this answer" in body
    assert "Head of operations" in body and "The CTO" in body
    assert _answers(response)["kill_switch_owner"] == "Head of operations"
    # Saving again from the page as re-rendered means "keep mine".
    again = client.post(
        url("section", token, "oversight"),
        {
            "kill_switch_owner": "The CTO",
            "kill_switch_owner-revision": _hidden_value(body, "kill_switch_owner-revision"),
            "kill_switch_owner-loaded": _hidden_value(body, "kill_switch_owner-loaded"),
        },
    )
    assert again.status_code == 302
    assert _answers(response)["kill_switch_owner"] == "The CTO"


def test_an_untouched_field_with_a_newer_answer_keeps_the_newer_answer(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"kill_switch_owner": "Original"})
    page = client.get(url("section", token, "oversight")).content.decode()
    loaded = _hidden_value(page, "kill_switch_owner-loaded")
    Answer.objects.filter(response=response, question__key="kill_switch_owner").update(
        value="Colleague's newer answer", revision=2
    )
    result = client.post(
        url("section", token, "oversight"),
        {
            "kill_switch_owner": "Original",
            "kill_switch_owner-revision": 1,
            "kill_switch_owner-loaded": loaded,
            "live_monitoring": "realtime",
            "live_monitoring-revision": 0,
        },
    )
    assert result.status_code == 302
    assert _answers(response)["kill_switch_owner"] == "Colleague's newer answer"
    assert _answers(response)["live_monitoring"] == "realtime"


# Autosave ----------------------------------------------------------------------------------------


def test_autosave_saves_one_answer_and_reports_revision_visibility_and_progress(
    client, example_version
):
    token, response = open_response(example_version)
    reply = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "12", "live_deployments-revision": 0},
    ).json()
    assert reply["status"] == "saved"
    assert reply["revision"] == 1
    assert reply["saved_at"]
    assert "rollback_rate" in reply["visible"]  # the follow-up now applies
    assert "rollback_reasons" not in reply["visible"]
    assert reply["section_progress"] == {"answered": 1, "total": 2}
    assert _answers(response) == {"live_deployments": 12}


def test_autosave_records_the_contact_and_the_link_but_never_its_token(client, example_version):
    token, response = open_response(example_version)
    link = AccessLink.objects.get(response=response)
    client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "12", "live_deployments-revision": 0},
    )
    event = AuditEvent.objects.get(response=response, kind=AuditEvent.Kind.ANSWER_CHANGED)
    assert event.actor_label.startswith("Dana Vendor <")
    assert event.data[AnswerChanged.LINK] == link.pk
    described = describe_event(event.kind, event.data, EventLabels.of(example_version.definition))
    assert f"Via access link #{link.pk}" in described.details
    recorded = json.dumps(event.data) + str(described) + event.actor_label
    assert token not in recorded and link.token_hash not in recorded


def test_autosave_of_a_risky_answer_asks_for_an_explanation(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    reply = client.post(
        url("autosave", token, "rollback_rate"),
        {"rollback_rate": "30", "rollback_rate-revision": 0},
    ).json()
    assert reply["explain_needed"] is True
    low = client.post(
        url("autosave", token, "rollback_rate"),
        {"rollback_rate": "5", "rollback_rate-revision": reply["revision"]},
    ).json()
    assert low["explain_needed"] is False


def test_autosave_refuses_an_invalid_value_with_the_message(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    reply = client.post(
        url("autosave", token, "rollback_rate"),
        {"rollback_rate": "150", "rollback_rate-revision": 0},
    ).json()
    assert reply == {
        "status": "invalid",
        "errors": {"id_rollback_rate": ["Enter a percentage between 0 and 100."]},
    }
    assert "rollback_rate" not in _answers(response)


@pytest.mark.parametrize("sent", ["8", "999", ""])
def test_autosave_to_a_question_not_asked_is_refused_not_saved(client, example_version, sent):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 0})  # no deployments: no rollback rate
    reply = client.post(
        url("autosave", token, "rollback_rate"),
        {"rollback_rate": sent, "rollback_rate-revision": 0},
    )
    assert reply.status_code == 409
    body = reply.json()
    assert body["status"] == "not_asked"
    assert body["message"] == NOT_ASKED
    assert "not asked" in body["message"]
    assert "rollback_rate" not in body["visible"]
    assert "revision" not in body  # nothing here for the page to take as saved
    assert body["section_progress"] == {"answered": 1, "total": 1}
    assert _answers(response) == {"live_deployments": 0}


def test_autosave_of_a_stored_answer_no_longer_asked_is_not_unchanged(client, example_version):
    """Sent back as it was loaded (which used to read "unchanged"), after the answer it
    follows up on changed elsewhere."""
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12, "rollback_rate": 8})
    stored = Answer.objects.get(response=response, question__key="rollback_rate")
    loaded = answer_fingerprint(stored.value, stored.comment)
    deployments = Answer.objects.get(response=response, question__key="live_deployments")
    answers_save(
        response=response,
        changes=[AnswerChange("live_deployments", 0, "", deployments.revision, (12, ""))],
        actor="colleague",
    )
    reply = client.post(
        url("autosave", token, "rollback_rate"),
        {
            "rollback_rate": "8",
            "rollback_rate-revision": stored.revision,
            "rollback_rate-loaded": loaded,
        },
    )
    assert reply.status_code == 409
    assert reply.json()["status"] == "not_asked"
    assert _answers(response) == {"live_deployments": 0, "rollback_rate": 8}


def test_autosave_conflict_returns_both_values(client, example_version):
    token, response = open_response(example_version)
    first = client.post(
        url("autosave", token, "kill_switch_owner"),
        {"kill_switch_owner": "Ops lead", "kill_switch_owner-revision": 0},
    ).json()
    assert first["status"] == "saved"
    stale = client.post(
        url("autosave", token, "kill_switch_owner"),
        {"kill_switch_owner": "The CTO", "kill_switch_owner-revision": 0},
    ).json()
    assert stale["status"] == "conflict"
    assert stale["theirs"] == {"value": "Ops lead", "comment": ""}
    assert stale["revision"] == 1
    assert "Ops lead" in stale["conflict_html"] and "The CTO" in stale["conflict_html"]
    assert _answers(response)["kill_switch_owner"] == "Ops lead"


def test_the_same_change_twice_is_not_a_conflict(client, example_version):
    token, _ = open_response(example_version)
    for _ in range(2):
        reply = client.post(
            url("autosave", token, "human_approval_money"),
            {"human_approval_money": "yes", "human_approval_money-revision": 0},
        ).json()
    assert reply["status"] == "unchanged"
    assert reply["revision"] == 1


def test_autosave_comment_only(client, example_version):
    token, response = open_response(example_version)
    reply = client.post(
        url("autosave", token, "live_monitoring"),
        {
            "live_monitoring-comment": "We sample 5% of conversations daily.",
            "live_monitoring-revision": 0,
        },
    ).json()
    assert reply["status"] == "saved"
    answer = Answer.objects.get(response=response, question__key="live_monitoring")
    assert answer.comment == "We sample 5% of conversations daily."
    assert answer.value is None


def test_a_draft_is_still_there_a_week_later(client, example_version):
    token, _ = open_response(example_version)
    client.post(
        url("autosave", token, "kill_switch_owner"),
        {"kill_switch_owner": "Night shift lead", "kill_switch_owner-revision": 0},
    )
    client.cookies.clear()  # another sitting, another browser
    body = client.get(url("section", token, "oversight")).content.decode()
    assert "Night shift lead" in body


# Saving what the page read, in one UPDATE --------------------------------------------------------


def _stored(response, key: str) -> Answer:
    return Answer.objects.get(response=response, question__key=key)


def test_a_change_to_the_answer_as_read_is_saved_in_place(example_version):
    _, response = open_response(example_version)
    answer_all(response, {"kill_switch_owner": "Ops"})
    change = AnswerChange("kill_switch_owner", "Night lead", "24/7", 1, base=("Ops", ""))

    result = answers_save(response=response, changes=[change], actor="Dana").results
    assert result["kill_switch_owner"].status == "saved"
    stored = _stored(response, "kill_switch_owner")
    assert (stored.value, stored.comment, stored.revision) == ("Night lead", "24/7", 2)
    event = AuditEvent.objects.get(response=response, kind=AuditEvent.Kind.ANSWER_CHANGED)
    assert event.data == {
        "question": "kill_switch_owner",
        "value": "Night lead",
        "comment": "24/7",
        "revision": 2,
        "old_value": "Ops",
        "old_comment": "",
    }


def test_an_answer_changed_after_it_was_read_is_a_conflict_not_overwritten(example_version):
    _, response = open_response(example_version)
    answer_all(response, {"kill_switch_owner": "Ops"})
    # A colleague saves between this page's read and its save.
    answers_save(
        response=response,
        changes=[AnswerChange("kill_switch_owner", "Security team", "", 1, base=("Ops", ""))],
        actor="Sam",
    )
    late = AnswerChange("kill_switch_owner", "Night lead", "", 1, base=("Ops", ""))

    result = answers_save(response=response, changes=[late], actor="Dana").results
    assert result["kill_switch_owner"].status == "conflict"
    assert result["kill_switch_owner"].value == "Security team"
    assert _stored(response, "kill_switch_owner").value == "Security team"


def test_sending_back_the_answer_as_read_changes_nothing(example_version):
    _, response = open_response(example_version)
    answer_all(response, {"kill_switch_owner": "Ops"})
    same = AnswerChange("kill_switch_owner", "Ops", "", 1, base=("Ops", ""))

    result = answers_save(response=response, changes=[same], actor="Dana").results
    assert result["kill_switch_owner"].status == "unchanged"
    assert _stored(response, "kill_switch_owner").revision == 1
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ANSWER_CHANGED).exists()


def test_a_file_question_keeps_its_files_when_its_comment_is_saved(example_version):
    _, response = open_response(example_version)
    answer_all(response, {"monitoring_report": ["report.pdf"]})
    change = AnswerChange("monitoring_report", None, "From May", 1, base=(["report.pdf"], ""))

    result = answers_save(response=response, changes=[change], actor="Dana").results
    assert result["monitoring_report"].status == "saved"
    stored = _stored(response, "monitoring_report")
    assert (stored.value, stored.comment) == (["report.pdf"], "From May")


def test_during_clarification_an_answer_not_reopened_stays_locked(example_version):
    _, response = open_response(example_version)
    answer_all(response, COMPLETE)
    response_submit(response=response, actor="Dana")
    clarification_request(
        response=response, questions={"rollback_rate": "Which period?"}, user=UserFactory()
    )
    change = AnswerChange("live_deployments", 13, "", 1, base=(12, ""))

    result = answers_save(response=response, changes=[change], actor="Dana").results
    assert result["live_deployments"].status == "locked"
    assert _stored(response, "live_deployments").value == 12
