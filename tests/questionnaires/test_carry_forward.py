"""Re-assessment: a vendor invited again starts from its latest answers, to be confirmed."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from questionnaires.models import Answer, AuditEvent, Evidence, EvidenceLevel, ResponseStatus
from questionnaires.services.answers import (
    AnswerChange,
    answers_save,
    evidence_remove,
    response_missing,
)
from tests.factories import ContactFactory, answer_all, round_of
from vendors.services import invitation_create


@pytest.fixture
def earlier(example_version):
    """A vendor's submitted response in a first round, one answer with a verified file."""
    contact = ContactFactory()
    [link] = invitation_create(
        contacts=[contact], selection=round_of(example_version, name="Spring round"), user=None
    )
    response = link.response
    questions = [q for q in example_version.questions.order_by("position") if q.type != "file"]
    answer_all(response, {q.key: _value_for(q) for q in questions})
    first = response.answers.filter(question__evidence_requested=True).first()
    first.evidence_level = EvidenceLevel.VERIFIED
    first.save()
    evidence = Evidence(
        answer=first, original_name="log.pdf", content_type="application/pdf", size=4, sha256="x"
    )
    evidence.file.save("log.pdf", ContentFile(b"%PDF"), save=False)
    evidence.save()
    response.status = ResponseStatus.SUBMITTED
    response.save()
    return contact, response


def _value_for(question):
    choices = list(question.choices.order_by("position").values_list("key", flat=True))
    return {
        "yes_no": "yes",
        "single_choice": choices[0] if choices else None,
        "multiple_choice": choices[:1],
        "integer": 3,
        "decimal": 1.5,
        "percentage": 12,
        "text": "As before.",
        "date": "2026-01-31",
    }[question.type]


def _reinvite(contact, version):
    [link] = invitation_create(
        contacts=[contact], selection=round_of(version, name="Autumn round"), user=None
    )
    return link.response


def test_a_new_round_starts_from_the_vendors_latest_answers(earlier, example_version):
    contact, before = earlier
    after = _reinvite(contact, example_version)

    assert after.carried_from == before
    copied = {a.question.key: a for a in after.answers.select_related("question")}
    assert {k: a.value for k, a in copied.items()} == dict(
        before.answers.values_list("question__key", "value")
    )
    assert all(a.carried_forward for a in copied.values())
    event = AuditEvent.objects.get(response=after, kind=AuditEvent.Kind.ANSWERS_CARRIED_FORWARD)
    assert event.data["from_round"] == "Spring round"
    assert sorted(event.data["questions"]) == sorted(copied)


def test_evidence_carries_forward_with_its_level_reset_and_its_file_kept(earlier, example_version):
    contact, before = earlier
    after = _reinvite(contact, example_version)

    [copy] = Evidence.objects.filter(answer__response=after)
    [original] = Evidence.objects.filter(answer__response=before)
    assert copy.file.name == original.file.name
    assert copy.answer.evidence_level == EvidenceLevel.DOCUMENT
    # Removing the copy in the new round keeps the earlier round's file.
    evidence_remove(response=after, evidence_id=copy.pk, actor="Vendor")
    assert original.file.storage.exists(original.file.name)


def test_unconfirmed_carried_answers_count_as_unanswered_until_changed(earlier, example_version):
    contact, before = earlier
    after = _reinvite(contact, example_version)
    # The same answers, confirmed, left fewer items missing.
    assert len(response_missing(after)) > len(response_missing(before))
    missing = {item.question_key for item in response_missing(after) if item.question_key}
    assert missing

    first = Answer.objects.select_related("question").get(
        response=after, question__key=sorted(missing)[0]
    )
    answers_save(
        response=after,
        changes=[
            AnswerChange(
                question_key=first.question.key,
                value=first.value if first.question.type != "text" else "Changed.",
                comment="Updated for this round",
                base_revision=first.revision,
            )
        ],
        actor="Vendor",
    )
    first.refresh_from_db()
    assert not first.carried_forward
    missing = {item.question_key for item in response_missing(after) if item.question_key}
    assert first.question.key not in missing


def test_nothing_is_carried_when_the_vendor_never_answered(example_version):
    [link] = invitation_create(
        contacts=[ContactFactory()], selection=round_of(example_version), user=None
    )
    assert not link.response.answers.exists()
    assert link.response.carried_from is None


def _reinvited(version, contact, currency: str):
    [link] = invitation_create(
        contacts=[contact], selection=round_of(version, buyer_currency=currency), user=None
    )
    return dict(link.response.answers.values_list("question__key", "value"))


GRID = {
    "choices": {
        "refund.voice": "alone_limited",
        "refund.chat": "approved",
        "account_change.voice": "not_offered",
        "account_change.chat": "approved",
    },
    "limits": {"refund.voice": 500},
}


@pytest.mark.parametrize(("currency", "carried_money"), [("EUR", True), ("USD", False)])
def test_amounts_of_money_move_only_into_a_round_in_the_same_currency(
    extensions_version, currency, carried_money
):
    contact = ContactFactory()
    [link] = invitation_create(
        contacts=[contact], selection=round_of(extensions_version, buyer_currency="EUR"), user=None
    )
    answer_all(
        link.response,
        {"live_deployments": 12, "rollbacks": 1, "refund_limit": 500, "action_authority": GRID},
    )
    carried = _reinvited(extensions_version, contact, currency)
    assert carried["live_deployments"] == 12
    assert "rollback_rate" not in carried  # derived: worked out afresh, never carried
    if carried_money:
        assert carried["refund_limit"] == 500
        assert carried["action_authority"] == GRID
    else:
        # 500 EUR is not 500 USD: the amount is asked again, the grid keeps its cells.
        assert "refund_limit" not in carried
        assert carried["action_authority"] == {**GRID, "limits": {}}
