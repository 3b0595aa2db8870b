"""Selection rounds in the admin: the round's buyer context, its vendors, its comparison.

An analyst creates a round (buyer, what vendors may see of it, the questionnaire version,
the profile, the due date and reminders, the analysts who own it), then invites vendors
from it ("Invite vendors"): contacts of several vendors at once, each vendor into its own
response. Moving the round's due date moves every open response's (an extension).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from vendors.models import Contact

from .. import access
from ..models import Channel, QuestionnaireVersion, Response, Selection, VersionStatus
from ..selectors import (
    round_contacts_to_invite,
    selection_response_ids,
    selections_with_response_count,
)
from ..services.selections import (
    SignOffNotPossible,
    check_reminder_days,
    person_of,
    selection_save,
    selection_sign_off,
    selection_sign_off_check,
)
from .comparison_pages import ComparisonPage, comparison_view, export_view
from .danger import DangerLastActionsMixin
from .invitations import invite_page, invite_posted, invited_message
from .round_decision import RoundDecisionFields, RoundPriceInline

if TYPE_CHECKING:  # Python 3.11 cannot subscript WithAnnotations with a model at run time
    from django_stubs_ext import WithAnnotations

    from ..selectors import ResponseCount

# The round's fields that say what vendors may see of its buyer
# (questionnaires.rounds.buyer_context_for_vendors), in the order the round's page asks them.
BUYER_SEEN_BY_VENDORS = (
    "buyer_name_visible",
    "buyer_industry",
    "buyer_regions",
    "buyer_currency",
    "buyer_channels",
    "yearly_contact_volume",
    "use_cases",
    "buyer_note",
)
DAYS_LIST = re.compile(r"^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$")


class ReminderDaysField(forms.Field):
    """Days before the due date as "7, 3, 1"; stored as a list of whole numbers."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value: Any) -> list[int]:
        text = str(value or "").strip()
        if not text:
            return []
        if not DAYS_LIST.match(text):
            raise ValidationError("Write whole days separated by commas, for example: 7, 3, 1.")
        try:
            return check_reminder_days([int(day) for day in text.split(",")])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["reminder_days"]) from exc


class RecommendedVendorField(forms.ModelChoiceField):
    """A response of the round, named by its vendor and status."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.vendor.name} ({obj.get_status_display()})"


class RoundForm(RoundDecisionFields, forms.ModelForm):
    buyer_channels = forms.MultipleChoiceField(
        label="Channels",
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The channels the agent would serve.",
    )
    profile_key = forms.ChoiceField(
        label="Industry profile",
        help_text="One of the version's profiles: it weights the sections for this buyer.",
    )
    reminder_days = ReminderDaysField(
        label="Reminders",
        required=False,
        help_text="Days before the due date on which open responses are reminded, such as "
        "7, 3, 1. Leave empty for no reminders; the overdue notice goes out regardless.",
    )

    class Meta:
        model = Selection
        fields = [
            "name",
            "buyer_name",
            *BUYER_SEEN_BY_VENDORS,
            "frameworks",
            "human_contact_cost",
            "version",
            "profile_key",
            "due_date",
            "reminder_days",
            "owners",
            "recommended",
            "recommendation",
        ]
        field_classes = {"recommended": RecommendedVendorField}
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "use_cases": forms.Textarea(attrs={"rows": 3}),
            "buyer_note": forms.Textarea(attrs={"rows": 3}),
            "owners": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if "version" not in self.fields:
            return  # read-only: the admin shows the values, not the form's fields
        for name in ("version", "due_date"):
            self.fields[name].required = True
        versions = QuestionnaireVersion.objects.filter(status=VersionStatus.PUBLISHED)
        if self.instance.version_id:
            versions = versions | QuestionnaireVersion.objects.filter(pk=self.instance.version_id)
        version_field = self.fields["version"]
        assert isinstance(version_field, forms.ModelChoiceField)
        version_field.queryset = versions.defer("definition").order_by("title", "-number")
        if self.instance.pk and self.instance.responses.exists():
            version_field.disabled = True
            version_field.help_text = "Fixed once vendors are invited: they answer this version."
        cast(forms.ChoiceField, self.fields["profile_key"]).choices = _profile_choices(versions)
        self._limit_recommended_to_the_round()
        owners = self.fields["owners"]
        assert isinstance(owners, forms.ModelMultipleChoiceField)
        owners.queryset = get_user_model().objects.filter(is_staff=True, is_active=True)
        self.fields["buyer_currency"].widget.attrs.update(
            {"size": 4, "maxlength": 3, "autocapitalize": "characters"}
        )

    def _limit_recommended_to_the_round(self) -> None:
        """The verdict names one of the round's own responses, by vendor."""
        field = self.fields["recommended"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Response.objects.filter(selection=self.instance).select_related("vendor")
            if self.instance.pk
            else Response.objects.none()
        ).order_by("vendor__name")
        field.empty_label = "No recommendation yet"
        field.help_text = (
            "Printed as the verdict on the report's cover. Changing it, or the "
            "recommendation, clears the sign-off."
        )

    def clean_due_date(self) -> Any:
        """A new or moved due date must not have passed: invitations would go out expired.

        An existing round's unchanged date may have passed (a closed round stays editable).
        """
        day = self.cleaned_data.get("due_date")
        unchanged = self.instance.pk and day == self.instance.due_date
        if day and not unchanged and day < timezone.localdate():
            raise ValidationError("Choose today or a later day: this one has passed.")
        return day

    def clean_buyer_currency(self) -> str:
        code = self.cleaned_data["buyer_currency"].strip().upper()
        if code and not re.fullmatch(r"[A-Z]{3}", code):
            raise ValidationError("Write the three-letter ISO 4217 code, such as EUR or USD.")
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        version, profile = cleaned.get("version"), cleaned.get("profile_key")
        if version and profile:
            keys = [p["key"] for p in version.definition["profiles"]]
            if profile not in keys:
                self.add_error(
                    "profile_key",
                    f"{version} has no such profile; choose one of: {', '.join(keys)}.",
                )
        return cleaned


