"""Forms of the vendor portal, built at run time from a questionnaire version's questions.

A `QuestionsForm` holds some questions of one section (all of them for the section page,
one for an autosave). Per question it has the answer field (typed by the question), a
comment, the revision the page was loaded with, a fingerprint of the answer as loaded
(so a Save sends only what this vendor changed) and, where documents are asked for, a
file field. Fields never require an answer: drafts may be partial, and what is required
is checked on submit (questionnaires.completeness). Errors speak the vendor's language.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Set
from typing import Any

from crispy_forms.bootstrap import AppendedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, LayoutObject
from crispy_forms.utils import TEMPLATE_PACK, render_field
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import conditional_escape

from questionnaires.completeness import needs_explanation
from questionnaires.display import answer_display
from questionnaires.evidence import ALLOWED_NAMES, human_size
from questionnaires.models import QuestionnaireVersion, VersionStatus
from questionnaires.services.answers import AnswerChange, SaveResult

from . import page_cache
from .portal import QuestionnairePlan, ResponseState

COMMENT = "comment"
REVISION = "revision"
LOADED = "loaded"
EVIDENCE = "evidence"
COMMENT_MAX_LENGTH = 4000


def field_name(key: str, part: str | None = None) -> str:
    # Question keys never contain "-", so "key-part" cannot collide with another key.
    return key if part is None else f"{key}-{part}"


def answer_fingerprint(value: Any, comment: str) -> str:
    """A short digest of an answer, to tell what the vendor changed on this page."""
    canonical = json.dumps([value, comment or ""], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def normalise_number(value: decimal.Decimal | int | None) -> int | float | None:
    """Store 12 as 12 and 12.5 as 12.5 (JSON has no decimals)."""
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# Fields ------------------------------------------------------------------------------------


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _clean_number_text(raw: Any, *, percent: bool) -> Any:
    """Accept what people type: " 1,200 ", "12.5 %"."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if percent:
        text = text.removesuffix("%")
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    return text


def _range_message(noun: str, low: float | None, high: float | None) -> str:
    fmt = lambda n: f"{n:g}"  # noqa: E731
    if low is not None and high is not None:
        return f"Enter {noun} between {fmt(low)} and {fmt(high)}."
    if low is not None:
        return f"Enter {noun} of at least {fmt(low)}."
    if high is not None:
        return f"Enter {noun} of at most {fmt(high)}."
    return f"Enter {noun}."


class WholeNumberField(forms.IntegerField):
    def to_python(self, value):
        return super().to_python(_clean_number_text(value, percent=False))


class NumberField(forms.DecimalField):
    def __init__(self, *, percent: bool = False, **kwargs):
        self.percent = percent
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(_clean_number_text(value, percent=self.percent))

    def validate(self, value):
        super().validate(value)
        # Decimal accepts "NaN" and "Infinity"; nobody means them here.
        if value is not None and not value.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def _numeric_field(question: Mapping[str, Any]) -> forms.Field:
    low, high = question["min"], question["max"]
    qtype = question["type"]
    attrs = {"inputmode": "numeric" if qtype == "integer" else "decimal", "autocomplete": "off"}
    if qtype == "integer":
        noun, example = "a whole number", "for example 12"
        field_class, kwargs = WholeNumberField, {}
    elif qtype == "percentage":
        noun, example = "a percentage", "for example 12.5"
        field_class, kwargs = NumberField, {"percent": True}
    else:
        noun, example = "a number", "for example 2.5"
        field_class, kwargs = NumberField, {}
    in_range = _range_message(noun, low, high)
    invalid = in_range if (low is not None or high is not None) else f"Enter {noun}, {example}."
    return field_class(
        min_value=low,
        max_value=high,
        widget=forms.TextInput(attrs=attrs),
        error_messages={
            "invalid": invalid,
            "min_value": in_range,
            "max_value": in_range,
            "max_digits": f"Enter {noun} with fewer digits.",
        },
        **kwargs,
    )


