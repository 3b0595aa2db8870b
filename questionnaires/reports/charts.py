"""The reports' charts as SVG geometry: plain numbers and labels in, a dict for a template out.

Pure: no database, no Django. The templates `reports/_chart_ranges.html` and
`reports/_chart_sections.html` draw what these functions compute; SVG from a template
renders far faster in WeasyPrint than a plotting library's output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..display import score_shown, shorten
from ..scoring import CRITICAL_FROM, HIGH_FROM, MODERATE_FROM, UNRATED, tier_for

# Chart widths in CSS pixels: the text width of an A4 page, landscape and portrait.
LANDSCAPE_CHART_WIDTH = 1000
PORTRAIT_CHART_WIDTH = 700
BAR_ROW = 22
# Fills are SVG attributes: WeasyPrint does not apply the page's CSS inside inline SVG.
BAND_FILL = {"low": "#e3f1e4", "moderate": "#fdf0d3", "high": "#fbdccb", "critical": "#f5c6c6"}
CELL_FILL = {
    "low": "#cfe8d1",
    "moderate": "#fbe2a8",
    "high": "#f7bfa2",
    "critical": "#ee9c9c",
    UNRATED: "#e6e9ec",
}
# The section grid's shades measure a section's risk score, darker for more risk, in one
# neutral hue: a section is not a verdict, so its cell never reads as a red flag.
SHADE_STEPS = ((MODERATE_FROM, "#eef2f6"), (HIGH_FROM, "#d3dde7"), (CRITICAL_FROM, "#aebfd0"))
SHADE_TOP = "#8aa1b8"
SHADE_NONE = "#ffffff"
DOT_FILL = {
    "low": "#2e7d32",
    "moderate": "#b26a00",
    "high": "#c2410c",
    "critical": "#9b1c1c",
    UNRATED: "#6b7680",
}


@dataclass(frozen=True)
class RangeBar:
    """One row of a range chart: the score as a dot on its range, coloured by `tier`."""

    label: str
    low: float
    high: float
    score: float | None
    tier: str


@dataclass(frozen=True)
class GridCell:
    """One cell of a grid chart: a 0-100 score, or none; `asked` is False where the
    column's questionnaire does not ask the row at all."""

    score: float | None
    asked: bool = True


def range_chart(bars: Sequence[RangeBar], *, width: int, label_width: int) -> dict[str, Any]:
    """Score (a dot) and range (a line) per bar on a 0-100 axis, the tier bands behind."""
    left, top = label_width, 18
    plot = width - label_width - 50
    rows = []
    for i, bar in enumerate(bars):
        y = top + i * BAR_ROW + BAR_ROW / 2
        rows.append(
            {
                "label": bar.label,
                "y": y,
                "y_top": y - 4,
                "y_bottom": y + 4,
                "text_y": y + 4,
                "low": _x(bar.low, left, plot),
                "high": _x(bar.high, left, plot),
                "score": None if bar.score is None else _x(bar.score, left, plot),
                "fill": DOT_FILL.get(bar.tier, DOT_FILL[UNRATED]),
                "value": score_text(bar.score),
            }
        )
    height = top + len(bars) * BAR_ROW + 6
    return {
        "width": width,
        "height": height,
        "plot_height": height - top,
        "top": top,
        "tick_y": top - 5,
        "label_x": left - 8,
        "bands": _tier_bands(left, plot),
        "ticks": [{"x": _x(v, left, plot), "label": v} for v in (0, 25, 50, 75, 100)],
        "rows": rows,
        "value_x": left + plot + 8,
    }


def grid_chart(
    *, rows: Sequence[str], columns: Sequence[str], cells: Sequence[Sequence[GridCell]]
) -> dict[str, Any]:
    """A grid coloured by the tier of each cell's score, the score written in it.

    `rows` label the rows (left), `columns` the columns (top); `cells[r][c]` is the cell
    of row r and column c.
    """
    label_width, top = 280, 40
    column = max(40, min(110, (LANDSCAPE_CHART_WIDTH - label_width) // max(1, len(columns))))
    label_chars = max(6, column // 7)
    drawn = []
    for r, row_cells in enumerate(cells):
        for c, cell in enumerate(row_cells):
            drawn.append(
                {
                    "x": label_width + c * column,
                    "y": top + r * BAR_ROW,
                    "fill": section_shade(cell.score),
                    "text": score_text(cell.score) if cell.asked else "n/a",
                    "text_x": label_width + c * column + column / 2,
                    "text_y": top + r * BAR_ROW + 15,
                }
            )
    return {
        "width": label_width + column * len(columns) + 4,
        "height": top + BAR_ROW * len(rows) + 4,
        "column": column - 2,
        "row": BAR_ROW - 2,
        "sections": [
            {"title": shorten(title, 46), "y": top + r * BAR_ROW + 15}
            for r, title in enumerate(rows)
        ],
        "vendors": [
            {"label": shorten(label, label_chars), "x": label_width + c * column + column / 2}
            for c, label in enumerate(columns)
        ],
        "cells": drawn,
        "header_y": top - 8,
        "label_x": label_width - 8,
    }


def section_shade(score: float | None) -> str:
    if score is None:
        return SHADE_NONE
    return next((fill for limit, fill in SHADE_STEPS if score < limit), SHADE_TOP)


def shade_legend() -> list[dict[str, str]]:
    """The section grid's shades and the scores each stands for."""
    edges = [0, *(limit for limit, _ in SHADE_STEPS)]
    fills = [fill for _, fill in SHADE_STEPS] + [SHADE_TOP]
    labels = [f"{edges[i]:g} to below {edges[i + 1]:g}" for i in range(len(SHADE_STEPS))]
    labels.append(f"{CRITICAL_FROM:g} and above")
    return [{"fill": fill, "label": label} for fill, label in zip(fills, labels, strict=True)]


def score_tier(score: float | None) -> str:
    """The tier a score alone gives (no flags): for sections, which have none."""
    return tier_for(score, ())


def score_text(score: float | None) -> str:
    """A 0-100 score as every report prints it (display.score_shown): one decimal,
    never rounded up onto a tier threshold, so number and tier agree."""
    return score_shown(score)


def _x(value: float, left: float, width: float) -> float:
    return round(left + width * max(0.0, min(100.0, value)) / 100.0, 1)


def _tier_bands(left: float, width: float) -> list[dict[str, Any]]:
    edges = [0, MODERATE_FROM, HIGH_FROM, CRITICAL_FROM, 100]
    return [
        {
            "tier": tier,
            "fill": BAND_FILL[tier],
            "x": _x(edges[i], left, width),
            "width": round(_x(edges[i + 1], left, width) - _x(edges[i], left, width), 1),
        }
        for i, tier in enumerate(("low", "moderate", "high", "critical"))
    ]
