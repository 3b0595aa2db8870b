"""Answers as people read them: choice labels instead of keys, units, dates in words.

One formatting for the portal, the admin, the exports and the PDFs, so an answer reads
the same wherever a vendor, an analyst or a buyer sees it.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

from .definition import grid_cell, grid_choices, grid_limits
from .expressions import is_answered

NOT_ANSWERED = "Not answered"


# How a number in each unit reads after the figure (questionnaire-format.md, Units).
UNIT_WORDS = {"hours": "hours", "minutes": "minutes", "days": "days", "count": ""}
SINGULAR = {"hours": "hour", "minutes": "minute", "days": "day"}


def unit_of(question: Mapping[str, Any]) -> str | None:
    """The unit a numeric question's answer is in (a percentage is in percent)."""
    if question["type"] == "percentage":
        return "percent"
    return question.get("unit")


def unit_label(question: Mapping[str, Any], currency: str | None = None) -> str:
    """The unit as a column heading or beside an input shows it: "%", "hours", "EUR"."""
    unit = unit_of(question)
    if unit == "percent":
        return "%"
    if unit == "currency":
        return currency or "buyer's currency"
    return UNIT_WORDS.get(unit or "", "")


def range_words(low: Any, high: Any) -> str:
    """A number's allowed range as it follows a noun: " between 0 and 100", " of at
    least 0", or nothing when unbounded. The portal's messages and the workbook's cell
    checks both say it this way, so the two never word the same bounds differently."""
    if low is not None and high is not None:
        return f" between {low:g} and {high:g}"
    if low is not None:
        return f" of at least {low:g}"
    if high is not None:
        return f" of at most {high:g}"
    return ""


def answer_display(
    question: Mapping[str, Any],
    value: Any,
    evidence_files: int | None = None,
    *,
    currency: str | None = None,
) -> str:
    """The answer as text; a file question shows its file count when it is given.

    Numbers carry their unit; an amount of money is in `currency` (the round's) when
    it is known.
    """
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
    if kind in ("integer", "decimal", "percentage"):
        return _number_display(question, value, currency)
    if kind == "date":
        return _date(value)
    if kind == "grid":
        return "; ".join(
            f"{row} \u2014 " + ", ".join(f"{column}: {cell}" for column, cell in cells)
            for row, cells in grid_rows(question, value, currency=currency)
        )
    if kind == "file":
        names = value if isinstance(value, list) else [value]
        return ", ".join(str(name) for name in names)
    return str(value)


def grid_rows(
    question: Mapping[str, Any], value: Any, *, currency: str | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """A grid answer as its table reads: (row label, [(column label, cell text)]), the
    cell text the answer's label with its amount limit ("Acts alone up to a limit (EUR
    50)"), or "Not answered"."""
    labels = {c["key"]: c["label"] for c in question["cells"]}
    choices, limits = grid_choices(value), grid_limits(value)
    table = []
    for row in question["rows"]:
        cells = []
        for column in question["columns"]:
            cell = grid_cell(row["key"], column["key"])
            text = labels.get(choices.get(cell), NOT_ANSWERED)
            if cell in limits and is_answered(limits[cell]):
                amount = _money(limits[cell])
                text += f" ({currency} {amount})" if currency else f" ({amount}, buyer's currency)"
            cells.append((column["label"], text))
        table.append((row["label"], cells))
    return table


def grid_answered_rows(
    question: Mapping[str, Any], value: Any, *, currency: str | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """grid_rows with only the cells the vendor answered: every grid row, each with the
    (column label, cell text) of its answered cells, none where nothing is answered yet."""
    return [
        (row, [(column, text) for column, text in cells if text != NOT_ANSWERED])
        for row, cells in grid_rows(question, value, currency=currency)
    ]


def grid_lines_display(grid: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """A grid as one line of text: "Refunds — Voice: Acts alone; Payments — Not answered"."""
    return "; ".join(
        f"{row} \u2014 " + (", ".join(f"{c}: {t}" for c, t in cells) or NOT_ANSWERED)
        for row, cells in grid
    )


def score_shown(score: float | None) -> str:
    """A 0-100 risk score as people read it: one decimal, and never rounded up onto a
    tier threshold it is below (24.96 prints 24.9, not 25.0), so the printed number and
    its tier always agree with the thresholds ("moderate from 25")."""
    from .scoring import CRITICAL_FROM, HIGH_FROM, MODERATE_FROM  # the engine's cut points
    from .scoring.results import TIER_DECIMALS

    if score is None:
        return "\u2014"
    # As the engine compares a score with the thresholds: a sum of floats a hair under
    # 50 is 50.
    score = round(score, TIER_DECIMALS)
    shown = round(score, 1)
    for threshold in (MODERATE_FROM, HIGH_FROM, CRITICAL_FROM):
        if score < threshold <= shown:
            shown = math.floor(score * 10) / 10
    return f"{shown:.1f}"


def score_range_shown(score: float | None, low: float | None, high: float | None) -> str:
    """A score with its low-high range, each as score_shown prints it: "24.9 (20.0-31.0)",
    "no score yet (20.0-31.0)" when nothing scored yet, "\u2014" without a range. The
    admin's one form, so an analyst reads the number the buyer's PDF prints."""
    if low is None or high is None:
        return "\u2014"
    span = f"{score_shown(low)}-{score_shown(high)}"
    return f"{score_shown(score)} ({span})" if score is not None else f"no score yet ({span})"


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut to at most `limit` characters with an ellipsis where it is
    longer, at a word's end where one is near."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " ":
        # End on a whole word where one ends near the limit: a label cut mid-word
        # ("on each chan…") reads as another word, or as none.
        space = cut.rfind(" ")
        if space >= limit * 2 // 3:
            cut = cut[:space]
    return cut.rstrip() + "…"


def _number_display(question: Mapping[str, Any], value: Any, currency: str | None) -> str:
    declared = {d["key"]: d["label"] for d in question.get("declared", ())}
    if isinstance(value, str) and value in declared:
        return declared[value]
    number, unit = _number(value), unit_of(question)
    if unit == "percent":
        return f"{number}%"
    if unit == "currency":
        amount = _money(value)
        return f"{currency} {amount}" if currency else f"{amount} (buyer's currency)"
    words = UNIT_WORDS.get(unit or "", "")
    if words and value == 1:
        words = SINGULAR.get(unit or "", words)
    return f"{number} {words}" if words else number


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.10g}"
    return f"{int(value):,}"


def _money(value: Any) -> str:
    """An amount as money is written: whole units, or with both decimals of its cents
    ("1,000.50", never "1,000.5")."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return _number(value)


def _date(value: Any) -> str:
    try:
        return datetime.date.fromisoformat(str(value)).strftime("%-d %b %Y")
    except ValueError:
        return str(value)
