"""Data for the fault and backup tests, made and read in a process of its own.

`python -m tests.faults.site_data COMMAND [ARGS]` against the database in DATABASE_URL
(and the files in MEDIA_ROOT) prints one line of JSON:

- `links N`: the example questionnaire, published, and N in-progress responses, each
  with a private link: [{"token": ..., "response": id}, ...].
- `answered`: one response answered through the services, with an evidence file and a
  rendered assessment PDF: {"token": ..., "response": id}.
- `describe RESPONSE TOKEN`: what a restore must bring back, compared whole by the
  test: the response's answers and history, each evidence file's recorded and actual
  SHA-256, the ready reports' PDFs, and what its private link serves.
- `autosave TOKEN`: a new answer saved through the link's autosave; the reply.
- `answer_history`: every value an answer was saved with, by response:
  {"<response id>": {"<question>": [value, ...]}}.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
from typing import Any

EVIDENCE_PDF = b"%PDF-1.4\n% rollback log, March\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def links(count: str) -> list[dict[str, Any]]:
    from tests.vendors.helpers import open_response

    version = _example_version()
    # Names of their own: the factories' sequences start again in every process.
    opened = [
        open_response(version, vendor__name=f"Vendor {uuid.uuid4().hex[:8]}")
        for _ in range(int(count))
    ]
    return [{"token": token, "response": response.pk} for token, response in opened]


def answered() -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from questionnaires.evidence import check_upload
    from questionnaires.models import ReportKind, ReportStatus
    from questionnaires.services.answers import AnswerChange, answers_save, evidence_add
    from questionnaires.services.reports import report_request
    from tests.vendors.helpers import open_response

    token, response = open_response(_example_version(), vendor__name="Parrot Labs")
    actor = "Dana Vendor <dana@vendor.example>"
    values = {
        "live_deployments": 12,
        "rollback_rate": 8,
        "live_monitoring": "realtime",
        "human_approval_money": "yes",
        "kill_switch_owner": "The duty manager, from the console or by phone",
    }
    answers_save(
        response=response,
        changes=[
            AnswerChange(key, value, "A comment on " + key, base_revision=0)
            for key, value in values.items()
        ],
        actor=actor,
    )
    upload = SimpleUploadedFile("Rollback log.pdf", EVIDENCE_PDF, "application/pdf")
    evidence_add(
        response=response,
        question_key="rollback_rate",
        upload=check_upload(upload),
        actor=actor,
    )
    report = report_request(kind=ReportKind.ASSESSMENT, response=response)
    assert report.status == ReportStatus.READY, report.error
    return {"token": token, "response": response.pk}


def describe(response_id: str, token: str) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from questionnaires.models import AuditEvent, Evidence, Report, Response
    from vendors.services import token_hash

    response = Response.objects.get(pk=response_id)
    answers = {
        answer.question.key: [answer.value, answer.comment, answer.revision]
        for answer in response.answers.select_related("question")
    }
    evidence = [
        {
            "name": item.file.name,
            "recorded_sha256": item.sha256,
            "sha256": _sha256(item.file),
            "matches_upload": _sha256(item.file) == hashlib.sha256(EVIDENCE_PDF).hexdigest(),
        }
        for item in Evidence.objects.filter(answer__response=response).order_by("pk")
    ]
    reports = [
        {"name": report.file.name, "sha256": _sha256(report.file), "pdf": _is_pdf(report.file)}
        for report in Report.objects.filter(response=response, status="ready").order_by("pk")
    ]
    history = list(
        AuditEvent.objects.filter(response=response).order_by("pk").values_list("kind", "data")
    )
    settings.ALLOWED_HOSTS = ["testserver"]
    overview = Client().get(f"/portal/{token}/")
    return {
        "status": response.status,
        "link": response.access_links.filter(token_hash=token_hash(token)).exists(),
        "answers": answers,
        "evidence": evidence,
        "reports": reports,
        "history": history,
        "portal": [overview.status_code, response.vendor.name in overview.content.decode()],
    }


def autosave(token: str) -> dict[str, Any]:
    """An autosave through the portal, as the page sends it: its reply."""
    from django.conf import settings
    from django.test import Client

    from questionnaires.models import Answer
    from vendors.services import token_hash

    answers = Answer.objects.filter(
        response__access_links__token_hash=token_hash(token), question__key="kill_switch_owner"
    )
    revision = answers.values_list("revision", flat=True).first() or 0
    settings.ALLOWED_HOSTS = ["testserver"]
    reply = Client().post(
        f"/portal/{token}/autosave/kill_switch_owner/",
        {"kill_switch_owner": "Saved after the restore", "kill_switch_owner-revision": revision},
        headers={"Accept": "application/json"},
    )
    return {"status_code": reply.status_code, **reply.json()}


def answer_history() -> dict[str, dict[str, list[Any]]]:
    from questionnaires.audit import AnswerChanged
    from questionnaires.models import AuditEvent

    saved: dict[str, dict[str, list[Any]]] = {}
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.ANSWER_CHANGED).order_by("pk")
    for response_id, data in events.values_list("response_id", "data"):
        if AnswerChanged.VALUE in data:
            by_question = saved.setdefault(str(response_id), {})
            by_question.setdefault(data[AnswerChanged.QUESTION], []).append(
                data[AnswerChanged.VALUE]
            )
    return saved


def _example_version():
    from questionnaires.models import QuestionnaireVersion
    from questionnaires.services.definitions import questionnaire_import
    from tests.conftest import EXAMPLE_DEFINITION

    existing = QuestionnaireVersion.objects.filter(status="published").first()
    if existing is not None:
        return existing
    return questionnaire_import(text=EXAMPLE_DEFINITION.read_text(), publish=True).version


def _sha256(field) -> str | None:
    if not field or not field.storage.exists(field.name):
        return None
    with field.open("rb") as stored:
        return hashlib.sha256(stored.read()).hexdigest()


def _is_pdf(field) -> bool:
    if not field or not field.storage.exists(field.name):
        return False
    with field.open("rb") as stored:
        return stored.read(5) == b"%PDF-"


COMMANDS = {
    "links": links,
    "answered": answered,
    "describe": describe,
    "autosave": autosave,
    "answer_history": answer_history,
}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxvet.settings")
    import django

    django.setup()
    command, *arguments = sys.argv[1:]
    print(json.dumps(COMMANDS[command](*arguments), default=str))
