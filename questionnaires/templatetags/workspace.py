"""Template filters of the analyst workspace: scores, tiers and severities in words."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

TIER_WORDS = {
    "low": "Low",
    "moderate": "Moderate",
    "high": "High",
    "critical": "Critical",
    "unrated": "Unrated",
}
# Flag severities share the risk colours: info is neutral, critical the strongest.
SEVERITY_CLASSES = {
    "info": "risk-not-scored",
    "moderate": "risk-moderate",
    "high": "risk-high",
    "critical": "risk-severe",
}


@register.filter
def score_range(result: Any) -> str:
    """'42 (31-58)' from anything with score, low and high; the range alone if no score."""
    if result is None:
        return "—"
    low, high = getattr(result, "low", None), getattr(result, "high", None)
    if low is None or high is None:
        return "—"
    span = f"{low:.0f}-{high:.0f}"
    score = getattr(result, "score", None)
    return f"{score:.0f} ({span})" if score is not None else f"no score yet ({span})"


@register.filter
def percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction:.0%}"


@register.filter
def tier_badge(tier: str | None) -> str:
    """A tier as a coloured badge that also says the word (never colour alone)."""
    if not tier:
        return mark_safe('<span class="cx-muted">not scored</span>')
    return format_html(
        '<span class="cx-tier cx-tier-{}">{}</span>', tier, TIER_WORDS.get(tier, tier)
    )


@register.filter
def severity_badge(severity: str) -> str:
    return format_html(
        '<span class="cx-risk {}">{}</span>',
        SEVERITY_CLASSES.get(severity, "risk-not-scored"),
        severity,
    )


@register.filter
def signed_points(value: float | None) -> str:
    """+12.3 / -4.0 points, for how far an answer pulls the score."""
    if value is None:
        return "—"
    sign = "+" if value >= 0 else "-"
    return f"{sign}{abs(value):.1f}"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key], or None: for dicts keyed by question key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
