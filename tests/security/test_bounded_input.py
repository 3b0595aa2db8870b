"""Bounded input: numbers, text and choices are bounded before anything works on them.

Timings are never asserted (shared machines); what is asserted is the structure that
bounds the work: a number's text is refused before Decimal or int sees it, text before
it is stored, and a body before it is read (test_request_limits.py).
"""

from __future__ import annotations

import decimal

import pytest
from django import forms

from questionnaires.models import Answer
from tests.factories import answer_all
from tests.vendors.helpers import open_response, url
from vendors.forms import (
    COMMENT_MAX_LENGTH,
    NUMBER_MAX_DIGITS,
    PAGE_UNREADABLE,
    QuestionsForm,
    answer_field,
    number_text,
)
from vendors.portal import questionnaire_plan, response_state

from .conftest import AS_SCRIPT

# Each would cost seconds to minutes in Decimal or int, or is not a number anyone types.
NOT_PLAIN_NUMBERS = [
    "1e999999",
    "1E+999999999",
    "-1e-999999999",
    "0E+999999999",
    "9e9",
    "NaN",
    "-nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1_000",
    "0x1f",
    "١٢٣",  # Arabic-Indic digits: Decimal and int accept them
    "\uff11\uff12",  # full-width digits
    "12-",
    "--1",
    "+",
    ".",
    "1 2 3e4",
]


@pytest.mark.parametrize("text", NOT_PLAIN_NUMBERS)
def test_number_text_refuses_what_is_not_a_plain_number_before_converting_it(text):
    with pytest.raises(forms.ValidationError) as refused:
        number_text(text)
    assert refused.value.code == "invalid"


@pytest.mark.parametrize(
    "text", ["9" * 100_000, "9" * (NUMBER_MAX_DIGITS + 1), "0." + "1" * NUMBER_MAX_DIGITS]
)
def test_number_text_bounds_the_digits(text):
    with pytest.raises(forms.ValidationError) as refused:
        number_text(text)
    assert refused.value.code == "max_digits"


@pytest.mark.parametrize("text", ["1,5", "1.200,50", "1.200.000", "12,5 %", "1,20"])
def test_number_text_names_a_locale_separator(text):
    with pytest.raises(forms.ValidationError) as refused:
        number_text(text, percent=True)
    assert refused.value.code == "separators"


@pytest.mark.parametrize(
    "typed, plain",
    [
        (" 1,200 ", "1200"),
        ("1,234,567.5", "1234567.5"),
        ("1\u00a0200", "1200"),
        ("12.5 %", "12.5"),
        ("-0", "-0"),
        (".5", ".5"),
        ("+3", "+3"),
        ("9" * NUMBER_MAX_DIGITS, "9" * NUMBER_MAX_DIGITS),
        ("", None),
        ("   ", None),
    ],
)
def test_number_text_accepts_what_people_type(typed, plain):
    assert number_text(typed, percent=True) == plain


def _field(qtype, **bounds):
    question = {"type": qtype, "min": None, "max": None, **bounds}
    field = answer_field(question)
    field.required = False
    return field


@pytest.mark.parametrize("qtype", ["integer", "decimal", "percentage"])
@pytest.mark.parametrize("text", [*NOT_PLAIN_NUMBERS, "9" * 100_000, "1,5"])
def test_number_fields_refuse_with_a_message_for_the_vendor(qtype, text):
    field = _field(qtype)
    with pytest.raises(forms.ValidationError) as refused:
        field.clean(text)
    message = refused.value.messages[0]
    assert message.startswith("Enter ")
    assert "%(" not in message


@pytest.mark.parametrize(
    "qtype, typed, cleaned",
    [
        ("integer", "-0", 0),
        ("integer", "12.0", 12),
        ("decimal", "-0.0", decimal.Decimal("-0.0")),
        ("decimal", "2.50", decimal.Decimal("2.50")),
        ("percentage", "12.5%", decimal.Decimal("12.5")),
    ],
)
def test_number_fields_clean_plain_numbers(qtype, typed, cleaned):
    assert _field(qtype).clean(typed) == cleaned


def test_an_integer_field_refuses_a_fraction():
    with pytest.raises(forms.ValidationError):
        _field("integer").clean("12.5")


# Through the portal ------------------------------------------------------------------------


def _autosave(client, token, key, value, *, revision=0, **extra):
    data = {key: value, f"{key}-revision": revision}
    return client.post(url("autosave", token, key), data, **AS_SCRIPT, **extra)


@pytest.mark.parametrize("visible", [True, False])
def test_an_exponent_bomb_is_refused_on_a_number_question_without_a_maximum(
    client, shipped_version, visible
):
    # time_to_detect_hours has a minimum and no maximum, and shows when rollback_count > 0.
    # "1e5000" was stored as a 5,001-digit integer; "1e999999" took a minute of CPU.
    token, response = open_response(shipped_version)
    answer_all(response, {"live_deployments": 20, "rollback_count": 3 if visible else 0})

    reply = _autosave(client, token, "time_to_detect_hours", "1e5000")

    # Hidden, it is refused as not asked (nothing is saved either way).
    assert reply.status_code == (200 if visible else 409)
    assert reply.json()["status"] == ("invalid" if visible else "not_asked")
    assert not Answer.objects.filter(
        response=response, question__key="time_to_detect_hours"
    ).exists()


