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
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, LayoutObject
from crispy_forms.utils import TEMPLATE_PACK
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.forms import ModelChoiceField
from django.template import Context
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.html import conditional_escape

from questionnaires.evidence import ALLOWED_NAMES, human_size
from questionnaires.models import QuestionnaireVersion, VersionStatus
from questionnaires.services.answers import AnswerChange, AnswerState

from .models import Contact, Vendor
from .portal import QuestionnairePlan, ResponseState

COMMENT = "comment"
REVISION = "revision"
LOADED = "loaded"
EVIDENCE = "evidence"
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


def _range_message(noun: str, low: float | None, high: float | None) -> str:
    fmt = lambda n: f"{n:g}"  # noqa: E731
    if low is not None and high is not None:
        return f"Enter {noun} between {fmt(low)} and {fmt(high)}."
    if low is not None:
        return f"Enter {noun} of at least {fmt(low)}."
    if high is not None:
        return f"Enter {noun} of at most {fmt(high)}."
    return f"Enter {noun}."


class _BoundedNumber:
    """What both number fields share: the typed text is checked by number_text, with
    this field's messages, before it is converted."""

    percent = False
    error_messages: dict[str, str]
    default_error_messages = {
        "max_digits": f"Enter a number of at most {NUMBER_MAX_DIGITS} digits.",
        "separators": "Enter a number with a point for decimals, not a comma.",
    }

    def plain_text(self, value: Any) -> str | None:
        try:
            return number_text(value, percent=self.percent)
        except forms.ValidationError as exc:
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
    in_range = _range_message(noun, low, high)
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
        # Each choice once, in the questionnaire's order, however often it was sent.
        order = [c["key"] for c in question["choices"]]
        return sorted(set(cleaned), key=order.index)
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
        if question["evidence"] or question["type"] == "file":
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
        parts = (None, EVIDENCE, COMMENT, REVISION, LOADED)
        return [n for n in (field_name(key, p) for p in parts) if n in self.fields]

    # Validation ------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
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
    return "Comment (optional)"


# The analyst's invitation (admin) ------------------------------------------------------------


DEFAULT_DAYS_TO_ANSWER = 21


class InvitationForm(forms.Form):
    """Which contacts of a vendor answer which published version, by when."""

    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one contact to invite."},
        help_text="Each contact gets a private link of their own; they all answer one response.",
    )
    version = forms.ModelChoiceField(
        queryset=QuestionnaireVersion.objects.none(),
        label="Questionnaire version",
        empty_label=None,
        help_text="Only published versions can be sent: vendors always answer a frozen version.",
    )
    due_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, for example 2026-03-31."},
    )

    def __init__(self, *args: Any, vendor: Vendor, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.vendor = vendor
        cast(ModelChoiceField, self.fields["contacts"]).queryset = vendor.contacts.order_by("name")
        cast(
            ModelChoiceField, self.fields["version"]
        ).queryset = QuestionnaireVersion.objects.filter(status=VersionStatus.PUBLISHED).order_by(
            "title", "-number"
        )
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
