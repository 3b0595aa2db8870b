"""Security headers on portal pages, admin pages, error pages and downloads; no inline
script or style anywhere (the Content-Security-Policy allows none); and the production
settings pass `manage.py check --deploy` without a warning."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from csp.decorators import csp_update
from csp.utils import build_policy
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone

from questionnaires.models import ResponseStatus
from tests.conftest import ROOT
from tests.factories import UserFactory
from tests.site_walk import Visitors, all_routes, fill
from tests.vendors.helpers import open_response, url

pytestmark = pytest.mark.django_db

DOWNLOAD_CSP = "default-src 'none'; sandbox"


def policy_of(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_page_headers(response) -> None:
    """What every page (not download) is sent with."""
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


class InlineCode(HTMLParser):
    """Collects what a strict policy would refuse: inline <script> and <style>, style=""
    and on…="" attributes, and javascript: links."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._open_script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script":
            self._open_script = attributes
        for name, value in attrs:
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            elif name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            elif name in {"href", "src", "action"} and (value or "").strip().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value}>")

    def handle_data(self, data):
        script = self._open_script
        # JSON data blocks are not run, and a policy does not refuse them.
        if (
            script is not None
            and "src" not in script
            and script.get("type") != "application/json"
            and data.strip()
        ):
            self.found.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._open_script = None


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_the_inline_code_finder_finds_each_kind():
    html = (
        '<script>alert(1)</script><style>p{}</style><p style="color:red" onclick="x()">'
        '<a href="javascript:x()">x</a><script src="/static/a.js"></script>'
    )
    assert len(inline_code(html)) == 5


# Pages ---------------------------------------------------------------------------------------


def test_every_page_has_the_headers_and_no_inline_code(demo_site):
    """Every HTML page the walk reaches: the admin's (Django's own included) and the
    portal's."""
    visitors = Visitors(demo_site)
    problems = []
    pages = 0
    for route in all_routes():
        path_ = fill(route, demo_site)
        reply = visitors.for_route(route).get(path_)
        if not reply.get("Content-Type", "").startswith("text/html") or reply.status_code != 200:
            continue
        pages += 1
        try:
            assert_page_headers(reply)
        except (AssertionError, KeyError) as exc:
            problems.append(f"{path_}: headers: {exc!r}")
        problems += [f"{path_}: {found}" for found in inline_code(reply.content.decode())]
    assert pages > 60
    assert not problems, "\n".join(problems)


def test_a_section_page_from_the_cache_has_the_headers_too(client, example_version):
    cache.clear()
    token, _ = open_response(example_version)
    filed = client.get(url("section", token, "oversight"))
    cached = client.get(url("section", token, "oversight"))
    for page in (filed, cached):
        assert page.status_code == 200
        assert_page_headers(page)
        assert not inline_code(page.content.decode())


@pytest.mark.parametrize("state", ["submitted", "revoked", "unknown"])
def test_portal_pages_for_each_state_have_the_headers(client, example_version, state):
    token, response = open_response(example_version)
    if state == "submitted":
        response.status = ResponseStatus.SUBMITTED
        response.submitted_at = timezone.now()
        response.save()
        page = client.get(url("sent", token))
    elif state == "revoked":
        response.access_links.update(revoked_at=timezone.now())
        page = client.get(url("overview", token))
    else:
        page = client.get(url("overview", "x" * 43))
    assert page.status_code == {"submitted": 200, "revoked": 410, "unknown": 404}[state]
    assert_page_headers(page)
    assert not inline_code(page.content.decode())


def test_the_rate_limited_portal_page_has_the_headers(client, settings):
    settings.PORTAL_BAD_TOKEN_RATE = "1/m"
    cache.clear()
    client.get(url("overview", "a" * 43))
    limited = client.get(url("overview", "b" * 43))
    assert limited.status_code == 429
    assert_page_headers(limited)


def test_the_admin_sign_in_page_has_the_headers(client):
    page = client.get(reverse("admin:login"))
    assert page.status_code == 200
    assert_page_headers(page)
    assert not inline_code(page.content.decode())


# How the policy is applied (cxvet/headers.py) -------------------------------------------------


def test_the_header_is_the_one_django_csp_builds_from_the_settings(client):
    page = client.get(reverse("admin:login"))
    assert page["Content-Security-Policy"] == build_policy()


@pytest.mark.urls(__name__)
def test_a_view_may_still_change_its_policy_with_django_csp_s_decorators():
    page = Client().get("/relaxed/")
    policy = policy_of(page)
    assert policy["img-src"] == ["'self'", "data:", "https://images.example"]
    assert policy["script-src"] == ["'self'"]


def test_a_changed_setting_changes_the_header(client, settings):
    client.get(reverse("admin:login"))  # built once with the old setting
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get(reverse("admin:login"))["Content-Security-Policy"] == "default-src 'none'"


