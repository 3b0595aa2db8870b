"""The analyst's yearly price of a vendor, which the business case uses instead of the
vendor's commercial answers (questionnaires/business_case.py)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import Response, Selection

# Response.analyst_yearly_price: 14 digits, 2 after the point.
MAX_PRICE = Decimal("999999999999.99")


def response_price_set(*, response: Response, price: Decimal | None) -> Response:
    """Set (or clear, with None) the analyst's yearly price; only that column is written,
    so a review saved meanwhile keeps its changes."""
    if price is not None and not Decimal(0) <= price <= MAX_PRICE:
        raise ValidationError(
            {"analyst_yearly_price": "A yearly price is zero or more, below a trillion."}
        )
    with transaction.atomic():
        response.analyst_yearly_price = price
        response.save(update_fields=["analyst_yearly_price"])
        # The round counts as saved: its reports' staleness signal
        # (selectors.reports_with_change_signal) reads the round's updated_at.
        if response.selection_id is not None:
            Selection.objects.filter(pk=response.selection_id).update(updated_at=timezone.now())
    return response
