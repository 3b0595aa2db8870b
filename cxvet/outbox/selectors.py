"""Reads of outgoing messages for the admin pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model

from .models import OutboxMessage
from .services import registered_task

PROBLEMS_SHOWN = 5


def kind_label(kind: str) -> str:
    """What people call messages of this kind ("Invitation email"), else the task name."""
    return getattr(registered_task(kind), "outbox_label", "") or kind


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
