"""Destructive admin actions stand apart from everyday ones.

A list's "Action" menu puts Django's own "Delete selected" first; an analyst who works
through it all day should not find a deletion (or a revocation) next to "Compare" or
"Export". With this mixin the menu lists the everyday actions first, then a separate
group, "Destructive (cannot be undone)", holding the actions named in DESTRUCTIVE.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models.fields import BLANK_CHOICE_DASH
from django.http import HttpRequest

# Actions that remove or revoke something for good.
DESTRUCTIVE = frozenset({"delete_selected", "revoke_links", "reissue_links"})
DANGER_GROUP = "Destructive (cannot be undone)"
EVERYDAY_GROUP = "Actions"


def is_destructive(name: str) -> bool:
    return name in DESTRUCTIVE


class DangerLastActionsMixin(admin.ModelAdmin):
    """Everyday actions first; the destructive ones last, in a group of their own."""

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        everyday = {k: v for k, v in actions.items() if not is_destructive(k)}
        destructive = {k: v for k, v in actions.items() if is_destructive(k)}
        return {**everyday, **destructive}

    def get_action_choices(
        self, request: HttpRequest, default_choices: list[tuple[str, str]] = BLANK_CHOICE_DASH
    ) -> list[Any]:
        choices = super().get_action_choices(request, default_choices=[])
        everyday = [c for c in choices if not is_destructive(c[0])]
        destructive = [c for c in choices if is_destructive(c[0])]
        if not destructive:
            return [*default_choices, *everyday]
        if not everyday:
            return [*default_choices, (DANGER_GROUP, destructive)]
        return [*default_choices, (EVERYDAY_GROUP, everyday), (DANGER_GROUP, destructive)]
