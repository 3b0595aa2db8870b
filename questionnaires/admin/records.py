"""Bases of admin pages for records that are made elsewhere and never edited by hand."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .. import access


class RecordAdmin(admin.ModelAdmin):
    """Listed and read only: nobody adds, edits or deletes these rows in the admin.

    Each subclass says where its rows come from. Actions and custom views that call a
    service still work; they check permissions of their own.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class PartOfResponseAdmin(admin.ModelAdmin):
    """Rows that show part of a response (evidence, scores, history, reports): seeing
    them needs the right to see responses as well as the model's own view permission."""

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        opts = self.opts
        return access.may_view_part_of_responses(
            request.user, f"{opts.app_label}.view_{opts.model_name}"
        )
