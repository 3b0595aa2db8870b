"""The risk of an answer, r in [0, 1] (docs/scoring.md, Risk of an answer).

`risk_function(question)` is the one implementation: the scoring plan prepares it once
per question, and `answer_risk` applies it to a single answer. An answer counts only in
the shape its question type stores (`picked`, `is_number`); any other value maps to no
risk, so it counts as unanswered.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from itertools import pairwise
from typing import Any

from ..definition import grid_cell, grid_choices, grid_complete

RiskFunction = Callable[[Any], float | None]


def answer_risk(question: Mapping[str, Any], value: Any) -> float | None:
    """Risk in [0, 1] of one answer to a normalised question; None when not scored.

    Choice questions take the chosen choice's risk (the worst of several chosen);
    numbers fall into a band (a declared "not measured" has its own risk); yes/no maps
    as the definition says.
    """
    risk = risk_function(question)
    return None if risk is None else risk(value)


def risk_function(question: Mapping[str, Any]) -> RiskFunction | None:
    """The risk of any answer to this question, its lookups prepared (None: not scored).

    An answer that maps to no risk (nothing chosen, an unknown choice, a number outside
    every band, a value of the wrong shape) has None.
    """
    scoring = question["scoring"]
    if scoring is None:
        return None
    if "bands" in scoring:
        declared = {d["key"]: d["risk"] for d in question.get("declared", ())}
        return _band_risk(scoring["bands"], declared)
    if "grid" in scoring:
        return _grid_risk(question)
    if question["type"] == "yes_no":
        risks = {"yes": scoring["yes"], "no": scoring["no"]}
    else:
        risks = {c["key"]: c["risk"] for c in question["choices"]}
    picks = picker(question["type"])

    def keyed_risk(value: Any) -> float | None:
        known = [risks[key] for key in picks(value) if key in risks]
        return max(known) if known else None

    return keyed_risk


Picker = Callable[[Any], tuple[str, ...]]


def _grid_risk(question: Mapping[str, Any]) -> RiskFunction:
    """The worst cell of each row, rows weighted by their `weight`; a grid not complete
    (a cell left open, an unknown answer, a limit answer without its amount) has no risk
    yet, so it counts as unanswered."""
    risks = {c["key"]: c["risk"] for c in question["cells"]}
    rows = [
        (row["weight"], [grid_cell(row["key"], c["key"]) for c in question["columns"]])
        for row in question["rows"]
    ]
    total = sum(weight for weight, _ in rows)

    def grid_risk(value: Any) -> float | None:
        if not grid_complete(question, value):
            return None
        choices = grid_choices(value)
        worst_sum = 0.0
        for weight, cells in rows:
            picked = [risks.get(choices.get(cell)) for cell in cells]
            known = [risk for risk in picked if risk is not None]
            if len(known) < len(picked):
                return None
            worst_sum += weight * max(known)
        return worst_sum / total

    return grid_risk


def grid_picker(rows: Iterable[str] | None, question: Mapping[str, Any]) -> Picker:
    """The cell answers a grid answer picks in these rows (all rows when None), for its
    knock-outs."""
    wanted = set(rows) if rows is not None else {r["key"] for r in question["rows"]}
    cells = [grid_cell(r, c["key"]) for r in wanted for c in question["columns"]]

    def picks(value: Any) -> tuple[str, ...]:
        choices = grid_choices(value)
        return tuple(v for cell in cells if isinstance(v := choices.get(cell), str))

    return picks


def picker(question_type: str) -> Picker:
    """The keys a choice or yes/no answer picks, if it has its question's shape.

    A multiple-choice answer is a list of keys; a single-choice or yes/no answer is one
    key. Any other value (a list for a single choice, a key alone for a multiple
    choice, a number) picks nothing.
    """
    return _many_keys if question_type == "multiple_choice" else _one_key


def _one_key(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else ()


def _many_keys(value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(key, str) for key in value):
        return tuple(value)
    return ()


def is_number(value: Any) -> bool:
    """A numeric answer's shape: an int or a finite float (true and false are not)."""
    kind = value.__class__
    if kind is int:
        return True
    if kind is float:
        return -math.inf < value < math.inf  # neither NaN nor infinite
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _band_risk(bands: list[dict[str, Any]], declared: Mapping[str, float]) -> RiskFunction:
    """A band includes its min, not its max; the last band includes its max too. A
    declared answer instead of a number ("not measured") has the risk it declares."""
    if any(a["max"] is None or a["max"] != b["min"] for a, b in pairwise(bands)):
        raise ValueError(
            f"bands {bands!r} must each start where the previous one ends (the importer "
            "checks this)"
        )
    starts = [b["min"] for b in bands[1:]]
    risks = [b["risk"] for b in bands]
    low, high = bands[0]["min"], bands[-1]["max"]

    def band_risk(value: Any) -> float | None:
        if not is_number(value):
            return declared.get(value) if value.__class__ is str else None
        if (low is not None and value < low) or (high is not None and value > high):
            return None
        return risks[bisect_right(starts, value)]

    return band_risk
