"""Invitations and private links: the only code that creates, revokes or reissues them.

A link's token exists only in the invitation email: the email task mints it while it
builds the email and stores only its SHA-256 (vendors/tasks.py), so neither the
database nor the broker ever holds a token. Until then a link holds the hash of a token
nobody has, and opens nothing. Emails are recorded in the outbox with the change that
causes them, so a rolled back invitation never sends a link that does not exist.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from cxvet.outbox.services import outbox_enqueue
from questionnaires.audit import link_issued_data, link_revoked_data
from questionnaires.models import (
    AuditEvent,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    VersionStatus,
)

from .models import AccessLink, Contact

# 32 random bytes: 256 bits, URL-safe (43 characters).
TOKEN_BYTES = 32


class InvitationError(ValueError):
    """The invitation cannot be made as asked; the message says why and what to do."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh private-link token: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def unusable_token_hash() -> str:
    """The hash of a token nobody has (it is thrown away): a link that opens nothing yet."""
    return token_hash(new_token())


def portal_url(token: str) -> str:
    """The absolute address of a private link, as sent to the vendor."""
    return settings.SITE_URL + reverse("portal:overview", args=[token])


def link_expires_on(due_date: datetime.date) -> datetime.date:
    """The last day a link works: the due date plus the grace period."""
    return due_date + datetime.timedelta(days=settings.PORTAL_LINK_GRACE_DAYS)


def contact_label(contact: Contact) -> str:
    """How a vendor contact is named in audit trails and `updated_by` fields."""
    return f"{contact.name} <{contact.email}>"


@transaction.atomic
def invitation_create(
    *,
    contacts: Iterable[Contact],
    version: QuestionnaireVersion,
    due_date: datetime.date,
    user,
) -> list[AccessLink]:
    """Invite contacts of one vendor to answer a published version by a due date.

    Creates the vendor's response to the version (or reuses it: there is one per vendor
    and version, and re-inviting moves its due date), gives each contact a fresh private
    link (revoking the contact's earlier links to the same response) and emails each
    link once the transaction commits.
    """
    contacts = list(contacts)
    _check_invitation(contacts, version, due_date)
    response, created = Response.objects.get_or_create(
        vendor_id=contacts[0].vendor_id, version=version, defaults={"due_date": due_date}
    )
    if response.status == ResponseStatus.ACCEPTED:
        raise InvitationError(
            f"{contacts[0].vendor.name} already has an accepted response to {version}; "
            "import a new version of the questionnaire to ask again."
        )
    if not created and response.due_date != due_date:
        response.due_date = due_date
        response.save(update_fields=["due_date"])
    links = []
    for contact in contacts:
        for old in AccessLink.objects.filter(
            response=response, contact=contact, revoked_at__isnull=True
        ):
            link_revoke(link=old, user=user, reason="replaced by a new invitation")
        links.append(_link_issue(response=response, contact=contact, user=user))
    return links


def _check_invitation(
    contacts: list[Contact], version: QuestionnaireVersion, due_date: datetime.date
) -> None:
    if not contacts:
        raise InvitationError("Choose at least one contact to invite.")
    if len({c.vendor_id for c in contacts}) > 1:
        raise InvitationError(
            "All invited contacts must work for the same vendor: each vendor answers "
            "in its own response. Invite each vendor separately."
        )
    if version.status != VersionStatus.PUBLISHED:
        raise InvitationError(
            f"{version} is not published. Publish it (or choose a published version) "
            "before inviting vendors: vendors only ever answer a frozen version."
        )
    if due_date < timezone.localdate():
        raise InvitationError(
            f"The due date {due_date:%d %b %Y} is in the past; choose today or a later day."
        )


def _link_issue(*, response: Response, contact: Contact, user) -> AccessLink:
    link = AccessLink.objects.create(
        response=response, contact=contact, token_hash=unusable_token_hash()
    )
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.LINK_ISSUED,
        actor_user=user,
        data=link_issued_data(link_id=link.pk, contact=contact.email, due_date=response.due_date),
    )
    # Imported here: tasks import this module for token_hash and portal_url.
    from .tasks import send_invitation

    outbox_enqueue(task=send_invitation, kwargs={"link_id": link.pk}, subject=response)
    return link


@transaction.atomic
def link_revoke(*, link: AccessLink, user, reason: str = "") -> AccessLink:
    """Stop a link from working. Revoking an already revoked link changes nothing."""
    now = timezone.now()
    revoked = AccessLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        link.revoked_at = now
        AuditEvent.objects.create(
            response_id=link.response_id,
            kind=AuditEvent.Kind.LINK_REVOKED,
            actor_user=user,
            data=link_revoked_data(link_id=link.pk, contact=link.contact.email, reason=reason),
        )
    return link


@transaction.atomic
def link_reissue(*, link: AccessLink, user) -> AccessLink:
    """Revoke a link and email its contact a new one to the same response."""
    link_revoke(link=link, user=user, reason="reissued")
    return _link_issue(response=link.response, contact=link.contact, user=user)


@transaction.atomic
def links_revoke(
    *, links: QuerySet[AccessLink], user: AbstractBaseUser | None, reason: str = ""
) -> int:
    """Revoke those of these links not revoked yet; returns how many it revoked."""
    pending = list(links.filter(revoked_at__isnull=True).select_related("contact"))
    for link in pending:
        link_revoke(link=link, user=user, reason=reason)
    return sum(link.revoked_at is not None for link in pending)


@transaction.atomic
def links_reissue(
    *, links: QuerySet[AccessLink], user: AbstractBaseUser | None
) -> list[AccessLink]:
    """Reissue each of these links (see link_reissue); returns the new links."""
    return [
        link_reissue(link=link, user=user) for link in links.select_related("contact", "response")
    ]


def link_touch(*, link: AccessLink) -> None:
    """Note that a link was used; at most one write every few minutes per link."""
    now = timezone.now()
    if link.last_used_at and now - link.last_used_at < datetime.timedelta(minutes=5):
        return
    AccessLink.objects.filter(pk=link.pk).update(last_used_at=now)
    link.last_used_at = now


def active_links(response: Response) -> list[AccessLink]:
    """Links of a response that still open it (not revoked), with their contacts."""
    return list(
        AccessLink.objects.filter(response=response, revoked_at__isnull=True)
        .select_related("contact")
        .order_by("contact__name", "pk")
    )


def links_to_notify_of_clarification(response: Response) -> Q:
    """Links not yet told about the current clarification round.

    A round starts when the vendor (re)submits and the analyst then asks; a link
    notified before the latest submission belongs to an earlier round.
    """
    pending = Q(clarification_notified_at__isnull=True)
    if response.submitted_at:
        pending |= Q(clarification_notified_at__lt=response.submitted_at)
    return pending