def answer_field(question: Mapping[str, Any]) -> forms.Field | None:
    """The form field for a question's answer; None for a file question (files only)."""
    qtype = question["type"]
    if qtype == "file":
        return None
    if qtype == "yes_no":
        return forms.ChoiceField(
            choices=[("yes", "Yes"), ("no", "No")],
            widget=forms.RadioSelect,
            error_messages={"invalid_choice": "Choose yes or no."},
        )
    if qtype == "single_choice":
        return forms.ChoiceField(
            choices=[(c["key"], c["label"]) for c in question["choices"]],
            widget=forms.RadioSelect,
            error_messages={"invalid_choice": "Choose one of the options listed."},
        )
    if qtype == "multiple_choice":
        return forms.MultipleChoiceField(
            choices=[(c["key"], c["label"]) for c in question["choices"]],
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": "Choose only options from the list."},
        )
    if qtype in ("integer", "decimal", "percentage"):
        return _numeric_field(question)
    if qtype == "date":
        return forms.DateField(
            input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"],
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"invalid": "Enter a date as YYYY-MM-DD, for example 2026-03-31."},
        )
    length = question["max_length"] or 2000
    return forms.CharField(
        max_length=length,
        widget=forms.Textarea(attrs={"rows": 3 if length > 300 else 2}),
        error_messages={
            "max_length": (
                f"Keep this answer to {length:,} characters or fewer (it has %(show_value)s)."
            )
        },
    )


def _value_for_storage(question: Mapping[str, Any], cleaned: Any) -> Any:
    """A cleaned field value as stored in Answer.value (JSON); None when empty."""
    if cleaned in (None, "", []):
        return None
    qtype = question["type"]
    if qtype in ("integer", "decimal", "percentage"):
        return normalise_number(cleaned)
    if qtype == "date":
        return cleaned.isoformat()
    if qtype == "multiple_choice":
        order = [c["key"] for c in question["choices"]]
        return sorted(cleaned, key=order.index)
    return cleaned


def _value_for_field(question: Mapping[str, Any], value: Any) -> Any:
    """A stored value as the form field shows it."""
    if value is None:
        return None
    if question["type"] == "date":
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return value
    return value


# The form ----------------------------------------------------------------------------------


CARD_TEMPLATE = "portal/_question.html"


class QuestionCard(LayoutObject):
    """One question as a card: its answer, documents and comment, with all the states
    (hidden by a condition, read-only, needs an explanation, in conflict)."""

    def __init__(self, key: str):
        self.key = key
        self.fields = []

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs):
        return form.render_card(self.key, context, template_pack)


