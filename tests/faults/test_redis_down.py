"""Redis stops (broker and cache) and starts again, with this process and a worker on it.

While it is down, a vendor opens the portal, autosaves and submits; an analyst requests
clarification, invites another vendor and asks for a PDF: every request succeeds, each
change is saved, and the emails and the report wait in the outbox, their error shown on
the response page. Once Redis is back (empty: it keeps nothing on disk) the sweep queues
them and the worker sends and renders them.
"""

from __future__ import annotations

import datetime
import logging
import re

import pytest
from django.test import Client
from django.utils import timezone

from cxvet.celery import app
from cxvet.outbox.models import OutboxMessage
from cxvet.outbox.services import BROKER_RETRY_DELAY, outbox_sweep
from questionnaires.models import Report, ReportStatus, Response, ResponseStatus
from tests.conftest import wait_until
from tests.factories import ContactFactory, UserFactory, VendorFactory, round_of
from tests.vendors.helpers import url
from vendors.models import AccessLink
from vendors.services import invitation_create

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"http://testserver/portal/([A-Za-z0-9_-]{43,})/")
ANSWERS = [
    ("live_deployments", "12"),
    ("rollback_rate", "8"),
    ("live_monitoring", "realtime"),
    ("human_approval_money", "yes"),
]


def _statuses() -> set[str]:
    return set(OutboxMessage.objects.values_list("status", flat=True))


def test_vendors_and_analysts_carry_on_while_redis_is_down_and_nothing_is_lost(
    services, example_version, caplog
):
    caplog.set_level(logging.WARNING)
    services.start_worker()
    first = ContactFactory(email="first@vendor.example")
    due = timezone.localdate() + datetime.timedelta(days=21)
    selection = round_of(example_version, due)
    [link] = invitation_create(contacts=[first], selection=selection, user=None)
    wait_until(lambda: len(services.emails()) == 1, timeout=60)
    token = LINK.search(services.emails()[0]).group(1)
    vendor = Client()
    assert vendor.get(url("overview", token)).status_code == 200

    services.redis.stop()

    # The vendor: open, read a section, autosave every answer, submit.
    assert vendor.get(url("overview", token)).status_code == 200
    assert vendor.get(url("section", token, "track_record")).status_code == 200
    for key, value in ANSWERS:
        saved = vendor.post(url("autosave", token, key), {key: value, f"{key}-revision": 0})
        assert saved.status_code == 200, saved.content
        assert saved.json()["status"] == "saved", saved.json()
    submitted = vendor.post(url("submit", token), {"confirm": "yes"})
    assert submitted.status_code == 302 and submitted["Location"] == url("sent", token)
    response = Response.objects.get(pk=link.response_id)
    assert response.status == ResponseStatus.SUBMITTED

    # The analyst: clarification, a new invitation, a PDF; each saved, none an error.
    analyst = Client()
    analyst.force_login(UserFactory(username="redis-down-analyst"))
    clarify = analyst.post(
        f"/admin/questionnaires/response/{response.pk}/clarify/",
        {"reopen__rollback_rate": "on", "note__rollback_rate": "Which period?", "note": ""},
    )
    assert clarify.status_code == 302
    response.refresh_from_db()
    assert response.status == ResponseStatus.CLARIFICATION_REQUESTED
    second_vendor = VendorFactory()
    second = ContactFactory(vendor=second_vendor, email="second@vendor.example")
    invite = analyst.post(
        f"/admin/vendors/vendor/{second_vendor.pk}/invite/",
        {"contacts": [second.pk], "selection": selection.pk},
    )
    assert invite.status_code == 302
    assert AccessLink.objects.filter(contact=second).exists()
    requested = analyst.post(
        f"/admin/questionnaires/report/request/assessment/{response.pk}/", {"profile": "general"}
    )
    assert requested.status_code == 302
    report = Report.objects.get(response=response)
    assert report.status == ReportStatus.QUEUED

    # The analysts' submission notice, the clarification email, the invitation, the PDF.
    waiting = OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT)
    assert waiting.count() == 4
    for message in waiting:
        assert message.status == OutboxMessage.Status.PENDING
        assert message.last_error.startswith("Could not queue: OperationalError"), message
    page = analyst.get(f"/admin/questionnaires/response/{response.pk}/change/")
    assert page.status_code == 200
    assert "Clarification email" in page.content.decode()
    assert "Could not queue: OperationalError" in page.content.decode()
    assert analyst.get("/admin/outbox/outboxmessage/").status_code == 200
    # One warning for each service's outage, however many requests met it.
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("cache (Redis) is unavailable" in w for w in warnings) == 1, warnings
    assert sum("task broker is unavailable" in w for w in warnings) == 1, warnings

    services.redis.start()  # empty: it keeps nothing on disk
    wait_until(lambda: app.control.ping(destination=[services.worker_name], timeout=1), timeout=90)
    later = timezone.now() + BROKER_RETRY_DELAY + datetime.timedelta(seconds=1)
    assert outbox_sweep(now=later)["pending"] == 4

    wait_until(lambda: _statuses() == {OutboxMessage.Status.SENT}, timeout=120)
    emails = services.emails()
    assert len(emails) == 4
    assert any("To: first@vendor.example" in e and "Which period?" in e for e in emails)
    assert any("Subject: Submitted: " in e for e in emails)
    assert any("To: second@vendor.example" in e and LINK.search(e) for e in emails)
    assert Report.objects.get(pk=report.pk).status == ReportStatus.READY
    page = analyst.get(f"/admin/questionnaires/response/{response.pk}/change/")
    assert "Emails not delivered yet" not in page.content.decode()
    assert vendor.get(url("sent", token)).status_code == 200
    assert any("task broker is available again" in r.getMessage() for r in caplog.records)
