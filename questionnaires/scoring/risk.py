"""The risk of an answer, r in [0, 1] (docs/scoring.md, Risk of an answer).

`risk_function(question)` is the one implementation: the scoring plan prepares it once
per question, and `answer_risk` applies it to a single answer.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from itertools import pairwise
from typing import Any

RiskFunction = Callable[[Any], float | None]


def answer_risk(question: Mapping[str, Any], value: Any) -> float | None:
    """Risk in [0, 1] of one answer to a normalised question; None when not scored.

    Choice questions take the chosen choice's risk (the worst of several chosen);
    numbers fall into a band; yes/no maps as the definition says.
    """
    risk = risk_function(question)
    return None if risk is None else risk(value)


def risk_function(question: Mapping[str, Any]) -> RiskFunction | None:
    """The risk of any answer to this question, its lookups prepared (None: not scored).

    An answer that maps to no risk (nothing chosen, an unknown choice, a number outside
    every band, a value of another kind) has None.
    """
    scoring = question["scoring"]
    if scoring is None:
        return None
    if "choices" in scoring:
        return _choice_risk({c["key"]: c["risk"] for c in question["choices"]})
    if "bands" in scoring:
        return _band_risk(scoring["bands"])
    return _key_risk({"yes": scoring["yes"], "no": scoring["no"]})


def _key_risk(risks: dict[str, float]) -> RiskFunction:
    def key_risk(value: Any) -> float | None:
        return risks.get(value) if isinstance(value, str) else None

    return key_risk


def _choice_risk(risks: dict[str, float]) -> RiskFunction:
    def choice_risk(value: Any) -> float | None:
        if isinstance(value, list):
            known = [risks[k] for k in value if isinstance(k, str) and k in risks]
            return max(known) if known else None
        return risks.get(value) if isinstance(value, str) else None

    return choice_risk


def _band_risk(bands: list[dict[str, Any]]) -> RiskFunction:
    """A band includes its min, not its max; the last band includes its max too."""
    if any(a["max"] is None or a["max"] != b["min"] for a, b in pairwise(bands)):
        raise ValueError(
            f"bands {bands!r} must each start where the previous one ends (the importer "
            "checks this)"
        )
    starts = [b["min"] for b in bands[1:]]
    risks = [b["risk"] for b in bands]
    low, high = bands[0]["min"], bands[-1]["max"]

    def band_risk(value: Any) -> float | None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            return None
        return risks[bisect_right(starts, value)]

    return band_risk
