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

import pickle
import re
import secrets

import pytest
from django.test import Client

from tests.vendors.helpers import open_response, url
from vendors import page_cache
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


def _cached_values() -> list[str]:
    """Everything the cache holds, as stored (LocMemCache keeps pickles) and as text."""
    from django.core.cache import caches

    stored = caches["default"]._cache  # the backend's own store: key -> pickled value
    values = []
    for raw in stored.values():
        values.append(raw.decode("latin-1"))
        loaded = pickle.loads(raw)
        values.append(loaded if isinstance(loaded, str) else repr(loaded))
    return values


@pytest.fixture
def memory_cache(settings):
    """A cache of this test's own whose raw contents the test can read."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"section-cache-token-{secrets.token_hex(4)}",
        }
    }


def test_the_cache_never_holds_the_token_and_the_served_page_links_work(
    example_version, memory_cache
):
    client = Client(enforce_csrf_checks=True)
    token, _ = open_response(example_version)
    section_url = url("section", token, "track_record")

    client.get(section_url)  # drawn, then filed
    served = client.get(section_url)  # from the cache

    filed = _cached_values()
    for value in filed:
        assert token not in value
    assert any(page_cache.TOKEN_PLACEHOLDER in value for value in filed), "page not filed"
    page = served.content.decode()
    assert page_cache.TOKEN_PLACEHOLDER not in page
    # Its links and the script's endpoints carry this link's token, and work.
    assert url("autosave", token, "__key__") in page
    for path in re.findall(r'href="(/portal/[^"#]+)', page):
        assert client.get(path).status_code == 200, path
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    saved = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "12", "live_deployments-revision": "0"},
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert saved.json()["status"] == "saved"
