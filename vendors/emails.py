"""Every email the app sends: composing it, sending it, and recording that it went.

Each email is three templates in templates/emails/: `<name>_subject.txt`, `<name>.txt`
(the plain-text part) and `<name>.html`, sent together as one EmailMultiAlternatives.
All of them name the questionnaire, its due date, the buyer as vendors may see it
(questionnaires.rounds.buyer_context_for_vendors, the one rule) and what the response
still lacks. Only the analysts' emails name the round itself and the buyer behind it:
analysts often name a round after its buyer, so `round_context`, which every vendor's
email is built from, holds neither (`analyst_context` adds them).

Emails to vendor contacts carry a working private link. Apart from the invitation (which
mints the link's own token, vendors.tasks.send_invitation), each mints a fresh token in
the worker that builds it and stores only its hash (vendors.services.link_token_mint);
the token row is also that email's claim, so a repeated task sends nothing twice. The row
notes when the mail server accepted the email (`sent_at`); a redelivered task (its worker
died mid-run) takes over a claim whose email was never sent, so a kill loses no email. A
duplicate is possible only if the worker dies between the server accepting the email and
`sent_at` being written.

Every email sent is recorded as an EMAIL_SENT audit event on its response; an email
given up on (a permanent error, or the last attempt's temporary one) as EMAIL_FAILED,
with the error. Temporary errors are raised, after releasing the email's claim, for the
outbox to retry with backoff.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from questionnaires.audit import email_data
from questionnaires.completeness import UNCONFIRMED, MissingItem
from questionnaires.models import AuditEvent, Response, Selection
from questionnaires.rounds import Topic, buyer_context_for_vendors
from questionnaires.services.answers import response_missing

from .models import AccessLink
from .services import (
    link_expires_on,
    link_token_mint,
    link_token_release,
    link_token_sent,
    portal_url,
)

# The mail server could not be reached or asked us to come back later.
TRANSIENT_MAIL_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    ConnectionError,
    TimeoutError,
)
# How many missing items an email lists before saying "and N more".
MISSING_SHOWN = 10


def is_transient(exc: BaseException) -> bool:
    """Whether a later attempt may deliver an email whose sending raised `exc`."""
    if isinstance(exc, TRANSIENT_MAIL_ERRORS):
        return True
    # 4xx replies (mailbox busy, greylisting) are temporary by definition.
    return isinstance(exc, smtplib.SMTPResponseException) and 400 <= exc.smtp_code < 500


def describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# Composing ------------------------------------------------------------------------------


def email_send(name: str, context: dict[str, Any], to: Sequence[str]) -> None:
    """Render templates/emails/<name>* and send them as one email, HTML with a plain-text
    part, replying to the analysts."""
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    text = render_to_string(f"emails/{name}.txt", context)
    html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=list(to), reply_to=[settings.ANALYST_CONTACT_EMAIL]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def round_context(response: Response, *, missing: list[MissingItem] | None = None) -> dict:
    """What every email about a response shows, vendors' included: the questionnaire, its
    buyer as vendors may see it, the due date, until when the link works, and what is
    still missing. Nothing else of the round (not its name: see analyst_context)."""
    context = buyer_context_for_vendors(response.selection)
    if missing is None:
        missing = response_missing(response)
    buyer = context.buyer if context else ""
    return {
        "response": response,
        "vendor": response.vendor,
        "questionnaire_title": response.version.title,
        "buyer": buyer,
        # Mid-sentence: "we are assessing X for a buyer in retail banking, ...".
        "buyer_in_sentence": buyer if not context or context.named else _lower_first(buyer),
        # The buyer line, then what the description does not already say.
        "buyer_lines": [context.item(Topic.BUYER), *context.details] if context else [],
        "due_date": response.due_date,
        "expires_on": link_expires_on(response.due_date),
        "reply_by": response.clarification_reply_by,
        "missing": missing[:MISSING_SHOWN],
        "missing_count": len(missing),
        # Carried-forward answers count until confirmed, required or not: then the count
        # is of items "to answer or confirm", not of required ones.
        "missing_to_confirm": any(item.kind == UNCONFIRMED for item in missing),
        "missing_more": max(0, len(missing) - MISSING_SHOWN),
        "analyst_email": settings.ANALYST_CONTACT_EMAIL,
    }


def analyst_context(response: Response) -> dict:
    """What the analysts' emails add: the round's name and the round itself (its buyer's
    name), which never go to vendors."""
    selection: Selection | None = response.selection
    return {
        "selection": selection,
        "round_name": selection.name if selection else response.version.title,
        "admin_url": admin_url(response),
    }


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def admin_url(response: Response) -> str:
    """The response's page in the analysts' workspace (no secret in it)."""
    return settings.SITE_URL + reverse("admin:questionnaires_response_change", args=[response.pk])


def analyst_addresses(selection: Selection | None) -> list[str]:
    """The round's analysts (its owners with an address), else ANALYST_CONTACT_EMAIL."""
    owners: Iterable[Any] = selection.owners.all() if selection else []
    addresses = sorted({o.email for o in owners if o.is_active and o.email})
    return addresses or [settings.ANALYST_CONTACT_EMAIL]


