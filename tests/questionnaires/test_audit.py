"""Audit events: every writer records the keys questionnaires.audit names for its kind, and
describe_event tells each kind in words, as the admin and the assessment PDF show it."""

from __future__ import annotations

import datetime
from decimal import Decimal

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
from questionnaires.models import (
    Answer,
    AuditEvent,
    EvidenceLevel,
    QuestionnaireVersion,
    ReportKind,
    ResponseScore,
    ResponseStatus,
)
from questionnaires.services.answers import (
    AnswerChange,
    answers_confirm,
    answers_save,
    evidence_add,
    evidence_remove,
    response_resubmit,
    response_submit,
)
from questionnaires.services.demo import demo_seed
from questionnaires.services.prices import response_price_set
from questionnaires.services.reports import report_request
from questionnaires.services.reviews import (
    answer_evidence_level_set,
    clarification_request,
    response_accept,
)
from questionnaires.services.scores import score_override, score_override_clear
from questionnaires.services.selections import response_due_date_move
from tests import mail_backends
from tests.factories import ContactFactory, ResponseFactory, UserFactory, answer_all, round_of
from tests.questionnaires.reports_data import ANSWERS, eager_tasks  # noqa: F401 (a fixture)
from vendors.services import invitation_create
from vendors.tasks import send_acceptance, send_invitation

