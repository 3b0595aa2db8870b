"""Outgoing messages (cxvet/outbox): read only, for analysts to see what did not go out."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from cxvet.outbox.models import OutboxMessage
from cxvet.outbox.selectors import kind_label

from ..models import Response
from .filters import RoundFilter
from .records import RecordAdmin

ERROR_CHARS = 120


class ProblemsFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "problems"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Failed, or waiting to retry after an error")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[OutboxMessage]
    ) -> QuerySet[OutboxMessage]:
        if self.value() != "yes":
            return queryset
        return OutboxMessage.objects.filter(pk__in=queryset.values("pk")).with_problems()


class MessageRoundFilter(RoundFilter):
    """Messages about the responses of one round."""

    def round_q(self, round_id: int) -> Q:
        return Q(
            subject_type=ContentType.objects.get_for_model(Response),
            subject_id__in=Response.objects.filter(selection_id=round_id).values("pk"),
        )


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
    list_filter = ("status", ProblemsFilter, "kind", MessageRoundFilter)
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

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
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
