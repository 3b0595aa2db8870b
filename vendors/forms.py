"""Forms of the vendor portal, built at run time from a questionnaire version's questions.

A `QuestionsForm` holds some questions of one section (all of them for the section page,
one for an autosave). Per question it has the answer field (typed by the question), a
comment, the revision the page was loaded with, a fingerprint of the answer as loaded
(so a Save sends only what this vendor changed) and, where documents are asked for, a
file field. Fields never require an answer: drafts may be partial, and what is required
is checked on submit (questionnaires.completeness). Errors speak the vendor's language.

Forms validate and normalise only: the services save (questionnaires.services.answers)
and the section page draws the cards (vendors.sections).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, MutableMapping, Set
from typing import Any, ClassVar, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, LayoutObject
from crispy_forms.utils import TEMPLATE_PACK
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.forms import ModelChoiceField
from django.template import Context
from django.utils.datastructures import MultiValueDict
from django.utils.html import conditional_escape
from django_stubs_ext import StrOrPromise

from questionnaires.completeness import asks_for_explanation
from questionnaires.definition import grid_cell, grid_choices, grid_limits
from questionnaires.display import range_words
from questionnaires.evidence import ALLOWED_NAMES, human_size
from questionnaires.models import Selection
from questionnaires.selectors import open_rounds
from questionnaires.services.answers import AnswerChange, AnswerState, comparable_value

from .models import Contact, Vendor
from .portal import QuestionnairePlan, ResponseState

COMMENT = "comment"
REVISION = "revision"
LOADED = "loaded"
EVIDENCE = "evidence"
DECLARED = "declared"
COMMENT_MAX_LENGTH = 4000
# What the page posts about the answer it was drawn with (its revision and fingerprint);
# anything else did not come from one of our pages.
REVISION_MAX = 2**31 - 1
FINGERPRINT = r"\A[0-9a-f]{16}\Z"
PAGE_UNREADABLE = (
    "This answer could not be read: the page that sent it is damaged or out of date. "
    "Reload the page, check the answer and save it again."
)


def field_name(key: str, part: str | None = None) -> str:
    # Question keys never contain "-", so "key-part" cannot collide with another key.
    return key if part is None else f"{key}-{part}"


def answer_fingerprint(value: Any, comment: str) -> str:
    """A short digest of an answer, to tell what the vendor changed on this page."""
    canonical = json.dumps(
        [comparable_value(value), comment or ""], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def normalise_number(value: decimal.Decimal | int | None) -> int | float | None:
    """Store 12 as 12 and 12.5 as 12.5 (JSON has no decimals)."""
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# Fields ------------------------------------------------------------------------------------


# Numbers are read as people type them and bounded before any arithmetic: Decimal and int
# accept "1e999999" (a million-digit integer once stored), "NaN", "1_000" and digits of
# every script, and converting or comparing such values can take seconds. So the text is
# checked against a plain pattern first: ASCII digits, one optional point, no exponent.
NUMBER_MAX_TYPED = 40  # characters as typed, spaces and separators included
NUMBER_MAX_DIGITS = 15  # digits in all: a float stores every such number exactly
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII)


def number_text(raw: Any, *, percent: bool = False) -> str | None:
    """The plain text of a typed number (" 1,200 " -> "1200", "12.5 %" -> "12.5"), or
    None when empty; raise ValidationError with code "invalid", "separators" or
    "max_digits" before anything converts it."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | decimal.Decimal):
        raise forms.ValidationError("Not a number.", code="invalid")
    text = str(raw)
    if len(text) > NUMBER_MAX_TYPED:
        raise forms.ValidationError("Too many digits.", code="max_digits")
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if percent:
        text = text.removesuffix("%")
    if not text:
        return None
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.fullmatch(text):
        code = "separators" if "," in text or text.count(".") > 1 else "invalid"
        raise forms.ValidationError("Not a number.", code=code)
    if sum(ch.isdigit() for ch in text) > NUMBER_MAX_DIGITS:
        raise forms.ValidationError("Too many digits.", code="max_digits")
    return text


