"""Selection rounds: saving one, and moving its due date.

Inviting vendors into a round is vendors.services.invitation_create (it makes links).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..audit import due_date_changed_data
from ..comparison import ComparisonError, build_comparison
from ..models import EDITABLE_STATUSES, AuditEvent, Response, Selection
from ..recommendation import SignOffCheck, recommendation_basis, sign_off_check
from ..reports.summary import ranked_vendors
from ..selectors import selection_response_ids


def check_round_profile(selection: Selection) -> None:
    """The round's profile is one of its version's: never typed, always chosen."""
    if selection.version is None:
        return
    keys = [profile["key"] for profile in selection.version.definition["profiles"]]
    if selection.profile_key not in keys:
        raise ValidationError(
            {
                "profile_key": f"“{selection.profile_key}” is not a profile of "
                f"{selection.version}; choose one of: {', '.join(keys)}."
            }
        )


def check_reminder_days(days: list[int]) -> list[int]:
    """Distinct whole days between 1 and 60, largest first."""
    if any(not isinstance(day, int) or isinstance(day, bool) for day in days):
        raise ValidationError({"reminder_days": "Each reminder is a whole number of days."})
    if any(not 1 <= day <= 60 for day in days):
        raise ValidationError(
            {"reminder_days": "Reminders go out 1 to 60 days before the due date."}
        )
    return sorted(set(days), reverse=True)


@transaction.atomic
def selection_save(*, selection: Selection, user: User | None) -> Selection:
    """Save a round; whoever saves it first is recorded as its creator and an owner.

    A changed due date moves the due date of every response still open in the round
    (see round_due_date_move). A new or edited recommendation records when, by whom and
    against which vendors and scores it was written (recommendation_basis), so that the
    comparison can warn once the round moves on.
    """
    check_round_profile(selection)
    selection.reminder_days = check_reminder_days(list(selection.reminder_days or []))
    stored = (
        Selection.objects.filter(pk=selection.pk)
        .values("due_date", "recommendation", "recommended_id")
        .first()
        if selection.pk
        else None
    ) or {"due_date": None, "recommendation": "", "recommended_id": None}
    previous_due = stored["due_date"]
    created = selection.pk is None
    if created and not selection.created_by_id and user is not None:
        selection.created_by = user
    check_recommended_vendor(selection)
    text_changed = selection.recommendation.strip() != (stored["recommendation"] or "").strip()
    if text_changed:
        _note_recommendation(selection, user)
    if text_changed or selection.recommended_id != stored["recommended_id"]:
        # A sign-off vouches for one verdict: a new one has to be signed off again.
        selection.signed_off_by, selection.signed_off_at = None, None
    selection.save()
    if created and selection.created_by_id:
        selection.owners.add(selection.created_by_id)
    if previous_due and selection.due_date and selection.due_date != previous_due:
        round_due_date_move(selection=selection, due_date=selection.due_date, user=user)
    return selection


def check_recommended_vendor(selection: Selection) -> None:
    """The recommended vendor is one of the round's own responses."""
    if selection.recommended_id is None:
        return
    in_round = (
        selection.pk is not None
        and Response.objects.filter(pk=selection.recommended_id, selection=selection).exists()
    )
    if not in_round:
        raise ValidationError(
            {"recommended": "Choose the recommended vendor among this round's responses."}
        )


class SignOffNotPossible(Exception):
    """The round cannot be signed off as it stands; the message says why."""


def selection_sign_off_check(selection: Selection) -> SignOffCheck:
    """The recommended vendor as the round's comparison ranks it under the round's
    profile, with what a sign-off of it needs to explain (recommendation.sign_off_check)."""
    ids = selection_response_ids(selection) if selection.recommended_id else []
    if not ids:
        return SignOffCheck()
    try:
        comparison = build_comparison(ids, profile_key=selection.profile_key, robustness=False)
    except ComparisonError:
        return SignOffCheck(
            warnings=("The round's responses cannot be compared, so its rank is not known.",)
        )
    return sign_off_check(ranked_vendors(comparison), selection.recommended_id)


@transaction.atomic
def selection_sign_off(*, selection: Selection, user: User, explained: bool = False) -> Selection:
    """Record that `user` signs the round's verdict off for the buyer (printed on the
    report's cover). Only a recorded verdict can be signed off; a sign-off stands until
    the recommendation or the recommended vendor changes (selection_save clears it).

    When the verdict carries a warning (selection_sign_off_check), the analyst confirms
    (`explained`) that the recommendation explains it: the buyer reads only that text."""
    locked = Selection.objects.select_for_update().get(pk=selection.pk)
    if locked.recommended_id is None and not locked.recommendation.strip():
        raise SignOffNotPossible(
            f"“{locked.name}” has no recommendation yet: choose the recommended vendor or "
            "write the recommendation, save, then sign it off."
        )
    if selection_sign_off_check(locked).warnings and not explained:
        raise SignOffNotPossible(
            "Not signed off: the recommended vendor carries the warnings listed. Tick that "
            "the recommendation explains them (or edit it first), then sign off."
        )
    locked.signed_off_by, locked.signed_off_at = user, timezone.now()
    locked.save(update_fields=["signed_off_by", "signed_off_at"])
    selection.signed_off_by, selection.signed_off_at = locked.signed_off_by, locked.signed_off_at
    return locked


def person_of(user: User | None) -> str:
    """A user as the round's pages and reports name them: the full name, else the username."""
    if user is None:
        return ""
    return user.get_full_name().strip() or user.get_username()


def _note_recommendation(selection: Selection, user: User | None) -> None:
    """Record what a new or edited recommendation is written against: the round's vendors
    and their scores under its profile, as its comparison shows them now."""
    if not selection.recommendation.strip():
        selection.recommendation_basis, selection.recommendation_at = {}, None
        return
    now = timezone.now()
    selection.recommendation_at = now
    columns: Sequence[Any] = ()
    profile_key, profile_title = selection.profile_key, selection.profile_key
    ids = selection_response_ids(selection) if selection.pk else []
    if ids:
        try:
            comparison = build_comparison(ids, profile_key=selection.profile_key, robustness=False)
        except ComparisonError:
            comparison = None  # responses to several questionnaires: nothing to compare
        if comparison is not None:
            columns = comparison.vendors
            profile_key, profile_title = comparison.profile_key, comparison.profile_title
    selection.recommendation_basis = recommendation_basis(
        columns,
        profile_key=profile_key,
        profile_title=profile_title,
        written_at=now,
        written_by=person_of(user),
    )


@transaction.atomic
def round_due_date_move(*, selection: Selection, due_date: datetime.date, user: User | None) -> int:
    """Move the due date of every open response in the round; returns how many moved."""
    moved = 0
    for response in selection.responses.filter(status__in=EDITABLE_STATUSES):
        moved += response_due_date_move(response=response, due_date=due_date, user=user)
    return moved


@transaction.atomic
def response_due_date_move(
    *, response: Response, due_date: datetime.date, user: User | None
) -> bool:
    """Give one response a new due date (an extension reopens its links until the new
    date plus the grace period). Reminders are kept per due date, so those still ahead
    of the new date go out again and none whose day has passed is sent late."""
    if response.due_date == due_date:
        return False
    before = response.due_date
    response.due_date = due_date
    response.due_date_set_at = timezone.now()
    response.save(update_fields=["due_date", "due_date_set_at"])
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.DUE_DATE_CHANGED,
        actor_user=user,
        data=due_date_changed_data(before=before, after=due_date),
    )
    return True
