"""Emails, sent through the outbox (cxvet/outbox/tasks.py), and the reminder sweep.

Each task takes ids, re-reads what it needs, and claims its work with a conditional
update (or the unique row of the token it mints) before sending, so a repeated task
never emails twice. A delivery whose earlier run was cut short (its worker died, and the
broker handed the message back) takes over the claims of emails to contacts that were
never sent (vendors/emails.py), so a kill mid-send loses none of them. Only errors that a later attempt can cure (the mail server is
unreachable or busy) are retried, with a growing delay; the claim is released first so
the retry can take it. Composing, sending and recording each email: vendors/emails.py.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from cxvet.outbox.tasks import OutboxTask
from questionnaires.audit import StatusChanged
from questionnaires.definition import iter_questions
from questionnaires.models import Answer, AuditEvent, Response, ResponseStatus

from . import reminders
from .emails import (
    TRANSIENT_MAIL_ERRORS,
    email_failed_record,
    email_send,
    email_sent_record,
    email_to_analysts,
    email_to_link,
    is_transient,
    round_context,
    sent_summary,
)
from .models import AccessLink
from .selectors import link_email_sent
from .services import (
    links_to_notify_of_clarification,
    new_token,
    portal_url,
    token_hash,
)

logger = logging.getLogger(__name__)

__all__ = ["TRANSIENT_MAIL_ERRORS"]


class EmailTask(OutboxTask):
    """An email: retried on the mail server's temporary errors, 1, 2, 4, 8, 16 minutes apart.

    Once the outbox gives up on one, the failure is recorded on its response
    (EMAIL_FAILED, with the error), which the response's page shows.
    """

    outbox_max_attempts = 6
    outbox_backoff_seconds = 60
    # An SMTP conversation that takes minutes is stuck.
    time_limit = 120
    soft_time_limit = 100

    def outbox_is_transient(self, exc: BaseException) -> bool:
        return is_transient(exc)

    def outbox_gave_up(self, reason: str, **kwargs: Any) -> None:
        response_id, to = _failed_email_audience(kwargs)
        if response_id is not None:
            email_failed_record(
                response_id=response_id, what=self.outbox_label, to=to, error=reason
            )


def _redelivered(task: EmailTask) -> bool:
    """Whether this run's delivery was started before and cut short (its worker died)."""
    delivery = task.delivery
    return bool(delivery and delivery.redelivered)


def _failed_email_audience(kwargs: dict[str, Any]) -> tuple[int | None, list[str]]:
    """The response an email task's arguments are about, and whom it was for."""
    if "link_id" in kwargs:
        link = AccessLink.objects.select_related("contact").filter(pk=kwargs["link_id"]).first()
        return (link.response_id, [link.contact.email]) if link else (None, [])
    return kwargs.get("response_id"), []


@shared_task(base=EmailTask, bind=True, outbox_label="Invitation email")
def send_invitation(self: EmailTask, link_id: int) -> str:
    """Email a contact their private link, minting its token here.

    The token exists only in this process's memory and in the email: the link gets its
    hash by a conditional update (the link unchanged, not revoked, not emailed yet)
    before the email is sent. Each attempt mints a new token, so a retry after a failed
    send, or after a crash between sending and noting it, leaves only the newest
    email's link working.
    """
    link = (
        AccessLink.objects.select_related("contact__vendor", "response__version")
        .filter(pk=link_id)
        .first()
    )
    if link is None:
        return "not sent: the link no longer exists"
    if link.revoked_at is not None:
        return "not sent: the link was revoked"
    if link.email_sent_at is not None:
        return "already sent"
    token = new_token()
    minted = AccessLink.objects.filter(
        pk=link.pk,
        token_hash=link.token_hash,
        revoked_at__isnull=True,
        email_sent_at__isnull=True,
    ).update(token_hash=token_hash(token))
    if not minted:
        return "not sent: the link changed meanwhile"
    response = Response.objects.select_related("selection", "vendor", "version").get(
        pk=link.response_id
    )
    context = {
        **round_context(response),
        "contact": link.contact,
        "description": response.version.definition.get("description", ""),
        "url": portal_url(token),
    }
    to = [link.contact.email]
    email_send("invitation", context, to)
    AccessLink.objects.filter(pk=link.pk).update(email_sent_at=timezone.now())
    email_sent_record(response_id=response.pk, what="Invitation", to=to)
    return "sent"


def _response_to_email(response_id: int) -> Response | None:
    """The response an email is about, with what every email about it names."""
    return (
        Response.objects.select_related("selection", "vendor", "version")
        .filter(pk=response_id)
        .first()
    )


@shared_task(base=EmailTask, bind=True, outbox_label="Clarification email")
def send_clarification_request(self: EmailTask, response_id: int) -> str:
    """Tell every active contact of a response which answers the analyst reopened.

    The email lists each reopened question with the analyst's note, the date to reply
    by when the analyst set one, and a working private link minted for this email. Each
    link is claimed for the current round, so a repeated task sends nothing new; a
    temporary error releases the link's claim and is raised, and the retry emails those
    not done. A permanent error for one contact is recorded and the others still get it.
    """
    response = _response_to_email(response_id)
    if response is None or response.status != ResponseStatus.CLARIFICATION_REQUESTED:
        return "not sent: clarification is no longer requested"
    take_over = _redelivered(self)
    context = {**round_context(response), "items": _reopened_questions(response)}
    links = AccessLink.objects.filter(response=response, revoked_at__isnull=True)
    if not take_over:
        links = links.filter(links_to_notify_of_clarification(response))
    outcomes: list[str] = []
    for link in links.select_related("contact"):
        outcomes.append(_notify_link(link, response, context, take_over=take_over))
    return sent_summary(outcomes)


