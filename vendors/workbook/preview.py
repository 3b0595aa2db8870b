"""What applying a workbook would do, answer by answer (pure: plain data in and out).

Each change the workbook makes is based on the revision the answer had when the workbook
was written. Against the answers as stored now:
- new: nothing was answered, and the answer is still as the workbook found it;
- changed: replaces an answer still as the workbook found it;
- conflict: someone saved this answer since the workbook was written (its revision moved
  on) and to something else than the workbook says: it is left as saved;
- locked: the response is in clarification and this answer was not reopened;
- unchanged: the workbook leaves it as it was written, or says what is already stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from questionnaires.services.answers import AnswerChange, AnswerState, same_answer

NEW, CHANGED, UNCHANGED, CONFLICT, LOCKED = "new", "changed", "unchanged", "conflict", "locked"


@dataclass(frozen=True)
class PreviewItem:
    question_key: str
    status: str
    # The answer as stored now (value, comment) and as the workbook has it.
    stored: tuple[Any, str]
    workbook: tuple[Any, str]
    # A doubt about how the workbook's value was read (e.g. 0.45 read as 0.45%).
    warning: str = ""


@dataclass
class Preview:
    items: list[PreviewItem] = field(default_factory=list)

    def of(self, status: str) -> list[PreviewItem]:
        return [item for item in self.items if item.status == status]

    @property
    def to_apply(self) -> list[str]:
        return [i.question_key for i in self.items if i.status in (NEW, CHANGED)]


def classify(
    *,
    keys: Iterable[str],
    changes: Iterable[AnswerChange],
    stored: Mapping[str, AnswerState],
    editable: Set[str],
    warnings: Mapping[str, str] | None = None,
) -> Preview:
    """Sort every question the workbook carries (`keys`, in order) by what applying it
    would do; `changes` are what the workbook changed since it was written, `warnings`
    what the reading doubted about a value (shown on its row, whatever its status)."""
    warnings = warnings or {}
    by_key = {change.question_key: change for change in changes}
    preview = Preview()
    for key in keys:
        now = stored.get(key) or AnswerState(question_key=key)
        current = (now.value, now.comment)
        change = by_key.get(key)
        if change is None:
            preview.items.append(PreviewItem(key, UNCHANGED, current, current))
            continue
        proposed = (change.value, change.comment)
        if same_answer(*proposed, *current):
            status = UNCHANGED
        elif key not in editable:
            status = LOCKED
        elif now.revision != change.base_revision:
            status = CONFLICT
        elif now.value is None and not now.comment:
            status = NEW
        else:
            status = CHANGED
        preview.items.append(
            PreviewItem(key, status, current, proposed, warning=warnings.get(key, ""))
        )
    return preview
