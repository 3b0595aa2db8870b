"""Reminders, overdue notices and closing notices: the sweep that finds them, and sending.

Celery beat runs `reminders_sweep` every REMINDER_SWEEP_SECONDS. There are no countdowns:
each sweep asks the database which notice is due today and not yet claimed, for every
open response (EDITABLE_STATUSES, never submitted) at once, in one query (after one read
of the rounds' reminder days, which that query uses as plain integer comparisons):

- a **reminder** on each of the round's `reminder_days` before the response's due date,
  to the vendor's contacts (each active link);
- an **overdue notice** the day after the due date, to the contacts and the round's
  analysts;
- a **closing notice** to the analysts on the first day the link no longer takes
  changes: the due date plus PORTAL_LINK_GRACE_DAYS plus one (vendors.access refuses the
  link from then on).

Only the most recent notice is ever due: a sweep that missed days sends the latest one,
not a burst of the ones it missed, and none after the closing notice. A notice whose day
came on or before the day the due date was set (`due_date_set_at`: the invitation or an
extension) is not sent late: an invitation two days before the due date gets no "7 days"
reminder. Notices are keyed by due date, so an extension re-arms the ones still ahead of
the new date. A response whose link closed more than STALE_DAYS ago is left alone, so
responses abandoned long ago are not swept for ever (nor notified when this ships).

The claim is the Reminder row: the sweep inserts one per notice due with
`ignore_conflicts` (unique on response, kind, days before and due date), tagged with
its sweep id, reads back the rows it inserted, and records outbox messages that send
them, REMINDERS_PER_MESSAGE each. Two sweeps at once, or two beat processes, insert the
same row once, so every notice is claimed by exactly one sweep. The sweep costs the
same few queries whatever the number of responses.

Each send then claims its own email: a contact's by the token minted for it
(LinkToken, unique per link and purpose), the analysts' and the reminder's completion by
a conditional update of `Reminder.sent_at`. A temporary mail error releases that claim
and is raised, so the outbox retries the message with backoff; the notices already sent
are not sent again. A message redelivered because its worker died sends the contacts'
emails that were claimed but never sent (LinkToken.sent_at). The analysts' email is not
taken over: a worker killed while sending it loses it rather than sending it twice.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from cxvet.outbox.services import outbox_enqueue_many
from questionnaires.models import EDITABLE_STATUSES, Reminder, ReminderKind, Response, Selection

from .emails import email_failed_record, email_to_analysts, email_to_link, round_context
from .models import AccessLink

Kind = ReminderKind
# The most days before the due date a reminder can be (check_reminder_days).
REMINDER_DAYS_MAX = 60
# A response whose link closed longer ago than this gets no more notices.
STALE_DAYS = 7
REMINDERS_PER_MESSAGE = 50
# Days since the due date was set, for a response whose due date has no recorded
# setting: more than any notice's offset, so every notice counts as after it.
NEVER_SET = 1_000_000


# SQL helpers: a day count, and the rounds with their reminder days ---------------------


class DaysBetween(Func):
    """Whole days from the second date to the first (first - second), in SQL."""

    output_field = IntegerField()
    arity = 2

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        # PostgreSQL: date - date is an integer.
        return f"(({end}) - ({start}))", (*end_params, *start_params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        sql = f"CAST(ROUND(julianday({end}) - julianday({start})) AS INTEGER)"
        return sql, (*end_params, *start_params)


def _date(value: datetime.date) -> Cast:
    return Cast(Value(value, output_field=DateField()), DateField())


def closing_day(due_date: datetime.date) -> datetime.date:
    """The first day a link no longer takes changes: the day after its last day."""
    return due_date + datetime.timedelta(days=settings.PORTAL_LINK_GRACE_DAYS + 1)


def rounds_reminder_days(today: datetime.date) -> dict[tuple[int, ...], list[int]]:
    """The rounds with a response still before its due date (within reach of a
    reminder), grouped by their reminder days (ascending): one query, one row a round."""
    latest = today + datetime.timedelta(days=REMINDER_DAYS_MAX)
    waiting = Response.objects.filter(
        selection=OuterRef("pk"),
        status__in=EDITABLE_STATUSES,
        submitted_at__isnull=True,
        due_date__gte=today,
        due_date__lte=latest,
    )
    groups: dict[tuple[int, ...], list[int]] = {}
    for pk, days in Selection.objects.filter(Exists(waiting)).values_list("pk", "reminder_days"):
        valid = tuple(sorted({d for d in days or [] if isinstance(d, int) and d > 0}))
        if valid:
            groups.setdefault(valid, []).append(pk)
    return groups


def due_notices(today: datetime.date, rounds: dict[tuple[int, ...], list[int]]) -> Any:
    """Open responses with a notice due on `today` that no sweep has claimed, as
    (response id, kind, days before, due date) rows: one query.

    The notice is the most recent one whose day has come: the closing notice from the
    closing day, else the overdue notice from the day after the due date, else the
    reminder for the round's smallest reminder day at least the days left. Its "offset"
    is its day counted back from the due date (negative after it); it is due only if it
    falls after the day the due date was set.

    `rounds` (rounds_reminder_days) turns the rounds' reminder days into plain integer
    comparisons, so no row's JSON is read: each list of reminder days becomes one CASE
    for the rounds that have it, and a response whose days left exceed its round's
    largest reminder day is not even considered.
    """
    grace = settings.PORTAL_LINK_GRACE_DAYS
    closed_from = today - datetime.timedelta(days=grace + 1)  # due on or before: closed
    oldest = closed_from - datetime.timedelta(days=STALE_DAYS)
    is_closed = Q(due_date__lte=closed_from)
    is_overdue = Q(due_date__lt=today)
    # Before the due date: in a round with reminder days, no further ahead than its
    # largest one.
    reachable = Q(pk__in=[])
    reminder_day = []
    for days, pks in rounds.items():
        in_round = Q(selection_id__in=pks)
        reachable |= in_round & Q(due_date__lte=today + datetime.timedelta(days=days[-1]))
        reminder_day.append(
            When(
                in_round,
                then=Case(
                    *(When(notice_days_left__lte=day, then=Value(day)) for day in days),
                    output_field=IntegerField(),
                ),
            )
        )
    claimed = Reminder.objects.filter(
        response=OuterRef("pk"),
        kind=OuterRef("notice_kind"),
        days_before=OuterRef("notice_days_before"),
        due_date=OuterRef("due_date"),
    )
    set_day = TruncDate("due_date_set_at", tzinfo=timezone.get_current_timezone())
    return (
        Response.objects.filter(
            status__in=EDITABLE_STATUSES,
            submitted_at__isnull=True,
            due_date__gte=oldest,
        )
        .filter(is_overdue | (Q(due_date__gte=today) & reachable))
        .annotate(
            notice_days_left=DaysBetween(F("due_date"), _date(today)),
            notice_kind=Case(
                When(is_closed, then=Value(Kind.CLOSED)),
                When(is_overdue, then=Value(Kind.OVERDUE)),
                default=Value(Kind.BEFORE_DUE),
            ),
            notice_offset=Case(
                When(is_closed, then=Value(-(grace + 1))),
                When(is_overdue, then=Value(-1)),
                *reminder_day,
                default=None,
                output_field=IntegerField(),
            ),
            notice_days_before=Case(
                When(is_overdue, then=Value(0)),
                default=F("notice_offset"),
                output_field=IntegerField(),
            ),
        )
        # One comparison: the notice exists (no NULL offset) and its day falls after the
        # day the due date was set.
        .filter(notice_offset__lt=Coalesce(DaysBetween(F("due_date"), set_day), Value(NEVER_SET)))
        .filter(~Exists(claimed))
        .order_by()
        .values_list("pk", "notice_kind", "notice_days_before", "due_date")
    )


# The sweep --------------------------------------------------------------------------------


def reminders_sweep(*, now: datetime.datetime | None = None) -> dict[str, Any]:
    """Claim every notice due now and record the messages that send them.

    A constant number of queries, whatever the number of responses: the rounds' reminder
    days, the candidates, one insert of the claims, one read of the rows this sweep
    inserted, one insert of the outbox messages.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    return reminders_claim(due=list(due_notices(today, rounds_reminder_days(today))), now=now)


