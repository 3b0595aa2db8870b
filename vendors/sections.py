"""The body of a section page: its question cards, progress and notes, cached whole.

Conditions look back across sections, so a section shows the answers of the whole
response: its body is filed under the response's fingerprint (one query), the version
and the section. While nothing changes, a page view is the access lookup, that query
and a small page template; the form is built only when the body is not in the cache,
or to re-render a POST. What is cached holds no token: contacts of one vendor share it.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.utils import render_crispy_form
from django.core.cache import cache
from django.utils import timezone
from django.utils.formats import date_format

from . import page_cache
from .access import PortalAccess
from .forms import QuestionsForm
from .portal import ResponseState, response_fingerprint, response_state


def editable_keys(access: PortalAccess, state: ResponseState, keys: list[str]) -> set[str]:
    """Which of these questions this link may change now."""
    if not access.editable:
        return set()
    if access.clarifying:
        return {k for k in keys if state.answer(k).needs_clarification}
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
    order = {key: i for i, key in enumerate(plan.questions_by_key)}
    return [
        {
            "section_key": plan.section_of[a.question_key]["key"],
            "question_key": a.question_key,
            "question_text": plan.questions_by_key[a.question_key]["text"],
            "note": a.clarification_note,
        }
        for a in sorted(state.clarifications, key=lambda a: order.get(a.question_key, 0))
        if a.question_key in order
    ]


def saved_label(when) -> str:
    return date_format(timezone.localtime(when), "H:i T") if when else ""


def section_body(access: PortalAccess, section: dict) -> dict[str, Any]:
    """The section as stored, from the cache while nothing it shows has changed."""
    key = page_cache.cache_key(
        "section",
        [
            access.response.pk,
            access.response.version.content_hash,
            section["key"],
            # Read before the answers below: what is filed is never older than its key.
            response_fingerprint(access.response),
        ],
    )
    body = cache.get(key)
    if body is None:
        state = response_state(access.response, access.plan, with_evidence=True)
        body = body_of(access, section, state, section_form(access, section, state))
        cache.set(key, body, page_cache.CACHE_SECONDS)
    return body


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