def _notify_link(
    link: AccessLink, response: Response, context: dict, *, take_over: bool = False
) -> str:
    """Email one link's contact, unless claimed already; a temporary error releases the
    claim before it is raised. With `take_over` a claim whose email was never sent (its
    worker died mid-run) is taken over."""
    # One token per clarification round: a round starts with each submission.
    round_key = response.submitted_at.isoformat() if response.submitted_at else "none"
    purpose = f"clarification:{round_key}"
    before = link.clarification_notified_at
    claimed = (
        AccessLink.objects.filter(pk=link.pk)
        .filter(links_to_notify_of_clarification(response))
        .update(clarification_notified_at=timezone.now())
    )
    if not claimed and not (take_over and not link_email_sent(link=link, purpose=purpose)):
        return "claimed"
    try:
        return email_to_link(
            link=link,
            response=response,
            name="clarification_request",
            context=context,
            what="Clarification request",
            purpose=purpose,
            take_over=take_over,
        )
    except Exception:
        AccessLink.objects.filter(pk=link.pk).update(clarification_notified_at=before)
        raise


@shared_task(base=EmailTask, bind=True, outbox_label="Acceptance email")
def send_acceptance(self: EmailTask, response_id: int) -> str:
    """Tell every active contact that the analysts accepted the response, with a link
    (minted for this email) to what was sent. Each contact's token is its claim; a
    redelivered run takes over those whose email was never sent."""
    response = _response_to_email(response_id)
    if response is None or response.status != ResponseStatus.ACCEPTED:
        return "not sent: the response is not accepted"
    take_over = _redelivered(self)
    context = round_context(response, missing=[])
    links = AccessLink.objects.filter(response=response, revoked_at__isnull=True)
    outcomes = [
        email_to_link(
            link=link,
            response=response,
            name="acceptance",
            context=context,
            what="Acceptance",
            purpose="accepted",
            take_over=take_over,
        )
        for link in links.select_related("contact").order_by("pk")
    ]
    return sent_summary(outcomes)


@shared_task(base=EmailTask, bind=True, outbox_label="Submission email to the analysts")
def notify_analysts_of_submission(self: EmailTask, response_id: int, submitted_at: str) -> str:
    """Tell the round's analysts that a vendor submitted, or answered a clarification
    request and submitted again. A message about an earlier submission than the
    response's latest sends nothing (the latest has its own message)."""
    response = _response_to_email(response_id)
    if response is None or response.submitted_at is None:
        return "not sent: the response is not submitted"
    if response.submitted_at.isoformat() != submitted_at:
        return "not sent: submitted again since"
    clarified = _clarified_questions(response)
    context = {
        **round_context(response, missing=[]),
        "resubmission": clarified is not None,
        "clarified": clarified or [],
    }
    what = "Resubmission notice" if clarified is not None else "Submission notice"
    return email_to_analysts(
        response=response, name="analyst_submitted", context=context, what=what
    )


def _clarified_questions(response: Response) -> list[dict] | None:
    """The questions answered again in the response's latest submission, in questionnaire
    order, or None when it was a first submission."""
    event = (
        AuditEvent.objects.filter(
            response=response,
            kind=AuditEvent.Kind.STATUS_CHANGED,
            data__to=ResponseStatus.SUBMITTED,
        )
        .order_by("-at", "-pk")
        .first()
    )
    if (
        event is None
        or event.data.get(StatusChanged.FROM) != ResponseStatus.CLARIFICATION_REQUESTED
    ):
        return None
    keys = set(event.data.get(StatusChanged.CLARIFIED) or [])
    return [
        {"section": section["title"], "text": question["text"]}
        for section, question in iter_questions(response.version.definition)
        if question["key"] in keys
    ]


def _reopened_questions(response: Response) -> list[dict]:
    """The reopened questions in questionnaire order, each with its section, note and
    whether a document is asked for on it (as the portal says on the question)."""
    rows = Answer.objects.filter(response=response, needs_clarification=True).values_list(
        "question__key", "clarification_note", "clarification_wants_document"
    )
    asked = {key: (note, wants_document) for key, note, wants_document in rows}
    return [
        {
            "section": section["title"],
            "text": question["text"],
            "note": asked[question["key"]][0],
            "document_asked": asked[question["key"]][1],
        }
        for section, question in iter_questions(response.version.definition)
        if question["key"] in asked
    ]


# Reminders -----------------------------------------------------------------------------


class ReminderTask(EmailTask):
    """A share of a reminder sweep: up to REMINDERS_PER_MESSAGE notices, some to several
    people, so it may take longer than one email."""

    time_limit = 600
    soft_time_limit = 570

    def outbox_gave_up(self, reason: str, **kwargs: Any) -> None:
        reminders.reminders_gave_up(reminder_ids=kwargs.get("reminder_ids", []), reason=reason)


@shared_task(base=ReminderTask, bind=True, outbox_label="Reminders and notices")
def send_reminders(self: ReminderTask, reminder_ids: list[int]) -> str:
    """Send notices a sweep claimed (vendors.reminders.reminders_send)."""
    return reminders.reminders_send(reminder_ids=reminder_ids, take_over=_redelivered(self))


@shared_task(name="vendors.reminders_sweep", ignore_result=True)
def reminders_sweep() -> dict[str, Any]:
    """Claim the reminders and notices due now and queue them (Celery beat)."""
    return reminders.reminders_sweep()