# Error pages ---------------------------------------------------------------------------------


def _fails(request):
    raise RuntimeError("a bug")


@csp_update({"img-src": ["https://images.example"]})
def _relaxed(request):
    return HttpResponse("a page that adds an image source")


urlpatterns = [path("fails/", _fails), path("relaxed/", _relaxed)]


@pytest.mark.urls(__name__)
def test_a_server_error_page_has_the_headers():
    page = Client(raise_request_exception=False).get("/fails/")
    assert page.status_code == 500
    assert_page_headers(page)


def test_a_not_found_page_has_the_headers(client):
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert_page_headers(page)


def test_a_bad_request_page_has_the_headers():
    page = Client(HTTP_HOST="attacker.example").get("/admin/login/")
    assert page.status_code == 400
    assert_page_headers(page)


def test_a_forbidden_admin_page_has_the_headers(client):
    client.force_login(UserFactory(username="no-perms", is_superuser=False))
    page = client.get("/admin/questionnaires/response/compare/?ids=1")
    assert page.status_code == 403
    assert_page_headers(page)


def test_the_csrf_failure_page_explains_and_has_no_inline_style():
    page = Client(enforce_csrf_checks=True).post(reverse("admin:login"), {"username": "x"})
    assert page.status_code == 403
    assert_page_headers(page)
    text = page.content.decode()
    assert "This form could not be accepted" in text
    assert "Nothing was saved" in text
    assert not inline_code(text)


# Downloads -----------------------------------------------------------------------------------


def assert_download_headers(reply, name: str) -> None:
    assert reply.status_code == 200, name
    assert reply["Content-Disposition"].startswith("attachment;"), name
    assert reply["X-Content-Type-Options"] == "nosniff", name
    assert reply["Content-Security-Policy"] == DOWNLOAD_CSP, name


def test_every_download_is_an_attachment_that_runs_nothing(demo_site):
    visitors = Visitors(demo_site)
    selection = demo_site.selection.pk
    downloads = {
        "evidence": f"/admin/questionnaires/evidence/{demo_site.evidence.pk}/download/",
        "report": f"/admin/questionnaires/report/{demo_site.report.pk}/download/",
        "xlsx": f"/admin/questionnaires/selection/{selection}/compare/export/?format=xlsx",
        "csv": f"/admin/questionnaires/selection/{selection}/compare/export/?format=csv",
        "summary": (
            f"/admin/questionnaires/selection/{selection}/compare/export/?format=csv&part=summary"
        ),
        "all": (
            "/admin/questionnaires/response/export/questionnaire/"
            f"{demo_site.reviewed.version.questionnaire_id}/?format=xlsx"
        ),
    }
    for name, address in downloads.items():
        reply = visitors.admin.get(address)
        assert_download_headers(reply, name)


def test_a_page_is_not_given_the_download_policy(client):
    page = client.get(reverse("admin:login"))
    assert page["Content-Security-Policy"] != DOWNLOAD_CSP


def test_the_download_policy_is_set_on_any_attachment(rf):
    from cxvet.headers import DownloadHeadersMiddleware

    def view(request):
        reply = HttpResponse(b"a,b\n", content_type="text/csv")
        reply["Content-Disposition"] = 'attachment; filename="x.csv"'
        return reply

    reply = DownloadHeadersMiddleware(view)(rf.get("/"))
    assert reply["Content-Security-Policy"] == DOWNLOAD_CSP
    assert reply["X-Content-Type-Options"] == "nosniff"


# Production settings -------------------------------------------------------------------------

# The environment README.md's "Deploying" section documents (placeholders filled in).
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://cxvet@db.internal:5432/cxvet",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "ALLOWED_HOSTS": "cxvet.example.com",
    "SITE_URL": "https://cxvet.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://cxvet.example.com",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    "PORTAL_CLIENT_IP_HEADER": "X-Forwarded-For",
    "RELEASE_ID": "4f2c9e1",
}


def _production(command: list[str]) -> subprocess.CompletedProcess:
    # Also without the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, which no deployment sets.
    unset = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SQLITE_NAME"}
    unset.add("DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env={**base, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_readme_documents_exactly_this_production_environment():
    readme = (ROOT / "README.md").read_text()
    deploying = readme.split("## Deploying", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"(?:export|\s)([A-Z][A-Z_]+)=", deploying.split("```")[1]))
    assert documented == set(PRODUCTION_ENV)


def test_check_deploy_passes_without_a_warning_in_production():
    result = _production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_turns_on_tls_redirect_hsts_and_secure_cookies():
    show = (
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_PROXY_SSL_HEADER"
    )
    result = _production(["-c", f"import cxvet.settings as s; print({show})"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True 31536000 True True True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_plain_http_is_redirected_and_https_gets_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    plain = client.get("/admin/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/admin/login/"
    secure = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
