from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from questionnaires.rounds import buyer_context_for_vendors

register = template.Library()


@register.filter
def person(label: str) -> str:
    """ "Dana Vendor <dana@vendor.example>" -> "Dana Vendor" (emails stay off the page)."""
    return label.split(" <", 1)[0] if label else label


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    return mapping.get(key) if mapping else None


@register.inclusion_tag("portal/_buyer_context.html")
def buyer_context_panel(access: Any, expanded: bool = False) -> dict[str, Any]:
    """The round's buyer context as vendors may see it: a card, or a one-line summary
    that opens (the response's round is read once per request)."""
    return {"context": buyer_context_for_vendors(access.response.selection), "expanded": expanded}
