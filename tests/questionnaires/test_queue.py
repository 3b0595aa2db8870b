"""The analyst's queue on the admin's first page: counts of what needs action, each linking
to the list that shows exactly those rows, for one round or all, in constant queries."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cxvet.outbox.models import OutboxMessage
from questionnaires.models import AuditEvent, Report, ReportKind, ReportStatus, ResponseStatus
from questionnaires.selectors import queue_counts
from questionnaires.services.reviews import clarification_request
from tests.factories import ResponseFactory, UserFactory, answer_all, round_of

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
TODAY = datetime.date.today()


def _days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def _failed_email(response) -> OutboxMessage:
    now = timezone.now()
    return OutboxMessage.objects.create(
        kind="vendors.tasks.send_clarification_request",
        payload={"response_id": response.pk},
        subject=response,
        status=OutboxMessage.Status.FAILED,
        last_error="SMTP 421",
        next_attempt_at=now,
        finished_at=now,
    )


def _stale_report(response) -> Report:
    """A ready report rendered before an answer changed (what the snapshot kept differs)."""
    report = Report.objects.create(
        kind=ReportKind.ASSESSMENT,
        response=response,
        profile_key="general",
        status=ReportStatus.READY,
        inputs_hash="0" * 64,
        inputs={"responses": [], "answers": []},
        claimed_at=timezone.now() - datetime.timedelta(hours=1),
        finished_at=timezone.now() - datetime.timedelta(hours=1),
    )
    AuditEvent.objects.create(response=response, kind=AuditEvent.Kind.ANSWER_CHANGED, data={})
    return report


def _round_with_everything(version, analyst, name: str):
    selection = round_of(version, name=name)

    def response(status, due, **fields):
        return ResponseFactory(
            version=version, selection=selection, status=status, due_date=due, **fields
        )

    review = response(ResponseStatus.SUBMITTED, _days(10), submitted_at=timezone.now())
    answered = response(ResponseStatus.SUBMITTED, _days(10), submitted_at=timezone.now())
    answer_all(answered, {"rollback_rate": 5})
    clarification_request(response=answered, questions={"rollback_rate": "x"}, user=analyst)
    answered.refresh_from_db()
    answered.status = ResponseStatus.SUBMITTED  # as after the vendor's resubmission
    answered.save(update_fields=["status"])
    late = response(ResponseStatus.IN_PROGRESS, _days(-1))
    soon = response(ResponseStatus.INVITED, _days(2))
    # Asked to clarify: the reply-by date counts, not the (later) due date.
    clarifying = response(
        ResponseStatus.CLARIFICATION_REQUESTED, _days(20), clarification_reply_by=_days(1)
    )
    response(ResponseStatus.ACCEPTED, _days(-5))  # done: in no count
    _failed_email(late)
    _stale_report(review)
    return selection, {
        "review": review,
        "answered": answered,
        "late": late,
        "soon": soon,
        "clarifying": clarifying,
    }


@pytest.fixture
def analyst():
    return UserFactory(username="ana")


@pytest.fixture
def rounds(example_version, analyst):
    first = _round_with_everything(example_version, analyst, "Round one")
    second = _round_with_everything(example_version, analyst, "Round two")
    return first, second


def _row(html: str, key: str) -> tuple[str, int]:
    match = re.search(
        rf'id="queue-{key}".*?<a href="([^"]+)">.*?cx-queue-count">(\d+)<', html, re.S
    )
    assert match, key
    return match[1].replace("&amp;", "&"), int(match[2])


def test_the_index_counts_what_needs_action_and_links_to_exactly_those(client, analyst, rounds):
    client.force_login(analyst)
    html = client.get(INDEX).content.decode()
    expected = {
        "to-review": ("review", 2),
        "clarified": ("answered", 2),
        "overdue": ("late", 2),
        "due-soon": (None, 4),
    }
    for key, (_, count) in expected.items():
        url, shown = _row(html, key)
        assert shown == count, key
        listed = client.get(url).context["cl"].result_list
        assert len(listed) == count, (key, url)
    _, due_soon = _row(html, "due-soon")
    assert due_soon == 4  # invited in 2 days, and a reply-by date tomorrow, per round

    url, count = _row(html, "failed-deliveries")
    assert count == 2
    assert len(client.get(url).context["cl"].result_list) == 2
    url, count = _row(html, "stale-reports")
    assert count == 2
    assert len(client.get(url).context["cl"].result_list) == 2


def test_the_queue_narrows_to_one_round(client, analyst, rounds):
    (first, people), _ = rounds
    client.force_login(analyst)

    html = client.get(INDEX, {"round": first.pk}).content.decode()

    assert f'<option value="{first.pk}" selected>' in html
    for key in ("to-review", "clarified", "overdue", "failed-deliveries", "stale-reports"):
        url, count = _row(html, key)
        assert count == 1, key
        assert [r.pk for r in client.get(url).context["cl"].result_list] != [], key
    url, _ = _row(html, "to-review")
    assert [r.pk for r in client.get(url).context["cl"].result_list] == [people["review"].pk]
    url, count = _row(html, "due-soon")
    assert count == 2
    assert {r.pk for r in client.get(url).context["cl"].result_list} == {
        people["soon"].pk,
        people["clarifying"].pk,
    }


def test_the_counts_take_constant_queries(example_version, analyst):
    def queries(round_id=None) -> int:
        with CaptureQueriesContext(connection) as captured:
            queue_counts(
                round_id=round_id, responses=True, deliveries=True, reports=True, comparisons=True
            )
        return len(captured)

    _round_with_everything(example_version, analyst, "One")
    one = queries()
    for n in range(3):
        _round_with_everything(example_version, analyst, f"More {n}")

    assert queries() == one


def test_a_reader_without_view_response_sees_no_response_counts(client, rounds):
    looker = UserFactory(username="looker", is_superuser=False)
    group = Group.objects.create(name="Rounds only")
    group.permissions.add(
        *Permission.objects.filter(codename__in=["view_selection", "view_report"])
    )
    looker.groups.add(group)
    client.force_login(looker)

    html = client.get(INDEX).content.decode()

    assert 'id="analyst-queue"' not in html
    assert "Responses to review" not in html


def test_messages_are_counted_only_for_those_who_may_see_them(client, rounds):
    reader = UserFactory(username="reader", is_superuser=False)
    group = Group.objects.create(name="Responses, no messages")
    group.permissions.add(
        *Permission.objects.filter(codename__in=["view_response", "view_report", "view_selection"])
    )
    reader.groups.add(group)
    client.force_login(reader)

    html = client.get(INDEX).content.decode()

    assert "Responses to review" in html
    assert 'id="queue-failed-deliveries"' not in html
