"""A filed section page carries its link's token: every autosave, upload and navigation
URL in it starts with /portal/<token>/. So what it is filed under must name the token.

A link's row id would not do: it names a token only while the database and the cache
stay together. After the database is restored from a backup or recreated (a new
environment, a load test) while Redis keeps its pages, a link with a reused id would be
served a page holding another token, and every save from that page would go to an
unknown link (404) until the vendor's address is rate-limited (429). The load test hit
this on its second run, when pages were filed under the row id.
"""

from __future__ import annotations

import secrets

from tests.vendors.helpers import open_response, url
from vendors.models import AccessLink
from vendors.services import token_hash


def test_a_filed_page_is_never_served_with_another_tokens_links(client, example_version):
    old_token, response = open_response(example_version)
    link = AccessLink.objects.get(response=response)
    assert client.get(url("section", old_token, "oversight")).status_code == 200  # filed
    # The same row now stands for another token, as after the database was recreated.
    new_token = secrets.token_urlsafe(32)
    AccessLink.objects.filter(pk=link.pk).update(token_hash=token_hash(new_token))

    page = client.get(url("section", new_token, "oversight")).content.decode()

    assert old_token not in page
    assert url("autosave", new_token, "__key__") in page