Kind = AuditEvent.Kind
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
COMPLETE = ANSWERS["Acme Voice"]  # every required question, answered with care
ONE_DAY = datetime.timedelta(days=1)
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
def whole_life(example_version, settings, eager_tasks, django_capture_on_commit_callbacks):  # noqa: F811
    """A response taken through every step that records an event, by the services."""
    analyst = UserFactory(username="dana")
    contact = ContactFactory()
    # The vendor answered an earlier round: the new round starts from those answers.
    spring = round_of(example_version, _due(), name="Spring review")
    [earlier] = invitation_create(contacts=[contact], selection=spring, user=analyst)
    _save(earlier.response, {"live_deployments": 12, "rollback_reasons": ["latency"]})
    selection = round_of(example_version, _due())
    invitation_create(contacts=[contact], selection=selection, user=analyst)
    # Inviting the contact again replaces (revokes) the first link.
    [link] = invitation_create(contacts=[contact], selection=selection, user=analyst)
    response = link.response
    send_invitation.apply(kwargs={"link_id": link.pk})  # the email: EMAIL_SENT
    response_due_date_move(response=response, due_date=_due() + ONE_DAY, user=analyst)
    response_price_set(response=response, price=Decimal("250000"), user=analyst)
    # One carried-forward answer confirmed as it was, the other changed by the save.
    answers_confirm(response=response, actor="Vera Vendor", question_keys=["rollback_reasons"])
    _save(response, COMPLETE)
    upload = check_upload(SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"))
    added = evidence_add(
        response=response, question_key="rollback_rate", upload=upload, actor="Vera Vendor"
    )
    evidence_remove(response=response, evidence_id=added.pk, actor="Vera Vendor")
    response_submit(response=response, actor="Vera Vendor")
    clarification_request(
        response=response,
        questions={"rollback_rate": "Which period?"},
        note="",
        user=analyst,
        documents=["rollback_rate"],
    )
    _save(response, {"rollback_rate": 9})
    response_resubmit(response=response, actor="Vera Vendor")
    answer = Answer.objects.get(response=response, question__key="rollback_rate")
    answer_evidence_level_set(answer=answer, level=EvidenceLevel.VERIFIED, user=analyst)
    response_accept(response=response, user=analyst)
    # The acceptance email, refused by the mail server for good: EMAIL_FAILED.
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    mail_backends.REFUSE[contact.email] = (mail_backends.permanent(), None)
    try:
        send_acceptance.apply(args=[response.pk])
    finally:
        mail_backends.REFUSE.clear()
    stored = ResponseScore.objects.get(response=response, profile_key="general")
    score_override(
        response_score=stored, user=analyst, score=60, tier="", justification=JUSTIFICATION
    )
    score_override_clear(response_score=stored, user=analyst, justification=JUSTIFICATION)
    with django_capture_on_commit_callbacks(execute=True):
        report_request(kind=ReportKind.ASSESSMENT, response=response, user=analyst)
    return response


def _due(days: int = 30) -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=days)


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
    rollback = "Q1.2 “Of those deployments, what share was rolled back, paused or…”"

    assert [d.what for d in described[Kind.EVIDENCE_VERIFIED]] == ["Evidence level changed"]
    assert [str(d) for d in described[Kind.STATUS_CHANGED]] == [
        "Invited → In progress",
        "In progress → Submitted",
        f"Clarification requested → Submitted; Answered again: {rollback}",
        "Submitted → Accepted",
    ]
    assert [str(d) for d in described[Kind.ANSWER_CHANGED]] == [
        "Q1.1 “How many enterprise deployments of the agent were live at…”: 12 → 40",
        f"{rollback}: 5%",
        "Q2.1 “How are live interactions monitored?”: Real-time monitoring with alerting",
        "Q2.2 “Does a human approve every action that moves money?”: Yes",
        "Q2.3 “Who may pull the kill switch?”: The customer's operations lead",
        f"{rollback}: file report.pdf removed",
        f"{rollback}: 5% → 9%",
    ]
    assert [str(d) for d in described[Kind.EVIDENCE_ADDED]] == [
        f"{rollback}: report.pdf ({len(PDF)} bytes)"
    ]
    [clarification] = described[Kind.CLARIFICATION_REQUESTED]
    assert clarification.details[0].startswith("Reply by ")
    assert clarification.details[1:] == (
        f"Reopened {rollback}: Which period? (a document is asked for)",
    )
    assert [str(d) for d in described[Kind.EVIDENCE_VERIFIED]] == [
        f"{rollback}: Self-attested → Verified by an analyst"
    ]
    overrides = [d.details for d in described[Kind.SCORE_OVERRIDDEN]]
    assert overrides[0][0].startswith("General: set to score 60, tier High (computed ")
    assert overrides[1][0].startswith("General: override removed (computed ")
    # The admin names the internal note (never printed in a report) as such.
    assert overrides[0][1] == overrides[1][1] == f"Internal note: “{JUSTIFICATION}”"
    assert [str(d) for d in described[Kind.LINK_REVOKED]] == [
        f"{whole_life.access_links.first().contact.email}: replaced by a new invitation"
    ]
    assert all(str(d).startswith("To ") for d in described[Kind.LINK_ISSUED])
    assert [str(d) for d in described[Kind.ANSWERS_CARRIED_FORWARD]] == [
        "2 answers from Spring review, to be confirmed"
    ]
    assert [str(d) for d in described[Kind.ANSWERS_CONFIRMED]] == [
        "Confirmed unchanged: Q1.3 “What were the reasons?”"
    ]
    assert [str(d) for d in described[Kind.DUE_DATE_CHANGED]] == [
        f"{_due():%-d %b %Y} → {_due() + ONE_DAY:%-d %b %Y}"
    ]
    assert [str(d) for d in described[Kind.REPORT_GENERATED]] == [
        "Single-vendor assessment, General profile"
    ]
    # The round names no currency: the amount says whose it is, as answers do.
    assert [str(d) for d in described[Kind.PRICE_CHANGED]] == [
        "Yearly price for the business case: unknown → 250,000.00 (buyer's currency)"
    ]


