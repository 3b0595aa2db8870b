"""Answers carried forward from the vendor's earlier round: marked, confirmed, counted.

A carried-forward answer is shown in its field with a notice, counts as still to do on
the overview and the section, is listed as missing at submit and is left out of the
score until the vendor confirms it (one answer, or a section at once) or changes it.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string

from questionnaires.audit import AnswersConfirmed
from questionnaires.comparison import CARRIED, build_comparison
from questionnaires.models import Answer, AuditEvent, ResponseScore, ResponseStatus
from questionnaires.services.answers import (
    AnswerLocked,
    ResponseIncomplete,
    ResponseNotEditable,
    answers_confirm,
    response_missing,
    response_submit,
)
from questionnaires.services.carry_forward import carry_forward
from questionnaires.services.scores import response_score
from tests.factories import ResponseFactory, VendorFactory, answer_all, round_of
from tests.vendors.helpers import link_for, section_post, url
from vendors.emails import round_context

NOTICE = "Carried forward from your previous answers — confirm or change it."
EARLIER = {
    "live_deployments": 12,
    "rollback_rate": 5,
    "live_monitoring": "realtime",
    # A knock-out: critical once it counts.
    "human_approval_money": "no",
}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def carried(version, values=EARLIER, vendor_name="Quillmere", **fields):
    """A vendor's earlier submitted response with `values`, and its new response in a
    later round that starts from them: (token, new response, earlier response)."""
    vendor = VendorFactory(name=vendor_name)
    earlier = ResponseFactory(
        version=version,
        vendor=vendor,
        status=ResponseStatus.SUBMITTED,
        selection=round_of(version, name="Spring round for Contoso"),
    )
    answer_all(earlier, values)
    fields.setdefault("status", ResponseStatus.IN_PROGRESS)
    response = ResponseFactory(
        version=version, vendor=vendor, selection=round_of(version, name="Autumn"), **fields
    )
    assert carry_forward(response=response) == len(values)
    token, _ = link_for(response)
    return token, response, earlier


def _carried_keys(response) -> set[str]:
    return set(
        Answer.objects.filter(response=response, carried_forward=True).values_list(
            "question__key", flat=True
        )
    )


# The service ---------------------------------------------------------------------------------


def test_confirming_one_answer_clears_the_mark_bumps_the_revision_and_records_it(
    example_version,
):
    _, response, _ = carried(example_version)
    before = Answer.objects.get(response=response, question__key="live_monitoring")

    confirmed = answers_confirm(
        response=response, question_keys=["live_monitoring"], actor="Dana Vendor"
    )

    assert confirmed == ["live_monitoring"]
    after = Answer.objects.get(pk=before.pk)
    assert not after.carried_forward
    assert after.revision == before.revision + 1
    assert after.value == before.value and after.updated_by == "Dana Vendor"
    event = AuditEvent.objects.get(response=response, kind=AuditEvent.Kind.ANSWERS_CONFIRMED)
    assert event.actor_label == "Dana Vendor"
    assert event.data == {AnswersConfirmed.SECTION: "", AnswersConfirmed.QUESTIONS: confirmed}
    # Again: nothing left to confirm, nothing recorded.
    assert answers_confirm(response=response, question_keys=["live_monitoring"], actor="x") == []
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.ANSWERS_CONFIRMED).count() == 1


def test_confirming_a_section_confirms_what_the_vendor_sees_there(example_version):
    # The reasons are carried too, but hidden now that the rate is 0.
    values = {**EARLIER, "rollback_rate": 0, "rollback_reasons": ["latency"]}
    _, response, _ = carried(example_version, values)

    confirmed = answers_confirm(response=response, section="track_record", actor="Dana")

    assert confirmed == ["live_deployments", "rollback_rate"]
    assert _carried_keys(response) == {
        "rollback_reasons",
        "live_monitoring",
        "human_approval_money",
    }
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ANSWERS_CONFIRMED)
    assert event.data[AnswersConfirmed.SECTION] == "track_record"


def test_confirming_needs_an_open_response_and_known_keys(example_version):
    _, response, _ = carried(example_version)
    with pytest.raises(KeyError):
        answers_confirm(response=response, question_keys=["no_such_question"], actor="x")
    with pytest.raises(KeyError):
        answers_confirm(response=response, section="no_such_section", actor="x")
    with pytest.raises(TypeError):
        answers_confirm(response=response, actor="x")
    response.status = ResponseStatus.SUBMITTED
    response.save(update_fields=["status"])
    with pytest.raises(ResponseNotEditable):
        answers_confirm(response=response, question_keys=["live_monitoring"], actor="x")
    assert "live_monitoring" in _carried_keys(response)


def test_during_clarification_only_reopened_answers_can_be_confirmed(example_version):
    _, response, _ = carried(example_version, status=ResponseStatus.CLARIFICATION_REQUESTED)
    Answer.objects.filter(response=response, question__key="live_deployments").update(
        needs_clarification=True
    )
    with pytest.raises(AnswerLocked):
        answers_confirm(response=response, question_keys=["rollback_rate"], actor="x")
    assert answers_confirm(response=response, section="track_record", actor="x") == [
        "live_deployments"
    ]
    assert "rollback_rate" in _carried_keys(response)


def test_changing_an_answer_confirms_it(client, example_version):
    token, response, _ = carried(example_version)
    answer = Answer.objects.get(response=response, question__key="live_deployments")
    reply = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "14", "live_deployments-revision": answer.revision},
    ).json()
    assert reply["status"] == "saved"
    assert reply["carried"] is False
    assert "live_deployments" not in _carried_keys(response)


# Counting and submitting ------------------------------------------------------------------------


def test_unconfirmed_answers_are_still_to_do_and_block_submitting(client, example_version):
    token, response, _ = carried(example_version)

    overview = client.get(url("overview", token)).content.decode()
    assert "0 of 7 questions answered" in overview
    assert "4 answers were carried forward from your previous answers." in overview
    assert "2 carried forward to confirm" in overview
    assert "carried forward, not confirmed" in overview

    missing = response_missing(response)
    assert [(m.question_key, m.kind) for m in missing] == [
        ("live_deployments", "unconfirmed"),
        ("rollback_rate", "unconfirmed"),
        ("live_monitoring", "unconfirmed"),
        ("human_approval_money", "unconfirmed"),
    ]
    page = client.post(url("submit", token), {"confirm": "yes"}).content.decode()
    assert "Not submitted yet" in page
    assert "Carried forward, not confirmed: confirm it or change it." in page
    with pytest.raises(ResponseIncomplete):
        response_submit(response=response, actor="Dana")

    for section in ("track_record", "oversight"):
        answers_confirm(response=response, section=section, actor="Dana")
    assert response_missing(response) == []
    response_submit(response=response, actor="Dana")
    assert response.status == ResponseStatus.SUBMITTED


def test_an_optional_carried_answer_must_be_confirmed_too(example_version):
    _, response, _ = carried(example_version, {**EARLIER, "kill_switch_owner": "The CISO"})
    answers_confirm(response=response, section="track_record", actor="x")
    answers_confirm(
        response=response, question_keys=["live_monitoring", "human_approval_money"], actor="x"
    )
    assert [m.question_key for m in response_missing(response)] == ["kill_switch_owner"]


# Scoring ----------------------------------------------------------------------------------------


def test_scoring_treats_an_unconfirmed_answer_as_unanswered(example_version):
    _, response, _ = carried(example_version)
    profile = example_version.default_profile_key

    [before] = response_score(response=response, profile_keys=[profile])
    assert before.score is None and before.coverage == 0
    assert before.flag_count == 0  # the carried knock-out does not count yet
    cell = build_comparison([response.pk], profile_key=profile, robustness=False).rows()
    cells = {row.key: row.cells[0] for _, row in cell}
    assert cells["human_approval_money"].state == "unanswered"
    assert cells["human_approval_money"].display == CARRIED

    answers_confirm(response=response, question_keys=["human_approval_money"], actor="x")
    [after] = response_score(response=response, profile_keys=[profile])
    assert after.score is not None and after.coverage > 0
    assert after.flag_count == 1 and after.tier == "critical"
    assert ResponseScore.objects.get(pk=after.pk).tier == "critical"


# The portal -------------------------------------------------------------------------------------


def test_the_section_marks_each_carried_answer_with_its_value_in_the_field(client, example_version):
    token, _, _ = carried(example_version)
    body = client.get(url("section", token, "track_record")).content.decode()
    assert body.count(NOTICE) == 2
    assert body.count('name="confirm_answer"') == 2
    assert 'value="12"' in body  # the carried value fills its field
    assert "2 answers</span> on this page" in body
    assert 'value="confirm_section"' in body
    # Where it was carried from stays private: another round's name may name its buyer.
    assert "Contoso" not in body and "Spring round" not in body


def test_confirming_through_portal_js_then_saving_from_the_same_page(client, example_version):
    token, response, _ = carried(example_version)
    client.get(url("section", token, "oversight"))  # warm the cache
    reply = client.post(url("confirm", token, "live_monitoring")).json()
    assert reply["status"] == "confirmed"
    assert reply["carried"] is False
    assert reply["section_carried"] == 1
    assert reply["section_progress"] == {"answered": 1, "total": 4}
    # The page continues from the new revision: a change from it saves, no conflict.
    saved = client.post(
        url("autosave", token, "live_monitoring"),
        {"live_monitoring": "sampled", "live_monitoring-revision": reply["revision"]},
    ).json()
    assert saved["status"] == "saved"
    # Confirming what is no longer carried forward changes nothing.
    again = client.post(url("confirm", token, "live_monitoring")).json()
    assert again["status"] == "unchanged"
    # The cached page shows one mark fewer at once.
    page = client.get(url("section", token, "oversight")).content.decode()
    assert page.count(NOTICE) == 1
    assert "carried" not in str(reply.get("message", ""))
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.ANSWERS_CONFIRMED).count() == 1
    assert response.answers.get(question__key="live_monitoring").value == "sampled"


def test_confirming_without_javascript_one_answer_or_the_section(client, example_version):
    token, response, _ = carried(example_version)
    revisions = dict(
        Answer.objects.filter(response=response).values_list("question__key", "revision")
    )
    post = section_post(
        {"live_deployments": "12", "rollback_rate": "5"}, revisions=revisions, action="save"
    )
    reply = client.post(
        url("section", token, "track_record"), {**post, "confirm_answer": "rollback_rate"}
    )
    assert reply.status_code == 302
    assert reply["Location"].endswith("#q-rollback_rate")
    assert _carried_keys(response) == {
        "live_deployments",
        "live_monitoring",
        "human_approval_money",
    }

    post = section_post(
        {"live_monitoring": "realtime", "human_approval_money": "yes"},
        revisions=revisions,
        action="confirm_section",
    )
    # A change made in the same post is saved (and so confirmed); the rest is confirmed.
    reply = client.post(url("section", token, "oversight"), post)
    assert reply.status_code == 302
    assert _carried_keys(response) == {"live_deployments"}
    assert response.answers.get(question__key="human_approval_money").value == "yes"
    page = client.get(reply["Location"]).content.decode()
    assert "this page&#x27;s carried-forward answers confirmed" in page
    assert NOTICE not in page


def test_a_confirm_post_naming_no_carried_answer_of_the_page_saves_nothing(client, example_version):
    token, response, _ = carried(example_version)
    for named in ("live_monitoring", "no_such_question", "<script>"):
        post = section_post({"live_deployments": "99"}, revisions={"live_deployments": 1})
        reply = client.post(
            url("section", token, "track_record"), {**post, "confirm_answer": named}
        )
        assert reply.status_code == 400, named
        assert "Nothing was saved" in reply.content.decode()
    assert response.answers.get(question__key="live_deployments").value == 12
    assert len(_carried_keys(response)) == 4


def test_a_cached_section_never_shows_a_stale_mark(client, example_version):
    token, response, _ = carried(example_version)
    page_url = url("section", token, "track_record")
    assert client.get(page_url).content.decode().count(NOTICE) == 2
    # Even a change that moves no revision (here, straight in the database) shows at once.
    Answer.objects.filter(response=response, question__key="rollback_rate").update(
        carried_forward=False
    )
    assert client.get(page_url).content.decode().count(NOTICE) == 1
    answers_confirm(response=response, section="track_record", actor="x")
    body = client.get(page_url).content.decode()
    assert NOTICE not in body and 'value="confirm_section"' not in body


def test_another_responses_link_cannot_confirm(client, example_version):
    token, response, _ = carried(example_version)
    _, other, _ = carried(example_version, vendor_name="Tallyforge")
    other_token, _ = link_for(other)
    # Alder's question key through the other vendor's link confirms the other's answer only.
    client.post(url("confirm", other_token, "live_monitoring"))
    assert "live_monitoring" in _carried_keys(response)
    assert "live_monitoring" not in _carried_keys(other)
    assert client.post(url("confirm", token, "no_such_question")).status_code == 404
    assert token != other_token


def test_confirm_posts_are_bounded_and_need_the_csrf_token(example_version):
    from django.test import Client

    token, response, _ = carried(example_version)
    client = Client()
    assert client.get(url("confirm", token, "live_monitoring")).status_code == 405
    # Whatever the body holds, only the question the URL names is confirmed.
    reply = client.post(
        url("confirm", token, "live_monitoring"),
        {"question": "human_approval_money", "confirm_answer": ["live_deployments"] * 50},
    ).json()
    assert reply["status"] == "confirmed"
    assert _carried_keys(response) == {"live_deployments", "rollback_rate", "human_approval_money"}
    # A section post names one answer at most, and one of its own.
    revisions = {"live_deployments": 1, "rollback_rate": 1}
    for named in (["live_deployments", "rollback_rate"], ["x" * 5000]):
        post = {**section_post({"live_deployments": "12"}, revisions=revisions)}
        post["confirm_answer"] = named
        reply = client.post(url("section", token, "track_record"), post)
        assert reply.status_code == 400
    assert "live_deployments" in _carried_keys(response)
    # Without the CSRF token, nothing is confirmed.
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url("confirm", token, "human_approval_money")).status_code == 403
    assert "human_approval_money" in _carried_keys(response)


# How the count of what is left is worded -----------------------------------------------------


def _invitation(response) -> tuple[str, str]:
    context = {**round_context(response), "contact": None, "url": "https://x.example/"}
    return (
        render_to_string("emails/invitation.txt", context),
        render_to_string("emails/invitation.html", context),
    )


def test_with_answers_carried_forward_the_count_is_to_answer_or_confirm(client, example_version):
    """Unconfirmed carried answers count, required or not: not "required items"."""
    token, response, _ = carried(example_version)
    count = len(response_missing(response))
    for body in _invitation(response):
        assert f"{count} items to answer or confirm." in body
        assert "required item" not in body
    overview = client.get(url("overview", token)).content.decode()
    assert f"{count} items to answer or confirm before you can submit." in overview
    assert "required item" not in overview
    # The submit page counts the same items.
    submit = client.get(url("submit", token)).content.decode()
    assert f"{count} items are missing" in submit


def test_without_carried_answers_the_count_is_of_required_items(client, example_version):
    response = ResponseFactory(version=example_version, status=ResponseStatus.IN_PROGRESS)
    token, _ = link_for(response)
    count = len(response_missing(response))
    for body in _invitation(response):
        assert f"{count} required items to answer." in body
        assert "or confirm" not in body
    overview = client.get(url("overview", token)).content.decode()
    assert f"{count} required items to answer before you can submit." in overview
