"""The risk of an answer, r in [0, 1] (docs/scoring.md, Risk of an answer)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from itertools import pairwise
from typing import Any


def answer_risk(question: dict[str, Any], value: Any) -> float | None:
    """Risk in [0, 1] of one answer to a normalised question; None when not scored.

    Choice questions take the chosen choice's risk (the worst of several chosen);
    numbers fall into a band; yes/no maps as the definition says.
    """
    scoring = question["scoring"]
    if scoring is None or value in (None, "", []):
        return None
    if "choices" in scoring:
        risks = {c["key"]: c["risk"] for c in question["choices"]}
        chosen = value if isinstance(value, list) else [value]
        known = [risks[key] for key in chosen if key in risks]
        return max(known) if known else None
    if "bands" in scoring:
        return _band_risk(scoring["bands"], value)
    return scoring.get(value)


def _band_risk(bands: list[dict[str, Any]], value: Any) -> float | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    last = len(bands) - 1
    for i, band in enumerate(bands):
        above_min = band["min"] is None or value >= band["min"]
        below_max = (
            band["max"] is None or value < band["max"] or (i == last and value == band["max"])
        )
        if above_min and below_max:
            return band["risk"]
    return None


def risk_function(question: dict[str, Any]) -> Callable[[Any], float | None] | None:
    """answer_risk for one question with its lookups prepared (None: not scored)."""
    scoring = question["scoring"]
    if scoring is None:
        return None
    if "choices" in scoring:
        risks = {c["key"]: c["risk"] for c in question["choices"]}
        # The same few selections recur across responses: remember their worst risk.
        chosen_risk: dict[tuple, float | None] = {}

        def choice_risk(value: Any) -> float | None:
            if isinstance(value, list):
                try:
                    selection = tuple(value)
                    return chosen_risk[selection]
                except KeyError:
                    known = [risks[k] for k in value if k in risks]
                    chosen_risk[selection] = max(known) if known else None
                    return chosen_risk[selection]
                except TypeError:  # an unhashable choice is no choice
                    known = [risks[k] for k in value if isinstance(k, str) and k in risks]
                    return max(known) if known else None
            try:
                return risks.get(value)
            except TypeError:  # an unhashable value is no choice
                return None

        return choice_risk
    if "bands" in scoring:
        return _band_function(scoring["bands"])
    yes_no = {"yes": scoring.get("yes"), "no": scoring.get("no")}
    return lambda value: yes_no.get(value) if isinstance(value, str) else None


def _band_function(bands: list[dict[str, Any]]) -> Callable[[Any], float | None]:
    """_band_risk by binary search over the bands' starts (they are contiguous once
    imported; otherwise the plain walk through the bands)."""
    contiguous = all(a["max"] is not None and a["max"] == b["min"] for a, b in pairwise(bands))
    if not contiguous:
        return lambda value: _band_risk(bands, value)
    starts = [b["min"] for b in bands[1:]]
    risks = [b["risk"] for b in bands]
    low, high = bands[0]["min"], bands[-1]["max"]

    def band_risk(value: Any) -> float | None:
        kind = value.__class__
        if kind is not int and kind is not float:
            return _band_risk(bands, value)  # not a number (or a subclass): the walk
        if (low is not None and value < low) or (high is not None and value > high):
            return None
        # A band includes its min, not its max; the last band includes its max too.
        return risks[bisect_right(starts, value)]

    return band_risk


def risk_by_answer(question: dict[str, Any]) -> dict[str, float] | None:
    scoring = question["scoring"]
    if scoring is None:
        return None
    if question["type"] == "single_choice":
        return {c["key"]: c["risk"] for c in question["choices"]}
    if question["type"] == "yes_no":
        return {"yes": scoring.get("yes"), "no": scoring.get("no")}
    return None
