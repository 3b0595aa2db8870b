"""Filters of the PDF reports: scores and shares printed one way everywhere."""

from __future__ import annotations

from django import template

from ..reports.charts import score_text

register = template.Library()


@register.filter
def score(value: float | None) -> str:
    """A 0-100 risk score to one decimal, consistent with its tier (charts.score_text)."""
    return score_text(value)


@register.filter
def score_range(result: object) -> str:
    """A result's range, low to high, as scores print."""
    low, high = getattr(result, "low", None), getattr(result, "high", None)
    return f"{score_text(low)}\u2013{score_text(high)}"


@register.filter
def percent(share: float | None) -> str:
    """A share (0-1) as a whole percentage with its sign."""
    return "—" if share is None else f"{round(share * 100)}%"
