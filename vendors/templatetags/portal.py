from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from questionnaires import display

register = template.Library()


@register.simple_tag
def answer_display(question: dict[str, Any], value: Any) -> str:
    return display.answer_display(question, value)


@register.filter
def person(label: str) -> str:
    """ "Dana Vendor <dana@vendor.example>" -> "Dana Vendor" (emails stay off the page)."""
    return label.split(" <", 1)[0] if label else label


@register.filter
def get_item(mapping: Mapping[str, Any] | None, key: str) -> Any:
    return mapping.get(key) if mapping else None
