"""The comparison page and its exports, shared by the Response and Selection admins.

A comparison is addressed by the responses it compares (`?ids=3,7,9` on the response
list's URL) or by a Selection; the GET controls (profile, differences only, flagged
only, order by risk) travel in the query string, so every view of it is a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from ..comparison import Comparison, ComparisonError, UnknownProfile, build_comparison
from ..decision import decision_context
from ..exports import CSV_PARTS, comparison_csv, comparison_xlsx, export_filename
from ..models import Selection
from ..recommendation import Drift, recommendation_drift
from .review_forms import ComparisonControlsForm

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BadRequestIds(ValueError):
    """The ids in the query string cannot be read; the message says what is wrong."""


def parse_ids(raw: str) -> list[int]:
    """'3,7, 9' -> [3, 7, 9]; anything else raises BadRequestIds."""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise BadRequestIds(
            "Choose the responses to compare: tick them in the response list and use the "
            "action “Compare selected responses”."
        )
    return list(dict.fromkeys(int(p) for p in parts))


@dataclass(frozen=True)
class ComparisonPage:
    """Where a comparison lives: how to link to itself, its exports and the way back."""

    title: str
    page_url: str
    export_url: str
    back_url: str
    identity: dict[str, str]  # query parameters that name the compared responses
    default_profile: str | None = None
    # A round's page also shows its recommendation (and what it predates) and the buyer's
    # decision data (coverage, business case).
    selection: Selection | None = None

    def link(self, base: str, **params: str) -> str:
        query = {**self.identity, **{k: v for k, v in params.items() if v}}
        return f"{base}?{urlencode(query)}" if query else base


def comparison_view(
    model_admin: ModelAdmin,
    request: HttpRequest,
    page: ComparisonPage,
    response_ids: Sequence[int],
) -> HttpResponse:
    controls = ComparisonControlsForm(request.GET)
    options = controls.options()
    options["profile_key"] = options["profile_key"] or page.default_profile
    try:
        comparison = _build(request, response_ids, options)
    except ComparisonError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(page.back_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": page.title,
        "comparison": comparison,
        "drift": _recommendation_drift(page, comparison, response_ids),
        "controls": controls,
        "page": page,
        "export_links": _export_links(page, comparison),
        **(decision_context(page.selection, comparison) if page.selection else {}),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/questionnaires/comparison.html", context)


def _recommendation_drift(
    page: ComparisonPage, comparison: Comparison, response_ids: Sequence[int]
) -> Drift | None:
    """What the recommendation predates, checked under the profile it was written under
    (a second comparison, without the ranking's robustness, only when the page shows
    another profile)."""
    selection = page.selection
    if selection is None or not selection.recommendation or not selection.recommendation_basis:
        return None
    basis = selection.recommendation_basis
    written_under = basis.get("profile_key")
    columns = comparison.vendors
    if written_under != comparison.profile_key and written_under in dict(comparison.profiles):
        columns = build_comparison(
            response_ids, profile_key=written_under, robustness=False
        ).vendors
        return recommendation_drift(basis, columns, profile_key=written_under)
    return recommendation_drift(basis, columns, profile_key=comparison.profile_key)


def _build(request: HttpRequest, response_ids: Sequence[int], options: dict) -> Comparison:
    try:
        return build_comparison(response_ids, **options)
    except UnknownProfile as exc:
        messages.warning(request, f"{exc} Showing the default profile instead.")
        return build_comparison(response_ids, **{**options, "profile_key": None})


def _export_links(page: ComparisonPage, comparison: Comparison) -> list[tuple[str, str]]:
    profile = comparison.profile_key
    links = [
        (
            "XLSX (summary, matrix, answers, frameworks, business case)"
            if page.selection
            else "XLSX (summary, matrix, answers)",
            page.link(page.export_url, profile=profile, format="xlsx"),
        ),
        ("CSV answers", page.link(page.export_url, profile=profile, format="csv")),
        (
            "CSV summary",
            page.link(page.export_url, profile=profile, format="csv", part="summary"),
        ),
        (
            "CSV matrix",
            page.link(page.export_url, profile=profile, format="csv", part="matrix"),
        ),
    ]
    return links


def export_view(
    request: HttpRequest,
    response_ids: Sequence[int],
    *,
    what: str,
    back_url: str,
    default_profile: str | None = None,
    selection: Selection | None = None,
) -> HttpResponse:
    """The comparison of these responses as XLSX or CSV (?format=, ?part=, ?profile=).

    A round's export (`selection`, already checked for the user) adds its framework and
    business case sheets to the XLSX."""
    fmt = request.GET.get("format", "xlsx")
    part = request.GET.get("part", "answers")
    if fmt not in ("xlsx", "csv") or part not in CSV_PARTS:
        messages.error(
            request,
            f"Unknown export {fmt!r}/{part!r}: use format=xlsx or format=csv, and for CSV "
            "part=answers, part=summary or part=matrix.",
        )
        return HttpResponseRedirect(back_url)
    options = {"profile_key": request.GET.get("profile") or default_profile, "robustness": False}
    try:
        comparison = _build(request, response_ids, options)
    except ComparisonError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(back_url)
    return export_response(comparison, fmt=fmt, part=part, what=what, selection=selection)


def export_response(
    comparison: Comparison, *, fmt: str, part: str, what: str, selection: Selection | None = None
) -> HttpResponse:
    round_name = selection.name if selection is not None else ""
    if fmt == "xlsx":
        body, content_type, name = (
            comparison_xlsx(comparison, selection=selection),
            XLSX_TYPE,
            export_filename(comparison, what=what, extension="xlsx", round_name=round_name),
        )
    else:
        label = what if part == "answers" else f"{what}-{part}"
        body, content_type, name = (
            comparison_csv(comparison, part=part),
            "text/csv; charset=utf-8",
            export_filename(comparison, what=label, extension="csv", round_name=round_name),
        )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
