"""What the access rules add to the role tables: an object reveals its parts, so each part's
permission is needed too; what each role is shown; and what no role deletes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from questionnaires.models import AuditEvent, Profile, Response, Selection
from tests.factories import ContactFactory, ResponseFactory, UserFactory
from tests.roles import (
    ANALYST_ROLE,
    REVIEWER_ROLE,
    SUPERUSER,
    RoleWorld,
    attempt,
    form_data,
    shared_world,
)
from vendors.models import Vendor


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from shared_world(django_db_blocker, tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _media_root(world):
    """The world's files stay where it put them (replaces the per-test media root)."""


@pytest.fixture(autouse=True)
def _db(db):
    """Each test in a savepoint of the module's transaction."""


def _client_with(world: RoleWorld, *codenames: str):
    user = UserFactory(username="custom-" + "-".join(codenames), is_superuser=False)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


# An object reveals its parts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("codenames", "url_of"),
    [
        # A selection's comparison shows its responses' answers.
        (("view_selection",), lambda w: ("admin:questionnaires_selection_compare", w.selection)),
        (
            ("view_selection",),
            lambda w: ("admin:questionnaires_selection_compare_export", w.selection),
        ),
        # A report and an evidence file are parts of a response.
        (("view_report",), lambda w: ("admin:questionnaires_report_download", w.report)),
        (("view_report",), lambda w: ("admin:questionnaires_report_status", w.report)),
        (("view_evidence",), lambda w: ("admin:questionnaires_evidence_download", w.evidence)),
        (("view_evidence",), lambda w: ("admin:questionnaires_evidence_changelist", None)),
        (("view_auditevent",), lambda w: ("admin:questionnaires_auditevent_changelist", None)),
        (
            ("view_responsescore",),
            lambda w: ("admin:questionnaires_responsescore_changelist", None),
        ),
        # Requesting a report needs the right to see what it reports on.
        (
            ("add_report", "view_selection"),
            lambda w: ("admin:questionnaires_report_request_comparison", w.selection),
        ),
    ],
)
def test_without_view_response_no_part_of_a_response_shows(world: RoleWorld, codenames, url_of):
    name, obj = url_of(world.site)
    url = reverse(name, args=[obj.pk] if obj is not None else [])

    refused = attempt(_client_with(world, *codenames), "get", url)
    allowed = attempt(_client_with(world, *codenames, "view_response"), "get", url)

    assert refused.reply.status_code == 403
    assert world.site.reviewed.vendor.name.encode() not in refused.reply.content
    assert allowed.reply.status_code == 200


def test_a_comparison_report_needs_the_selection_too(world: RoleWorld):
    site = world.site
    report = site.report
    report.kind, report.selection, report.response = "comparison", site.selection, None
    report.save()
    url = reverse("admin:questionnaires_report_download", args=[report.pk])

    assert attempt(_client_with(world, "view_report", "view_response"), "get", url).outcome == (
        "refused"
    )
    both = _client_with(world, "view_report", "view_response", "view_selection")
    assert attempt(both, "get", url).reply.status_code == 200


def test_view_permission_alone_does_not_request_a_pdf(world: RoleWorld):
    """The gap docs/security.md used to list: a reviewer could queue PDFs."""
    site = world.site
    url = reverse("admin:questionnaires_report_request_assessment", args=[site.reviewed.pk])
    data = {"profile": site.reviewed.version.default_profile_key}

    result = attempt(world.client(REVIEWER_ROLE), "post", url, data)

    assert result.outcome == "refused"
    assert not result.changed


# What each role is shown -------------------------------------------------------------------------


def test_a_reviewer_sees_no_button_for_work_an_analyst_does(world: RoleWorld):
    site = world.site
    vendor = Vendor.objects.order_by("pk").first()
    pages = {
        "response": reverse("admin:questionnaires_response_change", args=[site.reviewed.pk]),
        "selection": reverse("admin:questionnaires_selection_change", args=[site.selection.pk]),
        "vendor": reverse("admin:vendors_vendor_change", args=[vendor.pk]),
        "vendors": reverse("admin:vendors_vendor_changelist"),
    }
    buttons = {
        "response": [b"Generate PDF", b"Accept response", b"Override score"],
        "selection": [b"Generate PDF", b"Invite vendors"],
        "vendor": [b"Invite into a round"],
        "vendors": [b"Invite\xe2\x80\xa6"],
    }
    for page, url in pages.items():
        reviewer = world.client(REVIEWER_ROLE).get(url).content
        analyst = world.client(ANALYST_ROLE).get(url).content
        for button in buttons[page]:
            assert button not in reviewer, f"{page}: {button!r} shown to a reviewer"
            assert button in analyst, f"{page}: {button!r} missing for an analyst"