def _profile_choices(versions: QuerySet[QuestionnaireVersion]) -> list[tuple[str, str]]:
    """Every profile of the versions offered, named once: a round's version narrows it."""
    seen: dict[str, str] = {}
    for version in versions.only("definition"):
        for profile in version.definition["profiles"]:
            seen.setdefault(profile["key"], profile["title"])
    return list(seen.items())


class ContactChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.vendor.name}: {obj.name} <{obj.email}>"


class InviteForm(forms.Form):
    """Contacts of one or more vendors to invite into a round."""

    contacts = ContactChoiceField(
        queryset=Contact.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one contact to invite."},
        help_text="Each vendor answers in its own response; each contact gets a private link "
        "of their own. Inviting a contact again replaces their earlier link.",
    )

    def __init__(self, *args: Any, selection: Selection, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(ContactChoiceField, self.fields["contacts"]).queryset = round_contacts_to_invite()


class RoundResponseInline(admin.TabularInline):
    """The vendors in the round, each with its response's state (read-only here)."""

    model = Response
    fields = ("vendor_link", "status", "due_date", "submitted_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "vendor in this round"
    verbose_name_plural = "vendors in this round"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.may_view_responses(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        return super().get_queryset(request).select_related("vendor").defer("version__definition")

    @admin.display(description="Vendor")
    def vendor_link(self, obj: Response) -> str:
        url = reverse("admin:questionnaires_response_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.vendor.name)


@admin.register(Selection)
class SelectionAdmin(DangerLastActionsMixin, admin.ModelAdmin):
    form = RoundForm
    list_display = (
        "name",
        "buyer_name",
        "version",
        "profile_key",
        "due_date",
        "response_count",
        "compare_link",
    )
    list_filter = ("owners",)
    search_fields = ("name", "buyer_name")
    inlines = [RoundResponseInline, RoundPriceInline]
    change_form_template = "admin/questionnaires/selection/change_form.html"
    fieldsets = [
        (None, {"fields": ["name", "buyer_name", "owners"]}),
        ("What vendors see of the buyer", {"fields": BUYER_SEEN_BY_VENDORS}),
        ("The buyer's decision", {"fields": ["frameworks", "human_contact_cost"]}),
        (
            "Questionnaire and deadline",
            {"fields": ["version", "profile_key", "due_date", "reminder_days"]},
        ),
        (
            "Recommendation",
            {
                "fields": [
                    "recommended",
                    "recommendation",
                    "recommendation_written",
                    "sign_off",
                ]
            },
        ),
    ]
    readonly_fields = ("recommendation_written", "sign_off")

    class Media:
        css = {"all": ["cxvet/admin/workspace.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Selection]:
        return (
            selections_with_response_count(super().get_queryset(request))
            .select_related("version")
            .defer("version__definition")
        )

    @admin.display(description="Vendors", ordering="response_total")
    def response_count(self, obj: WithAnnotations[Selection, ResponseCount]) -> int:
        return obj.response_total

    @admin.display(description="Written against")
    def recommendation_written(self, obj: Selection) -> str:
        basis = obj.recommendation_basis or {}
        if not obj.recommendation or not obj.recommendation_at:
            return "—"
        vendors = ", ".join(
            f"{v['vendor']} {'no score' if v['score'] is None else v['score']} ({v['tier']})"
            for v in basis.get("vendors", [])
        )
        written = f"{obj.recommendation_at:%-d %b %Y %H:%M}"
        by = f" by {basis['written_by']}" if basis.get("written_by") else ""
        profile = basis.get("profile_title") or basis.get("profile_key", "")
        return (
            f"Written {written}{by}, under the {profile} profile, against: {vendors or 'no vendors'}. "
            "The comparison says when the round has changed since."
        )

    @admin.display(description="Sign-off")
    def sign_off(self, obj: Selection) -> str:
        if obj.pk is None:
            return (
                "Not signed off: save the round, then sign its recommendation off once it is final."
            )
        if obj.signed_off_at is None:
            return "Not signed off: use “Sign off the recommendation” above once it is final."
        by = person_of(obj.signed_off_by) or "an analyst"
        return f"Signed off by {by} on {obj.signed_off_at:%-d %b %Y %H:%M}."

    @admin.display(description="Comparison")
    def compare_link(self, obj: Selection) -> str:
        url = reverse("admin:questionnaires_selection_compare", args=[obj.pk])
        return format_html('<a href="{}">Compare</a>', url)

    def save_model(
        self, request: HttpRequest, obj: Selection, form: forms.ModelForm, change: bool
    ) -> None:
        selection_save(selection=obj, user=access.acting_account(request))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The analyst who creates a round owns it, whatever the form said.
        if not change and form.instance.created_by_id:
            form.instance.owners.add(form.instance.created_by_id)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/compare/",
                wrap(self.compare_view),
                name="questionnaires_selection_compare",
            ),
            path(
                "<path:object_id>/compare/export/",
                wrap(self.compare_export_view),
                name="questionnaires_selection_compare_export",
            ),
            path(
                "<path:object_id>/sign-off/",
                wrap(self.sign_off_view),
                name="questionnaires_selection_sign_off",
            ),
            path(
                "<path:object_id>/invite/",
                wrap(self.invite_view),
                name="questionnaires_selection_invite",
            ),
            *super().get_urls(),
        ]

    def _selection_for(self, request: HttpRequest, object_id: str) -> Selection:
        return access.selection_for_user(request.user, unquote(object_id), compare=True)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "can_compare": access.may_compare_selections(request.user),
            "can_request_report": access.may_request_reports(request.user),
            "can_invite": access.may_invite(request.user),
            "can_sign_off": access.may_sign_off_selections(request.user),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def sign_off_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: what a sign-off vouches for, with its warnings (changes nothing).
        POST: sign the round's verdict off as the current analyst."""
        selection = access.selection_to_sign_off_for_user(request.user, unquote(object_id))
        if request.method == "POST":
            try:
                selection_sign_off(
                    selection=selection,
                    user=access.acting_account(request),
                    explained=request.POST.get("explained") == "on",
                )
            except SignOffNotPossible as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return redirect("admin:questionnaires_selection_sign_off", selection.pk)
            self.message_user(
                request,
                f"Signed off: the report of “{selection.name}” now names you and today.",
                messages.SUCCESS,
            )
            return redirect("admin:questionnaires_selection_change", selection.pk)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        return TemplateResponse(
            request,
            "admin/questionnaires/selection/sign_off.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Sign off the recommendation of {selection.name}",
                "opts": self.model._meta,
                "original": selection,
                "selection": selection,
                "check": selection_sign_off_check(selection),
            },
        )

    def invite_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        selection = access.round_to_invite_into_for_user(request.user, unquote(object_id))
        form = InviteForm(request.POST or None, selection=selection)
        links = invite_posted(request, form, selection)
        if links is not None:
            vendors = sorted({link.response.vendor.name for link in links})
            who = f"{len(links)} contact{'s' if len(links) != 1 else ''} of {', '.join(vendors)}"
            self.message_user(
                request, invited_message(who, selection.name, selection, links), messages.SUCCESS
            )
            return redirect("admin:questionnaires_selection_change", selection.pk)
        return invite_page(
            self,
            request,
            "admin/questionnaires/selection/invite.html",
            title=f"Invite vendors into {selection.name}",
            original=selection,
            selection=selection,
            form=form,
            invited=selection.responses.select_related("vendor").order_by("vendor__name"),
        )

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        selection = self._selection_for(request, object_id)
        change_url = reverse("admin:questionnaires_selection_change", args=[selection.pk])
        ids = selection_response_ids(selection)
        if not ids:
            self.message_user(
                request,
                "This round has no vendors yet: invite vendors into it first.",
                messages.WARNING,
            )
            return HttpResponseRedirect(change_url)
        page = ComparisonPage(
            title=f"{selection.name}: compare vendors for {selection.buyer_name}",
            page_url=reverse("admin:questionnaires_selection_compare", args=[selection.pk]),
            export_url=reverse(
                "admin:questionnaires_selection_compare_export", args=[selection.pk]
            ),
            back_url=change_url,
            identity={},
            default_profile=selection.profile_key,
            selection=selection,
        )
        return comparison_view(self, request, page, ids)

    def compare_export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        selection = self._selection_for(request, object_id)
        change_url = reverse("admin:questionnaires_selection_change", args=[selection.pk])
        return export_view(
            request,
            selection_response_ids(selection),
            what="selection",
            back_url=change_url,
            default_profile=selection.profile_key,
            selection=selection,
        )
