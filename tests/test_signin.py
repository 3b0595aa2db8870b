"""Admin sign-in is throttled per account and per client address (django-axes, counted
in the database): the lockout page says when to try again, and the lock lifts then."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LIMIT = settings.AXES_FAILURE_LIMIT
COOL_OFF = datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)


def sign_in(username: str, password: str, address: str, **headers) -> object:
    """One sign-in on the admin's form, from `address`, in a browser of its own."""
    return Client().post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **headers,
    )


def signed_in(reply) -> bool:
    return reply.status_code == 302 and reply["Location"] == "/admin/"


def locked_out(reply) -> bool:
    return reply.status_code == 429 and b"Sign-in paused" in reply.content


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    # Throttling does not depend on the hasher; the real one takes about 0.3 s a check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ana(db):
    return UserFactory(username="ana")


def test_the_defaults_are_five_failures_in_fifteen_minutes():
    # As README.md's settings table says (SIGNIN_FAILURE_LIMIT, SIGNIN_COOLOFF_MINUTES).
    assert LIMIT == 5
    assert settings.AXES_COOLOFF_TIME * 60 == 15  # hours, as axes takes it


def test_failures_for_one_account_from_many_addresses_lock_that_account(ana):
    for i in range(LIMIT - 1):
        assert not signed_in(sign_in("ana", "wrong", f"198.51.100.{i + 1}"))
    # The failure that reaches the limit already shows the lockout page.
    assert locked_out(sign_in("ana", "wrong", "198.51.100.50"))

    assert locked_out(sign_in("ana", PASSWORD, "198.51.100.99"))
    UserFactory(username="ben")
    assert signed_in(sign_in("ben", PASSWORD, "198.51.100.99")), "that address is not locked"


def test_failures_from_one_address_for_many_accounts_lock_that_address(ana):
    for i in range(LIMIT):
        sign_in(f"guess{i}", "wrong", "203.0.113.7")

    assert locked_out(sign_in("ana", PASSWORD, "203.0.113.7"))
    assert signed_in(sign_in("ana", PASSWORD, "203.0.113.8")), "that account is not locked"


def test_fewer_failures_lock_nothing_and_a_sign_in_clears_them(ana):
    for _ in range(2):
        for _ in range(LIMIT - 1):
            assert not locked_out(sign_in("ana", "wrong", "192.0.2.10"))
        assert signed_in(sign_in("ana", PASSWORD, "192.0.2.10"))


def test_the_lockout_page_says_what_happened_and_when_to_try_again(ana):
    with time_machine.travel(NOON, tick=False):
        for _ in range(LIMIT):
            page = sign_in("ana", "wrong", "192.0.2.20")

    assert page.status_code == 429
    assert page["Retry-After"] == str(int(COOL_OFF.total_seconds()))
    text = page.content.decode()
    assert f"Too many sign-ins failed: {LIMIT} within 15 minutes" in text
    assert "Sign-in is paused until <strong>12:15 UTC</strong>" in text
    assert "even the right\n    password is refused" in text
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_the_lock_lifts_after_the_cool_off_and_attempts_meanwhile_do_not_extend_it(ana):
    with time_machine.travel(NOON, tick=False) as clock:
        for _ in range(LIMIT):
            sign_in("ana", "wrong", "192.0.2.30")
        clock.shift(datetime.timedelta(minutes=10))
        assert locked_out(sign_in("ana", "wrong", "192.0.2.30"))
        still = sign_in("ana", PASSWORD, "192.0.2.30")
        assert locked_out(still)
        assert still["Retry-After"] == str(5 * 60)

        clock.shift(datetime.timedelta(minutes=5, seconds=1))
        assert signed_in(sign_in("ana", PASSWORD, "192.0.2.30"))


def test_behind_a_proxy_the_address_it_added_counts(ana, settings):
    """The portal's rule: the last X-Forwarded-For entry. Earlier entries come from the
    client and change nothing; every request reaches us from the proxy's address."""
    settings.PORTAL_CLIENT_IP_HEADER = "X-Forwarded-For"
    proxy = "10.0.0.1"
    for i in range(LIMIT):
        sign_in(
            f"guess{i}",
            "wrong",
            proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 198.51.100.20",
        )

    refused = sign_in("ana", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.20")
    assert locked_out(refused)
    other_client = sign_in("ana", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.21")
    assert signed_in(other_client)


def test_the_time_shown_is_when_the_oldest_counted_failure_ages_out(ana):
    """Failures spread over minutes and addresses: the pause ends when the one that
    brought the count to the limit is older than the cool-off."""
    with time_machine.travel(NOON, tick=False) as clock:
        for minute in range(LIMIT):
            sign_in("ana", "wrong", f"198.51.100.{minute + 1}")
            clock.shift(datetime.timedelta(minutes=1))
        # 12:05 now; the first failure (12:00) holds the pause until 12:15.
        refused = sign_in("ana", PASSWORD, "198.51.100.200")
        assert refused["Retry-After"] == str(10 * 60)
        assert "until <strong>12:15 UTC</strong>" in refused.content.decode()

        clock.shift(datetime.timedelta(minutes=10, seconds=1))
        assert signed_in(sign_in("ana", PASSWORD, "198.51.100.200"))