class _BoundedNumber:
    """What both number fields share: the typed text is checked by number_text, with
    this field's messages, before it is converted."""

    percent = False
    error_messages: dict[str, StrOrPromise]
    default_error_messages: ClassVar[dict[str, StrOrPromise]] = {
        "max_digits": f"Enter a number of at most {NUMBER_MAX_DIGITS} digits.",
        "separators": "Enter a number with a point for decimals, not a comma.",
    }

    def plain_text(self, value: Any) -> str | None:
        try:
            return number_text(value, percent=self.percent)
        except forms.ValidationError as exc:
            assert exc.code is not None  # number_text gives every error a code
            raise forms.ValidationError(self.error_messages[exc.code], code=exc.code) from None


class WholeNumberField(_BoundedNumber, forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        text = self.plain_text(value)
        if text is None:
            return None
        number = decimal.Decimal(text)
        if number != number.to_integral_value():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(number)


class NumberField(_BoundedNumber, forms.DecimalField):
    def __init__(self, *, percent: bool = False, **kwargs: Any):
        self.percent = percent
        super().__init__(**kwargs)

    # DecimalField is an IntegerField in Django, and returns a Decimal all the same.
    def to_python(self, value: Any) -> decimal.Decimal | None:  # type: ignore[override]
        text = self.plain_text(value)
        return None if text is None else decimal.Decimal(text)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def _numeric_field(question: Mapping[str, Any]) -> forms.Field:
    low, high = question["min"], question["max"]
    qtype = question["type"]
    attrs = {"inputmode": "numeric" if qtype == "integer" else "decimal", "autocomplete": "off"}
    field_class: type[forms.IntegerField]
    kwargs: dict[str, Any] = {}
    if qtype == "integer":
        noun, example = "a whole number", "for example 12"
        field_class = WholeNumberField
    elif qtype == "percentage":
        noun, example = "a percentage", "for example 12.5"
        field_class, kwargs = NumberField, {"percent": True}
    else:
        noun, example = "a number", "for example 2.5"
        field_class = NumberField
    in_range = f"Enter {noun}{range_words(low, high)}."
    separators = (
        f"Enter {noun} in digits, with commas only between thousands, {example}."
        if qtype == "integer"
        else f"Enter {noun} with a point for decimals, not a comma, {example}."
    )
    invalid = in_range if (low is not None or high is not None) else f"Enter {noun}, {example}."
    return field_class(
        min_value=low,
        max_value=high,
        widget=forms.TextInput(attrs=attrs),
        error_messages={
            "invalid": invalid,
            "min_value": in_range,
            "max_value": in_range,
            "max_digits": f"Enter {noun} of at most {NUMBER_MAX_DIGITS} digits.",
            "separators": separators,
        },
        **kwargs,
    )


def answer_field(question: Mapping[str, Any]) -> forms.Field | None:
    """The form field for a question's answer; None for a file question (files only)
    and for a derived value (worked out, never typed in); a grid has a field per cell
    (_grid_fields)."""
    qtype = question["type"]
    if qtype in ("file", "grid") or question.get("derived"):
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
        # Each choice once, in the questionnaire's order, however often it was sent.
        order = [c["key"] for c in question["choices"]]
        return sorted(set(cleaned), key=order.index)
    return cleaned


def declared_answers(question: Mapping[str, Any]) -> dict[str, str]:
    """{key: label} of the answers a numeric question takes instead of a number."""
    return {d["key"]: d["label"] for d in question.get("declared", ())}


def _declared_field(question: Mapping[str, Any]) -> forms.Field:
    choices = [("", "I give a figure"), *declared_answers(question).items()]
    return forms.ChoiceField(
        required=False,
        choices=choices,
        label="Or instead of a figure",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={"invalid_choice": "Choose one of the options listed."},
    )


def grid_part(row: str, column: str, *, limit: bool = False) -> str:
    """The field part of a grid cell ("refund-voice") or of its amount limit."""
    return f"{row}-{column}-limit" if limit else f"{row}-{column}"


def _grid_fields(question: Mapping[str, Any], value: Any) -> dict[str, forms.Field]:
    """One select per cell, and an amount box per cell where an answer takes a limit."""
    choices = [("", "Choose\u2026"), *((c["key"], c["label"]) for c in question["cells"])]
    with_limit = " ".join(c["key"] for c in question["cells"] if c["limit"])
    takes_limit = bool(with_limit)
    stored, limits = grid_choices(value), grid_limits(value)
    fields: dict[str, forms.Field] = {}
    for row in question["rows"]:
        for column in question["columns"]:
            cell = grid_cell(row["key"], column["key"])
            fields[grid_part(row["key"], column["key"])] = forms.ChoiceField(
                required=False,
                choices=choices,
                label=f"{row['label']}, {column['label']}",
                initial=stored.get(cell, ""),
                # portal.js shows the amount box only for the answers that take one.
                widget=forms.Select(
                    attrs={"class": "form-select form-select-sm", "data-takes-limit": with_limit}
                ),
                error_messages={"invalid_choice": "Choose one of the options listed."},
            )
            if takes_limit:
                limit = _numeric_field({"type": "decimal", "min": 0, "max": None})
                limit.required = False
                limit.label = f"{row['label']}, {column['label']}: up to what amount"
                limit.initial = limits.get(cell)
                limit.widget.attrs["class"] = "form-control form-control-sm"
                fields[grid_part(row["key"], column["key"], limit=True)] = limit
    return fields


def _value_for_field(question: Mapping[str, Any], value: Any) -> Any:
    """A stored value as the form field shows it (a declared answer is not a number:
    the number field is empty and the declared field shows it)."""
    if value is None or (isinstance(value, str) and value in declared_answers(question)):
        return None
    if question["type"] == "date":
        try:
            return datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return value
    return value


# The form ----------------------------------------------------------------------------------


# The context variable that draws a question's card (a callable taking the key, the
# context and the template pack; vendors.sections): the form lays its cards out, the page
# draws them, some from the cache.
CARD_DRAWER = "draw_card"


class QuestionCard(LayoutObject):
    """One question as a card: its answer, documents and comment, drawn by the page."""

    def __init__(self, key: str):
        self.key = key
        self.fields: list[str] = []

    def render(
        self,
        form: forms.BaseForm,
        context: Context,
        template_pack: str = TEMPLATE_PACK,
        **kwargs: Any,
    ) -> str:
        return context[CARD_DRAWER](self.key, context, template_pack)


class QuestionsForm(forms.Form):
    """Some questions of one section (all of them for the section page, one for an
    autosave): validates what the vendor sent and turns it into the changes to save.

    A bound form has every question's fields, to validate them. An unbound one (a page to
    draw) gets a question's fields when its card is drawn (`add_fields`): cards that come
    from the cache need none.
    """

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        files: MultiValueDict[str, UploadedFile] | None = None,
        *,
        plan: QuestionnairePlan,
        questions: Iterable[Mapping[str, Any]],
        state: ResponseState,
        editable_keys: Set[str],
    ):
        super().__init__(data, files)
        self.plan = plan
        self.questions = {q["key"]: q for q in questions}
        self.state = state
        self.editable_keys = editable_keys
        # What the posted answers show, decided in clean() from what is sent and stored.
        self.visible: Set[str] = frozenset()
        # Editable questions whose post cannot be read as an answer from one of our pages
        # (see clean()): nothing is saved for them, and the reply says so.
        self.unreadable: Set[str] = frozenset()
        if self.is_bound:
            for key in self.questions:
                self.add_fields(key)
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*(QuestionCard(key) for key in self.questions))

    def add_fields(self, key: str) -> None:
        """The fields of one question: its answer, documents, comment, and the revision
        and fingerprint of the answer as loaded. Adding them again does nothing."""
        if field_name(key, REVISION) in self.fields:
            return
        question = self.questions[key]
        answer = self.state.answer(key)
        field = answer_field(question)
        if field is not None:
            field.required = False
            field.label = question["text"]
            field.help_text = conditional_escape(question["help"])
            field.initial = _value_for_field(question, answer.value)
            self.fields[key] = field
        if question["type"] == "grid":
            for part, grid_field in _grid_fields(question, answer.value).items():
                self.fields[field_name(key, part)] = grid_field
        if question.get("declared") and not question.get("derived"):
            declared = _declared_field(question)
            declared.initial = answer.value if isinstance(answer.value, str) else ""
            self.fields[field_name(key, DECLARED)] = declared
        if takes_files(question, self.state, key):
            self.fields[field_name(key, EVIDENCE)] = _evidence_field(question)
        self.fields[field_name(key, COMMENT)] = forms.CharField(
            required=False,
            max_length=COMMENT_MAX_LENGTH,
            label=_comment_label(question),
            initial=answer.comment,
            widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            error_messages={
                "max_length": f"Keep the comment to {COMMENT_MAX_LENGTH:,} characters or fewer "
                "(it has %(show_value)s)."
            },
        )
        self.fields[field_name(key, REVISION)] = WholeNumberField(
            required=False,
            min_value=0,
            max_value=REVISION_MAX,
            initial=answer.revision,
            widget=forms.HiddenInput,
            error_messages=dict.fromkeys(
                ("invalid", "min_value", "max_value", "max_digits", "separators"), PAGE_UNREADABLE
            ),
        )
        self.fields[field_name(key, LOADED)] = forms.RegexField(
            FINGERPRINT,
            required=False,
            initial=answer_fingerprint(answer.value, answer.comment),
            widget=forms.HiddenInput,
            error_messages={"invalid": PAGE_UNREADABLE},
        )
        disabled = key not in self.editable_keys
        for name in self.names_of(key):
            self.fields[name].disabled = disabled

    def names_of(self, key: str) -> list[str]:
        """The names of a question's fields in this form, in the order of the card."""
        parts = (None, *self.grid_parts(key), DECLARED, EVIDENCE, COMMENT, REVISION, LOADED)
        return [n for n in (field_name(key, p) for p in parts) if n in self.fields]

    def grid_parts(self, key: str) -> list[str]:
        """The parts of a grid question's fields, row by row (none for other types)."""
        question = self.questions[key]
        if question["type"] != "grid":
            return []
        return [
            grid_part(row["key"], column["key"], limit=limit)
            for row in question["rows"]
            for column in question["columns"]
            for limit in (False, True)
        ]

    # Validation ------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self._take_declared(cleaned)
        self._take_grids(cleaned)
        # Every card posts the revision and fingerprint it was drawn with: a question
        # that sent neither was not on the page, one whose are broken came from no page.
        self.unreadable = frozenset(
            key
            for key in self.questions
            if key in self.editable_keys
            and self._was_on_page(key)
            and any(field_name(key, part) in self.errors for part in (REVISION, LOADED))
        )
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

    def _take_declared(self, cleaned: dict[str, Any]) -> None:
        """A declared answer ("not measured") chosen instead of a number is the answer;
        a number typed as well is refused, since the two say opposite things."""
        for key, question in self.questions.items():
            declared = cleaned.get(field_name(key, DECLARED))
            if not declared or key in self.errors:
                continue
            if cleaned.get(key) is not None:
                label = declared_answers(question)[declared]
                self.add_error(
                    key,
                    f"Enter a figure or choose \u201c{label}\u201d, not both: clear one of them.",
                )
            else:
                cleaned[key] = declared

    def _take_grids(self, cleaned: dict[str, Any]) -> None:
        """A grid's cells and limits as one answer: {"choices": ..., "limits": ...}. An
        amount is kept only where the cell's answer takes one ("acts alone")."""
        for key, question in self.questions.items():
            if question["type"] != "grid" or field_name(key, REVISION) not in self.fields:
                continue
            takes_limit = {c["key"] for c in question["cells"] if c["limit"]}
            choices, limits = {}, {}
            for row in question["rows"]:
                for column in question["columns"]:
                    cell = grid_cell(row["key"], column["key"])
                    picked = cleaned.get(field_name(key, grid_part(row["key"], column["key"])))
                    if not picked:
                        continue
                    choices[cell] = picked
                    amount = cleaned.get(
                        field_name(key, grid_part(row["key"], column["key"], limit=True))
                    )
                    if picked in takes_limit and amount is not None:
                        limits[cell] = normalise_number(amount)
            cleaned[key] = {"choices": choices, "limits": limits} if choices else None

    def posted_answer(self, key: str) -> tuple[Any, str]:
        """The (value, comment) sent for a question, as Answer.value and comment store them."""
        question = self.questions[key]
        value = _value_for_storage(question, self.cleaned_data.get(key))
        comment = self.cleaned_data.get(field_name(key, COMMENT)) or ""
        return value, comment

    def cleaned_value(self, key: str, default: Any) -> Any:
        """The value sent for a question, as stored, if the form is bound and it is valid;
        else `default`."""
        cleaned = getattr(self, "cleaned_data", None)
        if cleaned is not None and key in cleaned and key not in self.errors:
            return self.posted_answer(key)[0]
        return default

    def changes(self) -> list[AnswerChange]:
        """The answers this vendor changed on the page, valid and visible, to save."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        result = []
        for key in self.questions:
            if key not in self.editable_keys or key not in self.visible:
                continue
            if not self._was_on_page(key) or key in self.unreadable:
                continue
            if any(
                name in self.errors
                for name in self.names_of(key)
                if name not in {field_name(key, p) for p in (EVIDENCE, REVISION, LOADED)}
            ):
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

    def sent(self, key: str) -> bool:
        """Whether this post carries the question as a page draws it (its revision and
        fingerprint, readable): an answer that can be saved, or found unchanged."""
        return self._was_on_page(key) and key not in self.unreadable

    def _was_on_page(self, key: str) -> bool:
        # Every rendered question posts its revision; one that did not was not on the
        # page (a partial post), and its absent fields must not read as "cleared".
        return field_name(key, REVISION) in self.data or field_name(key, LOADED) in self.data

    def rebase(self, answer: AnswerState) -> None:
        """Post this stored answer's revision and fingerprint from now on: a page drawn
        again after a save continues from what is stored. The value sent stays in its
        field, so after a conflict, saving again means "keep mine"."""
        data = self.data
        if not isinstance(data, MutableMapping):
            raise TypeError("Bind the form to a copy of the post (request.POST.copy()).")
        data[field_name(answer.question_key, REVISION)] = answer.revision
        data[field_name(answer.question_key, LOADED)] = answer_fingerprint(
            answer.value, answer.comment
        )


def takes_files(question: Mapping[str, Any], state: ResponseState, key: str) -> bool:
    """Whether the card has an upload box: the questionnaire asks for documents, or the
    analyst asked for one while reopening the answer (services.answers.takes_documents
    decides the same on upload)."""
    return bool(question["evidence"]) or question["type"] == "file" or key in state.documents_asked


def _evidence_field(question: Mapping[str, Any]) -> forms.Field:
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


def _comment_label(question: Mapping[str, Any]) -> str:
    if question["explain"]:
        return question["explain"]["prompt"]
    if asks_for_explanation(question):
        return "Comment (some answers need one)"
    return "Comment (optional)"


# The analyst's invitation (admin) ------------------------------------------------------------


class InvitationForm(forms.Form):
    """Which contacts of a vendor to invite, into which open round."""

    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one contact to invite."},
        help_text="Each contact gets a private link of their own; they all answer one response.",
    )
    selection = forms.ModelChoiceField(
        queryset=Selection.objects.none(),
        label="Round",
        empty_label=None,
        help_text="Rounds with a published version whose due date has not passed. The vendor "
        "answers the round's version by its due date.",
    )

    def __init__(self, *args: Any, vendor: Vendor, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.vendor = vendor
        cast(ModelChoiceField, self.fields["contacts"]).queryset = vendor.contacts.order_by("name")
        cast(ModelChoiceField, self.fields["selection"]).queryset = open_rounds()