def test_minus_zero_is_stored_as_zero(client, portal):
    token, response = portal
    reply = _autosave(client, token, "live_deployments", "-0")
    assert reply.json()["status"] == "saved"
    assert Answer.objects.get(response=response, question__key="live_deployments").value == 0


def test_a_multiple_choice_is_stored_once_per_choice_in_questionnaire_order(client, portal):
    token, response = portal
    answer_all(response, {"live_deployments": 10, "rollback_rate": 12})

    reply = client.post(
        url("autosave", token, "rollback_reasons"),
        {
            "rollback_reasons": ["cost", "hallucination", "cost", "cost", "hallucination"],
            "rollback_reasons-revision": 0,
        },
        **AS_SCRIPT,
    )

    assert reply.json()["status"] == "saved"
    stored = Answer.objects.get(response=response, question__key="rollback_reasons").value
    assert stored == ["hallucination", "cost"]


def test_an_unknown_choice_is_refused(client, portal):
    token, response = portal
    answer_all(response, {"live_deployments": 10, "rollback_rate": 12})

    for key, value in (("rollback_reasons", ["cost", "bribery"]), ("live_monitoring", "psychic")):
        reply = client.post(
            url("autosave", token, key), {key: value, f"{key}-revision": 0}, **AS_SCRIPT
        ).json()
        assert reply["status"] == "invalid"
        assert not Answer.objects.filter(response=response, question__key=key).exists()


def test_text_and_comments_are_bounded_in_length(client, portal):
    token, response = portal
    too_long_answer = _autosave(client, token, "kill_switch_owner", "x" * 501).json()
    too_long_comment = client.post(
        url("autosave", token, "kill_switch_owner"),
        {
            "kill_switch_owner": "Ops lead",
            "kill_switch_owner-comment": "y" * (COMMENT_MAX_LENGTH + 1),
            "kill_switch_owner-revision": 0,
        },
        **AS_SCRIPT,
    ).json()

    assert too_long_answer["errors"] == {
        "id_kill_switch_owner": ["Keep this answer to 500 characters or fewer (it has 501)."]
    }
    assert too_long_comment["errors"] == {
        "id_kill_switch_owner-comment": [
            "Keep the comment to 4,000 characters or fewer (it has 4001)."
        ]
    }
    assert not Answer.objects.filter(response=response).exists()


@pytest.mark.parametrize("value", ["a\x00b", "\x00"])
def test_nul_characters_never_reach_the_database(client, portal, value):
    token, response = portal
    reply = _autosave(client, token, "kill_switch_owner", value).json()
    assert reply["status"] == "invalid"
    assert not Answer.objects.filter(response=response).exists()


@pytest.mark.parametrize(
    "revision", ["9" * 30, "99999999999999999999", "-1", "1e3", "abc", str(2**31)]
)
def test_a_revision_no_page_could_have_sent_is_refused_and_nothing_is_saved(
    client, portal, revision
):
    token, response = portal
    reply = _autosave(client, token, "live_deployments", "12", revision=revision)

    assert reply.status_code == 400
    assert reply.json()["status"] == "invalid"
    assert reply.json()["message"] == PAGE_UNREADABLE
    assert not Answer.objects.filter(response=response).exists()


@pytest.mark.parametrize("loaded", ["x" * 10_000, "not-a-fingerprint", "0123456789ABCDEF"])
def test_a_fingerprint_no_page_could_have_sent_is_refused(client, portal, loaded):
    token, response = portal
    reply = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "12", "live_deployments-loaded": loaded},
        **AS_SCRIPT,
    )
    assert reply.status_code == 400
    assert not Answer.objects.filter(response=response).exists()


def test_the_form_never_turns_a_broken_revision_into_revision_zero(example_version, portal):
    # Before the revision was bounded, a revision the field refused was read as 0,
    # which is the revision of a new answer: the save went through.
    _, response = portal
    plan = questionnaire_plan(example_version)
    state = response_state(response, plan)
    question = plan.questions_by_key["live_deployments"]
    form = QuestionsForm(
        {"live_deployments": "12", "live_deployments-revision": "abc"},
        plan=plan,
        questions=[question],
        state=state,
        editable_keys={"live_deployments"},
    )
    form.is_valid()
    assert form.unreadable == {"live_deployments"}
    assert form.changes() == []


def test_the_text_limit_is_well_above_the_largest_page_of_the_shipped_questionnaire(
    shipped_version, settings
):
    """DATA_UPLOAD_MAX_MEMORY_SIZE must never refuse a real page: the largest section,
    every answer and comment at its longest, in 4-byte characters, multipart-encoded."""
    per_field = 200  # a multipart part's boundary and headers
    worst = 0
    for section in shipped_version.definition["sections"]:
        size = 0
        for question in section["questions"]:
            answer = question["max_length"] or max(
                [len(c["key"]) for c in question["choices"]] or [NUMBER_MAX_DIGITS + 2]
            ) * max(len(question["choices"]), 1)
            size += 4 * (answer + COMMENT_MAX_LENGTH) + 10 + 16 + 4 * per_field
        worst = max(worst, size)
    assert 2 * worst < settings.DATA_UPLOAD_MAX_MEMORY_SIZE, worst
