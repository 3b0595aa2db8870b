"""Re-assessment without retyping: a new response starts from the vendor's latest answers.

The source is the vendor's most recent other response to the same questionnaire (any
round, any version) that has answers. An answer is copied when the new version asks a
question with the same key and type and the value still fits it (choices it still
offers, a declared answer such as "not measured" it still declares; a derived value is
never copied, it is worked out afresh; an amount of money is not copied into a round in
another currency, and a grid then loses its limits); its files are copied as records
pointing at the same stored files, with the level reset to "document attached", since
an analyst has not verified them for this round. Each copied answer stays marked
`carried_forward` until the vendor confirms or changes it, and counts as unanswered at
submit meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ..audit import answers_carried_forward_data
from ..definition import NUMERIC_TYPES, iter_questions
from ..models import Answer, AuditEvent, Evidence, EvidenceLevel, Question, QuestionType, Response
from ..rounds import round_currency

CARRIED_BY = "Carried forward"


def carry_forward_source(response: Response) -> Response | None:
    """The vendor's latest other response to the same questionnaire that has answers."""
    return (
        Response.objects.filter(
            vendor_id=response.vendor_id,
            version__questionnaire_id=response.version.questionnaire_id,
            answers__isnull=False,
        )
        .exclude(pk=response.pk)
        .select_related("selection")
        .order_by("-created_at", "-pk")
        .distinct()
        .first()
    )


@transaction.atomic
def carry_forward(*, response: Response) -> int:
    """Copy the source's answers into a response that has none; returns how many."""
    source = carry_forward_source(response)
    if source is None or response.answers.exists():
        return 0
    questions = {
        q.key: q
        for q in Question.objects.filter(version_id=response.version_id).prefetch_related("choices")
    }
    old_answers = list(
        source.answers.select_related("question").prefetch_related("evidence").order_by("pk")
    )
    specs = {q["key"]: q for _, q in iter_questions(response.version.definition)}
    same_currency = round_currency(source.selection) == round_currency(response.selection)
    copies: list[tuple[Answer, Answer]] = []
    for old in old_answers:
        question = questions.get(old.question.key)
        if question is None or question.type != old.question.type:
            continue
        spec = specs[question.key]
        value = old.value if same_currency else _without_money(spec, old.value)
        if not _fits(question, spec, value):
            continue
        files = list(old.evidence.all())
        copies.append(
            (
                old,
                Answer(
                    response=response,
                    question=question,
                    value=value,
                    comment=old.comment,
                    evidence_level=EvidenceLevel.DOCUMENT if files else EvidenceLevel.SELF_ATTESTED,
                    revision=1,
                    carried_forward=True,
                    updated_by=CARRIED_BY,
                ),
            )
        )
    Answer.objects.bulk_create([new for _, new in copies])
    Evidence.objects.bulk_create(
        [
            Evidence(
                answer=new,
                file=item.file.name,
                original_name=item.original_name,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
                uploaded_by=item.uploaded_by,
            )
            for old, new in copies
            for item in old.evidence.all()
        ]
    )
    if copies:
        response.carried_from = source
        response.save(update_fields=["carried_from"])
        AuditEvent.objects.create(
            response=response,
            kind=AuditEvent.Kind.ANSWERS_CARRIED_FORWARD,
            actor_label=CARRIED_BY,
            data=answers_carried_forward_data(
                from_response=source.pk,
                from_round=source.selection.name if source.selection else "an earlier response",
                questions=[new.question.key for _, new in copies],
            ),
        )
    return len(copies)


def _without_money(spec: Mapping[str, Any], value: Any) -> Any:
    """An answer as it may move into a round in another currency: never an amount, since
    500 EUR is not 500 USD. A grid keeps its cells and loses its limits."""
    if spec.get("unit") == "currency":
        return None
    if spec["type"] == "grid" and isinstance(value, dict) and value.get("limits"):
        return {**value, "limits": {}}
    return value


def _fits(question: Question, spec: Mapping[str, Any], value: Any) -> bool:
    """Whether a stored value is still a possible answer to `question` (its definition
    `spec`): a derived value is worked out afresh, never carried."""
    if value in (None, "", []) or spec.get("derived"):
        return False
    if isinstance(value, str) and question.type in NUMERIC_TYPES:
        return value in {d["key"] for d in spec.get("declared", ())}
    choices = {choice.key for choice in question.choices.all()}
    if question.type == QuestionType.SINGLE_CHOICE:
        return value in choices
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return isinstance(value, list) and set(value) <= choices
    return True
