"""List filters the workspace's lists share: by round, and by whether a field is empty."""

from __future__ import annotations

from abc import ABC, abstractmethod

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from ..selectors import rounds_for_choosing


class RoundFilter(admin.SimpleListFilter, ABC):
    """Rows of one round (`?round=<id>`); each list says how its rows reach a round."""

    title = "round"
    parameter_name = "round"

    @abstractmethod
    def round_q(self, round_id: int) -> Q:
        """Which of the list's rows belong to the round."""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(str(r.pk), r.name) for r in rounds_for_choosing()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        return queryset.filter(self.round_q(int(value)))


class EmptyOrNotFilter(admin.SimpleListFilter):
    """Rows by whether one field is empty (NULL): two choices, each saying which it is."""

    field: str
    # (value, label, whether the field is empty), listed in this order.
    choices_by_emptiness: tuple[tuple[str, str, bool], tuple[str, str, bool]]

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, label) for value, label, _ in self.choices_by_emptiness]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        for value, _, empty in self.choices_by_emptiness:
            if self.value() == value:
                return queryset.filter(**{f"{self.field}__isnull": empty})
        return queryset
