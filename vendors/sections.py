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

from questionnaires.completeness import (
    Completeness,
    SectionProgress,
    asks_for_explanation,
    explanation_prompt,
)
from questionnaires.display import answer_display, unit_label
from questionnaires.rounds import BuyerContext, ContextItem, Topic, buyer_context_for_vendors
from questionnaires.services.answers import AnswerState, SaveResult

from . import page_cache
from .access import PortalAccess, render_portal
from .forms import (
    CARD_DRAWER,
    COMMENT,
    DECLARED,
    EVIDENCE,
    LOADED,
    REVISION,
    QuestionsForm,
    answer_fingerprint,
    field_name,
    grid_part,
)
from .portal import ResponseState, response_state

CARD_TEMPLATE = "portal/_question.html"
ONLY_REOPENED = "Only the answers the analyst reopened can change."
NOT_ASKED = (
    "Not saved: this question is not asked given your current answers. It applies again "
    "if you change the answer it follows up on."
)


def round_context(access: PortalAccess) -> BuyerContext | None:
    """What the vendor may see of the round this response belongs to (one query the
    first time in a request: the response's round)."""
    return buyer_context_for_vendors(access.response.selection)


def beside_question(
    access: PortalAccess, context: BuyerContext | None, key: str
) -> tuple[ContextItem, ...]:
    """The parts of the buyer context shown beside question `key` (none for most)."""
    topics = access.plan.buyer_topics.get(key)
    return context.for_topics(topics) if context is not None and topics else ()


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
            "document_asked": key in state.documents_asked,
        }
        for key, question in plan.questions_by_key.items()
        if key in state.reopened
    ]


def confirmable_keys(state: ResponseState, form: QuestionsForm, visible: Set[str]) -> list[str]:
    """The carried-forward answers of a form's questions that the vendor sees and may
    confirm now, in page order."""
    return [
        key
        for key in form.questions
        if key in state.carried and key in visible and key in form.editable_keys
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
        access.token,
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
        "carried": progress.unconfirmed,
        "confirmable": len(confirmable_keys(state, form, drawer.visible)),
        "last_saved_label": saved_label(last_saved.updated_at) if last_saved else "",
        "last_saved_by": last_saved.updated_by if last_saved else "",
        "clarifications": clarification_items(access, state),
        "error_summary": error_summary(form) if form.is_bound else [],
        "conflicts": [(key, form.questions[key]["text"]) for key in conflicts],
    }


def error_summary(form: QuestionsForm) -> list[tuple[str, str, str]]:
    """(field id, question text, message) for every error, in page order."""
    return [
        (form[name].auto_id, _where(question, form[name], name == key), str(message))
        for key, question in form.questions.items()
        for name in form.names_of(key)
        for message in form.errors.get(name, [])
    ]


