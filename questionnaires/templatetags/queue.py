"""The analyst's queue on the admin's first page: what needs action, counted, with links.

An inclusion tag rather than a custom AdminSite: the index template adds
`{% analyst_queue %}` and Django's own index view stays as it is. Counts come from one
selector (selectors.queue_counts, constant queries); what the reader may see is asked
of questionnaires/access.py, so a reviewer without view_response sees no response
counts. `?round=<id>` on the index narrows every count and link to one round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import template
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from .. import access
from ..models import Response, ResponseStatus
from ..selectors import DUE_SOON_DAYS, queue_counts, rounds_for_choosing

register = template.Library()


@dataclass(frozen=True)
class QueueItem:
    key: str
    label: str
    count: int
    url: str


def _link(changelist: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return reverse(changelist) + (f"?{query}" if query else "")


def _round_id(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@register.inclusion_tag("admin/questionnaires/_queue.html", takes_context=True)
def analyst_queue(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    responses = access.may_view_responses(user)
    deliveries = responses and user.has_perm("outbox.view_outboxmessage")
    reports = access.may_view_part_of_responses(user, "questionnaires.view_report")
    if not (responses or reports):
        return {"shown": False}
    rounds = access.may_view_selections(user)
    round_id = _round_id(request.GET.get("round")) if rounds else None
    counts = queue_counts(
        round_id=round_id,
        responses=responses,
        deliveries=deliveries,
        reports=reports,
        comparisons=rounds,
    )
    response_list = "admin:questionnaires_response_changelist"
    by_round = {"selection__id__exact": round_id}
    items = []
    if counts.to_review is not None:
        submitted = {"status__exact": ResponseStatus.SUBMITTED, **by_round}
        items += [
            QueueItem(
                "to-review",
                "Responses to review",
                counts.to_review,
                _link(response_list, **submitted, clarified="no"),
            ),
            QueueItem(
                "clarified",
                "Clarifications answered, to review",
                counts.clarified or 0,
                _link(response_list, **submitted, clarified="yes"),
            ),
            QueueItem(
                "overdue",
                "Vendors overdue",
                counts.overdue or 0,
                _link(response_list, overdue="yes", **by_round),
            ),
            QueueItem(
                "due-soon",
                f"Vendors due within {DUE_SOON_DAYS} days",
                counts.due_soon or 0,
                _link(response_list, overdue="soon", **by_round),
            ),
        ]
    if counts.failed_deliveries is not None:
        items.append(
            QueueItem(
                "failed-deliveries",
                "Emails about responses not delivered",
                counts.failed_deliveries,
                _link(
                    "admin:outbox_outboxmessage_changelist",
                    problems="yes",
                    subject_type=ContentType.objects.get_for_model(Response).pk,
                    round=round_id,
                ),
            )
        )
    if counts.stale_reports is not None:
        items.append(
            QueueItem(
                "stale-reports",
                "Reports whose inputs changed",
                counts.stale_reports,
                _link("admin:questionnaires_report_changelist", stale="yes", round=round_id),
            )
        )
    return {
        "shown": True,
        "items": items,
        "rounds": list(rounds_for_choosing()) if rounds else [],
        "round_id": round_id,
    }
