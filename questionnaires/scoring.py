"""Risk scoring: pure functions over plain data (no ORM, no Django).

docs/scoring.md states the formulas; this module is their only implementation.
"""

from __future__ import annotations

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