class QuestionsForm(forms.Form):
    def __init__(
        self,
        data=None,
        files=None,
        *,
        plan: QuestionnairePlan,
        questions: Iterable[Mapping[str, Any]],
        state: ResponseState,
        editable_keys: set[str],
        numbers: Mapping[str, str] | None = None,
    ):
        super().__init__(data, files)
        self.plan = plan
        self.questions = {q["key"]: q for q in questions}
        self.state = state
        self.editable_keys = editable_keys
        self.numbers = numbers or {}
        self.conflicts: dict[str, SaveResult] = {}
        self.sources = {s["key"]: s for s in plan.definition.get("sources", [])}
        # What is shown: decided in clean() for a post (from what it sends), else from the
        # stored answers (already known when the state carries its progress).
        if self.is_bound:
            self.visible: Set[str] = frozenset()
        elif state.progress is not None:
            self.visible = state.progress.visible
        else:
            self.visible = plan.visible(state.values)
        # A page as stored (not a re-rendered post) takes each card from the cache while
        # nothing it shows has changed; only the other cards need their fields.
        self._card_keys = (
            {} if self.is_bound else {k: self._card_cache_key(k) for k in self.questions}
        )
        self._cached_cards = (
            cache.get_many(list(self._card_keys.values())) if self._card_keys else {}
        )
        for key, question in self.questions.items():
            if self._card_keys.get(key) not in self._cached_cards:
                self._add_fields(question)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*(QuestionCard(key) for key in self.questions))

    def _add_fields(self, question: Mapping[str, Any]) -> None:
        key = question["key"]
        answer = self.state.answer(key)
        disabled = key not in self.editable_keys
        field = answer_field(question)
        if field is not None:
            field.required = False
            field.label = question["text"]
            field.help_text = conditional_escape(question["help"])
            field.initial = _value_for_field(question, answer.value)
            self.fields[key] = field
        if question["evidence"] or question["type"] == "file":
            self.fields[field_name(key, EVIDENCE)] = self._evidence_field(question)
        self.fields[field_name(key, COMMENT)] = forms.CharField(
            required=False,
            max_length=COMMENT_MAX_LENGTH,
            label=self._comment_label(question),
            initial=answer.comment,
            widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            error_messages={
                "max_length": f"Keep the comment to {COMMENT_MAX_LENGTH:,} characters or fewer "
                "(it has %(show_value)s)."
            },
        )
        self.fields[field_name(key, REVISION)] = forms.IntegerField(
            required=False, min_value=0, initial=answer.revision, widget=forms.HiddenInput
        )
        self.fields[field_name(key, LOADED)] = forms.CharField(
            required=False,
            initial=answer_fingerprint(answer.value, answer.comment),
            widget=forms.HiddenInput,
        )
        for name in self.names_of(key):
            self.fields[name].disabled = disabled

    def _evidence_field(self, question: Mapping[str, Any]) -> forms.Field:
        limit = human_size(settings.EVIDENCE_MAX_BYTES)
        accepted = f"{ALLOWED_NAMES}; up to {limit} each."
        is_file_question = question["type"] == "file"
        help_text = (
            f"{conditional_escape(question['help'])} {accepted}".strip()
            if is_file_question
            else accepted
        )
        return MultipleFileField(
            required=False,
            label=question["text"] if is_file_question else "Supporting documents",
            help_text=help_text,
            widget=MultipleFileInput(attrs={"class": "form-control"}),
        )

    @staticmethod
    def _comment_label(question: Mapping[str, Any]) -> str:
        if question["explain"]:
            return question["explain"]["prompt"]
        return "Comment (optional)"

    def names_of(self, key: str) -> list[str]:
        parts = (None, EVIDENCE, COMMENT, REVISION, LOADED)
        return [n for n in (field_name(key, p) for p in parts) if n in self.fields]

    # Validation ------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        # The server decides what is shown, from what was stored and what is sent now.
        values = dict(self.state.values)
        for key, question in self.questions.items():
            if (
                key in self.fields
                and key not in self.errors
                and key in self.editable_keys
                and self._was_on_page(key)
            ):
                values[key] = _value_for_storage(question, cleaned.get(key))
        self.visible = self.plan.visible(values)
        for key in self.questions:
            if key not in self.visible:
                for name in self.names_of(key):
                    self.errors.pop(name, None)
        return cleaned

    def posted_answer(self, key: str) -> tuple[Any, str]:
        question = self.questions[key]
        value = _value_for_storage(question, self.cleaned_data.get(key))
        comment = self.cleaned_data.get(field_name(key, COMMENT)) or ""
        return value, comment

    def changes(self) -> list[AnswerChange]:
        """The answers this vendor changed on the page, valid and visible, to save."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        result = []
        for key in self.questions:
            if key not in self.editable_keys or key not in self.visible:
                continue
            if not self._was_on_page(key):
                continue
            if any(name in self.errors for name in (key, field_name(key, COMMENT))):
                continue
            value, comment = self.posted_answer(key)
            if answer_fingerprint(value, comment) == self.cleaned_data.get(field_name(key, LOADED)):
                continue
            revision = self.cleaned_data.get(field_name(key, REVISION)) or 0
            stored = self.state.answers.get(key)
            base = (
                (stored.value, stored.comment) if stored and stored.revision == revision else None
            )
            result.append(AnswerChange(key, value, comment, revision, base))
        return result

    def _was_on_page(self, key: str) -> bool:
        # Every rendered question posts its revision; one that did not was not on the
        # page (a partial post), and its absent fields must not read as "cleared".
        return field_name(key, REVISION) in self.data or field_name(key, LOADED) in self.data

    def note_saved(self, key: str, result: SaveResult) -> None:
        """After a save, the page continues from the stored revision (a re-render posts it)."""
        self.data[field_name(key, REVISION)] = result.revision
        if result.status == "conflict":
            # The vendor's value stays in the field; saving again means "keep mine".
            self.conflicts[key] = result
        self.data[field_name(key, LOADED)] = answer_fingerprint(result.value, result.comment)

    def current_value(self, key: str) -> Any:
        """The answer as the page shows it: what was sent if valid, else what is stored."""
        cleaned = getattr(self, "cleaned_data", None)
        if cleaned is not None and key in cleaned and key not in self.errors:
            return self.posted_answer(key)[0]
        return self.state.answer(key).value

    # Rendering -------------------------------------------------------------------------

    def render_card(self, key: str, context, template_pack: str) -> str:
        """A question's card; a page as stored (not a re-rendered post) comes from the
        cache when nothing the card shows has changed."""
        cache_key = self._card_keys.get(key)
        if cache_key in self._cached_cards:
            return self._cached_cards[cache_key]
        html = render_to_string(CARD_TEMPLATE, self.card_context(key, context, template_pack))
        if cache_key is not None:
            cache.set(cache_key, html, page_cache.CACHE_SECONDS)
        return html

    def _card_cache_key(self, key: str) -> str:
        """Everything a card shows, digested."""
        answer = self.state.answer(key)
        shown = [
            self.plan.question_digests[key],
            self.numbers.get(key),
            [answer.value, answer.comment, answer.revision],
            self.state.reopened.get(key),
            [
                (e.pk, e.name, e.size, e.uploaded_at.isoformat())
                for e in self.state.evidence.get(key, [])
            ],
            key in self.visible,
            key in self.editable_keys,
        ]
        return page_cache.cache_key("card", shown)

    def card_context(self, key: str, context, template_pack: str) -> dict:
        question = self.questions[key]
        value = self.current_value(key)
        value_html = ""
        if key in self.fields:
            # The answer is drawn by crispy's Bootstrap 5 pack; the comment and file
            # inputs, the same on every card, by the card template (faster).
            layout = AppendedText(key, "%") if question["type"] == "percentage" else None
            value_html = (
                layout.render(self, context, template_pack=template_pack)
                if layout
                else render_field(key, self, context, template_pack=template_pack)
            )
        comment = self[field_name(key, COMMENT)]
        evidence_name = field_name(key, EVIDENCE)
        explain = needs_explanation(question, value)
        conflict = self.conflicts.get(key)
        for bound in (comment, self[evidence_name] if evidence_name in self.fields else None):
            if bound is not None and bound.errors:
                bound.field.widget.attrs["class"] += " is-invalid"
        return {
            "question": question,
            "number": self.numbers.get(key),
            "reopened": key in self.state.reopened,
            "clarification_note": self.state.reopened.get(key, ""),
            "visible": key in self.visible,
            "editable": key in self.editable_keys,
            "explain_needed": explain,
            "comment_open": bool(explain or comment.value() or comment.errors),
            "conflict": conflict,
            "theirs_display": answer_display(question, conflict.value) if conflict else "",
            "yours_display": answer_display(question, conflict.yours_value) if conflict else "",
            "sources": [self.sources[s] for s in question["sources"] if s in self.sources],
            "evidence": self.state.evidence.get(key, []),
            "value_html": value_html,
            "evidence_field": self[evidence_name] if evidence_name in self.fields else None,
            "comment_field": comment,
            "hidden_fields": [self[field_name(key, REVISION)], self[field_name(key, LOADED)]],
        }

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(field id, question text, message) for every error, in page order."""
        items = []
        for key, question in self.questions.items():
            for name in self.names_of(key):
                for message in self.errors.get(name, []):
                    items.append((self[name].auto_id, question["text"], message))
        return items


