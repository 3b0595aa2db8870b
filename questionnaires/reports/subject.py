"""What a report is about, checked before anything is queued or rendered."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Report, ReportKind, Response, Selection
from ..selectors import profiles_shared_by


class ReportNotPossible(Exception):
    """The report cannot be made from this data; the message says why and what to do."""


@dataclass(frozen=True)
class ReportSubject:
    """What a report is about: plain ids, so that a task can carry it."""

    kind: str
    profile_key: str
    selection_id: int | None = None
    response_id: int | None = None
    response_ids: tuple[int, ...] = ()

    @property
    def is_comparison(self) -> bool:
        return self.kind == ReportKind.COMPARISON


def report_subject(
    *,
    kind: str,
    selection: Selection | None = None,
    response: Response | None = None,
    profile_key: str | None = None,
) -> ReportSubject:
    """Check that a report of this kind can be made and name what it covers."""
    if kind == ReportKind.COMPARISON:
        if selection is None:
            raise ReportNotPossible("A comparison report needs a selection.")
        response_ids = tuple(selection.responses.order_by("pk").values_list("pk", flat=True))
        if not response_ids:
            raise ReportNotPossible(
                f"The selection “{selection.name}” has no responses yet: add the vendors' "
                "responses to it, then generate the report."
            )
        questionnaires = selection.responses.values("version__questionnaire_id").distinct()
        if questionnaires.count() > 1:
            raise ReportNotPossible(
                f"The selection “{selection.name}” holds responses to different "
                "questionnaires; only answers to the same questionnaire can be compared. "
                "Keep the responses to one questionnaire in the selection."
            )
        subject = ReportSubject(
            kind=kind,
            profile_key=profile_key or selection.profile_key,
            selection_id=selection.pk,
            response_ids=response_ids,
        )
    elif kind == ReportKind.ASSESSMENT:
        if response is None:
            raise ReportNotPossible("An assessment report needs a response.")
        subject = ReportSubject(
            kind=kind,
            profile_key=profile_key or response.round_profile_key,
            response_id=response.pk,
            response_ids=(response.pk,),
        )
    else:
        raise ReportNotPossible(f"Unknown report kind {kind!r}: use comparison or assessment.")
    _require_profile(subject)
    return subject


def subject_of(report: Report) -> ReportSubject:
    """The subject of a stored Report, as it is now (the selection's responses may change)."""
    return report_subject(
        kind=report.kind,
        selection=report.selection,
        response=report.response,
        profile_key=report.profile_key,
    )


def _require_profile(subject: ReportSubject) -> None:
    version_ids = Response.objects.filter(pk__in=subject.response_ids).values_list(
        "version_id", flat=True
    )
    shared = [key for key, _title in profiles_shared_by(version_ids)]
    if subject.profile_key not in shared:
        raise ReportNotPossible(
            f"Profile {subject.profile_key!r} is not defined for every questionnaire version "
            f"in this report; choose one of: {', '.join(shared)}."
        )
