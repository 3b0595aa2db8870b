"""A section page: its question cards, progress and notes, and what an autosave or an
upload tells the open page to show.

Conditions look back across sections, so a section shows the answers of the whole
response. The page and each card are kept in the cache (vendors.page_cache): while
nothing changes, a page view is the access lookup, one query and one cache read; the
form is built only when the page is not in the cache, or to re-render a POST, and even
then the unchanged cards come from the cache and the form gets no fields for them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Set
from typing import Any

from crispy_forms.bootstrap import AppendedText
from crispy_forms.utils import render_crispy_form, render_field
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template import Context
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from questionnaires.completeness import Completeness, SectionProgress, needs_explanation
from questionnaires.display import answer_display
from questionnaires.services.answers import SaveResult

from . import page_cache
from .access import PortalAccess, render_portal
from .forms import (
    CARD_DRAWER,
    COMMENT,
    EVIDENCE,
    LOADED,
    REVISION,
    QuestionsForm,
    answer_fingerprint,
    field_name,
)
from .portal import ResponseState, response_state

CARD_TEMPLATE = "portal/_question.html"
ONLY_REOPENED = "Only the answers the analyst reopened can change."


def editable_keys(access: PortalAccess, state: ResponseState, keys: list[str]) -> set[str]:
    """Which of these questions this link may change now."""
    if not access.editable:
        return set()
    if access.clarifying:
        return {k for k in keys if k in state.reopened}
    return set(keys)


def section_form(
    access: PortalAccess,
    section: dict[str, Any],
    state: ResponseState,
    data: QueryDict | None = None,
    files: MultiValueDict | None = None,
) -> QuestionsForm:
    keys = [q["key"] for q in section["questions"]]
    return QuestionsForm(
        data,
        files,
        plan=access.plan,
        questions=section["questions"],
        state=state,
        editable_keys=editable_keys(access, state, keys),
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


def saved_label(when: datetime.datetime | None) -> str:
    return date_format(timezone.localtime(when), "H:i T") if when else ""


# The page ----------------------------------------------------------------------------------


def section_page(
    request: HttpRequest, access: PortalAccess, section: dict[str, Any]
) -> HttpResponse:
    """The section as stored, from the cache while nothing it shows has changed."""
    if messages.get_messages(request):
        # A notice to show once ("Your answers are saved."): draw this page fresh.
        return render_section(request, access, section, section_body(access, section))
    # Keyed before the answers are read: what is filed is never older than its key.
    key = page_cache.section_page_key(access, section)
    return page_cache.filed_page(
        request,
        key,
        lambda csrf_token: render_section(
            request, access, section, section_body(access, section), csrf_token=csrf_token
        ),
    )


def section_body(access: PortalAccess, section: dict[str, Any]) -> dict[str, Any]:
    """The section as stored; unchanged question cards come from the cache."""
    state = response_state(access.response, access.plan, with_evidence=True)
    return body_of(access, section, state, section_form(access, section, state))


def render_section(
    request: HttpRequest,
    access: PortalAccess,
    section: dict[str, Any],
    body: dict[str, Any],
    **extra: Any,
) -> HttpResponse:
    """The section page around a body; `extra` adds to or overrides the context."""
    keys = list(access.sections_by_key)
    previous_key, next_key = neighbours(access, section)
    context = {
        "section": section,
        "section_number": keys.index(section["key"]) + 1,
        "section_count": len(keys),
        "previous_key": previous_key,
        "next_key": next_key,
        "body": body,
        # Drawn by our own templates (escaped there), possibly kept in the cache.
        "cards_html": mark_safe(body["cards_html"]),
        "clarifications": body["clarifications"],
        "max_bytes": settings.EVIDENCE_MAX_BYTES,
        **extra,
    }
    return render_portal(request, "portal/section.html", context, access=access)


def neighbours(access: PortalAccess, section: dict[str, Any]) -> tuple[str | None, str | None]:
    """The keys of the sections before and after this one (None at either end)."""
    keys = list(access.sections_by_key)
    index = keys.index(section["key"])
    return (
        keys[index - 1] if index > 0 else None,
        keys[index + 1] if index + 1 < len(keys) else None,
    )


def body_of(
    access: PortalAccess,
    section: dict[str, Any],
    state: ResponseState,
    form: QuestionsForm,
    *,
    conflicts: Mapping[str, SaveResult] | None = None,
) -> dict[str, Any]:
    """What the section page shows below its title, as plain data and HTML (cacheable).

    `conflicts`: answers a save just found changed by someone else, shown on their cards.
    """
    conflicts = conflicts or {}
    drawer = CardDrawer(access, state, form, conflicts)
    cards_html = render_crispy_form(form, helper=form.helper, context={CARD_DRAWER: drawer})
    progress = state.progress.section(section["key"])
    last_saved = state.last_saved
    return {
        "cards_html": str(cards_html),
        "answered": progress.answered,
        "total": progress.total,
        "last_saved_label": saved_label(last_saved.updated_at) if last_saved else "",
        "last_saved_by": last_saved.updated_by if last_saved else "",
        "clarifications": clarification_items(access, state),
        "error_summary": error_summary(form) if form.is_bound else [],
        "conflicts": [(key, form.questions[key]["text"]) for key in conflicts],
    }


def error_summary(form: QuestionsForm) -> list[tuple[str, str, str]]:
    """(field id, question text, message) for every error, in page order."""
    return [
        (form[name].auto_id, question["text"], str(message))
        for key, question in form.questions.items()
        for name in form.names_of(key)
        for message in form.errors.get(name, [])
    ]


# Question cards ----------------------------------------------------------------------------


class CardDrawer:
    """Draws the card of each question of a form, as the form's layout asks for it.

    A page as stored (an unbound form) takes each card from the cache while nothing it
    shows has changed, and gives the form fields only for the cards it draws. A post
    drawn again (errors, conflicts) is drawn whole: its cards show what was sent.
    """

    def __init__(
        self,
        access: PortalAccess,
        state: ResponseState,
        form: QuestionsForm,
        conflicts: Mapping[str, SaveResult],
    ):
        plan = access.plan
        self.plan = plan
        self.state = state
        self.form = form
        self.conflicts = conflicts
        self.sources = {s["key"]: s for s in plan.definition.get("sources", [])}
        self.visible: Set[str]
        if form.is_bound:
            self.visible = form.visible
            self.cards = page_cache.CardCache()
        else:
            self.visible = state.progress.visible
            self.cards = page_cache.CardCache.of_page(
                plan, state, form.questions, visible=self.visible, editable=form.editable_keys
            )

    def __call__(self, key: str, context: Context, template_pack: str) -> str:
        html = self.cards.get(key)
        if html is None:
            self.form.add_fields(key)
            html = render_to_string(CARD_TEMPLATE, self.card_context(key, context, template_pack))
            self.cards.file(key, html)
        return html

    def card_context(self, key: str, context: Context, template_pack: str) -> dict[str, Any]:
        form = self.form
        question = form.questions[key]
        value = form.cleaned_value(key, default=self.state.answer(key).value)
        value_html = ""
        if key in form.fields:
            # The answer is drawn by crispy's Bootstrap 5 pack; the comment and file
            # inputs, the same on every card, by the card template (faster).
            layout = AppendedText(key, "%") if question["type"] == "percentage" else None
            value_html = (
                layout.render(form, context, template_pack=template_pack)
                if layout
                else render_field(key, form, context, template_pack=template_pack)
            )
        comment = form[field_name(key, COMMENT)]
        evidence_name = field_name(key, EVIDENCE)
        evidence_field = form[evidence_name] if evidence_name in form.fields else None
        for bound in (comment, evidence_field):
            if bound is not None and bound.errors:
                bound.field.widget.attrs["class"] += " is-invalid"
        explain = needs_explanation(question, value)
        conflict = self.conflicts.get(key)
        return {
            "question": question,
            "number": self.plan.numbers.get(key),
            "reopened": key in self.state.reopened,
            "clarification_note": self.state.reopened.get(key, ""),
            "visible": key in self.visible,
            "editable": key in form.editable_keys,
            "explain_needed": explain,
            "comment_open": bool(explain or comment.value() or comment.errors),
            **(conflict_context(question, conflict) if conflict else {"conflict": None}),
            "sources": [self.sources[s] for s in question["sources"] if s in self.sources],
            "evidence": self.state.evidence.get(key, []),
            "value_html": value_html,
            "evidence_field": evidence_field,
            "comment_field": comment,
            "hidden_fields": [form[field_name(key, REVISION)], form[field_name(key, LOADED)]],
        }


def conflict_context(question: Mapping[str, Any], conflict: SaveResult) -> dict[str, Any]:
    """What portal/_conflict.html shows: their saved answer and the one not saved."""
    return {
        "question": question,
        "conflict": conflict,
        "theirs_display": answer_display(question, conflict.value),
        "yours_display": answer_display(question, conflict.yours_value),
    }


# What an autosave or an upload tells the open page -----------------------------------------


def autosave_reply(
    access: PortalAccess,
    state: ResponseState,
    question: dict[str, Any],
    result: SaveResult | None,
) -> dict[str, Any]:
    """What the page shows after an autosave (portal.js): the answer's new revision and
    fingerprint, what is visible, whether it needs an explanation, the progress, and for
    a conflict their answer. `result` None: there was nothing to save."""
    key = question["key"]
    answer = result or state.answer(key)
    status = result.status if result else "unchanged"
    progress = state.progress
    section = access.plan.section_of[key]
    reply: dict[str, Any] = {
        "status": status,
        "question": key,
        "revision": answer.revision,
        "loaded": answer_fingerprint(answer.value, answer.comment),
        "revision_field": field_name(key, REVISION),
        "loaded_field": field_name(key, LOADED),
        "saved_at": saved_label(answer.updated_at),
        "visible": sorted(progress.visible & {q["key"] for q in section["questions"]}),
        "explain_needed": needs_explanation(question, answer.value),
        "section_progress": _counts(progress.section(section["key"])),
        "overall_progress": _counts(progress),
    }
    if result is not None and result.status == "conflict":
        reply["theirs"] = {"value": result.value, "comment": result.comment}
        reply["conflict_html"] = render_to_string(
            "portal/_conflict.html", conflict_context(question, result)
        )
    if status == "locked":
        reply["message"] = ONLY_REOPENED
    return reply


def evidence_reply(
    access: PortalAccess, question: dict[str, Any], *, errors: list[str], added: list[str]
) -> dict[str, Any]:
    """What the page shows after files were added or removed: the question's files and
    the section's progress."""
    state = response_state(access.response, access.plan, with_evidence=True)
    items = state.evidence.get(question["key"], [])
    html = render_to_string(
        "portal/_evidence_list.html",
        {"evidence": items, "question": question, "editable": True},
    )
    progress = state.progress.section(access.plan.section_of[question["key"]]["key"])
    return {
        "status": "error" if errors and not added else "saved",
        "errors": errors,
        "added": added,
        "list_html": html,
        "count": len(items),
        "section_progress": _counts(progress),
    }


def _counts(progress: Completeness | SectionProgress) -> dict[str, int]:
    return {"answered": progress.answered, "total": progress.total}