# The analyst's invitation (admin) ------------------------------------------------------------


DEFAULT_DAYS_TO_ANSWER = 21


class InvitationForm(forms.Form):
    """Which contacts of a vendor answer which published version, by when."""

    contacts = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one contact to invite."},
        help_text="Each contact gets a private link of their own; they all answer one response.",
    )
    version = forms.ModelChoiceField(
        queryset=None,
        label="Questionnaire version",
        empty_label=None,
        help_text="Only published versions can be sent: vendors always answer a frozen version.",
    )
    due_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, for example 2026-03-31."},
    )

    def __init__(self, *args, vendor, **kwargs):
        super().__init__(*args, **kwargs)
        self.vendor = vendor
        self.fields["contacts"].queryset = vendor.contacts.order_by("name")
        self.fields["version"].queryset = QuestionnaireVersion.objects.filter(
            status=VersionStatus.PUBLISHED
        ).order_by("title", "-number")
        self.fields["due_date"].initial = timezone.localdate() + datetime.timedelta(
            days=DEFAULT_DAYS_TO_ANSWER
        )
        grace = settings.PORTAL_LINK_GRACE_DAYS
        self.fields[
            "due_date"
        ].help_text = f"Links keep working {grace} day{'s' if grace != 1 else ''} after this date."

    def clean_due_date(self) -> datetime.date:
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError("The due date is in the past; choose today or later.")
        return due
