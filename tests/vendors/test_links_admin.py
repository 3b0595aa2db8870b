"""The private links list in the admin: filtered by whether a link still works."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import ContactFactory, UserFactory, round_of
from vendors.models import AccessLink
from vendors.services import invitation_create, links_revoke


@pytest.mark.parametrize("state, revoked", [("active", False), ("revoked", True)])
def test_the_links_list_filters_active_and_revoked_links(client, example_version, state, revoked):
    client.force_login(UserFactory())
    links = invitation_create(
        contacts=[ContactFactory(), ContactFactory()],
        selection=round_of(example_version),
        user=None,
    )
    links_revoke(links=AccessLink.objects.filter(pk=links[0].pk), user=None, reason="test")

    page = client.get(reverse("admin:vendors_accesslink_changelist"), {"state": state})

    listed = list(page.context["cl"].queryset)
    assert [link.revoked_at is not None for link in listed] == [revoked]
