"""Every URL (tests/site_walk.py finds them all): a GET changes nothing stored, and a
POST, PUT or DELETE without a CSRF token is refused and changes nothing either."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import ROOT
from tests.site_walk import (
    NOT_FOUND_BY_DESIGN,
    Visitors,
    all_routes,
    changed_tables,
    database_state,
    fill,
)

pytestmark = pytest.mark.django_db

CSRF_PAGE_TEXT = b"This form could not be accepted"  # templates/403_csrf.html


def test_every_url_is_found():
    """The walk finds the portal, the admin and the custom admin pages."""
    routes = all_routes()
    names = {r.name for r in routes}
    assert {"portal:autosave", "admin:questionnaires_response_accept"} <= names
    assert len(routes) > 100


def test_no_get_changes_anything_stored(demo_site):
    visitors = Visitors(demo_site)
    problems = []
    state = database_state()
    for route in all_routes():
        path = fill(route, demo_site)
        reply = visitors.for_route(route).get(path)
        after = database_state()
        if changed := changed_tables(state, after):
            problems.append(f"GET {path} ({route.name}) changed {', '.join(changed)}")
            state = after
        if reply.status_code >= 500:
            problems.append(f"GET {path} ({route.name}) answered {reply.status_code}")
        if reply.status_code == 404 and route.route not in NOT_FOUND_BY_DESIGN:
            problems.append(f"GET {path} ({route.name}) was not found: fix the test data")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_no_change_goes_through_without_a_csrf_token(demo_site, method):
    visitors = Visitors(demo_site, enforce_csrf_checks=True)
    problems = []
    state = database_state()
    for route in all_routes():
        path = fill(route, demo_site)
        send = getattr(visitors.for_route(route), method)
        reply = send(path, {"confirm": "yes", "post": "yes"})
        after = database_state()
        # Refused by the CSRF check itself (its page), not by something else on the way.
        if reply.status_code != 403 or CSRF_PAGE_TEXT not in reply.content:
            problems.append(f"{method.upper()} {path} ({route.name}): {reply.status_code}")
        if changed := changed_tables(state, after):
            problems.append(f"{method.upper()} {path} ({route.name}) changed {changed}")
            state = after
    assert not problems, "\n".join(problems)


def test_the_state_check_sees_a_change(demo_site):
    """The comparisons above would notice: the same POST with its token changes a table."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo_site.superuser)
    page = client.get(f"/admin/questionnaires/response/{demo_site.reviewed.pk}/change/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)[1].decode()
    before = database_state()

    accepted = client.post(
        f"/admin/questionnaires/response/{demo_site.reviewed.pk}/accept/",
        {"csrfmiddlewaretoken": token},
    )

    assert accepted.status_code == 302
    assert "questionnaires.Response" in changed_tables(before, database_state())


DJANGO_ADMIN_NAMES = re.compile(
    r"admin:(index|login|logout|password_change(_done)?|autocomplete|jsi18n|view_on_site"
    r"|app_list|auth_user_password_change|\w+_(changelist|add|history|delete|change))$"
)


def _generic(path: str) -> str:
    return re.sub(r"<[^>]*>", "<>", path)


def _ours(route) -> bool:
    """A route the project adds. The admin's unnamed routes (its catch-all and the
    redirects of old object URLs) are Django's own; outside the admin, unnamed ones (the
    root's redirect) are ours."""
    if route.name == route.route:
        return not route.route.startswith("admin/")
    return not DJANGO_ADMIN_NAMES.match(route.name)


def test_docs_security_lists_every_url_of_ours():
    """docs/security.md names every portal URL, the root, and every admin URL the project
    adds (Django's standard admin pages are described there as a pattern)."""
    docs = (ROOT / "docs" / "security.md").read_text()
    # Code spans taken in order: a bare search for `/...` would also find the "/" between
    # two spans, as in `add`/`change`.
    spans = re.findall(r"`([^`]*)`", docs)
    documented = {_generic(p) for p in spans if re.fullmatch(r"/\S*", p)}
    ours = [route for route in all_routes() if _ours(route)]
    assert "" in {route.route for route in ours}  # the root, unnamed
    missing = ["/" + r.route for r in ours if _generic("/" + r.route) not in documented]
    assert len(ours) > 20
    assert not missing, "docs/security.md does not list: " + ", ".join(missing)