# Recording ------------------------------------------------------------------------------


def email_sent_record(
    *, response_id: int, what: str, to: Sequence[str], reminder: int | None = None
) -> None:
    AuditEvent.objects.create(
        response_id=response_id,
        kind=AuditEvent.Kind.EMAIL_SENT,
        actor_label="CX Vet",
        data=email_data(what=what, to=to, reminder=reminder),
    )


def email_failed_record(
    *,
    response_id: int,
    what: str,
    to: Sequence[str],
    error: str,
    reminder: int | None = None,
) -> None:
    AuditEvent.objects.create(
        response_id=response_id,
        kind=AuditEvent.Kind.EMAIL_FAILED,
        actor_label="CX Vet",
        data=email_data(what=what, to=to, error=error or "unknown error", reminder=reminder),
    )


# Sending, one recipient at a time ---------------------------------------------------------


def email_to_link(
    *,
    link: AccessLink,
    response: Response,
    name: str,
    context: dict[str, Any],
    what: str,
    purpose: str,
    reminder: int | None = None,
    take_over: bool = False,
) -> str:
    """Email one contact through their link, with a token minted for this email.

    Returns "sent", "claimed" (an earlier run sent it, or is sending it) or "failed" (a
    permanent error, recorded as EMAIL_FAILED). A temporary error withdraws the token
    (nobody received it) and is raised, so that the outbox tries again later. With
    `take_over` (a redelivered task) a claim whose email was never sent is taken over.
    """
    token = link_token_mint(link=link, purpose=purpose, take_over=take_over)
    if token is None:
        return "claimed"
    return _send_recorded(
        response=response,
        name=name,
        context={**context, "contact": link.contact, "url": portal_url(token)},
        to=[link.contact.email],
        what=what,
        reminder=reminder,
        # Nobody received the token: withdraw it, so that the retry mints another.
        on_transient=lambda: link_token_release(link=link, purpose=purpose),
        on_sent=lambda: link_token_sent(link=link, purpose=purpose),
    )


def email_to_analysts(
    *,
    response: Response,
    name: str,
    context: dict[str, Any],
    what: str,
    reminder: int | None = None,
) -> str:
    """Email the round's analysts; "sent" or "failed" (recorded), temporary errors raised.

    The caller has claimed the email (a conditional update of its own)."""
    return _send_recorded(
        response=response,
        name=name,
        context={**context, **analyst_context(response)},
        to=analyst_addresses(response.selection),
        what=what,
        reminder=reminder,
    )


def _send_recorded(
    *,
    response: Response,
    name: str,
    context: dict[str, Any],
    to: list[str],
    what: str,
    reminder: int | None,
    on_transient: Callable[[], None] | None = None,
    on_sent: Callable[[], None] | None = None,
) -> str:
    """Send one email and record it: "sent", or "failed" on a permanent error (recorded
    as EMAIL_FAILED). A temporary error is raised, after `on_transient` undid the claim.
    `on_sent` runs as soon as the mail server accepted it, before anything else."""
    try:
        email_send(name, context, to)
    except Exception as exc:
        if is_transient(exc):
            if on_transient is not None:
                on_transient()
            raise
        email_failed_record(
            response_id=response.pk,
            what=what,
            to=to,
            error=describe_error(exc),
            reminder=reminder,
        )
        return "failed"
    if on_sent is not None:
        on_sent()
    email_sent_record(response_id=response.pk, what=what, to=to, reminder=reminder)
    return "sent"


def sent_summary(outcomes: Sequence[str], whom: str = "contact") -> str:
    """ "sent to 2 contacts, 1 failed" for a task's outcome."""
    sent = outcomes.count("sent")
    failed = outcomes.count("failed")
    text = f"sent to {sent} {whom}{'s' if sent != 1 else ''}"
    return f"{text}, {failed} failed" if failed else text