def test_a_changed_answer_records_the_answer_it_replaced(example_version):
    response = ResponseFactory(version=example_version, status=ResponseStatus.IN_PROGRESS)
    answer_all(response, {"kill_switch_owner": "Ops", "live_deployments": 12})
    Answer.objects.filter(question__key="kill_switch_owner").update(comment="Days only")
    # Several changes at once (read, then written in bulk), one of them a first answer.
    answers_save(
        response=response,
        changes=[
            AnswerChange("kill_switch_owner", "Night lead", "24/7", 1),
            AnswerChange("rollback_rate", 5, "", 0),
        ],
        actor="Vera Vendor",
    )
    # One change of the answer as the page read it (written in place, unread).
    in_place = AnswerChange("live_deployments", 40, "Since May", 1, base=(12, ""))
    answers_save(response=response, changes=[in_place], actor="Vera Vendor")

    recorded = {
        e.data[AnswerChanged.QUESTION]: {
            k: e.data[k]
            for k in (
                AnswerChanged.OLD_VALUE,
                AnswerChanged.OLD_COMMENT,
                AnswerChanged.VALUE,
                AnswerChanged.COMMENT,
            )
        }
        for e in AuditEvent.objects.filter(response=response, kind=Kind.ANSWER_CHANGED)
    }

    assert recorded == {
        "kill_switch_owner": {
            "old_value": "Ops",
            "old_comment": "Days only",
            "value": "Night lead",
            "comment": "24/7",
        },
        "rollback_rate": {"old_value": None, "old_comment": "", "value": 5, "comment": ""},
        "live_deployments": {
            "old_value": 12,
            "old_comment": "",
            "value": 40,
            "comment": "Since May",
        },
    }


def _answer_changed(**data) -> str:
    labels = EventLabels.of(QuestionnaireVersion.objects.get().definition)
    return str(describe_event(Kind.ANSWER_CHANGED, {"question": "rollback_rate", **data}, labels))


ROLLBACK = "Q1.2 “Of those deployments, what share was rolled back, paused or…”"


def test_an_answer_change_reads_from_the_old_answer_to_the_new(example_version):
    changed = _answer_changed(value=9, comment="", old_value=5, old_comment="")
    first = _answer_changed(value=9, comment="Q1 2026", old_value=None, old_comment="")
    cleared = _answer_changed(value=None, comment="", old_value=5, old_comment="")
    comment_only = _answer_changed(value=5, comment="Q1 2026", old_value=5, old_comment="2025")
    comment_removed = _answer_changed(value=9, comment="", old_value=5, old_comment="2025")

    assert changed == f"{ROLLBACK}: 5% → 9%"
    assert first == f"{ROLLBACK}: 9%; Comment: Q1 2026"
    assert cleared == f"{ROLLBACK}: 5% → Not answered"
    assert comment_only == f"{ROLLBACK}: 5% (unchanged); Comment: “2025” → “Q1 2026”"
    assert comment_removed == f"{ROLLBACK}: 5% → 9%; Comment removed (was “2025”)"


def test_an_answer_event_recorded_without_the_old_answer_reads_as_the_new_one(example_version):
    # As recorded before events held the answer they replaced.
    recorded = {"value": 9, "comment": "Over Q1 2026", "revision": 3}

    assert _answer_changed(**recorded) == f"{ROLLBACK}: 9%; Comment: Over Q1 2026"


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
        reason="Two references confirmed the gaps.",
    )
    labels = EventLabels(profiles={"financial_services": "Financial services"})

    described = describe_event(Kind.SCORE_OVERRIDDEN, data, labels)
    for_buyer = describe_event(Kind.SCORE_OVERRIDDEN, data, labels, for_buyer=True)

    assert described.details == (
        "Financial services: set to score 80, tier Critical (computed 41.6, Moderate)",
        "Reason for the buyer: “Two references confirmed the gaps.”",
        "Internal note: “Checked.”",
    )
    # A buyer's report prints the reason, never the internal note.
    assert for_buyer.details == (
        "Financial services: set to score 80, tier Critical (computed 41.6, Moderate)",
        "“Two references confirmed the gaps.”",
    )


