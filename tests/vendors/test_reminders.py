"""Reminders, overdue and closing notices: which sweep sends what, on a controlled clock.

Every test here moves the clock with time-machine: invitations, extensions and sweeps
each happen on a named day around the due date D. Sweeps run as beat runs them
(`reminders_sweep`), with their outbox messages sent in-process once they commit.
"""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxvet.outbox.models import OutboxMessage
from questionnaires.models import (
    AuditEvent,
    Reminder,
    ReminderKind,
    Response,
    ResponseStatus,
)
from questionnaires.services.selections import response_due_date_move
from tests import mail_backends
from tests.factories import ContactFactory, ResponseFactory, UserFactory, VendorFactory, round_of
from tests.vendors.helpers import run_delivered
from tests.vendors.test_invitations import LINK_PATTERN
from vendors.models import LinkToken
from vendors.reminders import due_notices, reminders_claim, reminders_sweep, rounds_reminder_days
from vendors.services import invitation_create
from vendors.tasks import send_reminders

D = datetime.date(2027, 3, 15)
GRACE = 14
UTC = datetime.UTC


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=UTC)


def day(offset: int) -> datetime.date:
    return D + datetime.timedelta(days=offset)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = "http://testserver"
    settings.PORTAL_LINK_GRACE_DAYS = GRACE
    settings.ANALYST_CONTACT_EMAIL = "analysts@cxvet.example"
    mail_backends.REFUSE.clear()
    mail_backends.REFUSED.clear()


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """sweep(day) runs the reminder sweep on that day at 09:00 and returns the emails it
    sent, as (recipient, first word of the subject) pairs, sorted."""

    def run(on: datetime.date, hour: int = 9) -> list[tuple[str, str]]:
        before = len(mail.outbox)
        with (
            time_machine.travel(at(on, hour), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            reminders_sweep()
        return sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox[before:])

    return run


def invite(
    version,
    *,
    due: datetime.date = D,
    on: datetime.date,
    vendor: str = "Parrot AI",
    **round_fields,
) -> Response:
    """Alice and Bob of one vendor invited on `on` into a round due `due`, owned by Dana;
    the invitation emails are left unsent (only the sweep's emails are looked at)."""
    with time_machine.travel(at(on, 8), tick=False):
        selection = round_of(version, due, name="Northwind CX 2027", **round_fields)
        selection.owners.add(UserFactory(username="dana", email="dana@cx.example"))
        company = VendorFactory(name=vendor)
        contacts = [
            ContactFactory(vendor=company, name="Alice", email="alice@parrot.example"),
            ContactFactory(vendor=company, name="Bob", email="bob@parrot.example"),
        ]
        [link, _] = invitation_create(contacts=contacts, selection=selection, user=None)
    return link.response


VENDORS_REMINDED = [("alice@parrot.example", "Reminder"), ("bob@parrot.example", "Reminder")]
OVERDUE = [
    ("alice@parrot.example", "Overdue"),
    ("bob@parrot.example", "Overdue"),
    ("dana@cx.example", "Overdue"),
]
CLOSED = [("dana@cx.example", "Closed")]


def sweep_daily(sweep, first: int, last: int) -> dict[int, list[tuple[str, str]]]:
    """Sweep every day from D+first to D+last; the emails of each day that had any."""
    sent = {}
    for offset in range(first, last + 1):
        emails = sweep(day(offset))
        if emails:
            sent[offset] = emails
    return sent


# Which notice goes out when ---------------------------------------------------------------


def test_each_reminder_day_the_overdue_day_and_the_closing_day_send_their_notice_once(
    example_version, sweep
):
    response = invite(example_version, on=day(-20))

    sent = sweep_daily(sweep, -20, GRACE + 5)

    assert sent == {
        -7: VENDORS_REMINDED,
        -3: VENDORS_REMINDED,
        -1: VENDORS_REMINDED,
        1: OVERDUE,
        GRACE + 1: CLOSED,
    }
    notices = Reminder.objects.filter(response=response).order_by("claimed_at")
    assert [(r.kind, r.days_before, r.due_date) for r in notices] == [
        (ReminderKind.BEFORE_DUE, 7, D),
        (ReminderKind.BEFORE_DUE, 3, D),
        (ReminderKind.BEFORE_DUE, 1, D),
        (ReminderKind.OVERDUE, 0, D),
        (ReminderKind.CLOSED, 0, D),
    ]
    assert all(r.sent_at is not None and r.error == "" for r in notices)
    # Each email is on the audit trail; each vendor email carried a token of its own.
    sent_events = AuditEvent.objects.filter(response=response, kind=AuditEvent.Kind.EMAIL_SENT)
    assert sent_events.count() == 3 * 2 + 3 + 1
    assert LinkToken.objects.filter(link__response=response).count() == 4 * 2


def test_the_due_day_itself_sends_the_last_reminder_if_it_was_missed(example_version, sweep):
    invite(example_version, on=day(-20))

    assert sweep(day(0)) == [
        ("alice@parrot.example", "Due today"),
        ("bob@parrot.example", "Due today"),
    ]
    assert Reminder.objects.get().days_before == 1


def test_a_late_invitation_gets_no_reminder_whose_day_came_before_it(example_version, sweep):
    invite(example_version, on=day(-2))

    # The 7- and 3-day reminders' days came before the invitation: never sent late.
    assert sweep_daily(sweep, -2, 2) == {-1: VENDORS_REMINDED, 1: OVERDUE}


def test_a_reminder_on_the_day_of_the_invitation_is_not_sent(example_version, sweep):
    invite(example_version, on=day(-3))

    assert sweep_daily(sweep, -3, 0) == {-1: VENDORS_REMINDED}


def test_a_sweep_that_missed_days_sends_only_the_latest_notice(example_version, sweep):
    response = invite(example_version, on=day(-20))

    assert sweep(day(-2)) == VENDORS_REMINDED  # the 3-day one; the 7-day one is skipped
    assert sweep(day(5)) == OVERDUE  # the 1-day reminder is skipped
    assert sweep(day(GRACE + 4)) == CLOSED
    assert sweep(day(GRACE + 5)) == []
    assert list(
        Reminder.objects.filter(response=response)
        .order_by("claimed_at")
        .values_list("kind", "days_before")
    ) == [
        (ReminderKind.BEFORE_DUE, 3),
        (ReminderKind.OVERDUE, 0),
        (ReminderKind.CLOSED, 0),
    ]


def test_responses_closed_long_ago_are_left_alone(example_version, sweep):
    invite(example_version, on=day(-20))

    assert sweep(day(GRACE + 1 + 8)) == []


def test_an_extension_rearms_the_reminders_still_ahead_of_the_new_date(example_version, sweep):
    response = invite(example_version, on=day(-20))
    assert sweep(day(-7)) == VENDORS_REMINDED
    assert sweep(day(-3)) == VENDORS_REMINDED
    new_due = day(10)
    with time_machine.travel(at(day(-2), 15), tick=False):
        response_due_date_move(response=response, due_date=new_due, user=None)

    sent = sweep_daily(sweep, -2, 12)

    # Reminders of the new date: 7, 3 and 1 days before it, then overdue; nothing of the
    # old date's 1-day reminder or overdue notice.
    assert sent == {3: VENDORS_REMINDED, 7: VENDORS_REMINDED, 9: VENDORS_REMINDED, 11: OVERDUE}
    assert set(
        Reminder.objects.filter(response=response, due_date=new_due).values_list(
            "kind", "days_before"
        )
    ) == {
        (ReminderKind.BEFORE_DUE, 7),
        (ReminderKind.BEFORE_DUE, 3),
        (ReminderKind.BEFORE_DUE, 1),
        (ReminderKind.OVERDUE, 0),
    }


def test_a_short_extension_sends_no_reminder_whose_day_came_before_it(example_version, sweep):
    response = invite(example_version, on=day(-20))
    assert sweep(day(-3)) == VENDORS_REMINDED
    with time_machine.travel(at(day(-1), 15), tick=False):
        response_due_date_move(response=response, due_date=day(2), user=None)

    # New date D+2: its 7- and 3-day reminders were due before the extension.
    assert sweep_daily(sweep, -1, 3) == {1: VENDORS_REMINDED, 3: OVERDUE}


def test_an_extension_after_the_link_closed_reopens_it_and_its_notices(example_version, sweep):
    response = invite(example_version, on=day(-20))
    sweep_daily(sweep, -20, GRACE + 1)
    with time_machine.travel(at(day(GRACE + 2), 10), tick=False):
        response_due_date_move(response=response, due_date=day(GRACE + 6), user=None)

    assert sweep_daily(sweep, GRACE + 2, GRACE + 7) == {
        GRACE + 3: VENDORS_REMINDED,
        GRACE + 5: VENDORS_REMINDED,
        GRACE + 7: OVERDUE,
    }


def test_submitted_responses_get_no_more_notices(example_version, sweep):
    response = invite(example_version, on=day(-20))
    assert sweep(day(-7)) == VENDORS_REMINDED
    Response.objects.filter(pk=response.pk).update(
        status=ResponseStatus.SUBMITTED, submitted_at=at(day(-5))
    )

    assert sweep_daily(sweep, -5, GRACE + 3) == {}


def test_a_round_without_reminder_days_still_sends_the_overdue_and_closing_notices(
    example_version, sweep
):
    invite(example_version, on=day(-20), reminder_days=[])

    assert sweep_daily(sweep, -20, GRACE + 3) == {1: OVERDUE, GRACE + 1: CLOSED}


def test_rounds_with_different_reminder_days_each_get_their_own(example_version, sweep):
    invite(example_version, on=day(-20), vendor="Acme")  # 7, 3, 1
    invite(example_version, on=day(-20), vendor="Bolt", reminder_days=[10, 2])
    invite(example_version, on=day(-20), vendor="Core", reminder_days=[5])

    sweep_daily(sweep, -20, 0)

    sent = Reminder.objects.values_list("response__vendor__name", "days_before", "claimed_at")
    assert sorted((vendor, days, claimed.date()) for vendor, days, claimed in sent) == [
        ("Acme", 1, day(-1)),
        ("Acme", 3, day(-3)),
        ("Acme", 7, day(-7)),
        ("Bolt", 2, day(-2)),
        ("Bolt", 10, day(-10)),
        ("Core", 5, day(-5)),
    ]


def test_without_owners_the_analysts_address_is_told(example_version, sweep):
    response = invite(example_version, on=day(-20))
    response.selection.owners.clear()

    assert sweep(day(GRACE + 1)) == [("analysts@cxvet.example", "Closed")]


# The deadline -----------------------------------------------------------------------------


def test_the_link_takes_changes_until_the_deadline_and_refuses_them_from_the_closing_day(
    example_version, sweep, client
):
    invite(example_version, on=day(-20))
    sweep(day(-7))
    token = LINK_PATTERN.search(mail.outbox[-1].body).group(1)
    autosave = f"/portal/{token}/autosave/live_deployments/"

    with time_machine.travel(at(day(GRACE), 23), tick=False):
        assert client.get(f"/portal/{token}/").status_code == 200
        saved = client.post(autosave, {"live_deployments": "12", "live_deployments-revision": 0})
        assert saved.json()["status"] == "saved"
    with time_machine.travel(at(day(GRACE + 1), 0), tick=False):
        assert client.get(f"/portal/{token}/").status_code == 410
        refused = client.post(autosave, {"live_deployments": "13", "live_deployments-revision": 1})
    assert refused.status_code == 410
    answer = Response.objects.get().answers.get(question__key="live_deployments")
    assert answer.value == 12


# Never twice ------------------------------------------------------------------------------


def test_running_the_sweep_twice_sends_nothing_twice(example_version, sweep):
    invite(example_version, on=day(-20))

    assert sweep(day(-7), hour=9) == VENDORS_REMINDED
    assert sweep(day(-7), hour=9) == []
    assert sweep(day(-6), hour=1) == []
    assert Reminder.objects.count() == 1


def test_a_sweep_that_lost_the_race_sends_nothing(example_version, sweep):
    """Two sweeps read the same due notices; the one that inserts its claims second
    claims nothing and records no message."""
    invite(example_version, on=day(-20))
    with time_machine.travel(at(day(-7)), tick=False):
        read_by_first = list(due_notices(day(-7), rounds_reminder_days(day(-7))))
        assert len(read_by_first) == 1
        assert sweep(day(-7)) == VENDORS_REMINDED  # the second sweep, all the way through
        messages = OutboxMessage.objects.count()

        late = reminders_claim(due=read_by_first, now=at(day(-7)))

    assert late["claimed"] == late["messages"] == 0
    assert OutboxMessage.objects.count() == messages
    assert Reminder.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_notice_once(example_version):
    for number in range(5):
        invite(example_version, on=day(-20), vendor=f"Vendor {number}")
    start = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            start.wait(timeout=10)
            results.append(reminders_sweep())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(at(day(-3)), tick=False):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert sum(r["claimed"] for r in results) == 5
    assert Reminder.objects.count() == 5
    # (The invitations committed here, so their emails went out too.)
    sent = sorted((m.to[0], m.subject) for m in mail.outbox if m.subject.startswith("Reminder"))
    assert len(sent) == 10 and len(set(sent)) == 10


# Constant queries -------------------------------------------------------------------------


def _due_responses(version, selection, count: int) -> None:
    set_at = at(day(-20))
    ResponseFactory.create_batch(
        count, version=version, selection=selection, due_date=D, due_date_set_at=set_at
    )


def _sweep_queries() -> int:
    with (
        time_machine.travel(at(day(-3)), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        result = reminders_sweep()
    assert result["claimed"] == Response.objects.count()
    Reminder.objects.all().delete()
    OutboxMessage.objects.all().delete()
    return len(queries)


def test_the_sweep_runs_the_same_number_of_queries_for_10_and_100_responses(
    example_version, django_assert_num_queries
):
    selection = round_of(example_version, D)
    _due_responses(example_version, selection, 10)
    ten = _sweep_queries()
    _due_responses(example_version, selection, 90)
    hundred = _sweep_queries()

    assert ten == hundred
    with (
        time_machine.travel(at(day(-3)), tick=False),
        django_assert_num_queries(ten),
    ):
        assert reminders_sweep()["messages"] == 2  # 100 notices, 50 a message


def test_a_sweep_with_nothing_due_only_reads(example_version, django_assert_num_queries):
    selection = round_of(example_version, D)
    _due_responses(example_version, selection, 10)
    # The rounds' reminder days, then the candidates.
    with time_machine.travel(at(day(-10)), tick=False), django_assert_num_queries(2):
        assert reminders_sweep()["due"] == 0


# Sending: what each email says, and mail servers that refuse ------------------------------


def test_a_reminder_names_the_due_date_the_buyer_and_what_is_missing(example_version, sweep):
    invite(
        example_version,
        on=day(-20),
        buyer_industry="Retail",
        buyer_regions="Germany and Austria",
        buyer_currency="EUR",
        buyer_channels=["chat", "voice"],
        yearly_contact_volume=1_200_000,
        use_cases="Order status and returns",
        buyer_note="Answers in English, please.",
    )
    sweep(day(-3))

    email = next(m for m in mail.outbox if m.to == ["alice@parrot.example"])
    [(html, kind)] = email.alternatives
    assert kind == "text/html"
    for part in (email.body, html):
        assert "Monday 15 March 2027" in part
        assert "in 3 days" in part
        assert "A buyer in Retail, serving customers in Germany and Austria" in part
        assert "EUR" in part and "Web and app chat, Voice" in part and "1,200,000" in part
        assert "Order status and returns" in part and "Answers in English, please." in part
        assert "Still missing" in part and "How many enterprise deployments" in part
        # Neither the buyer's name nor the round's ("Northwind CX 2027") reaches vendors.
        assert "Northwind" not in part and "Northwind" not in email.subject
        assert LINK_PATTERN.search(part)
    assert "Alice" in email.body and email.reply_to == ["analysts@cxvet.example"]


def test_the_buyers_name_is_shown_when_the_round_allows_it(example_version, sweep):
    invite(example_version, on=day(-20), buyer_name_visible=True)
    sweep(day(-7))

    assert all("Northwind Retail" in m.body for m in mail.outbox)


def test_each_reminder_link_works_and_earlier_ones_keep_working(example_version, sweep, client):
    invite(example_version, on=day(-20))
    sweep(day(-7))
    sweep(day(-3))
    alice = [m for m in mail.outbox if m.to == ["alice@parrot.example"]]
    tokens = [LINK_PATTERN.search(m.body).group(1) for m in alice]

    assert len(set(tokens)) == 2
    with time_machine.travel(at(day(-2)), tick=False):
        for token in tokens:
            page = client.get(f"/portal/{token}/")
            assert page.status_code == 200 and "Example AI agent check" in page.content.decode()


def test_a_temporary_refusal_is_retried_and_nobody_gets_the_notice_twice(
    example_version, sweep, settings
):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    mail_backends.REFUSE["bob@parrot.example"] = (mail_backends.temporary(), 2)
    response = invite(example_version, on=day(-20))

    assert sweep(day(1)) == OVERDUE

    assert mail_backends.REFUSED == ["bob@parrot.example"] * 2
    reminder = Reminder.objects.get()
    assert reminder.sent_at is not None and reminder.error == ""
    # Bob's refused emails' tokens were withdrawn: one token per email that went out.
    assert LinkToken.objects.filter(link__response=response).count() == 2
    [message] = OutboxMessage.objects.filter(kind="vendors.tasks.send_reminders")
    assert message.status == OutboxMessage.Status.SENT and message.attempts == 3


def test_a_permanent_refusal_is_recorded_and_shown_on_the_response_page(
    example_version, sweep, settings, client
):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    mail_backends.REFUSE["bob@parrot.example"] = (mail_backends.permanent(), None)
    response = invite(example_version, on=day(-20))

    assert sweep(day(-7)) == [("alice@parrot.example", "Reminder")]

    failed = AuditEvent.objects.get(response=response, kind=AuditEvent.Kind.EMAIL_FAILED)
    assert failed.data["to"] == ["bob@parrot.example"]
    assert "550" in failed.data["error"] and failed.data["what"].startswith("Reminder, 7 days")
    assert "bob@parrot.example" in Reminder.objects.get().error
    client.force_login(UserFactory(username="reviewer", is_superuser=True))
    page = client.get(f"/admin/questionnaires/response/{response.pk}/change/").content.decode()
    assert "Emails not delivered yet" in page
    assert "Reminder, 7 days before the due date to bob@parrot.example" in page
    assert "No such mailbox" in page


def test_a_notice_the_mail_server_keeps_refusing_fails_after_its_attempts(
    example_version, sweep, settings
):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    mail_backends.REFUSE["dana@cx.example"] = (mail_backends.temporary(), None)
    response = invite(example_version, on=day(-20))

    assert sweep(day(GRACE + 1)) == []

    assert len(mail_backends.REFUSED) == 6
    reminder = Reminder.objects.get()
    assert reminder.sent_at is None and "Gave up after 6 attempts" in reminder.error
    failed = AuditEvent.objects.get(response=response, kind=AuditEvent.Kind.EMAIL_FAILED)
    assert failed.data["what"] == "Closing notice" and "451" in failed.data["error"]


def test_a_reminder_cut_short_by_a_killed_worker_goes_out_on_redelivery(
    example_version, settings, client
):
    response = invite(example_version, on=day(-20))
    with time_machine.travel(at(day(-7)), tick=False):
        reminders_sweep()  # its message stays in the outbox: run below as a worker would
    [message] = OutboxMessage.objects.filter(kind="vendors.tasks.send_reminders")
    ids = message.payload["reminder_ids"]
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    mail_backends.REFUSE["bob@parrot.example"] = (mail_backends.killed(), 1)

    with time_machine.travel(at(day(-7), 10), tick=False):
        with pytest.raises(SystemExit):
            run_delivered(send_reminders, ids, redelivered=False)
        assert [m.to for m in mail.outbox] == [["alice@parrot.example"]]
        assert run_delivered(send_reminders, ids, redelivered=True) == "1 of 1 notices sent"
        # Sent, so no further delivery sends anything, redelivered or not.
        for redelivered in (False, True):
            run_delivered(send_reminders, ids, redelivered=redelivered)

    assert sorted(m.to[0] for m in mail.outbox) == ["alice@parrot.example", "bob@parrot.example"]
    [bob] = [m for m in mail.outbox if m.to == ["bob@parrot.example"]]
    token = LINK_PATTERN.search(bob.body).group(1)
    with time_machine.travel(at(day(-6)), tick=False):
        assert client.get(f"/portal/{token}/").status_code == 200
    assert LinkToken.objects.filter(link__response=response, sent_at__isnull=True).count() == 0
