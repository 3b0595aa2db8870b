"""A section page: its question cards, progress and notes, cached whole.

Conditions look back across sections, so a section shows the answers of the whole
response: its page is filed under the link, the response's fingerprint (one query), the
version and the section. While nothing changes, a page view is the access lookup, that
query and one cache read; the form is built only when the page is not in the cache, or
to re-render a POST, and even then unchanged question cards come from the cache.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.utils import render_crispy_form
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from . import page_cache
from .access import PortalAccess, render_portal
from .forms import QuestionsForm
from .portal import ResponseState, response_fingerprint, response_state


def editable_keys(access: PortalAccess, state: ResponseState, keys: list[str]) -> set[str]:
    """Which of these questions this link may change now."""
    if not access.editable:
        return set()
    if access.clarifying:
        return {k for k in keys if k in state.reopened}
    return set(keys)


def section_form(
    access: PortalAccess, section: dict, state: ResponseState, data=None, files=None
) -> QuestionsForm:
    keys = [q["key"] for q in section["questions"]]
    return QuestionsForm(
        data,
        files,
        plan=access.plan,
        questions=section["questions"],
        state=state,
        editable_keys=editable_keys(access, state, keys),
        numbers=access.plan.numbers,
    )


def clarification_items(access: PortalAccess, state: ResponseState) -> list[dict[str, Any]]:
    """The analyst's notes on reopened answers, in questionnaire order."""
    plan = access.plan
    return [
        {
            "section_key": plan.section_of[key]["key"],
            "question_key": key,
            "question_text": question["text"],
            "note": state.reopened[key],
        }
        for key, question in plan.questions_by_key.items()
        if key in state.reopened
    ]


def saved_label(when) -> str:
    return date_format(timezone.localtime(when), "H:i T") if when else ""


# Stands in for the CSRF token in a filed page: the token belongs to the visitor (their
# cookie), the page to the link. Each view puts the visitor's own token in its place.
CSRF_PLACEHOLDER = "csrf-token-of-this-visitor"


def section_page(request: HttpRequest, access: PortalAccess, section: dict) -> HttpResponse:
    """The section as stored, from the cache while nothing it shows has changed."""
    if messages.get_messages(request):
        # A notice to show once ("Your answers are saved."): draw this page fresh.
        return render_section(request, access, section, section_body(access, section))
    key = page_cache.cache_key(
        "section",
        [
            access.link.pk,  # the token is in the page's links
            access.vendor.name,
            settings.ANALYST_CONTACT_EMAIL,
            access.response.pk,
            access.response.version.content_hash,
            section["key"],
            # Read before the answers: what is filed is never older than its key.
            response_fingerprint(access.response),
        ],
    )
    page = cache.get(key)
    if page is None:
        body = section_body(access, section)
        filed = render_section(request, access, section, body, csrf_token=CSRF_PLACEHOLDER)
        page = filed.content.decode()
        cache.set(key, page, page_cache.CACHE_SECONDS)
    return HttpResponse(page.replace(CSRF_PLACEHOLDER, get_token(request)))


def section_body(access: PortalAccess, section: dict) -> dict[str, Any]:
    """The section as stored; unchanged question cards come from the cache."""
    state = response_state(access.response, access.plan, with_evidence=True)
    return body_of(access, section, state, section_form(access, section, state))


def render_section(
    request: HttpRequest,
    access: PortalAccess,
    section: dict,
    body: dict[str, Any],
    **extra: Any,
) -> HttpResponse:
    """The section page around a body; `extra` adds to or overrides the context."""
    keys = list(access.sections_by_key)
    index = keys.index(section["key"])
    context = {
        "section": section,
        "section_number": index + 1,
        "section_count": len(keys),
        "previous_key": keys[index - 1] if index > 0 else None,
        "next_key": keys[index + 1] if index + 1 < len(keys) else None,
        "body": body,
        # Drawn by our own templates (escaped there), possibly kept in the cache.
        "cards_html": mark_safe(body["cards_html"]),
        "clarifications": body["clarifications"],
        "max_bytes": settings.EVIDENCE_MAX_BYTES,
        **extra,
    }
    return render_portal(request, "portal/section.html", context, access=access)


def body_of(
    access: PortalAccess, section: dict, state: ResponseState, form: QuestionsForm
) -> dict[str, Any]:
    """What the section page shows below its title, as plain data and HTML (cacheable)."""
    progress = state.progress.section(section["key"])
    last_saved = state.last_saved
    return {
        "cards_html": str(render_crispy_form(form, helper=form.helper)),
        "answered": progress.answered,
        "total": progress.total,
        "last_saved_label": saved_label(last_saved.updated_at) if last_saved else "",
        "last_saved_by": last_saved.updated_by if last_saved else "",
        "clarifications": clarification_items(access, state),
        "error_summary": form.error_summary() if form.is_bound else [],
        "conflicts": [(key, form.questions[key]["text"]) for key in form.conflicts],
    }