def reminders_claim(
    *, due: list[tuple[int, str, int, datetime.date]], now: datetime.datetime
) -> dict[str, Any]:
    """Claim these notices (rows of due_notices) for a new sweep and record the messages
    that send the ones it claimed: those another sweep claimed first are left to it."""
    sweep = uuid.uuid4().hex
    if not due:
        return {"sweep": sweep, "due": 0, "claimed": 0, "messages": 0}
    return _claim(sweep, due, now)


@transaction.atomic
def _claim(
    sweep: str, due: list[tuple[int, str, int, datetime.date]], now: datetime.datetime
) -> dict[str, Any]:
    # Imported here: the tasks module imports this one.
    from .tasks import send_reminders

    Reminder.objects.bulk_create(
        [
            Reminder(
                response_id=response_id,
                kind=kind,
                days_before=days_before,
                due_date=due_date,
                sweep=sweep,
                claimed_at=now,
            )
            for response_id, kind, days_before, due_date in due
        ],
        ignore_conflicts=True,
    )
    # Another sweep may have claimed some of them in the meantime: only ours are sent.
    claimed = list(
        Reminder.objects.filter(sweep=sweep, response_id__in=[row[0] for row in due])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    parts = [
        claimed[i : i + REMINDERS_PER_MESSAGE]
        for i in range(0, len(claimed), REMINDERS_PER_MESSAGE)
    ]
    outbox_enqueue_many(task=send_reminders, kwargs_list=[{"reminder_ids": p} for p in parts])
    return {"sweep": sweep, "due": len(due), "claimed": len(claimed), "messages": len(parts)}


# Sending ----------------------------------------------------------------------------------


def reminder_label(reminder: Reminder) -> str:
    """What the audit trail calls the notice."""
    if reminder.kind == Kind.BEFORE_DUE:
        days = reminder.days_before
        return f"Reminder, {days} day{'s' if days != 1 else ''} before the due date"
    if reminder.kind == Kind.OVERDUE:
        return "Overdue notice"
    return "Closing notice"


# Who is told of each kind: the vendor's contacts, the round's analysts.
TO_CONTACTS = {Kind.BEFORE_DUE, Kind.OVERDUE}
TO_ANALYSTS = {Kind.OVERDUE, Kind.CLOSED}


def _why_not(reminder: Reminder) -> str:
    """Why a claimed notice is no longer to be sent, or "" to send it."""
    response = reminder.response
    if response.submitted_at is not None or response.status not in EDITABLE_STATUSES:
        return "Not sent: the response was submitted in the meantime."
    if response.due_date != reminder.due_date:
        return "Not sent: the due date moved in the meantime."
    return ""


def reminders_send(*, reminder_ids: list[int], take_over: bool = False) -> str:
    """Send the claimed notices (one outbox message's share of a sweep). With `take_over`
    (the message's earlier run was cut short) contacts' emails claimed but never sent
    are sent."""
    links = AccessLink.objects.filter(revoked_at__isnull=True).select_related("contact")
    reminders = (
        Reminder.objects.filter(pk__in=reminder_ids, sent_at__isnull=True, error="")
        .select_related("response__selection", "response__vendor", "response__version")
        .prefetch_related(
            Prefetch("response__access_links", queryset=links, to_attr="active_links"),
            "response__selection__owners",
        )
        .order_by("pk")
    )
    outcomes = []
    for reminder in reminders:
        outcomes.append(_send_one(reminder, take_over=take_over))
    sent = outcomes.count("sent")
    return f"{sent} of {len(reminder_ids)} notices sent" + (
        f", {len(outcomes) - sent} not" if len(outcomes) != sent else ""
    )


def _send_one(reminder: Reminder, *, take_over: bool = False) -> str:
    response = reminder.response
    skipped = _why_not(reminder)
    if skipped:
        Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(error=skipped)
        return "skipped"
    now = timezone.now()
    today = timezone.localdate(now)
    context = {
        **round_context(response),
        "reminder": reminder,
        "kind": reminder.kind,
        "days_left": (response.due_date - today).days,
        "days_late": (today - response.due_date).days,
        "closed_on": closing_day(response.due_date),
    }
    what = reminder_label(reminder)
    failures = []
    if reminder.kind in TO_CONTACTS:
        active: list[AccessLink] = getattr(response, "active_links", [])  # prefetched
        for link in sorted(active, key=lambda link: link.pk):
            outcome = email_to_link(
                link=link,
                response=response,
                name="reminder",
                context=context,
                what=what,
                purpose=f"reminder:{reminder.pk}",
                reminder=reminder.pk,
                take_over=take_over,
            )
            if outcome == "failed":
                failures.append(link.contact.email)
    # The reminder's own claim: whoever sets sent_at tells the analysts, once.
    claimed = Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(sent_at=now)
    if not claimed:
        return "claimed"
    if reminder.kind in TO_ANALYSTS:
        name = "analyst_overdue" if reminder.kind == Kind.OVERDUE else "analyst_closed"
        try:
            outcome = email_to_analysts(
                response=response,
                name=name,
                context=context,
                what=f"{what} to the analysts",
                reminder=reminder.pk,
            )
        except Exception:
            Reminder.objects.filter(pk=reminder.pk, sent_at=now).update(sent_at=None)
            raise
        if outcome == "failed":
            failures.append("the analysts")
    if failures:
        Reminder.objects.filter(pk=reminder.pk).update(
            error="Not delivered to " + ", ".join(failures) + " (see the audit trail)."
        )
    return "sent"


def reminders_gave_up(*, reminder_ids: list[int], reason: str) -> None:
    """The outbox gave up on a share of a sweep: its notices not sent are failed."""
    for reminder in Reminder.objects.filter(
        pk__in=reminder_ids, sent_at__isnull=True, error=""
    ).select_related("response"):
        Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(error=reason)
        email_failed_record(
            response_id=reminder.response_id,
            what=reminder_label(reminder),
            to=[],
            error=reason,
            reminder=reminder.pk,
        )
