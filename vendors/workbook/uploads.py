"""The upload and preview steps the portal and the admin share (views stay thin)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from questionnaires.display import answer_display
from questionnaires.models import EDITABLE_STATUSES, Response, ResponseStatus
from questionnaires.services.answers import SaveOutcome

from ..models import WorkbookImport
from ..portal import QuestionnairePlan, ResponseState
from ..services import workbook_import_changes, workbook_import_warnings
from .preview import CONFLICT, Preview, classify
from .read import Reading, WorkbookRefused, check_name, check_size, read_workbook

NOT_EDITABLE = (
    "This response has been submitted, so its answers can no longer change and a "
    "workbook cannot be uploaded. If something needs correcting, ask the analyst to "
    "request a clarification."
)
# The same, told to the analyst entering a workbook in the admin.
NOT_EDITABLE_FOR_ANALYST = (
    "This response has been submitted, so its answers can no longer change and a "
    "workbook cannot be entered. To correct answers, request a clarification on them "
    "from the response's page; the reopened answers can then be entered."
)


def closed_because(response: Response) -> str:
    """Why a workbook can no longer be uploaded or confirmed, said first on its pages."""
    if response.status == ResponseStatus.ACCEPTED:
        return (
            "Uploading is closed because this response was accepted: its answers can no "
            "longer change."
        )
    return (
        "Uploading is closed because this response was submitted and is under review: its "
        "answers can no longer change. If something needs correcting, ask the analyst to "
        "request a clarification."
    )


NO_FILE = "No file arrived: choose the workbook file and upload it again."
EMPTY_FILE = (
    "The file is empty (0 bytes). Upload the workbook downloaded from the portal, "
    "filled in and saved as .xlsx."
)


ACTOR_MAX_LENGTH = 200  # Answer.updated_by, WorkbookImport.entered_by


def workbook_actor(actor: str, role: str) -> str:
    """How the audit trail and the answers' updated_by name a workbook's entry: as the
    autosave names the same person, marked as come from a workbook, e.g.
    "Dana <dana@example.com> (vendor, via workbook)"; the name is shortened, never the mark."""
    mark = f" ({role}, via workbook)"
    return actor[: ACTOR_MAX_LENGTH - len(mark)] + mark


@dataclass(frozen=True)
class Upload:
    reading: Reading
    name: str
    sha256: str


def read_upload(
    upload: UploadedFile | None,
    *,
    response: Response,
    plan: QuestionnairePlan,
    state: ResponseState,
    refused: Iterable[str] = (),
    when_submitted: str = NOT_EDITABLE,
) -> Upload:
    """Check an uploaded workbook (size and name before reading a byte); raise
    WorkbookRefused saying why it cannot be used at all."""
    if response.status not in EDITABLE_STATUSES:
        raise WorkbookRefused(when_submitted)
    if upload is None:
        # Dropped while streaming in (over the upload handler's limit), or none chosen.
        raise WorkbookRefused(next(iter(refused), NO_FILE))
    check_name(upload.name or "")
    check_size(upload.size or 0)
    data = upload.read(settings.WORKBOOK_MAX_BYTES + 1)
    if not data:
        raise WorkbookRefused(EMPTY_FILE)
    check_size(len(data))
    reading = read_workbook(data, response=response, plan=plan, state=state)
    return Upload(reading, (upload.name or "workbook.xlsx")[:200], hashlib.sha256(data).hexdigest())


def editable_keys(response: Response, state: ResponseState, keys: Iterable[str]) -> set[str]:
    """Which answers can change now: as the portal decides (vendors.sections)."""
    if response.status not in EDITABLE_STATUSES:
        return set()
    if response.status == ResponseStatus.CLARIFICATION_REQUESTED:
        return {k for k in keys if k in state.reopened}
    return set(keys)


def pending_preview(
    workbook_import: WorkbookImport, response: Response, state: ResponseState
) -> Preview:
    """The waiting import against the answers as stored now (conflicts are current)."""
    changes = workbook_import_changes(workbook_import)
    keys = [str(k) for k in workbook_import.questions]
    return classify(
        keys=keys,
        changes=changes,
        stored=state.answers,
        editable=editable_keys(response, state, keys),
        warnings=workbook_import_warnings(workbook_import),
    )


def preview_rows(
    plan: QuestionnairePlan, preview: Preview, currency: str | None
) -> dict[str, list[dict[str, Any]]]:
    """The preview's items by status, each as the page shows it."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for item in preview.items:
        question = plan.questions_by_key[item.question_key]
        rows.setdefault(item.status, []).append(
            {
                "key": item.question_key,
                "number": plan.numbers[item.question_key],
                "text": question["text"],
                "stored": _shown(question, item.stored, currency),
                "workbook": _shown(question, item.workbook, currency),
                "warning": item.warning,
            }
        )
    return rows


SECTIONS = (
    ("new", "New answers"),
    ("changed", "Changed answers"),
    ("locked", "Not reopened by the analyst: these will not change"),
    ("unchanged", "Unchanged"),
)


def preview_context(
    plan: QuestionnairePlan,
    preview: Preview,
    currency: str | None,
    not_asked_keys: Iterable[str] = (),
) -> dict[str, Any]:
    """What the preview partial (portal/_workbook_preview.html) draws."""
    rows = preview_rows(plan, preview, currency)
    not_asked = [
        {"key": key, "number": plan.numbers[key], "text": plan.questions_by_key[key]["text"]}
        for key in not_asked_keys
        if key in plan.questions_by_key
    ]
    sections = [
        {"status": status, "title": title, "rows": rows[status]}
        for status, title in SECTIONS
        if rows.get(status)
    ]
    warned = [row for status in rows.values() for row in status if row["warning"]]
    return {
        "preview": preview,
        "rows": rows,
        "sections": sections,
        "not_asked": not_asked,
        "warned": warned,
    }


def _shown(question: Mapping[str, Any], answer: tuple[Any, str], currency: str | None) -> str:
    value, comment = answer
    text = answer_display(question, value, currency=currency)
    return f"{text} \u2014 comment: {comment}" if comment else text


def outcome_summary(outcome: SaveOutcome, numbers: Mapping[str, str]) -> str:
    """What confirming did, naming by number (`numbers`: question key to "1.2") the
    answers left as they were saved."""
    saved = sum(1 for r in outcome.results.values() if r.status == "saved")
    conflicts = [k for k, r in outcome.results.items() if r.status == CONFLICT]
    locked = list(outcome.locked)
    text = f"The workbook's answers are saved: {saved} changed."
    if conflicts:
        text += (
            f" Kept as saved, since they changed in the portal after the workbook was "
            f"downloaded: {_numbered(conflicts, numbers)}; check them in the portal."
        )
    if locked:
        text += (
            f" Not changed, as only the answers the analyst reopened can change: "
            f"{_numbered(locked, numbers)}."
        )
    return text


def _numbered(keys: Iterable[str], numbers: Mapping[str, str]) -> str:
    shown = sorted(
        (numbers.get(k, k) for k in keys),
        key=lambda n: [int(p) if p.isdigit() else 0 for p in n.split(".")],
    )
    return ("question " if len(shown) == 1 else "questions ") + ", ".join(shown)
