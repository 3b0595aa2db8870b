"""Outgoing messages (cxvet/outbox): read only, for analysts to see what did not go out."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from cxvet.outbox.models import OutboxMessage
from cxvet.outbox.selectors import kind_label

from .records import RecordAdmin

ERROR_CHARS = 120


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RecordAdmin):
    # Recorded by the services that cause them (outbox_enqueue), sent by Celery.
    list_display = (
        "created_at",
        "label",
        "subject",
        "status",
        "attempts",
        "short_error",
        "outcome",
        "finished_at",
    )
    list_filter = ("status", "kind")
    readonly_fields = (
        "kind",
        "label",
        "subject",
        "payload",
        "status",
        "attempts",
        "last_error",
        "outcome",
        "created_at",
        "queued_at",
        "claimed_at",
        "next_attempt_at",
        "finished_at",
        "task_id",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxMessage]:
        return super().get_queryset(request).prefetch_related("subject")

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The response page links here with the messages about one row.
        return lookup in ("subject_type", "subject_id") or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description="message")
    def label(self, obj: OutboxMessage) -> str:
        return kind_label(obj.kind)

    @admin.display(description="last error")
    def short_error(self, obj: OutboxMessage) -> str:
        return Truncator(obj.last_error).chars(ERROR_CHARS)
