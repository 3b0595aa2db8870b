"""Audit events: every writer records the keys questionnaires.audit names for its kind, and
describe_event tells each kind in words, as the admin and the assessment PDF show it."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questionnaires.audit import (
    DATA_KEYS,
    AnswerChanged,
    ClarificationRequested,
    EventLabels,
    EvidenceAdded,
    EvidenceVerified,
    LinkIssued,
    LinkRevoked,
    StatusChanged,
    describe_event,
    override_state_data,
    score_overridden_data,
)
from questionnaires.evidence import check_upload
from questionnaires.models import Answer, AuditEvent, EvidenceLevel, ResponseScore
from questionnaires.services.answers import (
    AnswerChange,
    answers_save,
    evidence_add,
    evidence_remove,
    response_resubmit,
    response_submit,
)
from questionnaires.services.demo import demo_seed
from questionnaires.services.reviews import (
    answer_evidence_level_set,
    clarification_request,
    response_accept,
)
from questionnaires.services.scores import score_override, score_override_clear
from tests.factories import ContactFactory, UserFactory
from tests.questionnaires.reports_data import ANSWERS
from vendors.services import invitation_create

Kind = AuditEvent.Kind
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
COMPLETE = ANSWERS["Acme Voice"]  # every required question, answered with care
JUSTIFICATION = "Two references confirmed the monitoring gaps in their deployments."


def _save(response, values: dict, actor: str = "Vera Vendor") -> None:
    revisions = dict(
        Answer.objects.filter(response=response).values_list("question__key", "revision")
    )
    changes = [
        AnswerChange(question_key=key, value=value, comment="", base_revision=revisions.get(key, 0))
        for key, value in values.items()
    ]
    answers_save(response=response, changes=changes, actor=actor)


def _undocumented_keys(events) -> dict[int, set[str]]:
    return {
        event.pk: set(event.data) - set(DATA_KEYS[event.kind])
        for event in events
        if not set(event.data) <= set(DATA_KEYS[event.kind])
    }


@pytest.fixture
def whole_life(example_version):
    """A response taken through every step that records an event, by the services."""
    analyst = UserFactory(username="dana")
    contact = ContactFactory()
    invitation_create(contacts=[contact], version=example_version, due_date=_due(), user=analyst)
    # Inviting the contact again replaces (revokes) the first link.
    [link] = invitation_create(
        contacts=[contact], version=example_version, due_date=_due(), user=analyst
    )
    response = link.response
    _save(response, COMPLETE)
    upload = check_upload(SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"))
    added = evidence_add(
        response=response, question_key="rollback_rate", upload=upload, actor="Vera Vendor"
    )
    evidence_remove(response=response, evidence_id=added.pk, actor="Vera Vendor")
    response_submit(response=response, actor="Vera Vendor")
    clarification_request(
        response=response, questions={"rollback_rate": "Which period?"}, note="", user=analyst
    )
    _save(response, {"rollback_rate": 9})
    response_resubmit(response=response, actor="Vera Vendor")
    answer = Answer.objects.get(response=response, question__key="rollback_rate")
    answer_evidence_level_set(answer=answer, level=EvidenceLevel.VERIFIED, user=analyst)
    response_accept(response=response, user=analyst)
    stored = ResponseScore.objects.get(response=response, profile_key="general")
    score_override(
        response_score=stored, user=analyst, score=60, tier="", justification=JUSTIFICATION
    )
    score_override_clear(response_score=stored, user=analyst, justification=JUSTIFICATION)
    return response


def _due() -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=30)


def test_every_writer_records_only_the_keys_named_for_its_kind(whole_life):
    events = list(AuditEvent.objects.filter(response=whole_life))

    assert {e.kind for e in events} == set(Kind.values)
    assert _undocumented_keys(events) == {}


def test_the_demo_data_records_only_the_keys_named_for_each_kind(db):
    demo_seed()

    events = list(AuditEvent.objects.all())

    assert {Kind.EVIDENCE_ADDED, Kind.EVIDENCE_VERIFIED, Kind.STATUS_CHANGED} <= {
        e.kind for e in events
    }
    assert _undocumented_keys(events) == {}


def test_each_kind_is_described_with_labels_not_keys(whole_life):
    labels = EventLabels.of(whole_life.version.definition)
    described = {}
    for event in AuditEvent.objects.filter(response=whole_life).order_by("at", "pk"):
        described.setdefault(event.kind, []).append(describe_event(event.kind, event.data, labels))
    rollback = "Q2 “Of those deployments, what share was rolled back, paused or…”"

    assert [d.what for d in described[Kind.EVIDENCE_VERIFIED]] == ["Evidence level changed"]
    assert [str(d) for d in described[Kind.STATUS_CHANGED]] == [
        "Invited → In progress",
        "In progress → Submitted",
        f"Clarification requested → Submitted; Answered again: {rollback}",
        "Submitted → Accepted",
    ]
    assert [str(d) for d in described[Kind.ANSWER_CHANGED]] == [
        "Q1 “How many enterprise deployments of the agent were live at a…”: 40",
        f"{rollback}: 5%",
        "Q4 “How are live interactions monitored?”: Real-time monitoring with alerting",
        "Q5 “Does a human approve every action that moves money?”: Yes",
        "Q6 “Who may pull the kill switch?”: The customer's operations lead",
        f"{rollback}: file report.pdf removed",
        f"{rollback}: 9%",
    ]
    assert [str(d) for d in described[Kind.EVIDENCE_ADDED]] == [
        f"{rollback}: report.pdf ({len(PDF)} bytes)"
    ]
    assert [str(d) for d in described[Kind.CLARIFICATION_REQUESTED]] == [
        f"Reopened {rollback}: Which period?"
    ]
    assert [str(d) for d in described[Kind.EVIDENCE_VERIFIED]] == [
        f"{rollback}: Self-attested → Verified by an analyst"
    ]
    overrides = [d.details for d in described[Kind.SCORE_OVERRIDDEN]]
    assert overrides[0][0].startswith("General: set to score 60, tier High (computed ")
    assert overrides[1][0].startswith("General: override removed (computed ")
    assert overrides[0][1] == overrides[1][1] == f"“{JUSTIFICATION}”"
    assert [str(d) for d in described[Kind.LINK_REVOKED]] == [
        f"{whole_life.access_links.first().contact.email}: replaced by a new invitation"
    ]
    assert all(str(d).startswith("To ") for d in described[Kind.LINK_ISSUED])


def test_an_override_with_both_values_names_score_tier_and_computed_values():
    state = override_state_data(
        computed_score=41.6, computed_tier="moderate", override_score=80, override_tier="critical"
    )
    data = score_overridden_data(
        profile_key="financial_services",
        response_score_id=1,
        before=state,
        after=state,
        justification="Checked.",
    )
    labels = EventLabels(profiles={"financial_services": "Financial services"})

    described = describe_event(Kind.SCORE_OVERRIDDEN, data, labels)

    assert described.details == (
        "Financial services: set to score 80, tier Critical (computed 42, Moderate)",
        "“Checked.”",
    )


def test_a_question_the_version_does_not_ask_is_named_by_its_key():
    data = {EvidenceVerified.QUESTION: "gone", EvidenceVerified.FROM: "document"}
    data[EvidenceVerified.TO] = "verified"

    described = describe_event(Kind.EVIDENCE_VERIFIED, data, EventLabels())

    assert str(described) == "gone: Document attached → Verified by an analyst"


def test_every_kind_has_its_keys_and_the_keys_are_the_recorded_names():
    assert set(DATA_KEYS) == set(Kind.values)
    assert StatusChanged.FROM == "from" and AnswerChanged.QUESTION == "question"
    assert {str(k) for k in ClarificationRequested} == {"from", "to", "note", "questions"}
    assert {str(k) for k in EvidenceAdded} == {"question", "evidence", "name", "size", "sha256"}
    assert {str(k) for k in LinkIssued} == {"link", "contact", "due_date"}
    assert {str(k) for k in LinkRevoked} == {"link", "contact", "reason"}


def test_the_audit_trail_in_the_admin_describes_each_event(client, whole_life):
    client.force_login(UserFactory(username="root", is_superuser=True))

    page = client.get(reverse("admin:questionnaires_auditevent_changelist"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Submitted → Accepted" in html
    assert "Self-attested → Verified by an analyst" in html
    assert "General: override removed" in html
