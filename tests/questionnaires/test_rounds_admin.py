"""A round in the admin: created with its buyer context, vendors invited from it, extended."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from questionnaires.models import AuditEvent, Response, ResponseStatus, Selection
from tests.factories import ContactFactory, UserFactory, VendorFactory, round_of


@pytest.fixture
def analyst(db):
    return UserFactory(username="dana")


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def _due(days: int = 21) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _round_form(version, **changes) -> dict:
    form = {
        "name": "Contact centre 2027",
        "buyer_name": "Northwind Retail Bank",
        "buyer_industry": "Retail banking",
        "buyer_regions": "UK",
        "buyer_currency": "gbp",
        "buyer_channels": ["chat", "voice"],
        "yearly_contact_volume": "1200000",
        "use_cases": "Card status",
        "buyer_note": "",
        "version": version.pk,
        "profile_key": version.default_profile_key,
        "due_date": _due().isoformat(),
        "reminder_days": "1, 7, 3",
        "recommendation": "",
        "responses-TOTAL_FORMS": "0",
        "responses-INITIAL_FORMS": "0",
    }
    form.update(changes)
    return form


def test_an_analyst_creates_a_round_with_buyer_context_and_owns_it(
    analyst_client, analyst, example_version
):
    reply = analyst_client.post(
        reverse("admin:questionnaires_selection_add"), _round_form(example_version)
    )
    assert reply.status_code == 302, reply.content.decode()[:2000]
    selection = Selection.objects.get()
    assert selection.buyer_currency == "GBP"
    assert selection.buyer_channels == ["chat", "voice"]
    assert selection.yearly_contact_volume == 1_200_000
    assert selection.reminder_days == [7, 3, 1]
    assert list(selection.owners.all()) == [analyst] == [selection.created_by]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"profile_key": "no-such"}, "Select a valid choice"),
        ({"buyer_currency": "E1"}, "three-letter ISO 4217 code"),
        ({"reminder_days": "7, soon"}, "whole days separated by commas"),
        ({"reminder_days": "90"}, "1 to 60 days before the due date"),
        ({"due_date": ""}, "This field is required"),
        ({"due_date": _due(-1).isoformat()}, "Choose today or a later day"),
    ],
)
def test_a_round_that_cannot_work_is_refused_with_the_reason(
    analyst_client, example_version, changes, message
):
    reply = analyst_client.post(
        reverse("admin:questionnaires_selection_add"), _round_form(example_version, **changes)
    )
    assert reply.status_code == 200
    assert message in reply.content.decode()
    assert not Selection.objects.exists()


def test_a_rounds_passed_due_date_may_stay_but_not_move_to_another_passed_day(
    analyst_client, example_version
):
    selection = round_of(example_version, name="Northwind 2027")
    Selection.objects.filter(pk=selection.pk).update(due_date=_due(-10))
    url = reverse("admin:questionnaires_selection_change", args=[selection.pk])
    kept = analyst_client.post(
        url, _round_form(example_version, name="Renamed", due_date=_due(-10).isoformat())
    )
    assert kept.status_code == 302, kept.content.decode()[:2000]
    moved = analyst_client.post(url, _round_form(example_version, due_date=_due(-3).isoformat()))
    assert moved.status_code == 200
    assert "Choose today or a later day" in moved.content.decode()
    selection.refresh_from_db()
    assert (selection.name, selection.due_date) == ("Renamed", _due(-10))


def test_the_profile_must_be_one_of_the_chosen_versions(
    analyst_client, example_version, shipped_version
):
    profile = next(
        p["key"]
        for p in shipped_version.definition["profiles"]
        if p["key"] not in {q["key"] for q in example_version.definition["profiles"]}
    )
    reply = analyst_client.post(
        reverse("admin:questionnaires_selection_add"),
        _round_form(example_version, profile_key=profile),
    )
    assert f"{example_version} has no such profile" in reply.content.decode()


def test_an_analyst_invites_several_vendors_at_once_from_the_round(
    analyst_client, example_version, django_capture_on_commit_callbacks, eager_tasks
):
    selection = round_of(example_version, name="Northwind 2027")
    acme, globex = VendorFactory(name="Acme"), VendorFactory(name="Globex")
    chosen = [ContactFactory(vendor=acme), ContactFactory(vendor=globex)]
    ContactFactory(vendor=globex, name="Not chosen")
    url = reverse("admin:questionnaires_selection_invite", args=[selection.pk])

    page = analyst_client.get(url).content.decode()
    assert "Acme: " in page and "Globex: Not chosen" in page

    with django_capture_on_commit_callbacks(execute=True):
        done = analyst_client.post(url, {"contacts": [c.pk for c in chosen]})
    assert done.status_code == 302
    assert sorted(r.vendor.name for r in selection.responses.all()) == ["Acme", "Globex"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in chosen)
    followed = analyst_client.get(done["Location"]).content.decode()
    assert "Invited 2 contacts of Acme, Globex into Northwind 2027" in followed
    assert "vendors in this round" in followed.lower()


def test_moving_the_rounds_due_date_extends_every_open_response(analyst_client, example_version):
    selection = round_of(example_version, _due(5))
    open_one = Response.objects.create(
        selection=selection, version=example_version, vendor=VendorFactory(), due_date=_due(5)
    )
    done = Response.objects.create(
        selection=selection,
        version=example_version,
        vendor=VendorFactory(),
        due_date=_due(5),
        status=ResponseStatus.SUBMITTED,
    )
    form = _round_form(
        example_version, name=selection.name, due_date=_due(12).isoformat(), reminder_days="7"
    )
    form.pop("version")  # fixed once vendors are in the round
    form.update({"responses-TOTAL_FORMS": "2", "responses-INITIAL_FORMS": "2"})
    reply = analyst_client.post(
        reverse("admin:questionnaires_selection_change", args=[selection.pk]), form
    )
    assert reply.status_code == 302, reply.content.decode()[:3000]
    open_one.refresh_from_db()
    done.refresh_from_db()
    assert open_one.due_date == _due(12) and open_one.due_date_set_at is not None
    assert done.due_date == _due(5)
    event = AuditEvent.objects.get(response=open_one, kind=AuditEvent.Kind.DUE_DATE_CHANGED)
    assert event.data == {"from": _due(5).isoformat(), "to": _due(12).isoformat()}
    assert event.actor_user.username == "dana"


def test_inviting_an_overdue_response_again_is_refused_until_its_due_date_moves(
    analyst_client, example_version, django_capture_on_commit_callbacks, eager_tasks
):
    selection = round_of(example_version, name="Northwind 2027")
    contact = ContactFactory(vendor=VendorFactory(name="Quillmere"))
    url = reverse("admin:questionnaires_selection_invite", args=[selection.pk])
    with django_capture_on_commit_callbacks(execute=True):
        analyst_client.post(url, {"contacts": [contact.pk]})
    response = selection.responses.get()
    response.due_date = timezone.localdate() - datetime.timedelta(days=2)
    response.save(update_fields=["due_date"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        refused = analyst_client.post(url, {"contacts": [contact.pk]})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert f"Quillmere&#x27;s, due {response.due_date:%d %b %Y}" in html
    assert "Extend it first: move the due date of Northwind 2027" in html
    assert mail.outbox == []


def test_inviting_a_response_again_names_the_due_date_the_vendor_sees(
    analyst_client, example_version, django_capture_on_commit_callbacks, eager_tasks
):
    selection = round_of(example_version, name="Northwind 2027")
    contact = ContactFactory(vendor=VendorFactory(name="Quillmere"))
    url = reverse("admin:questionnaires_selection_invite", args=[selection.pk])
    with django_capture_on_commit_callbacks(execute=True):
        analyst_client.post(url, {"contacts": [contact.pk]}, follow=True)  # its message read
    own = selection.due_date + datetime.timedelta(days=9)
    selection.responses.update(due_date=own)

    with django_capture_on_commit_callbacks(execute=True):
        done = analyst_client.post(url, {"contacts": [contact.pk]})
    followed = analyst_client.get(done["Location"]).content.decode()
    assert f"into Northwind 2027, due {own:%d %b %Y}." in followed
    assert f"due {selection.due_date:%d %b %Y}" not in followed
