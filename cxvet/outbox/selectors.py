"""Reads of outgoing messages for the admin pages."""

from __future__ import annotations

from dataclasses import dataclass

from celery import current_app
from django.db.models import Model

from .models import OutboxMessage

PROBLEMS_SHOWN = 5


def kind_label(kind: str) -> str:
    """What people call messages of this kind ("Invitation email"), else the task name."""
    return getattr(current_app.tasks.get(kind), "outbox_label", "") or kind


@dataclass(frozen=True)
class DeliveryProblem:
    message: OutboxMessage
    label: str

    @property
    def failed(self) -> bool:
        return self.message.status == OutboxMessage.Status.FAILED


def delivery_problems(subject: Model) -> list[DeliveryProblem]:
    """The subject's messages that failed or wait to retry after an error, newest first."""
    messages = (
        OutboxMessage.objects.about(subject)
        .with_problems()
        .order_by("-created_at", "-pk")[:PROBLEMS_SHOWN]
    )
    return [DeliveryProblem(message=m, label=kind_label(m.kind)) for m in messages]
