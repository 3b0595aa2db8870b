"""The load test's check (benchmarks/load_data.py, verify) finds every way a save the
client was told about can be missing or wrong, and accepts what is right."""

from __future__ import annotations

import pytest

from benchmarks.load_data import verify
from questionnaires.models import Answer, AuditEvent
from questionnaires.services.answers import AnswerChange, answers_save
from tests.vendors.helpers import open_response
from vendors.forms import answer_fingerprint

pytestmark = pytest.mark.django_db


def _save(response, key: str, value, comment: str = "") -> dict:
    """An autosave as the client records its "saved" reply."""
    stored = Answer.objects.filter(response=response, question__key=key).first()
    base = (stored.value, stored.comment) if stored else None
    revision = stored.revision if stored else 0
    change = AnswerChange(key, value, comment, revision, base)
    result = answers_save(response=response, changes=[change], actor="Dana").results[key]
    assert result.status == "saved"
    return {
        "value": value,
        "comment": comment,
        "revision": result.revision,
        "loaded": answer_fingerprint(value, comment),
    }


@pytest.fixture
def saved(example_version):
    """A link whose client saw two saves of one answer and one of another."""
    token, response = open_response(example_version)
    ledger = {
        "kill_switch_owner": {
            "saved": [
                _save(response, "kill_switch_owner", "Ops"),
                _save(response, "kill_switch_owner", "Night lead ✓", "on call"),
            ],
            "unanswered": [],
        },
        "live_deployments": {"saved": [_save(response, "live_deployments", 12)], "unanswered": []},
    }
    return {"links": {token: ledger}}, response


def test_a_database_holding_every_saved_reply_passes(saved):
    ledger, _ = saved

    result = verify(ledger)

    assert result["problems"] == []
    assert result["answers_checked"] == 2
    assert result["saves_acknowledged"] == 3
    assert result["audit_events"] == 3


def test_an_answer_back_at_an_earlier_value_is_reported(saved):
    ledger, response = saved
    Answer.objects.filter(response=response, question__key="kill_switch_owner").update(
        value="Ops", comment="", revision=1
    )

    problems = verify(ledger)["problems"]

    assert any("kill_switch_owner" in p and "'Night lead ✓'" in p for p in problems)


def test_a_value_changed_behind_the_clients_back_is_reported(saved):
    ledger, response = saved
    Answer.objects.filter(response=response, question__key="live_deployments").update(value=13)

    (problem,) = verify(ledger)["problems"]

    assert "live_deployments" in problem and "stored 13" in problem


def test_a_missing_answer_is_reported(saved):
    ledger, response = saved
    Answer.objects.filter(response=response, question__key="live_deployments").delete()

    problems = verify(ledger)["problems"]

    assert any("live_deployments: not in the database" in p for p in problems)


def test_a_missing_audit_event_is_reported(saved):
    ledger, response = saved
    AuditEvent.objects.filter(
        response=response, kind=AuditEvent.Kind.ANSWER_CHANGED, data__revision=1
    ).filter(data__question="kill_switch_owner").delete()

    problems = verify(ledger)["problems"]

    assert any("no audit event for saved revision 1" in p for p in problems)


def test_an_answer_no_client_sent_is_reported(saved):
    ledger, response = saved
    _save(response, "rollback_rate", 5)

    (problem,) = verify(ledger)["problems"]

    assert "rollback_rate" in problem and "no client sent it" in problem


def test_a_save_whose_reply_never_came_may_or_may_not_be_applied(saved):
    ledger, response = saved
    record = ledger["links"][next(iter(ledger["links"]))]["live_deployments"]
    record["unanswered"].append({"value": 14, "comment": ""})
    assert verify(ledger)["problems"] == []  # not applied

    _save(response, "live_deployments", 14)  # applied

    assert verify(ledger)["problems"] == []
