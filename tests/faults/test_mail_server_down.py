"""The mail server refuses connections: a real worker retries later, then gives up.

The worker sends by SMTP to a local port nothing listens on. Each refused connection is
a transient error: the message goes back to pending with a doubling delay, its error
on the response page, until the sweep queues it again (the tests move its due time
instead of waiting); after its last attempt it fails, and says so. With the mail
server back, a message still waiting goes out.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from cxvet.outbox.models import OutboxMessage
from cxvet.outbox.services import outbox_sweep
from tests.conftest import wait_until
from tests.factories import ContactFactory, UserFactory, round_of
from tests.faults.conftest import closed_port
from vendors.models import AccessLink
from vendors.services import invitation_create, token_hash
from vendors.tasks import send_invitation

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"


def _after_attempt(message: OutboxMessage, attempt: int) -> OutboxMessage:
    return wait_until(
        lambda: OutboxMessage.objects.filter(
            pk=message.pk, attempts=attempt, status__in=("pending", "failed")
        ).first(),
        timeout=60,
    )


def _invite(version, email: str) -> OutboxMessage:
    [link] = invitation_create(
        contacts=[ContactFactory(email=email)],
        selection=round_of(version, timezone.localdate() + datetime.timedelta(days=21)),
        user=None,
    )
    return OutboxMessage.objects.about(link.response).get()


def _refusing_mail(services) -> None:
    services.env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(closed_port()),
    )


def _retry(message: OutboxMessage, attempt: int) -> OutboxMessage:
    """Let the retry's delay pass (for this message only: the worker's clock is real),
    run the sweep beat would run, and wait for that attempt."""
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_sweep()["pending"] == 1
    return _after_attempt(message, attempt)


def test_a_refused_email_is_retried_with_backoff_and_sent_once_the_server_is_back(
    services, example_version
):
    _refusing_mail(services)
    services.start_worker()
    analyst = Client()
    analyst.force_login(UserFactory(username="mail-down-analyst"))
    message = _invite(example_version, "waiting@vendor.example")

    first = _after_attempt(message, 1)
    assert (first.status, first.last_error, first.claimed_at) == ("pending", REFUSED, None)
    backoff = first.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=50) < backoff <= datetime.timedelta(seconds=60)
    page = analyst.get(f"/admin/questionnaires/response/{first.subject_id}/change/")
    assert "Invitation email" in page.content.decode()
    assert "not sent yet" in page.content.decode() and REFUSED in page.content.decode()
    second = _retry(message, 2)
    assert second.next_attempt_at - timezone.now() > datetime.timedelta(seconds=110)

    # The mail server is back (a worker that can send): the next retry goes out.
    services.stop_worker()
    services.env.update(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend")
    services.start_worker()
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    outbox_sweep()
    sent = wait_until(
        lambda: OutboxMessage.objects.filter(pk=message.pk, status="sent").first(), timeout=60
    )
    assert (sent.attempts, sent.last_error) == (3, REFUSED)
    [email] = services.emails()
    assert "To: waiting@vendor.example" in email
    link = AccessLink.objects.get(pk=message.payload["link_id"])
    token = email.split("http://testserver/portal/")[1].split("/")[0]
    assert link.token_hash == token_hash(token) and link.email_sent_at is not None
    page = analyst.get(f"/admin/questionnaires/response/{first.subject_id}/change/")
    assert "Emails not delivered yet" not in page.content.decode()


def test_an_email_refused_at_every_attempt_fails_and_says_why(services, example_version):
    _refusing_mail(services)
    services.start_worker()
    analyst = Client()
    analyst.force_login(UserFactory(username="mail-down-analyst"))
    message = _invite(example_version, "doomed@vendor.example")
    _after_attempt(message, 1)
    for attempt in range(2, send_invitation.outbox_max_attempts + 1):
        _retry(message, attempt)

    failed = OutboxMessage.objects.get(pk=message.pk)
    assert failed.status == OutboxMessage.Status.FAILED
    assert failed.last_error == f"Gave up after 6 attempts. Last error: {REFUSED}"
    assert AccessLink.objects.get(pk=failed.payload["link_id"]).email_sent_at is None
    page = analyst.get(f"/admin/questionnaires/response/{failed.subject_id}/change/")
    assert "<strong>failed</strong> after 6 attempts" in page.content.decode()
    assert outbox_sweep(now=timezone.now() + datetime.timedelta(days=1))["pending"] == 0
