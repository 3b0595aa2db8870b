"""Reads of outgoing messages for the admin pages."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from .models import OutboxMessage
from .services import registered_task

PROBLEMS_SHOWN = 5


def kind_label(kind: str) -> str:
    """What people call messages of this kind ("Invitation email"), else the task name."""
    return getattr(registered_task(kind), "outbox_label", "") or kind


@dataclass(frozen=True)
class DeliveryProblem:
    """Something that was not delivered: an outgoing message that failed or waits to be
    retried, or a failure its task recorded elsewhere (an email given up on)."""

    label: str
    at: datetime.datetime
    failed: bool
    error: str
    to: str = ""
    attempts: int = 0
    retry_at: datetime.datetime | None = None
    message: OutboxMessage | None = None

    @classmethod
    def of_message(cls, message: OutboxMessage) -> DeliveryProblem:
        return cls(
            label=kind_label(message.kind),
            at=message.created_at,
            failed=message.status == OutboxMessage.Status.FAILED,
            error=message.last_error,
            attempts=message.attempts,
            retry_at=message.next_attempt_at,
            message=message,
        )


class DeliveryProblems(list[DeliveryProblem]):
    """The problems shown for one subject, newest first, and how to list all its messages."""

    subject_type_id: int | None = None


def delivery_problems(
    subject: Model, *, failures: Iterable[DeliveryProblem] = ()
) -> DeliveryProblems:
    """The subject's messages that failed or wait to retry after an error, with the
    failures recorded elsewhere (`failures`: emails of a message about other rows, or
    one of several recipients refused), newest first."""
    messages = (
        OutboxMessage.objects.about(subject)
        .with_problems()
        .order_by("-created_at", "-pk")[:PROBLEMS_SHOWN]
    )
    problems = [DeliveryProblem.of_message(m) for m in messages]
    # A task that gives up records the same reason where its own rows are (an email on
    # its response's audit trail): shown once, as the message's failure.
    given_up = {p.error for p in problems if p.failed}
    problems += [f for f in failures if not (f.failed and f.error in given_up)]
    problems.sort(key=lambda p: p.at, reverse=True)
    found = DeliveryProblems(problems[:PROBLEMS_SHOWN])
    found.subject_type_id = ContentType.objects.get_for_model(subject).pk
    return found
