"""Whether a ready report still shows what its subject holds now, and if not, what changed.

A report keeps the snapshot it was rendered from (Report.inputs). Its subject now is
read again (the round's responses as they are now, the same profile), snapshotted
with the same code (inputs.report_inputs_many, constant queries for any number of
reports) and compared: `stale` when the data it shows changed (changes.snapshot_changes
says what), `rerender` when rendering it again would give another PDF (the data, or
the report templates or the scoring engine, changed). A report made before snapshots
were kept can only say `rerender`, from its fingerprint.

selectors.reports_with_change_signal picks, in one query, the reports that something
was recorded against since they were rendered; only those need the comparison here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..models import Report, ReportKind, ReportStatus
from ..selectors import report_snapshots, round_response_ids
from .changes import ReportChanges, snapshot_changes
from .inputs import inputs_hash, report_inputs_many, snapshot_as_stored, template_digest
from .subject import ReportSubject


@dataclass(frozen=True)
class Staleness:
    report_id: int
    stale: bool  # the data the report shows changed since it was rendered
    rerender: bool  # rendering it again would give another PDF
    changes: ReportChanges | None  # None: the report kept no snapshot to compare
    current: dict[str, Any]  # its subject's snapshot now, as Report.inputs keeps one
    kept: dict[str, Any] | None  # the snapshot it was rendered from


def current_subject(report: Report, rounds: Mapping[int, list[int]]) -> ReportSubject:
    """The report's subject as it is now; `rounds` holds each round's response ids."""
    if report.kind == ReportKind.COMPARISON:
        return ReportSubject(
            kind=report.kind,
            profile_key=report.profile_key,
            selection_id=report.selection_id,
            response_ids=tuple(rounds.get(report.selection_id or 0, [])),
        )
    return ReportSubject(
        kind=report.kind,
        profile_key=report.profile_key,
        response_id=report.response_id,
        response_ids=(report.response_id,) if report.response_id else (),
    )


def reports_staleness(
    reports: Sequence[Report], *, snapshots: Mapping[int, Any] | None = None
) -> dict[int, Staleness]:
    """The staleness of each ready report among `reports`, by id (constant queries).

    `snapshots` holds the kept snapshots by report id when the reports were read
    without them (a list defers the field); otherwise they are read in one query.
    """
    ready = [r for r in reports if r.status == ReportStatus.READY]
    if not ready:
        return {}
    if snapshots is None:
        snapshots = report_snapshots(r.pk for r in ready)
    rounds = round_response_ids(
        {r.selection_id for r in ready if r.kind == ReportKind.COMPARISON and r.selection_id}
    )
    subjects = [current_subject(r, rounds) for r in ready]
    templates = template_digest()
    found = {}
    for report, subject, snapshot in zip(
        ready, subjects, report_inputs_many(subjects), strict=True
    ):
        current = snapshot_as_stored(snapshot)
        rerender = inputs_hash(subject, snapshot, templates=templates) != report.inputs_hash
        kept = snapshots.get(report.pk)
        changes = snapshot_changes(kept, current) if kept is not None else None
        found[report.pk] = Staleness(
            report_id=report.pk,
            stale=bool(changes) if changes is not None else rerender,
            rerender=rerender,
            changes=changes,
            current=current,
            kept=kept,
        )
    return found


def stale_report_ids(candidates: Iterable[Report]) -> set[int]:
    """The ids of the reports among `candidates` whose data changed since."""
    return {pk for pk, found in reports_staleness(list(candidates)).items() if found.stale}
