"""The round's page, for the buyer's decision: the frameworks the buyer cares about and
the cost of a contact handled by a person (fields of the round's form), and the
analysts' yearly prices of its vendors (an inline), which the business case
(questionnaires/business_case.py) uses instead of the vendors' commercial answers: those
give the unit of a price, not an amount."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from .. import access
from ..frameworks import catalogues
from ..models import Response
from ..services.prices import response_price_set


class RoundDecisionFields(forms.Form):
    """Declared fields the round's form (admin/rounds.py, RoundForm) mixes in."""

    frameworks = forms.MultipleChoiceField(
        label="Frameworks the buyer cares about",
        choices=lambda: [(key, framework.title) for key, framework in catalogues().items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "%(value)s is not a framework with a catalogue here."},
        help_text="The comparison shows each vendor's coverage of these frameworks' controls.",
    )
    human_contact_cost = forms.DecimalField(
        label="Cost of a contact handled by a person",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="In the round's currency, fully loaded: the business case weighs each "
        "vendor's savings with it. Vendors do not see it.",
    )


class PriceForm(forms.ModelForm):
    analyst_yearly_price = forms.DecimalField(
        label="Yearly price",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="In the round's currency; empty when unknown.",
    )

    class Meta:
        model = Response
        fields = ["analyst_yearly_price"]


class PriceFormSet(BaseInlineFormSet):
    """The round's vendors, each with its price. A post of the round without this part
    (a page or a script that sends only the round's fields) changes no price, rather than
    failing for want of the formset's management data."""

    @classmethod
    def get_default_prefix(cls) -> str:
        return "prices"

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any):
        prefix = kwargs.get("prefix") or self.get_default_prefix()
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            data = data.copy()
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        super().__init__(data, *args, **kwargs)

    # Who saves the round: set per request by RoundPriceInline.get_formset.
    user: Any = None

    def save_existing(self, form: forms.ModelForm, obj: Response, commit: bool = True) -> Response:
        # Through the service, which writes the price column alone (never the whole row)
        # and records the change.
        return response_price_set(
            response=obj, price=form.cleaned_data["analyst_yearly_price"], user=self.user
        )


class RoundPriceInline(admin.TabularInline):
    model = Response
    form = PriceForm
    formset = PriceFormSet
    fields = ("vendor_name", "analyst_yearly_price")
    readonly_fields = ("vendor_name",)
    extra = 0
    can_delete = False
    verbose_name = "yearly price entered by an analyst"
    verbose_name_plural = "yearly prices for the business case (entered by an analyst)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.may_change_responses(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.may_view_responses(request.user)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        # A class per request, so the saving analyst is the event's actor.
        return type(formset.__name__, (formset,), {"user": request.user})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        return (
            super()
            .get_queryset(request)
            .select_related("vendor")
            .defer("version__definition")
            .order_by("vendor__name")
        )

    @admin.display(description="Vendor")
    def vendor_name(self, obj: Response) -> str:
        return obj.vendor.name
