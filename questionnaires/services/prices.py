"""The analyst's yearly price of a vendor, which the business case uses instead of the
vendor's commercial answers (questionnaires/business_case.py)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..audit import price_changed_data
from ..models import AuditEvent, Response, Selection

# Response.analyst_yearly_price: 14 digits, 2 after the point.
MAX_PRICE = Decimal("999999999999.99")


def response_price_set(
    *, response: Response, price: Decimal | None, user: User | None = None
) -> Response:
    """Set (or clear, with None) the analyst's yearly price; only that column is written,
    so a review saved meanwhile keeps its changes. A change is recorded as an audit event
    (the price feeds the business case the buyer reads); the same price again writes
    nothing."""
    if price is not None and not Decimal(0) <= price <= MAX_PRICE:
        raise ValidationError(
            {"analyst_yearly_price": "A yearly price is zero or more, below a trillion."}
        )
    with transaction.atomic():
        # The price as stored, locked: the caller's copy may predate another analyst's save.
        before = (
            Response.objects.select_for_update()
            .values_list("analyst_yearly_price", flat=True)
            .get(pk=response.pk)
        )
        response.analyst_yearly_price = price
        if before == price:
            return response
        response.save(update_fields=["analyst_yearly_price"])
        AuditEvent.objects.create(
            response=response,
            kind=AuditEvent.Kind.PRICE_CHANGED,
            actor_user=user,
            data=price_changed_data(before=before, after=price, currency=_currency(response)),
        )
        # The round counts as saved: its reports' staleness signal
        # (selectors.reports_with_change_signal) reads the round's updated_at.
        if response.selection_id is not None:
            Selection.objects.filter(pk=response.selection_id).update(updated_at=timezone.now())
    return response


def _currency(response: Response) -> str | None:
    if response.selection_id is None:
        return None
    return (
        Selection.objects.values_list("buyer_currency", flat=True).get(pk=response.selection_id)
        or None
    )
