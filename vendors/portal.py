"""What the portal shows about one response: its answers, files and progress (reads only).

Each reader is one query whatever the size of the questionnaire, so portal pages cost
the same for 5 questions or 50.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from questionnaires.completeness import Completeness, completeness
from questionnaires.models import Answer, Evidence, Response


@dataclass
class AnswerState:
    """One stored answer, as the portal needs it (no model instance, no lazy queries)."""

    question_key: str
    value: Any = None
    comment: str = ""
    revision: int = 0
    updated_at: datetime.datetime | None = None
    updated_by: str = ""
    needs_clarification: bool = False
    clarification_note: str = ""


@dataclass(frozen=True)
class EvidenceItem:
    pk: int
    name: str
    size: int
    uploaded_at: datetime.datetime
    uploaded_by: str


@dataclass
class ResponseState:
    answers: dict[str, AnswerState]
    evidence: dict[str, list[EvidenceItem]] = field(default_factory=dict)
    progress: Completeness | None = None

    def answer(self, key: str) -> AnswerState:
        return self.answers.get(key) or AnswerState(question_key=key)

    @property
    def values(self) -> dict[str, Any]:
        return {key: a.value for key, a in self.answers.items()}

    @property
    def comments(self) -> dict[str, str]:
        return {key: a.comment for key, a in self.answers.items()}

    @property
    def last_saved(self) -> AnswerState | None:
        saved = [a for a in self.answers.values() if a.updated_at and a.revision]
        return max(saved, key=lambda a: a.updated_at, default=None)

    @property
    def clarifications(self) -> list[AnswerState]:
        return [a for a in self.answers.values() if a.needs_clarification]


ANSWER_FIELDS = (
    "question__key",
    "value",
    "comment",
    "revision",
    "updated_at",
    "updated_by",
    "needs_clarification",
    "clarification_note",
)


def answer_states(response: Response) -> dict[str, AnswerState]:
    rows = Answer.objects.filter(response=response).values_list(*ANSWER_FIELDS)
    return {row[0]: AnswerState(*row) for row in rows}


def evidence_items(response: Response) -> dict[str, list[EvidenceItem]]:
    """The response's files by question key, oldest first."""
    rows = (
        Evidence.objects.filter(answer__response=response)
        .order_by("uploaded_at", "pk")
        .values_list(
            "answer__question__key", "pk", "original_name", "size", "uploaded_at", "uploaded_by"
        )
    )
    items: dict[str, list[EvidenceItem]] = defaultdict(list)
    for key, *rest in rows:
        items[key].append(EvidenceItem(*rest))
    return dict(items)


def response_state(
    response: Response, *, with_evidence: bool = False, with_progress: bool = True
) -> ResponseState:
    """Answers and progress of a response (and its files when asked): one or two queries."""
    state = ResponseState(answers=answer_states(response))
    if with_evidence:
        state.evidence = evidence_items(response)
    if with_progress:
        state.progress = completeness(response.version.definition, state.values, state.comments)
    return state
