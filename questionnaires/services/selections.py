"""Saving a selection (a buyer's round of vendors to compare)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ..models import Selection


@transaction.atomic
def selection_save(*, selection: Selection, user: AbstractBaseUser | None) -> Selection:
    """Save the selection's own fields; whoever saves it first is recorded as its creator.

    Which responses it compares is a many-to-many set, saved with the form after this.
    """
    if selection.pk is None and not selection.created_by_id and user is not None:
        selection.created_by = user
    selection.save()
    return selection
