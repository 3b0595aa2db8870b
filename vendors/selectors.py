"""Reads for the analysts' pages about vendors and their private links, and for the emails.

Reads only: writes live in vendors.services. Each function runs one query whatever the
number of rows.
"""

from __future__ import annotations

from typing import TypedDict

from django.db.models import Count, QuerySet
from django_stubs_ext import WithAnnotations

from .models import AccessLink, LinkToken, Vendor


class ContactCount(TypedDict):
    contact_total: int


def vendors_with_contact_count(
    queryset: QuerySet[Vendor],
) -> QuerySet[WithAnnotations[Vendor, ContactCount]]:
    """Each vendor with `contact_total`, how many contacts it has."""
    return queryset.annotate(contact_total=Count("contacts"))


def contacts_with_links(contact_ids: list[int]) -> set[int]:
    """Which of these contacts were ever sent a private link."""
    return set(
        AccessLink.objects.filter(contact_id__in=contact_ids).values_list("contact_id", flat=True)
    )


def vendor_recent_links(vendor: Vendor, *, limit: int) -> list[AccessLink]:
    """The vendor's latest private links, newest first, with contact and version."""
    return list(
        AccessLink.objects.filter(response__vendor=vendor)
        .select_related("contact", "response__version", "response__selection")
        .order_by("-created_at")[:limit]
    )


def link_email_sent(*, link: AccessLink, purpose: str) -> bool:
    """Whether the mail server accepted the email carrying the link's token for `purpose`."""
    return LinkToken.objects.filter(link=link, purpose=purpose, sent_at__isnull=False).exists()
