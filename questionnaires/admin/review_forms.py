"""Forms of the analyst workspace: review actions and comparison controls.

They validate and normalise only; the admin views call the services with what they
return. They render inside the Django admin, whose own styles they use.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from ..definition import iter_questions
from ..models import EvidenceLevel, Response
from ..scoring import TIERS


class ClarificationForm(forms.Form):
    """Which questions to reopen, each with an optional note, and a note for all of them.

    One checkbox and one note field per question of the response's version, named
    `reopen__<key>` and `note__<key>`, so the page can lay them out by section.
    """

    note = forms.CharField(
        label="Note to the vendor",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Sent with the request; used for every chosen question without its own note.",
    )

    def __init__(self, *args: Any, response: Response, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.response = response
        self.sections: list[tuple[dict, list[tuple[dict, forms.BoundField, forms.BoundField]]]]
        self.sections = []
        current = None
        for section, question in iter_questions(response.version.definition):
            key = question["key"]
            self.fields[f"reopen__{key}"] = forms.BooleanField(
                required=False, label=f"Reopen “{question['text']}”"
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
            current[1].append((question, self[f"reopen__{key}"], self[f"note__{key}"]))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
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
                f"note for all of them (no note for: {', '.join(missing_note)})."
            )
        return cleaned

    def questions(self) -> dict[str, str]:
        """{question key: note} of the ticked questions."""
        data = getattr(self, "cleaned_data", {})
        return {
            name.removeprefix("reopen__"): data.get("note__" + name.removeprefix("reopen__"), "")
            for name, ticked in data.items()
            if name.startswith("reopen__") and ticked
        }


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
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text="What the computed score misses, and the evidence for the change. "
        "It is shown next to the score in the workspace and in reports.",
    )

    def __init__(self, *args: Any, profiles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = profiles

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
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