def _where(question: Mapping[str, Any], bound: Any, is_answer: bool) -> str:
    """The question an error is about; for a grid's cell, which cell ("Refund, Chat")."""
    if question["type"] == "grid" and not is_answer and bound.label:
        return f"{question['text']} ({bound.label})"
    return question["text"]


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
        context = round_context(access)
        self.beside = {key: beside_question(access, context, key) for key in form.questions}
        self.visible: Set[str]
        if form.is_bound:
            self.visible = form.visible
            self.cards = page_cache.CardCache()
        else:
            self.visible = state.progress.visible
            self.cards = page_cache.CardCache.of_page(
                plan,
                state,
                form.questions,
                visible=self.visible,
                editable=form.editable_keys,
                beside=self.beside,
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
        currency = next((i.text for i in self.beside[key] if i.topic == Topic.CURRENCY), None)
        unit = unit_label(question, currency)
        if key in form.fields:
            # The answer is drawn by crispy's Bootstrap 5 pack; the comment and file
            # inputs, the same on every card, by the card template (faster).
            layout = AppendedText(key, unit) if unit else None
            value_html = (
                layout.render(form, context, template_pack=template_pack)
                if layout
                else render_field(key, form, context, template_pack=template_pack)
            )
        comment = form[field_name(key, COMMENT)]
        evidence_name = field_name(key, EVIDENCE)
        evidence_field = form[evidence_name] if evidence_name in form.fields else None
        declared_name = field_name(key, DECLARED)
        declared_field = form[declared_name] if declared_name in form.fields else None
        for bound in (comment, evidence_field, declared_field):
            if bound is not None and bound.errors:
                bound.field.widget.attrs["class"] += " is-invalid"
        prompt = explanation_prompt(question, value)
        explain = prompt is not None
        conflict = self.conflicts.get(key)
        return {
            "question": question,
            "number": self.plan.numbers.get(key),
            "reopened": key in self.state.reopened,
            "clarification_note": self.state.reopened.get(key, ""),
            "document_asked": key in self.state.documents_asked,
            "carried": key in self.state.carried,
            "buyer_items": self.beside.get(key, ()),
            "visible": key in self.visible,
            "editable": key in form.editable_keys,
            "has_error": form.is_bound and any(name in form.errors for name in form.names_of(key)),
            "asks_explanation": asks_for_explanation(question),
            "explain_needed": explain,
            "explain_prompt": prompt or "",
            "comment_open": bool(explain or comment.value() or comment.errors),
            "declared_field": declared_field,
            **self.derived_context(question, currency),
            "grid": self.grid_context(question, currency),
            **(conflict_context(question, conflict) if conflict else {"conflict": None}),
            "sources": [self.sources[s] for s in question["sources"] if s in self.sources],
            "evidence": self.state.evidence.get(key, []),
            "value_html": value_html,
            "evidence_field": evidence_field,
            "comment_field": comment,
            "hidden_fields": [form[field_name(key, REVISION)], form[field_name(key, LOADED)]],
        }

    def grid_context(
        self, question: Mapping[str, Any], currency: str | None
    ) -> dict[str, Any] | None:
        """A grid's table: its columns, and per row each cell's select and amount box."""
        if question["type"] != "grid":
            return None
        form, key = self.form, question["key"]
        for name in form.names_of(key):
            if form[name].errors:
                form[name].field.widget.attrs["class"] = (
                    form[name].field.widget.attrs.get("class", "") + " is-invalid"
                )

        def bound(part: str) -> Any:
            name = field_name(key, part)
            return form[name] if name in form.fields else None

        return {
            "columns": [c["label"] for c in question["columns"]],
            "currency": currency or "in the buyer's currency",
            "rows": [
                (
                    row["label"],
                    [
                        (
                            bound(grid_part(row["key"], column["key"])),
                            bound(grid_part(row["key"], column["key"], limit=True)),
                        )
                        for column in question["columns"]
                    ],
                )
                for row in question["rows"]
            ],
        }

    def derived_context(self, question: Mapping[str, Any], currency: str | None) -> dict[str, Any]:
        """A derived value's card: the value as worked out, and from which questions."""
        derived = question.get("derived")
        if not derived:
            return {"derived": None}
        return {
            "derived": derived_display(self.state, question, currency),
            "derived_from": [self.plan.numbers.get(k, k) for k in derived["ratio"]],
        }


def derived_display(state: ResponseState, question: Mapping[str, Any], currency: str | None) -> str:
    """A derived value as the card shows it, or why it is not worked out."""
    value = state.values.get(question["key"])
    if value is not None:
        return answer_display(question, value, currency=currency)
    rule = state.plan.visibility.derived[question["key"]]
    top, bottom = state.values.get(rule.numerator), state.values.get(rule.denominator)
    ratio = rule.ratio(top, bottom)
    numbers = state.plan.numbers
    if ratio is not None and not rule.within(ratio):
        return (
            f"Not worked out: {answer_display({'type': 'decimal'}, top)} out of "
            f"{answer_display({'type': 'decimal'}, bottom)} comes to "
            f"{answer_display(question, ratio)}, which cannot be. Check your answers to "
            f"questions {numbers.get(rule.numerator)} and {numbers.get(rule.denominator)}."
        )
    return (
        f"Not worked out yet: it needs answers to questions {numbers.get(rule.numerator)} and "
        f"{numbers.get(rule.denominator)}, and the second above zero."
    )


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
    shown = _section_shown(state, access.plan.section_of[key])
    reply: dict[str, Any] = {
        "status": status,
        "question": key,
        **_answer_loaded(key, answer),
        # The section's state is spliced in around the keys of this reply alone, in the
        # order the page has always received them.
        "visible": shown.pop("visible"),
        "explain_needed": explanation_prompt(question, answer.value) is not None,
        "explain_prompt": explanation_prompt(question, answer.value) or "",
        "carried": key in state.carried,
        **shown,
    }
    if result is not None and result.status == "conflict":
        reply["theirs"] = {"value": result.value, "comment": result.comment}
        reply["conflict_html"] = render_to_string(
            "portal/_conflict.html", conflict_context(question, result)
        )
    if status == "locked":
        reply["message"] = ONLY_REOPENED
    return reply


def not_asked_reply(
    access: PortalAccess, state: ResponseState, question: dict[str, Any]
) -> dict[str, Any]:
    """What the page shows after an autosave to a question its other answers hide (a
    follow-up whose condition no longer holds): nothing was saved, and what is visible
    now, so the page can hide it. Never "saved" or "unchanged"."""
    return {
        "status": "not_asked",
        "question": question["key"],
        "message": NOT_ASKED,
        **_section_shown(state, access.plan.section_of[question["key"]]),
    }


def _answer_loaded(key: str, answer: AnswerState) -> dict[str, Any]:
    """The answer as the page now holds it: the revision and fingerprint its next save
    sends back (so a change made elsewhere meanwhile is caught), and when it was saved."""
    return {
        "revision": answer.revision,
        "loaded": answer_fingerprint(answer.value, answer.comment),
        "revision_field": field_name(key, REVISION),
        "loaded_field": field_name(key, LOADED),
        "saved_at": saved_label(answer.updated_at),
    }


def _section_shown(state: ResponseState, section: dict[str, Any]) -> dict[str, Any]:
    """What the page redraws of a section after an autosave, saved or not: which of its
    questions show, its derived values as worked out now, and the progress counts."""
    progress = state.progress
    return {
        "visible": sorted(progress.visible & {q["key"] for q in section["questions"]}),
        "derived": {
            q["key"]: derived_display(state, q, None)
            for q in section["questions"]
            if q.get("derived")
        },
        "section_progress": _counts(progress.section(section["key"])),
        "overall_progress": _counts(progress),
    }


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


def confirm_reply(
    access: PortalAccess, state: ResponseState, question: dict[str, Any], confirmed: bool
) -> dict[str, Any]:
    """What the page shows after confirming a carried-forward answer (portal.js): its new
    revision and fingerprint, and the progress, with how many of the section's answers
    are still carried forward. "unchanged" when it was no longer carried forward."""
    key = question["key"]
    answer = state.answer(key)
    section = access.plan.section_of[key]
    section_progress = state.progress.section(section["key"])
    return {
        "status": "confirmed" if confirmed else "unchanged",
        "question": key,
        **_answer_loaded(key, answer),
        "carried": key in state.carried,
        "section_carried": section_progress.unconfirmed,
        "section_progress": _counts(section_progress),
        "overall_progress": _counts(state.progress),
    }


def _counts(progress: Completeness | SectionProgress) -> dict[str, int]:
    return {"answered": progress.answered, "total": progress.total}
