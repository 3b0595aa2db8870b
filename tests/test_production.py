"""The production configuration serves the app: DEBUG off, a SECRET_KEY, static files
collected with hashed names and served by WhiteNoise, gunicorn as the web server, and
the test database (SQLite or PostgreSQL, whichever this run uses)."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from questionnaires.models import Answer
from tests.conftest import ARTIFACTS, ROOT, subprocess_env_for_test_database, wait_until
from tests.servers import gunicorn
from tests.vendors.helpers import open_response, url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def production_server(tmp_path_factory, django_db_setup, django_db_blocker):
    """The address of gunicorn serving the app as README.md says to deploy it."""
    env = subprocess_env_for_test_database(django_db_blocker)
    env.update(
        DEBUG="false",
        SECRET_KEY="production-test-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(tmp_path_factory.mktemp("static")),
        # As deployed behind a proxy that ends TLS: it says so in X-Forwarded-Proto.
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
    )
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr
    # With its access log on too, to show that the logger class keeps tokens out of it.
    options = [*readme_gunicorn_options(), "--access-logfile", "-"]
    with gunicorn("cxvet.wsgi", env=env, log_path=GUNICORN_LOG, options=options) as port:
        yield f"127.0.0.1:{port}"


GUNICORN_LOG = ARTIFACTS / "gunicorn.log"


def readme_gunicorn_options() -> list[str]:
    """The options README.md's "Deploying" gives gunicorn, but the address and the
    number of workers (the test server has its own)."""
    readme = (ROOT / "README.md").read_text()
    deploying = readme.split("## Deploying", 1)[1].split("```")[1]
    command = re.search(r"gunicorn cxvet\.wsgi ((?:.*\\\n)*.*)", deploying).group(1)
    words = command.replace("\\\n", " ").split("#")[0].split()
    options, skip = [], False
    for word in words:
        if skip or word in ("--bind", "--workers"):
            skip = not skip
            continue
        options.append(word)
    return options


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str


def _request(
    server: str, method: str, path: str, body: str = "", headers=None, *, via_tls: bool = True
) -> Reply:
    """A request as the TLS-ending proxy passes it on (or, via_tls=False, plain HTTP)."""
    sent = {"X-Forwarded-Proto": "https"} if via_tls else {}
    sent.update(headers or {})
    connection = http.client.HTTPConnection(server, timeout=30)
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read().decode())
    finally:
        connection.close()


def test_a_private_link_opens_with_its_collected_static_files(production_server, example_version):
    token, response = open_response(example_version)

    page = _request(production_server, "GET", url("overview", token))

    assert page.status == 200
    assert response.vendor.name in page.text
    stylesheet = re.search(r'href="(/static/portal/portal\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the page should name the stylesheet by its hashed name"
    css = _request(production_server, "GET", stylesheet.group(1))
    assert css.status == 200
    assert "immutable" in css.headers["Cache-Control"]


def test_an_autosave_from_a_cached_section_page_is_accepted(production_server, example_version):
    """The CSRF token put into a filed page is the visitor's own: the save goes through."""
    token, response = open_response(example_version)
    section_path = url("section", token, "oversight")
    _request(production_server, "GET", section_path)  # files the page
    page = _request(production_server, "GET", section_path)
    cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    saved = _request(
        production_server,
        "POST",
        url("autosave", token, "kill_switch_owner"),
        "kill_switch_owner=Night+shift+lead&kill_switch_owner-revision=0",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
            "X-CSRFToken": form_token,
            "Origin": f"https://{production_server}",
        },
    )

    assert saved.status == 200, saved.text
    assert json.loads(saved.text)["status"] == "saved"
    stored = Answer.objects.get(response=response, question__key="kill_switch_owner")
    assert stored.value == "Night shift lead"


def test_an_unknown_link_gets_the_portal_page_not_debug_details(production_server):
    page = _request(production_server, "GET", url("overview", "x" * 43))

    assert page.status == 404
    assert "We could not find this page" in page.text
    assert "DEBUG = True" not in page.text


def test_the_admin_sign_in_page_is_served_with_its_styles(production_server):
    page = _request(production_server, "GET", "/admin/login/")

    assert page.status == 200
    stylesheet = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the admin should name its stylesheet by its hashed name"
    assert _request(production_server, "GET", stylesheet.group(1)).status == 200


def test_plain_http_is_redirected_to_https_and_https_pages_carry_hsts(production_server):
    plain = _request(production_server, "GET", "/admin/login/", via_tls=False)
    secure = _request(production_server, "GET", "/admin/login/")

    assert plain.status == 301
    assert plain.headers["Location"] == f"https://{production_server}/admin/login/"
    assert secure.status == 200
    assert secure.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert "script-src 'self'" in secure.headers["Content-Security-Policy"]
    assert "Secure" in secure.headers["Set-Cookie"]


def test_sign_in_failures_in_the_server_process_lock_the_account_here(production_server):
    """The counts live in the database, so every web process sees the same lock."""
    from tests.factories import UserFactory

    UserFactory(username="shared-lock")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page = _request(production_server, "GET", "/admin/login/")
        cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        failed = _request(
            production_server,
            "POST",
            "/admin/login/",
            f"csrfmiddlewaretoken={token}&username=shared-lock&password=wrong",
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie}",
                "Origin": f"https://{production_server}",
            },
        )
    assert failed.status == 429

    here = Client().post(
        "/admin/login/",
        {"username": "shared-lock", "password": "correct horse battery staple"},
    )
    assert here.status_code == 429


def test_readme_gunicorn_options_are_read():
    assert readme_gunicorn_options() == [
        "--logger-class",
        "cxvet.gunicorn_logging.RedactingLogger",
    ]


def test_gunicorns_access_and_error_logs_hold_no_private_link(production_server, example_version):
    token, _ = open_response(example_version)
    revoked, gone = open_response(example_version)
    gone.access_links.update(revoked_at=timezone.now())
    referer = f"https://{production_server}{url('overview', token)}"

    assert _request(production_server, "GET", url("overview", token)).status == 200
    assert _request(production_server, "GET", url("section", token, "nope")).status == 404
    page = _request(
        production_server, "GET", url("overview", revoked), headers={"Referer": referer}
    )
    assert page.status == 410

    log = wait_until(_log_with_the_410, timeout=10)
    assert token not in log and revoked not in log
    assert '"GET /portal/[redacted]/ HTTP/1.1" 410' in log  # the access log's line
    assert f'"{referer.replace(token, "[redacted]")}"' in log  # its Referer
    assert "Not Found: /portal/[redacted]/sections/nope/" in log  # Django's warning


def _log_with_the_410() -> str | None:
    """The server's log, once the 410's lines are in it."""
    text = GUNICORN_LOG.read_text()
    return text if "Gone: /portal/[redacted]/" in text and '" 410 ' in text else None
