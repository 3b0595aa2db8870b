"""The two invitation pages (a round's and a vendor's) share one flow: a success says
whom it invited into what and by when, a refusal is shown on the form."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from questionnaires.models import ResponseStatus
from tests.factories import ContactFactory, UserFactory, VendorFactory, round_of
from vendors.models import AccessLink
from vendors.services import invitation_create


@pytest.fixture
def analyst_client(client, db):
    client.force_login(UserFactory())
    return client


def _due() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=21)


def test_each_page_says_whom_it_invited_into_what_and_by_when(analyst_client, example_version):
    selection = round_of(example_version, _due(), name="Northwind 2027")
    vendor = VendorFactory(name="Parrot AI")
    alice = ContactFactory(vendor=vendor, name="Alice")
    bob = ContactFactory(vendor=vendor, name="Bob")
    due = f"due {_due():%d %b %Y}. The emails with their private links are on their way."

    from_vendor = analyst_client.post(
        reverse("admin:vendors_vendor_invite", args=[vendor.pk]),
        {"contacts": [alice.pk], "selection": selection.pk},
        follow=True,
    )
    from_round = analyst_client.post(
        reverse("admin:questionnaires_selection_invite", args=[selection.pk]),
        {"contacts": [bob.pk]},
        follow=True,
    )

    assert [str(m) for m in from_vendor.context["messages"]] == [
        f"Invited Alice into Northwind 2027 (“{example_version.title}”), {due}"
    ]
    assert [str(m) for m in from_round.context["messages"]] == [
        f"Invited 1 contact of Parrot AI into Northwind 2027, {due}"
    ]
    assert from_round.redirect_chain[-1][0] == reverse(
        "admin:questionnaires_selection_change", args=[selection.pk]
    )


def test_a_refused_invitation_from_the_round_is_shown_on_its_form(analyst_client, example_version):
    selection = round_of(example_version, _due(), name="Northwind 2027")
    contact = ContactFactory()
    [link] = invitation_create(contacts=[contact], selection=selection, user=None)
    link.response.status = ResponseStatus.ACCEPTED
    link.response.save(update_fields=["status"])

    page = analyst_client.post(
        reverse("admin:questionnaires_selection_invite", args=[selection.pk]),
        {"contacts": [contact.pk]},
    )

    assert page.status_code == 200
    assert page.context["form"].non_field_errors()
    assert page.context["title"] == "Invite vendors into Northwind 2027"
    assert AccessLink.objects.count() == 1
