"""Answers as people read them: choice labels instead of keys, units, dates in words.

One formatting for the portal, the admin, the exports and the PDFs, so an answer reads
the same wherever a vendor, an analyst or a buyer sees it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from .expressions import is_answered

NOT_ANSWERED = "Not answered"


def answer_display(
    question: Mapping[str, Any], value: Any, evidence_files: int | None = None
) -> str:
    """The answer as text; a file question shows its file count when it is given."""
    kind = question["type"]
    if kind == "file" and evidence_files is not None:
        return f"{evidence_files} file" + ("" if evidence_files == 1 else "s")
    if not is_answered(value):
        return NOT_ANSWERED
    if kind == "yes_no":
        return {"yes": "Yes", "no": "No"}.get(value, str(value))
    if kind in ("single_choice", "multiple_choice"):
        labels = {c["key"]: c["label"] for c in question["choices"]}
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(labels.get(key, str(key)) for key in chosen)
    if kind == "percentage":
        return f"{_number(value)}%"
    if kind in ("integer", "decimal"):
        return _number(value)
    if kind == "date":
        return _date(value)
    if kind == "file":
        names = value if isinstance(value, list) else [value]
        return ", ".join(str(name) for name in names)
    return str(value)


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis where it is longer."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.10g}"
    return f"{int(value):,}"


def _date(value: Any) -> str:
    try:
        return datetime.date.fromisoformat(str(value)).strftime("%-d %b %Y")
    except ValueError:
        return str(value)
