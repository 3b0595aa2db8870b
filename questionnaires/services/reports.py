"""Requesting, claiming, storing and failing PDF reports (the Report model's life cycle).

queued -> rendering -> ready | failed. A request reuses a ready report whose inputs
fingerprint is unchanged, or one already on its way; otherwise it creates a queued
report and records its rendering in the outbox, in the same transaction. The task claims
the report with a conditional UPDATE, so two deliveries of the same message render it
once, and a claim older than the hard time limit (its worker was killed) is taken over.
`reports_recover` (Celery beat) finds reports left rendering past that limit and queues
them again, or fails them with the reason once they have used their attempts. The PDF is
published only complete (`report_store`), so a render cut short leaves nothing to serve.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cxvet.outbox.services import outbox_cancel, outbox_enqueue, outbox_requeue

from ..audit import report_generated_data
from ..models import AuditEvent, Report, ReportKind, ReportStatus, Response, Selection
from ..reports import RENDER_HARD_TIME_LIMIT, current_inputs_hash, report_subject

if TYPE_CHECKING:
    from cxvet.outbox.tasks import OutboxTask

MAX_ERROR_LENGTH = 2000
# Renders started (claims) before a report whose renders keep dying is failed.
MAX_RENDER_ATTEMPTS = 4


def _stale_before(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(seconds=RENDER_HARD_TIME_LIMIT)


def report_request(
    *,
    kind: str,
    selection: Selection | None = None,
    response: Response | None = None,
    profile_key: str | None = None,
    user: User | None = None,
) -> Report:
    """The report for these inputs: a ready one if unchanged, else one queued for rendering.

    Raises reports.ReportNotPossible (with what to do) when the data cannot make a report.
    """
    report = _request_in_transaction(kind, selection, response, profile_key, user)
    # Without a broker the task ran when the transaction committed: report what is true now.
    report.refresh_from_db()
    return report


def _request_in_transaction(
    kind: str,
    selection: Selection | None,
    response: Response | None,
    profile_key: str | None,
    user: User | None,
) -> Report:
    with transaction.atomic():
        _lock_subject(selection, response)
        subject = report_subject(
            kind=kind, selection=selection, response=response, profile_key=profile_key
        )
        digest = current_inputs_hash(subject)
        same = Report.objects.filter(
            kind=kind,
            selection=selection if kind == ReportKind.COMPARISON else None,
            response=response if kind == ReportKind.ASSESSMENT else None,
            profile_key=subject.profile_key,
            inputs_hash=digest,
        ).exclude(status=ReportStatus.FAILED)
        now = timezone.now()
        for existing in same.order_by("-created_at"):
            if existing.status == ReportStatus.READY:
                if existing.file and existing.file.storage.exists(existing.file.name):
                    return existing
                continue
            if _is_stale(existing, now):
                # Its message was lost or its worker died: send it again; the claim
                # makes a duplicate delivery harmless.
                _render_again(existing, "Requested again while it seemed stuck.")
            return existing
        report = Report.objects.create(
            kind=kind,
            selection=selection if kind == ReportKind.COMPARISON else None,
            response=response if kind == ReportKind.ASSESSMENT else None,
            profile_key=subject.profile_key,
            status=ReportStatus.QUEUED,
            inputs_hash=digest,
            requested_by=user if getattr(user, "pk", None) else None,
        )
        outbox_enqueue(task=_render_task(), kwargs={"report_id": report.pk}, subject=report)
        return report


def _lock_subject(selection: Selection | None, response: Response | None) -> None:
    # Two analysts pressing the button at once get one report, not two (PostgreSQL).
    if selection is not None:
        Selection.objects.select_for_update().filter(pk=selection.pk).first()
    if response is not None:
        Response.objects.select_for_update().filter(pk=response.pk).first()


def _is_stale(report: Report, now: datetime.datetime) -> bool:
    since = report.claimed_at if report.status == ReportStatus.RENDERING else report.created_at
    return since is not None and since < _stale_before(now)


def _render_task() -> OutboxTask:
    from ..tasks.reports import report_render  # the task module imports this one

    return report_render


def _render_again(report: Report, reason: str) -> None:
    outbox_requeue(
        task=_render_task(), kwargs={"report_id": report.pk}, subject=report, reason=reason
    )


def report_claim(*, report_id: int, take_over: bool = False) -> Report | None:
    """Take the report for rendering, or None when it is not ours to render.

    Queued reports are claimed; a report in rendering is claimed only when its claim is
    older than the hard time limit, or with `take_over` (the caller knows that the run
    holding the claim is dead). Ready and failed reports are left alone, so a re-run of
    the task does nothing.
    """
    now = timezone.now()
    rendering = Q(status=ReportStatus.RENDERING)
    if not take_over:
        rendering &= Q(claimed_at__lt=_stale_before(now))
    claimable = Q(status=ReportStatus.QUEUED) | rendering
    claimed = Report.objects.filter(claimable, pk=report_id).update(
        status=ReportStatus.RENDERING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return Report.objects.select_related("selection", "response__version").get(pk=report_id)


def report_store(
    *, report: Report, pdf: bytes, inputs_hash: str, inputs: dict[str, Any] | None = None
) -> bool:
    """Save the PDF, then publish it and mark the report ready in one UPDATE.

    The file gets a fresh name nobody points at while it is being written; only the
    UPDATE that sets the name also sets READY, so a download never meets a half-written
    file. `inputs` is the snapshot it was rendered from (kept so that the report can
    later say what changed since); each response it covers records REPORT_GENERATED
    in the same transaction. If the claim was taken over meanwhile the file is removed
    again and False is returned: the newer claim's file wins.
    """
    name = default_storage.save(_file_name(report, inputs_hash), ContentFile(pdf))
    try:
        with transaction.atomic():
            published = Report.objects.filter(
                pk=report.pk, status=ReportStatus.RENDERING, claimed_at=report.claimed_at
            ).update(
                status=ReportStatus.READY,
                file=name,
                inputs_hash=inputs_hash,
                inputs=inputs,
                error="",
                finished_at=timezone.now(),
            )
            if published:
                _record_generated(report, inputs)
    except Exception:
        default_storage.delete(name)
        raise
    if not published:
        default_storage.delete(name)
    return bool(published)


def _record_generated(report: Report, inputs: dict[str, Any] | None) -> None:
    if inputs is not None:
        response_ids = [row["pk"] for row in inputs.get("responses", [])]
    elif report.response_id is not None:
        response_ids = [report.response_id]
    else:
        response_ids = list(
            Response.objects.filter(selection=report.selection).values_list("pk", flat=True)
        )
    data = report_generated_data(
        report_id=report.pk, kind=report.kind, profile_key=report.profile_key
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            response_id=response_id,
            kind=AuditEvent.Kind.REPORT_GENERATED,
            actor_user_id=report.requested_by_id,
            actor_label="" if report.requested_by_id else "CX Vet",
            data=data,
        )
        for response_id in response_ids
    )


def _file_name(report: Report, inputs_hash: str) -> str:
    subject = report.selection_id or report.response_id
    return f"reports/{report.kind}-{subject}-{inputs_hash[:12]}-{uuid.uuid4().hex[:8]}.pdf"


def report_fail(*, report: Report, reason: str) -> bool:
    """Record why rendering failed, if the report is still ours (our claim, not ready).

    A run whose claim was taken over leaves the report to the newer claim.
    """
    return bool(
        Report.objects.filter(
            pk=report.pk, status=ReportStatus.RENDERING, claimed_at=report.claimed_at
        ).update(
            status=ReportStatus.FAILED,
            error=reason[:MAX_ERROR_LENGTH],
            finished_at=timezone.now(),
        )
    )


def report_fail_unfinished(*, report_id: int, reason: str) -> bool:
    """Fail a report that is not finished, whoever holds it: its rendering was given up."""
    return bool(
        Report.objects.filter(
            pk=report_id, status__in=(ReportStatus.QUEUED, ReportStatus.RENDERING)
        ).update(
            status=ReportStatus.FAILED,
            error=reason[:MAX_ERROR_LENGTH],
            finished_at=timezone.now(),
        )
    )


def reports_recover(*, now: datetime.datetime | None = None) -> int:
    """Reports left rendering past the hard time limit: their worker died mid-render.

    Each is queued again (its outbox message dispatched anew), or, once it has used
    MAX_RENDER_ATTEMPTS renders, failed with the reason. Returns how many it changed.
    """
    now = now or timezone.now()
    stuck = Report.objects.filter(
        status=ReportStatus.RENDERING, claimed_at__lt=_stale_before(now)
    ).order_by("claimed_at")
    changed = 0
    for report in stuck[:100]:
        with transaction.atomic():
            unchanged = Report.objects.filter(
                pk=report.pk, status=ReportStatus.RENDERING, claimed_at=report.claimed_at
            )
            stopped = (
                f"The worker rendering it stopped before finishing (render {report.attempts}, "
                f"started {report.claimed_at:%Y-%m-%d %H:%M:%S} UTC)."
            )
            if report.attempts >= MAX_RENDER_ATTEMPTS:
                reason = (
                    f"{stopped} Gave up after {report.attempts} renders: a worker that "
                    "keeps stopping mid-render is usually out of memory; reduce the "
                    "number of vendors in the selection."
                )
                if unchanged.update(
                    status=ReportStatus.FAILED, error=reason[:MAX_ERROR_LENGTH], finished_at=now
                ):
                    outbox_cancel(task=_render_task(), subject=report, reason=reason)
                    changed += 1
                continue
            if unchanged.update(status=ReportStatus.QUEUED, claimed_at=None, error=stopped):
                _render_again(report, f"{stopped} Queued again.")
                changed += 1
    return changed


def report_release(*, report: Report, reason: str) -> bool:
    """Give our claim back to the queue before a retry, noting the transient error."""
    return bool(
        Report.objects.filter(
            pk=report.pk, status=ReportStatus.RENDERING, claimed_at=report.claimed_at
        ).update(
            status=ReportStatus.QUEUED,
            claimed_at=None,
            error=f"Retrying after a temporary error: {reason}"[:MAX_ERROR_LENGTH],
        )
    )
