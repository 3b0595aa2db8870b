"""Who may open what: unknown, revoked and expired links, rate limiting, isolation."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from questionnaires.models import Answer, Evidence, ResponseStatus
from tests.factories import ResponseFactory, answer_all
from tests.vendors.helpers import days, link_for, open_response, url
from vendors.access import UNKNOWN_CLIENT_IP, client_ip

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def test_a_working_link_opens_the_overview_with_private_headers(client, example_version):
    token, response = open_response(example_version)
    page = client.get(url("overview", token))
    assert page.status_code == 200
    assert response.vendor.name in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    assert "noindex" in page["X-Robots-Tag"]
    assert page["Cache-Control"] == "no-store"


def test_unknown_token_is_404_with_help(client, example_version):
    page = client.get(url("overview", "A" * 43))
    assert page.status_code == 404
    assert "Copy the whole link" in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"


def test_revoked_link_is_410_and_says_whom_to_contact(client, example_version, settings):
    settings.ANALYST_CONTACT_EMAIL = "desk@advisory.example"
    response = ResponseFactory(version=example_version)
    token, _ = link_for(response, revoked_at=timezone.now())
    page = client.get(url("overview", token))
    assert page.status_code == 410
    body = page.content.decode()
    assert "withdrawn" in body
    assert "desk@advisory.example" in body


def test_link_expires_after_due_date_plus_grace(client, example_version, settings):
    settings.PORTAL_LINK_GRACE_DAYS = 7
    last_day = ResponseFactory(version=example_version, due_date=days(-7))
    expired = ResponseFactory(version=example_version, due_date=days(-8))
    last_day_token, _ = link_for(last_day)
    expired_token, _ = link_for(expired)
    assert client.get(url("overview", last_day_token)).status_code == 200
    page = client.get(url("overview", expired_token))
    assert page.status_code == 410
    assert "expired" in page.content.decode()


def test_a_clarification_request_reopens_an_expired_link(client, example_version):
    response = ResponseFactory(
        version=example_version,
        due_date=days(-60),
        status=ResponseStatus.CLARIFICATION_REQUESTED,
    )
    token, _ = link_for(response)
    assert client.get(url("overview", token)).status_code == 200


def test_repeated_bad_tokens_are_rate_limited_then_even_good_ones_wait(
    client, example_version, settings
):
    settings.PORTAL_BAD_TOKEN_RATE = "3/m"
    token, _ = open_response(example_version)
    for i in range(3):
        assert client.get(url("overview", f"guess{i}")).status_code == 404
    limited = client.get(url("overview", "guess-again"))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    # A blocked client learns nothing, not even whether a guess was right.
    assert client.get(url("overview", token)).status_code == 429
    # Another client is not affected.
    assert client.get(url("overview", token), REMOTE_ADDR="10.0.0.9").status_code == 200


def test_behind_a_proxy_each_client_is_limited_by_the_address_the_proxy_saw(
    client, example_version, settings
):
    settings.PORTAL_BAD_TOKEN_RATE = "3/m"
    settings.PORTAL_CLIENT_IP_HEADER = "X-Forwarded-For"
    token, _ = open_response(example_version)
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def guess(forwarded_for: str, token: str = "guess") -> int:
        return client.get(
            url("overview", token), HTTP_X_FORWARDED_FOR=forwarded_for, **proxy
        ).status_code

    # A guesser cannot dodge the limit by sending addresses of its own first.
    for spoofed in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        assert guess(f"{spoofed}, 203.0.113.5") == 404
    assert guess("4.4.4.4, 203.0.113.5") == 429
    # Another vendor behind the same proxy is not affected.
    assert guess("198.51.100.7", token) == 200


def test_a_proxy_header_that_holds_no_address_counts_the_connecting_one(
    client, example_version, settings
):
    settings.PORTAL_BAD_TOKEN_RATE = "2/m"
    settings.PORTAL_CLIENT_IP_HEADER = "X-Forwarded-For"
    for forwarded in ("not-an-address", ""):
        page = client.get(url("overview", "guess"), HTTP_X_FORWARDED_FOR=forwarded)
        assert page.status_code == 404
    assert client.get(url("overview", "guess")).status_code == 429


def test_without_the_proxy_header_setting_the_connecting_address_counts(
    client, example_version, settings
):
    settings.PORTAL_BAD_TOKEN_RATE = "3/m"
    for i in range(3):
        client.get(url("overview", f"guess{i}"), HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    # The header is ignored unless configured: a client cannot pick its own address.
    assert client.get(url("overview", "guess"), HTTP_X_FORWARDED_FOR="9.9.9.9").status_code == 429


def test_good_tokens_do_not_count_towards_the_limit(client, example_version, settings):
    settings.PORTAL_BAD_TOKEN_RATE = "2/m"
    token, _ = open_response(example_version)
    for _ in range(5):
        assert client.get(url("overview", token)).status_code == 200


def test_using_a_link_records_when(client, example_version):
    response = ResponseFactory(version=example_version)
    token, link = link_for(response)
    client.get(url("overview", token))
    link.refresh_from_db()
    assert link.last_used_at is not None


def test_unknown_section_is_404(client, example_version):
    token, _ = open_response(example_version)
    assert client.get(url("section", token, "no_such_section")).status_code == 404


def test_a_link_only_ever_opens_its_own_response(client, example_version):
    """Token A can neither read nor change anything of response B (same questionnaire)."""
    token_a, response_a = open_response(example_version)
    _, response_b = open_response(example_version)
    _, _, b_answer = answer_all(
        response_b,
        {
            "live_deployments": 40,
            "kill_switch_owner": "B's secret owner",
            "monitoring_report": ["b-secret.pdf"],
        },
    )
    b_answer_evidence = Evidence.objects.create(
        answer=b_answer,
        file=SimpleUploadedFile("b.pdf", PDF),
        original_name="b-secret.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )

    for page in (
        client.get(url("overview", token_a)),
        client.get(url("section", token_a, "oversight")),
        client.get(url("sent", token_a)),
    ):
        body = page.content.decode()
        assert page.status_code == 200
        assert response_b.vendor.name not in body
        assert "B&#x27;s secret owner" not in body and "B's secret owner" not in body
        assert "b-secret.pdf" not in body

    saved = client.post(
        url("autosave", token_a, "kill_switch_owner"),
        {"kill_switch_owner": "A's owner", "kill_switch_owner-revision": 0},
    )
    assert saved.json()["status"] == "saved"
    removed = client.post(
        url("evidence_remove", token_a, "monitoring_report", b_answer_evidence.pk)
    )
    assert removed.status_code == 404

    assert Answer.objects.get(response=response_b, question__key="kill_switch_owner").value == (
        "B's secret owner"
    )
    assert Answer.objects.get(response=response_a, question__key="kill_switch_owner").value == (
        "A's owner"
    )
    assert Evidence.objects.filter(pk=b_answer_evidence.pk).exists()


def test_portal_urls_refuse_wrong_methods(client, example_version):
    token, _ = open_response(example_version)
    assert client.get(url("autosave", token, "live_deployments")).status_code == 405
    assert client.delete(url("overview", token)).status_code == 405


def test_revoked_link_cannot_save(client, example_version):
    response = ResponseFactory(version=example_version)
    token, _ = link_for(response, revoked_at=timezone.now() - datetime.timedelta(minutes=1))
    page = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "4", "live_deployments-revision": 0},
    )
    assert page.status_code == 410
    assert not Answer.objects.filter(response=response).exists()


def test_posts_need_the_csrf_token_and_a_same_origin_request(example_version):
    browser = Client(enforce_csrf_checks=True)
    token, response = open_response(example_version)
    page = browser.get(url("section", token, "oversight")).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    save = url("autosave", token, "kill_switch_owner")
    data = {"kill_switch_owner": "Ops", "kill_switch_owner-revision": 0}

    assert browser.post(save, data).status_code == 403
    foreign = browser.post(
        save, {**data, "csrfmiddlewaretoken": csrf}, HTTP_ORIGIN="https://evil.example"
    )
    assert foreign.status_code == 403
    assert not Answer.objects.filter(response=response).exists()

    same_site = browser.post(
        save, {**data, "csrfmiddlewaretoken": csrf}, HTTP_ORIGIN="http://testserver"
    )
    assert same_site.json()["status"] == "saved"


@pytest.mark.parametrize("remote", [None, "", "unix:/run/gunicorn.sock"])
def test_a_request_without_a_usable_connecting_address_shares_one_fallback(rf, settings, remote):
    settings.PORTAL_CLIENT_IP_HEADER = ""
    request = rf.get("/portal/x/")
    if remote is None:
        del request.META["REMOTE_ADDR"]  # as after force_login, or over a Unix socket
    else:
        request.META["REMOTE_ADDR"] = remote

    assert client_ip(request) == UNKNOWN_CLIENT_IP
    settings.PORTAL_CLIENT_IP_HEADER = "X-Forwarded-For"
    request.META["HTTP_X_FORWARDED_FOR"] = "junk"
    assert client_ip(request) == UNKNOWN_CLIENT_IP
    request.META["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    assert client_ip(request) == "198.51.100.7"


def test_guesses_without_a_connecting_address_are_counted_not_a_server_error(
    example_version, settings
):
    settings.PORTAL_BAD_TOKEN_RATE = "2/m"
    client = Client(REMOTE_ADDR="")

    assert [client.get(url("overview", "guess")).status_code for _ in range(3)] == [
        404,
        404,
        429,
    ]
