"""Forms of the analyst workspace: review actions and comparison controls.

They validate and normalise only; the admin views call the services with what they
return. They render inside the Django admin, whose own styles they use.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone

from ..audit import EventLabels
from ..definition import iter_questions
from ..models import EvidenceLevel, Response
from ..scoring import TIERS
from ..services.reviews import CLARIFICATION_WORKING_DAYS, default_reply_by


class ClarificationForm(forms.Form):
    """Which questions to reopen, each with an optional note and an optional request for a
    document, a note for all of them, and the date to reply by.

    Three fields per question of the response's version, named `reopen__<key>`,
    `document__<key>` and `note__<key>`, so the page can lay them out by section. A
    derived value has none: the vendor changes it by changing the answers it comes from.
    """

    note = forms.CharField(
        label="Note to the vendor",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Sent with the request; used for every chosen question without its own note.",
    )
    reply_by = forms.DateField(
        label="Reply by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=f"The vendor is asked to answer by this day; {CLARIFICATION_WORKING_DAYS} "
        "working days from today unless you choose another.",
    )

    def __init__(self, *args: Any, response: Response, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("reply_by", default_reply_by())
        super().__init__(*args, **kwargs)
        self.response = response
        self.sections: list[
            tuple[dict, list[tuple[dict, forms.BoundField, forms.BoundField, forms.BoundField]]]
        ]
        self.sections = []
        current: (
            tuple[dict, list[tuple[dict, forms.BoundField, forms.BoundField, forms.BoundField]]]
            | None
        ) = None
        for section, question in iter_questions(response.version.definition):
            if question.get("derived"):
                continue  # worked out from other answers: reopen those instead
            key = question["key"]
            self.fields[f"reopen__{key}"] = forms.BooleanField(
                required=False, label=f"Reopen “{question['text']}”"
            )
            self.fields[f"document__{key}"] = forms.BooleanField(
                required=False, label=f"Ask for a document on “{question['text']}”"
            )
            self.fields[f"note__{key}"] = forms.CharField(
                required=False,
                max_length=2000,
                label="Note",
                # The page lays notes out in a table: name each one for screen readers.
                widget=forms.Textarea(
                    attrs={"rows": 2, "cols": 60, "aria-label": f"Note on “{question['text']}”"}
                ),
            )
            if current is None or current[0]["key"] != section["key"]:
                current = (section, [])
                self.sections.append(current)
            current[1].append(
                (question, self[f"reopen__{key}"], self[f"document__{key}"], self[f"note__{key}"])
            )

    def clean_reply_by(self) -> datetime.date:
        day = self.cleaned_data["reply_by"]
        if day is None:
            return default_reply_by()
        if day < timezone.localdate():
            raise forms.ValidationError("Choose today or a later day: this one has passed.")
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # forms.Form.clean returns cleaned_data
        chosen = self.questions()
        if not chosen:
            raise forms.ValidationError(
                "Tick at least one question to reopen: the vendor can only change the "
                "answers you reopen."
            )
        missing_note = [
            key for key, note in chosen.items() if not note and not cleaned.get("note", "").strip()
        ]
        if missing_note:
            raise forms.ValidationError(
                "Say what you need: write a note for each ticked question, or one general "
                f"note for all of them (no note for: {self._named(missing_note)})."
            )
        not_reopened = [key for key in self._ticked("document__") if key not in chosen]
        if not_reopened:
            raise forms.ValidationError(
                "A document can only be asked for on a question you reopen: also tick "
                f"Reopen for {self._named(not_reopened)}."
            )
        return cleaned

    def _named(self, keys: list[str]) -> str:
        """The questions as people read them: `Q3.1 “…”, Q3.5 “…”`, in questionnaire order."""
        labels = EventLabels.of(self.response.version.definition)
        order = {key: i for i, key in enumerate(labels.questions)}
        ordered = sorted(keys, key=lambda k: order.get(k, len(order)))
        return ", ".join(labels.question(key) for key in ordered)

    def _ticked(self, prefix: str) -> list[str]:
        data = getattr(self, "cleaned_data", {})
        return [
            name.removeprefix(prefix)
            for name, ticked in data.items()
            if name.startswith(prefix) and ticked
        ]

    def questions(self) -> dict[str, str]:
        """{question key: note} of the ticked questions."""
        data = getattr(self, "cleaned_data", {})
        return {key: data.get(f"note__{key}", "") for key in self._ticked("reopen__")}

    def documents(self) -> list[str]:
        """The keys of the questions on which a document is asked for."""
        return self._ticked("document__")


class EvidenceLevelForm(forms.Form):
    level = forms.ChoiceField(choices=EvidenceLevel.choices)


class OverrideForm(forms.Form):
    profile = forms.ChoiceField(label="Profile")
    score = forms.DecimalField(
        label="Score",
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=1,
        help_text="0 (no concern) to 100. Leave empty to override only the tier.",
    )
    tier = forms.ChoiceField(
        label="Tier",
        required=False,
        choices=[("", "Follow from the score"), *((t, t.capitalize()) for t in TIERS)],
    )
    # Required when overriding: the service (score_override) says so, naming the field.
    reason = forms.CharField(
        label="Reason for the buyer",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Printed beside the adjusted score in the buyer's reports: why the score "
        "differs from the computed one, in words the buyer can check.",
    )
    justification = forms.CharField(
        label="Internal note",
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text="For analysts only, never printed in a report: what the computed score "
        "misses, and the evidence for the change.",
    )

    def __init__(self, *args: Any, profiles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["profile"]).choices = profiles

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # forms.Form.clean returns cleaned_data
        if cleaned.get("score") is None and not cleaned.get("tier") and not self.errors:
            raise forms.ValidationError("Give an overriding score, a tier, or both.")
        return cleaned

    @property
    def score_value(self) -> float | None:
        score = self.cleaned_data.get("score")
        return None if score is None else float(score)


ORDER_CHOICES = [("", "As selected"), ("risk", "Lowest risk first")]


class ComparisonControlsForm(forms.Form):
    """The comparison page's GET controls; an invalid value falls back to its default.

    The profile is only normalised here: which profiles exist depends on the compared
    versions, which build_comparison checks (and the page then offers as a list).
    """

    profile = forms.SlugField(required=False, label="Profile")
    differences = forms.BooleanField(required=False, label="Only where vendors differ")
    flagged = forms.BooleanField(required=False, label="Only flagged questions")
    order = forms.ChoiceField(required=False, choices=ORDER_CHOICES, label="Order vendors")

    def options(self) -> dict[str, Any]:
        """Keyword arguments for build_comparison (profile_key None means the default)."""
        self.is_valid()  # cleaned_data keeps every field that is valid
        data = self.cleaned_data
        return {
            "profile_key": data.get("profile") or None,
            "differences_only": bool(data.get("differences")),
            "flagged_only": bool(data.get("flagged")),
            "order_by_risk": data.get("order") == "risk",
        }
