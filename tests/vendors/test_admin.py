"""Inviting from the admin, and revoking or reissuing private links."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from questionnaires.models import AuditEvent, Response
from tests.factories import ContactFactory, UserFactory, VendorFactory, round_of
from vendors.models import AccessLink
from vendors.services import invitation_create


@pytest.fixture
def analyst_client(client, db):
    client.force_login(UserFactory())
    return client


def test_vendor_page_offers_the_invitation(analyst_client):
    vendor = VendorFactory()
    page = analyst_client.get(reverse("admin:vendors_vendor_change", args=[vendor.pk]))
    assert reverse("admin:vendors_vendor_invite", args=[vendor.pk]) in page.content.decode()


def test_analyst_invites_contacts_from_the_admin(
    analyst_client, example_version, django_capture_on_commit_callbacks
):
    selection = round_of(example_version, name="Northwind contact centre")
    vendor = VendorFactory(name="Parrot AI")
    alice = ContactFactory(vendor=vendor, name="Alice")
    ContactFactory(vendor=vendor, name="Bob")
    invite_url = reverse("admin:vendors_vendor_invite", args=[vendor.pk])
    page = analyst_client.get(invite_url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Alice" in body and "Bob" in body
    assert "Northwind contact centre" in body

    with django_capture_on_commit_callbacks(execute=True):
        done = analyst_client.post(invite_url, {"contacts": [alice.pk], "selection": selection.pk})
    assert done.status_code == 302
    response = Response.objects.get(vendor=vendor)
    assert response.selection == selection and response.due_date == selection.due_date
    assert AccessLink.objects.get(response=response).contact == alice
    assert [m.to for m in mail.outbox] == [[alice.email]]
    followed = analyst_client.get(done["Location"]).content.decode()
    assert "Invited Alice into Northwind contact centre" in followed


def test_invitation_form_errors_are_shown(analyst_client, example_version):
    round_of(example_version)
    closed = round_of(example_version, name="Closed round")
    closed.due_date = timezone.localdate() - datetime.timedelta(days=3)
    closed.save()
    vendor = VendorFactory()
    ContactFactory(vendor=vendor)
    page = analyst_client.post(
        reverse("admin:vendors_vendor_invite", args=[vendor.pk]), {"selection": closed.pk}
    )
    body = page.content.decode()
    assert "Choose at least one contact to invite." in body
    # A round whose due date has passed is not offered.
    assert "Select a valid choice" in body
    assert "Closed round" not in body
    assert not Response.objects.exists()


def test_without_an_open_round_the_analyst_is_told_to_create_one(analyst_client, example_version):
    vendor = VendorFactory()
    ContactFactory(vendor=vendor)
    body = analyst_client.get(reverse("admin:vendors_vendor_invite", args=[vendor.pk])).content
    assert b"No round is open" in body
    assert reverse("admin:questionnaires_selection_add").encode() in body


def test_a_vendor_without_contacts_is_told_to_add_one(analyst_client, example_version):
    vendor = VendorFactory()
    page = analyst_client.get(reverse("admin:vendors_vendor_invite", args=[vendor.pk]))
    assert "has no contacts yet" in page.content.decode()


def test_non_staff_cannot_invite(client, example_version):
    vendor = VendorFactory()
    page = client.get(reverse("admin:vendors_vendor_invite", args=[vendor.pk]))
    assert page.status_code == 302 and "/admin/login/" in page["Location"]


def test_revoke_and_reissue_actions(
    analyst_client, example_version, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    [link] = invitation_create(
        contacts=[contact],
        selection=round_of(example_version, timezone.localdate() + datetime.timedelta(days=5)),
        user=None,
    )
    changelist = reverse("admin:vendors_accesslink_changelist")
    listing = analyst_client.get(changelist).content.decode()
    assert "Active until" in listing
    assert link.token_hash not in listing

    with django_capture_on_commit_callbacks(execute=True):
        analyst_client.post(changelist, {"action": "reissue_links", "_selected_action": [link.pk]})
    link.refresh_from_db()
    assert link.revoked_at is not None
    fresh = AccessLink.objects.get(revoked_at__isnull=True)
    assert fresh.contact == contact
    assert len(mail.outbox) == 1  # the new link

    analyst_client.post(changelist, {"action": "revoke_links", "_selected_action": [fresh.pk]})
    fresh.refresh_from_db()
    assert fresh.revoked_at is not None
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.LINK_REVOKED).count() == 2
