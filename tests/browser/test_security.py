"""In a real browser with the Content-Security-Policy on: every admin and portal page
loads with no violation and no script error (the console watch in tests/conftest.py
fails the test on a violation), and the sign-in lockout and CSRF failure pages are
readable and pass the accessibility audit."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.browser.accessibility import DJANGO_ADMIN_CHROME, assert_accessible
from tests.factories import UserFactory
from tests.site_walk import Visitors, all_routes, fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def _sign_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def _html_pages(demo_site) -> list[str]:
    """The paths of every HTML page the URL walk reaches (downloads and JSON left out)."""
    visitors = Visitors(demo_site)
    pages = []
    for route in all_routes():
        path = fill(route, demo_site)
        reply = visitors.for_route(route).get(path)
        if reply.status_code == 200 and reply["Content-Type"].startswith("text/html"):
            pages.append(path)
    return pages


def test_every_page_runs_under_the_policy(page: Page, live_server, demo_site, csp_violations):
    paths = _html_pages(demo_site)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
    page.set_viewport_size({"width": 1400, "height": 900})
    _sign_in(page, live_server.url, demo_site.superuser.username)
    page.wait_for_selector("#user-tools")

    for path in paths:
        page.goto(live_server.url + path, wait_until="load")

    assert len(paths) > 60
    assert not script_errors, "\n".join(script_errors)
    # Violations fail the test when it ends; say here how many pages were looked at.
    assert not csp_violations, f"{len(csp_violations)} violations on {len(paths)} pages"


def test_the_lockout_page_in_the_browser(page: Page, live_server, artifacts_dir):
    UserFactory(username="locked-analyst")
    page.set_viewport_size({"width": 1200, "height": 800})
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(page, live_server.url, "locked-analyst", "wrong password")
    expect(page.locator("h1")).to_have_text("Sign-in paused")
    _sign_in(page, live_server.url, "locked-analyst")  # the right password, refused
    expect(page.locator("h1")).to_have_text("Sign-in paused")
    expect(page.get_by_role("alert")).to_contain_text("Too many sign-ins failed")
    expect(page.locator("#content-main")).to_contain_text("even the right password is refused")
    page.screenshot(path=str(artifacts_dir / "admin-locked-out.png"), full_page=True)
    assert_accessible(page, exclude=DJANGO_ADMIN_CHROME)


def test_the_csrf_failure_page_in_the_browser(page: Page, live_server, artifacts_dir):
    UserFactory(username="cookie-less")
    page.goto(f"{live_server.url}/admin/login/")
    page.context.clear_cookies()  # as if the CSRF cookie had been lost
    page.fill("#id_username", "cookie-less")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("This form could not be accepted")
    page.screenshot(path=str(artifacts_dir / "csrf-failure.png"), full_page=True)
    assert_accessible(page)
