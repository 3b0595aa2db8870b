"""The analyst's side of the board pack: the recommended vendor and its sign-off on the
round, and an override's reason for the buyer apart from its internal note."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from questionnaires.models import AuditEvent, Response, ResponseScore, ResponseStatus, Selection
from questionnaires.services.scores import score_override
from questionnaires.services.selections import (
    SignOffNotPossible,
    selection_save,
    selection_sign_off,
    selection_sign_off_check,
)
from tests.factories import ResponseFactory, UserFactory, round_of, scored_submission

GOOD = {"live_deployments": 40, "rollback_rate": 5, "live_monitoring": "realtime"}
REASON = "Two reference customers confirmed live monitoring on every queue."
NOTE = "Internal: their sales lead pushed for this; recheck in May."


@pytest.fixture
def round_with_vendors(example_version):
    selection = round_of(example_version, name="Contact centre 2027")
    acme = scored_submission(example_version, "Acme Voice", GOOD)
    blip = scored_submission(example_version, "Blip Chat", GOOD)
    selection.responses.add(acme, blip)
    return selection, acme, blip


def test_a_sign_off_records_who_and_when_and_a_new_verdict_clears_it(round_with_vendors):
    selection, acme, blip = round_with_vendors
    dana = UserFactory(username="dana.signs")
    selection.recommended = acme
    selection_save(selection=selection, user=dana)

    selection_sign_off(selection=selection, user=dana, explained=True)

    stored = Selection.objects.get(pk=selection.pk)
    assert stored.signed_off_by == dana
    assert stored.signed_off_at is not None

    stored.recommended = blip  # another vendor: the sign-off no longer holds
    selection_save(selection=stored, user=dana)
    assert Selection.objects.get(pk=selection.pk).signed_off_at is None

    selection_sign_off(selection=stored, user=dana, explained=True)
    stored.recommendation = "Proceed with Blip Chat."  # a new text: signed off again
    selection_save(selection=stored, user=dana)
    assert Selection.objects.get(pk=selection.pk).signed_off_by is None


def test_nothing_to_sign_off_is_refused_with_the_reason(round_with_vendors):
    selection, _, _ = round_with_vendors

    with pytest.raises(SignOffNotPossible, match="has no recommendation yet"):
        selection_sign_off(selection=selection, user=UserFactory())


def test_the_recommended_vendor_is_one_of_the_round_s_responses(
    round_with_vendors, example_version
):
    selection, _, _ = round_with_vendors
    elsewhere = ResponseFactory(version=example_version)
    selection.recommended = elsewhere

    with pytest.raises(ValidationError, match="among this round's responses"):
        selection_save(selection=selection, user=None)


def test_the_round_page_offers_only_its_vendors_and_signs_off(
    db, client, analyst, round_with_vendors, example_version
):
    selection, acme, _ = round_with_vendors
    other = scored_submission(example_version, "Outsider Ltd", GOOD)
    page = client.get(reverse("admin:questionnaires_selection_change", args=[selection.pk]))
    html = page.content.decode()
    assert "No recommendation yet" in html
    assert "Acme Voice (Submitted)" in html
    assert "Outsider Ltd" not in html
    assert other.pk  # exists, just not offered
    assert 'id="sign-off-round"' in html

    Selection.objects.filter(pk=selection.pk).update(recommended=acme)
    url = reverse("admin:questionnaires_selection_sign_off", args=[selection.pk])
    confirm = client.get(url).content.decode()
    assert "Acme Voice" in confirm and "Acme Voice&#x27;s response is not accepted" in confirm
    assert 'name="explained"' in confirm
    assert Selection.objects.get(pk=selection.pk).signed_off_at is None  # a GET signs nothing

    refused = client.post(url, follow=True).content.decode()
    assert "Tick that the recommendation explains them" in refused
    assert Selection.objects.get(pk=selection.pk).signed_off_at is None

    reply = client.post(url, {"explained": "on"}, follow=True)
    assert "Signed off" in reply.content.decode()
    assert Selection.objects.get(pk=selection.pk).signed_off_by == analyst


def test_a_verdict_a_reader_would_question_is_signed_only_once_confirmed(round_with_vendors):
    selection, acme, blip = round_with_vendors
    dana = UserFactory(username="dana.signs")
    selection.recommended = acme
    selection_save(selection=selection, user=dana)
    assert selection_sign_off_check(selection).warnings == (
        "Acme Voice's response is not accepted: it is submitted.",
    )
    with pytest.raises(SignOffNotPossible, match="Tick that the recommendation explains"):
        selection_sign_off(selection=selection, user=dana)

    Response.objects.filter(pk__in=[acme.pk, blip.pk]).update(status=ResponseStatus.ACCEPTED)
    stored = ResponseScore.objects.get(response=blip, profile_key=selection.profile_key)
    score_override(
        response_score=stored,
        user=dana,
        score=90,
        tier="critical",
        justification=NOTE,
        reason=REASON,
    )
    check = selection_sign_off_check(selection)
    assert (check.vendor, check.rank, check.ranked, check.warnings) == ("Acme Voice", 1, 2, ())
    selection_sign_off(selection=selection, user=dana)  # nothing to explain
    assert Selection.objects.get(pk=selection.pk).signed_off_by == dana

    selection.recommended = blip
    selection_save(selection=selection, user=dana)
    check = selection_sign_off_check(selection)
    assert (check.tier, check.rank, check.overridden) == ("critical", 2, True)
    assert check.warnings == (
        "Blip Chat is ranked 2 of 2: Acme Voice ranks higher.",
        "Blip Chat is in the critical tier.",
    )
    with pytest.raises(SignOffNotPossible):
        selection_sign_off(selection=selection, user=dana)
    selection_sign_off(selection=selection, user=dana, explained=True)
    assert Selection.objects.get(pk=selection.pk).signed_off_at is not None


def test_a_critical_red_flag_is_named_among_the_warnings():
    from types import SimpleNamespace as NS

    from questionnaires.recommendation import sign_off_check
    from questionnaires.scoring import Flag

    flag = Flag("money", "critical", "Money moves without a limit", "…", ("q",), "rule")
    column = NS(
        response_id=7,
        vendor_name="Nimbus",
        flags=(flag,),
        effective_tier="high",
        effective_score=12.7,
        is_overridden=False,
        status="accepted",
        status_label="Accepted",
    )
    check = sign_off_check([NS(column=column, rank=1)], 7)
    assert check.warnings == ("Nimbus carries a critical red flag: Money moves without a limit.",)
    assert check.flags == ("critical: Money moves without a limit",)


def test_an_override_records_the_reason_for_the_buyer_and_the_internal_note(example_version):
    response = scored_submission(example_version, "Acme Voice", GOOD)
    stored = ResponseScore.objects.get(response=response, profile_key="general")

    score_override(
        response_score=stored, user=None, score=30, tier="", justification=NOTE, reason=REASON
    )

    stored.refresh_from_db()
    assert (stored.override_reason, stored.override_justification) == (REASON, NOTE)
    event = AuditEvent.objects.get(response=response, kind=AuditEvent.Kind.SCORE_OVERRIDDEN)
    assert (event.data["reason"], event.data["justification"]) == (REASON, NOTE)


def test_an_override_given_an_empty_reason_is_refused(example_version):
    response = scored_submission(example_version, "Acme Voice", GOOD)
    stored = ResponseScore.objects.get(response=response, profile_key="general")

    with pytest.raises(ValidationError) as refused:
        score_override(
            response_score=stored, user=None, score=30, tier="", justification=NOTE, reason=" "
        )

    assert "reason for the buyer" in str(refused.value.message_dict["reason"])
    stored.refresh_from_db()
    assert stored.override_score is None


def test_the_override_form_takes_both_texts_and_names_a_missing_reason(
    db, client, analyst, example_version
):
    response = scored_submission(example_version, "Acme Voice", GOOD)
    target = reverse("admin:questionnaires_response_override", args=[response.pk])
    html = client.get(target).content.decode()
    assert "Reason for the buyer" in html and "Internal note" in html
    posted = {"profile": "general", "score": "30", "tier": "", "justification": NOTE}

    refused = client.post(target, {**posted, "reason": ""})
    accepted = client.post(target, {**posted, "reason": REASON})

    assert "Write the reason for the buyer" in refused.content.decode()
    assert accepted.status_code == 302
    stored = ResponseScore.objects.get(response=response, profile_key="general")
    assert (stored.override_score, stored.override_reason) == (30, REASON)
    assert stored.override_justification == NOTE


def test_the_round_page_names_the_analyst_by_full_name_else_username(
    db, client, analyst, round_with_vendors
):
    selection, acme, _ = round_with_vendors
    dana = UserFactory(username="dana.r", first_name="Dana", last_name="Reyes")
    selection.recommended, selection.recommendation = acme, "Proceed with Acme Voice."
    selection_save(selection=selection, user=dana)
    selection_sign_off(selection=selection, user=dana, explained=True)

    html = client.get(
        reverse("admin:questionnaires_selection_change", args=[selection.pk])
    ).content.decode()
    assert "by Dana Reyes, under the" in html
    assert "Signed off by Dana Reyes on" in html
    assert "Signed off by dana.r" not in html

    selection_sign_off(selection=selection, user=analyst, explained=True)  # no full name
    html = client.get(
        reverse("admin:questionnaires_selection_change", args=[selection.pk])
    ).content.decode()
    assert "Signed off by analyst on" in html