def test_a_reviewer_reads_a_profiles_weights_and_an_analyst_edits_them(world: RoleWorld):
    profile = Profile.objects.order_by("pk").first()
    url = reverse("admin:questionnaires_profile_change", args=[profile.pk])
    first = profile.version.definition["sections"][0]

    reviewer = world.client(REVIEWER_ROLE).get(url).content.decode()
    analyst = world.client(ANALYST_ROLE).get(url).content.decode()

    assert f"{first['key']} {first['weight']:g}" in reviewer
    assert f'name="weight_{first["key"]}"' not in reviewer
    assert f'name="weight_{first["key"]}"' in analyst


# What no role deletes ------------------------------------------------------------------------------


def test_only_a_superuser_deletes_a_response_and_only_one_without_history(world: RoleWorld):
    bare = ResponseFactory(version=world.site.reviewed.version)
    with_history = world.site.reviewed
    assert AuditEvent.objects.filter(response=with_history).exists()
    # Given the permission by hand, an analyst still may not.
    analyst = _client_with(world, "view_response", "change_response", "delete_response")

    def delete(client, response: Response):
        url = reverse("admin:questionnaires_response_delete", args=[response.pk])
        return attempt(client, "post", url, {"post": "yes"})

    assert delete(analyst, bare).outcome == "refused"
    assert not delete(analyst, bare).changed
    assert delete(world.client(SUPERUSER), with_history).outcome == "refused"
    assert not delete(world.client(SUPERUSER), with_history).changed
    assert "questionnaires.Response" in delete(world.client(SUPERUSER), bare).changed


def test_a_contact_who_received_a_link_is_kept(world: RoleWorld):
    site = world.site
    vendor = site.portal_response.vendor
    linked = vendor.contacts.filter(access_links__isnull=False).first()
    unlinked = ContactFactory(vendor=vendor)
    url = reverse("admin:vendors_vendor_change", args=[vendor.pk])
    page = world.client(SUPERUSER).get(url).content.decode()
    data = {**form_data(page, "vendor_form"), "_save": "Save"}
    data.pop("csrfmiddlewaretoken", None)
    rows = {
        int(data[f"contacts-{i}-id"][0]): i
        for i in range(int(data["contacts-TOTAL_FORMS"][0]))
        if data.get(f"contacts-{i}-id", [""])[0]
    }

    refused = attempt(
        world.client(ANALYST_ROLE),
        "post",
        url,
        {**data, f"contacts-{rows[linked.pk]}-DELETE": "on"},
    )
    removed = attempt(
        world.client(ANALYST_ROLE),
        "post",
        url,
        {**data, f"contacts-{rows[unlinked.pk]}-DELETE": "on"},
    )

    assert refused.reply.status_code == 200
    assert f"{linked.name} received a private link" in refused.reply.content.decode()
    assert "vendors.Contact" not in refused.changed
    assert removed.reply.status_code == 302
    assert "vendors.Contact" in removed.changed


def test_an_analyst_deletes_an_empty_round_but_not_one_with_vendors(world: RoleWorld):
    analyst = world.client(ANALYST_ROLE)
    empty = Selection.objects.create(name="Empty", buyer_name="Nobody yet")

    def delete(selection):
        url = reverse("admin:questionnaires_selection_delete", args=[selection.pk])
        return attempt(analyst, "post", url, {"post": "yes"})

    removed = delete(empty)
    kept = delete(world.site.selection)

    assert "questionnaires.Selection" in removed.changed
    # Its responses protect it: the admin names them instead of deleting.
    assert b"<title>Cannot delete selection round" in kept.reply.content
    assert not kept.changed
    assert Selection.objects.filter(pk=world.site.selection.pk).exists()
