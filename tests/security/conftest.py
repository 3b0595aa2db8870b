"""What the security tests share: a portal link to answer, and requests as portal.js
sends them."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.vendors.helpers import open_response

# portal.js asks for JSON; a plain form post (no script) does not.
AS_SCRIPT = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits and filed pages of one test must not reach the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def portal(example_version):
    """(token, response): an in-progress response to the example questionnaire."""
    return open_response(example_version)