def test_an_override_without_a_reason_reads_neutrally_for_the_buyer():
    state = override_state_data(
        computed_score=24.96, computed_tier="low", override_score=30, override_tier=""
    )
    data = score_overridden_data(
        profile_key="general", response_score_id=1, before=state, after=state, justification="x"
    )

    for_buyer = describe_event(Kind.SCORE_OVERRIDDEN, data, EventLabels(), for_buyer=True)

    # Never rounded up onto the moderate threshold its tier is below.
    assert for_buyer.details == (
        "general: set to score 30 (computed 24.9, Low)",
        "Adjusted by the analyst",
    )


def test_a_question_the_version_does_not_ask_is_named_by_its_key():
    data = {EvidenceVerified.QUESTION: "gone", EvidenceVerified.FROM: "document"}
    data[EvidenceVerified.TO] = "verified"

    described = describe_event(Kind.EVIDENCE_VERIFIED, data, EventLabels())

    assert str(described) == "gone: Document attached → Verified by an analyst"


def test_every_kind_has_its_keys_and_the_keys_are_the_recorded_names():
    assert set(DATA_KEYS) == set(Kind.values)
    assert StatusChanged.FROM == "from" and AnswerChanged.QUESTION == "question"
    assert {str(k) for k in ClarificationRequested} == {
        "from",
        "to",
        "note",
        "questions",
        "documents",
        "reply_by",
        "previous",
    }
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


def _listed(client, **params) -> list[AuditEvent]:
    page = client.get(reverse("admin:questionnaires_auditevent_changelist"), params)
    assert page.status_code == 200, params
    return list(page.context["cl"].queryset)


def test_the_audit_trail_filters_by_kind_round_vendor_response_who_and_date(client, whole_life):
    client.force_login(UserFactory(username="root", is_superuser=True))
    everything = _listed(client)
    mine = AuditEvent.objects.filter(response=whole_life)

    assert {e.kind for e in _listed(client, kind=Kind.REPORT_GENERATED)} == {Kind.REPORT_GENERATED}
    assert set(_listed(client, round=whole_life.selection_id)) == set(mine)
    assert set(_listed(client, response__id__exact=whole_life.pk)) == set(mine)
    vendor = {"response__vendor__id__exact": whole_life.vendor_id}
    assert len(_listed(client, **vendor)) == len(everything)  # one vendor, two rounds
    analysts = _listed(client, who="analyst")
    assert analysts and all(e.actor_user is not None for e in analysts)
    assert all(e.actor_label for e in _listed(client, who="other"))
    today = datetime.date.today()
    by_day = {"at__year": today.year, "at__month": today.month, "at__day": today.day}
    assert len(_listed(client, **by_day)) == len(everything)


def test_nobody_edits_or_deletes_the_audit_trail_not_even_a_superuser(client, whole_life):
    client.force_login(UserFactory(username="root", is_superuser=True))
    event = AuditEvent.objects.filter(response=whole_life).first()
    change = reverse("admin:questionnaires_auditevent_change", args=[event.pk])
    before = dict(AuditEvent.objects.filter(pk=event.pk).values().get())

    page = client.get(change)
    posted = client.post(change, {"kind": Kind.EMAIL_SENT, "actor_label": "someone else"})
    deleted = client.post(
        reverse("admin:questionnaires_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403 and deleted.status_code == 403
    assert dict(AuditEvent.objects.filter(pk=event.pk).values().get()) == before


def test_the_audit_trail_reads_questions_by_number_without_a_query_per_row(
    client, whole_life, django_assert_max_num_queries
):
    client.force_login(UserFactory(username="root", is_superuser=True))
    url = reverse("admin:questionnaires_auditevent_changelist")
    client.get(url)

    with django_assert_max_num_queries(20):
        page = client.get(url)

    html = page.content.decode()
    assert "Q1.2 “Of those deployments" in html
    assert "rollback_rate" not in html.split('id="result_list"')[1]
