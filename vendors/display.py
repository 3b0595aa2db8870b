"""Answers as people read them: choice labels instead of keys, units, dates in words."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

NOT_ANSWERED = "Not answered"


def display_value(question: Mapping[str, Any], value: Any) -> str:
    if value in (None, "", []):
        return NOT_ANSWERED
    qtype = question["type"]
    if qtype == "yes_no":
        return {"yes": "Yes", "no": "No"}.get(value, str(value))
    if qtype in ("single_choice", "multiple_choice"):
        labels = {c["key"]: c["label"] for c in question["choices"]}
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(labels.get(key, str(key)) for key in chosen)
    if qtype == "percentage":
        return f"{_number(value)}%"
    if qtype in ("integer", "decimal"):
        return _number(value)
    if qtype == "date":
        try:
            return datetime.date.fromisoformat(value).strftime("%-d %B %Y")
        except (TypeError, ValueError):
            return str(value)
    if qtype == "file":
        names = value if isinstance(value, list) else [value]
        return ", ".join(str(n) for n in names)
    return str(value)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.10g}" if isinstance(value, float) else str(value)
