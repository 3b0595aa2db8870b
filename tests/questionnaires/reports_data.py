"""A small selection for the report tests: three vendors on the example questionnaire.

Acme answers well; Blip lets money move without approval (a critical knock-out) and is
asked to clarify its rollback rate; Cora reports no rollbacks without monitoring them
(the high "blind spot" rule). Vendor text carries markup and URLs that must print as
text and fetch nothing.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from questionnaires.models import (
    EvidenceLevel,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Selection,
)
from questionnaires.services.reviews import clarification_request
from questionnaires.services.scores import response_score
from tests.factories import (
    ResponseFactory,
    SelectionFactory,
    UserFactory,
    VendorFactory,
    answer_all,
)

PAYLOAD_IMG = '<img src="file:///etc/passwd">'
PAYLOAD_LINK = '<link rel="attachment" href="file:///etc/passwd">'
PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "nologin")

ANSWERS = {
    "Acme Voice": {
        "live_deployments": 40,
        "rollback_rate": 5,
        "live_monitoring": "realtime",
        "human_approval_money": "yes",
        "kill_switch_owner": "The customer's operations lead",
    },
    "Blip Chat": {
        "live_deployments": 12,
        "rollback_rate": 30,
        "rollback_reasons": ["hallucination", "cost"],
        "live_monitoring": "sampled",
        "human_approval_money": "no",
    },
    "Cora Talk": {
        "live_deployments": 3,
        "rollback_rate": 0,
        "live_monitoring": "none",
    },
}


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run queued tasks in-process even when REDIS_URL points at a real broker.

    Tests that do not start the worker still need their task to run, and must not leave
    messages on a shared broker's queue.
    """
    from cxvet.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@dataclass
class ReportData:
    selection: Selection
    responses: dict[str, Response]


def report_selection(
    version: QuestionnaireVersion, *, server_url: str = "http://127.0.0.1:9/x.png"
) -> ReportData:
    """Three scored responses in a selection with a recommendation, handed over: Acme and
    Cora submitted, Blip asked to clarify one answer."""
    responses = {}
    for name, values in ANSWERS.items():
        response = ResponseFactory(
            version=version,
            vendor=VendorFactory(name=name, product=f"{name} Agent"),
            status=ResponseStatus.SUBMITTED,
        )
        answers = {a.question.key: a for a in answer_all(response, values)}
        responses[name] = response
        if "rollback_rate" in answers:
            answer = answers["rollback_rate"]
            answer.comment = (
                f"Two rollbacks after prompt changes. {PAYLOAD_IMG} {PAYLOAD_LINK} see {server_url}"
            )
            answer.evidence_level = EvidenceLevel.DOCUMENT
            answer.save(update_fields=["comment", "evidence_level"])
        response_score(response=response)
    clarification_request(
        response=responses["Blip Chat"],
        questions={"rollback_rate": "Which period does 30% cover?"},
        note="Please give the period.",
        user=UserFactory(username="dana"),
    )
    selection = SelectionFactory(
        name="Contact centre agent 2026",
        buyer_name="Northwind Retail",
        recommendation="Proceed with Acme Voice.\nAsk Blip Chat for a human approval step.",
    )
    selection.responses.add(*responses.values())
    return ReportData(selection=selection, responses=responses)


def pdf_pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(pdf_pages_text(pdf))


def pdf_to_pngs(pdf: bytes, folder: Path, prefix: str, dpi: int = 60) -> list[Path]:
    """Every page as PNG through poppler's pdftoppm, for reviewing the appearance."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{prefix}.pdf"
    source.write_bytes(pdf)
    for old in folder.glob(f"{prefix}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(source), str(folder / prefix)],
        check=True,
        timeout=120,
    )
    return sorted(folder.glob(f"{prefix}-*.png"))
