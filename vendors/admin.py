"""Vendors, their contacts, invitations and private links in the analysts' admin.

An analyst invites from a vendor's page ("Invite into a round"): a custom admin page
(ModelAdmin.get_urls) that picks contacts and an open round and calls
vendors.services.invitation_create, as a round's own page does for several vendors at
once (questionnaires/admin/invitations.py, what the two pages share). Links are revoked
or reissued with actions on the private links list; the tokens themselves are never
shown (only emailed).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django_stubs_ext import WithAnnotations

from questionnaires import access
from questionnaires.admin.danger import DangerLastActionsMixin
from questionnaires.admin.filters import EmptyOrNotFilter
from questionnaires.admin.invitations import invite_page, invite_posted, invited_message
from questionnaires.admin.records import RecordAdmin
from questionnaires.selectors import open_rounds

from .forms import InvitationForm
from .models import AccessLink, Contact, Vendor
from .selectors import (
    ContactCount,
    contacts_with_links,
    vendor_recent_links,
    vendors_with_contact_count,
)
from .services import link_expires_on, links_reissue, links_revoke

RECENT_LINKS = 20


class ContactFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        # A contact's private links are records (the audit trail and the "withdrawn" page
        # refer to them) and would go with the contact: keep a contact who had one.
        deleted = [form.instance.pk for form in self.deleted_forms if form.instance.pk]
        if keep := contacts_with_links(deleted):
            names = ", ".join(
                form.instance.name for form in self.deleted_forms if form.instance.pk in keep
            )
            raise ValidationError(
                f"{names} received a private link, which stays on record: correct the "
                "name or email instead, or revoke the link under Access links."
            )


class ContactInline(admin.TabularInline):
    model = Contact
    formset = ContactFormSet
    extra = 1
    fields = ("name", "email", "role")


@admin.register(Vendor)
class VendorAdmin(DangerLastActionsMixin, admin.ModelAdmin):
    list_display = ("name", "product", "contact_count", "website", "invite_link")
    search_fields = ("name", "product", "contacts__name", "contacts__email")
    inlines = [ContactInline]
    # A website typed without a scheme is read as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_form_template = "admin/vendors/vendor/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Vendor]:
        return vendors_with_contact_count(super().get_queryset(request))

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        if access.may_invite(request.user):
            return self.list_display
        return tuple(name for name in self.list_display if name != "invite_link")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {**(extra_context or {}), "can_invite": access.may_invite(request.user)}
        return super().change_view(request, object_id, form_url, extra_context=context)

    @admin.display(description="Contacts", ordering="contact_total")
    def contact_count(self, obj: WithAnnotations[Vendor, ContactCount]) -> int:
        return obj.contact_total

    @admin.display(description="")
    def invite_link(self, obj: Vendor) -> str:
        url = reverse("admin:vendors_vendor_invite", args=[obj.pk])
        return format_html('<a href="{}">Invite…</a>', url)

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "<path:object_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name="vendors_vendor_invite",
            )
        ]
        return urls + super().get_urls()

    def invite_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        vendor = access.vendor_to_invite_for_user(request.user, unquote(object_id))
        form = InvitationForm(request.POST or None, vendor=vendor)
        links = invite_posted(request, form)
        if links is not None:
            selection = form.cleaned_data["selection"]
            names = ", ".join(link.contact.name for link in links)
            into = f"{selection.name} (“{selection.version.title}”)"
            self.message_user(
                request, invited_message(names, into, selection, links), messages.SUCCESS
            )
            return redirect("admin:vendors_vendor_change", vendor.pk)
        return invite_page(
            self,
            request,
            "admin/vendors/vendor/invite.html",
            title=f"Invite {vendor.name} into a round",
            original=vendor,
            vendor=vendor,
            form=form,
            has_rounds=open_rounds().exists(),
            links=vendor_recent_links(vendor, limit=RECENT_LINKS),
        )


class LinkStateFilter(EmptyOrNotFilter):
    title = "state"
    parameter_name = "state"
    field = "revoked_at"
    choices_by_emptiness = (("active", "Active", True), ("revoked", "Revoked", False))


@admin.register(AccessLink)
class AccessLinkAdmin(DangerLastActionsMixin, RecordAdmin):
    # Links are made by invitations, which email the token (it is never stored); they are
    # revoked or reissued with the actions, and a revoked link stays listed because the
    # audit trail and the 410 page refer to it.
    list_display = (
        "contact",
        "vendor",
        "questionnaire",
        "state",
        "email_sent_at",
        "last_used_at",
        "created_at",
    )
    list_filter = (LinkStateFilter, "response__status", "response__version__questionnaire")
    search_fields = ("contact__name", "contact__email", "response__vendor__name")
    list_select_related = ("contact", "response__vendor", "response__version")
    readonly_fields = (
        "response",
        "contact",
        "created_at",
        "email_sent_at",
        "last_used_at",
        "revoked_at",
        "clarification_notified_at",
    )
    fields = readonly_fields
    actions = ["revoke_links", "reissue_links"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return access.may_revoke_links(request.user)

    def has_reissue_permission(self, request: HttpRequest) -> bool:
        return access.may_reissue_links(request.user)

    @admin.display(description="Vendor", ordering="response__vendor__name")
    def vendor(self, obj: AccessLink) -> str:
        return obj.response.vendor.name

    @admin.display(description="Questionnaire", ordering="response__version__title")
    def questionnaire(self, obj: AccessLink) -> str:
        return str(obj.response.version)

    @admin.display(description="State")
    def state(self, obj: AccessLink) -> str:
        if obj.revoked_at:
            return f"Revoked {obj.revoked_at:%d %b %Y}"
        expires = link_expires_on(obj.response.due_date)
        if timezone.localdate() > expires:
            return f"Expired {expires:%d %b %Y}"
        return f"Active until {expires:%d %b %Y}"

    @admin.action(description="Revoke the selected links", permissions=["revoke"])
    def revoke_links(self, request: HttpRequest, queryset: QuerySet[AccessLink]) -> None:
        revoked = links_revoke(
            links=queryset, user=access.acting_account(request), reason="revoked by an analyst"
        )
        self.message_user(
            request,
            f"Revoked {revoked} link{'s' if revoked != 1 else ''}; they stop working at once.",
            messages.SUCCESS,
        )

    @admin.action(
        description="Revoke and email a new link to each selected contact",
        permissions=["reissue"],
    )
    def reissue_links(self, request: HttpRequest, queryset: QuerySet[AccessLink]) -> None:
        issued = links_reissue(links=queryset, user=access.acting_account(request))
        names = ", ".join(link.contact.name for link in issued)
        self.message_user(request, f"New links are on their way to: {names}.", messages.SUCCESS)
