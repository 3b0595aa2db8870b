"""A report from current data to PDF: snapshot, fingerprint, context, templates, renderer."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from cxvet.pdf import render_pdf

from .context import report_context
from .inputs import (
    TEMPLATE_FOLDER,
    inputs_hash,
    newest_definition,
    ranked_robustness,
    report_comparison,
    report_decision,
    report_inputs,
    snapshot_as_stored,
)
from .subject import ReportSubject

# Celery's limits for one rendering. A claim older than the hard limit belongs to a
# worker that was killed, so another may take the report over.
RENDER_SOFT_TIME_LIMIT = 150
RENDER_HARD_TIME_LIMIT = 180


@dataclass(frozen=True)
class RenderedReport:
    pdf: bytes
    inputs_hash: str
    html: str
    inputs: dict[str, Any]  # the snapshot it was rendered from, as Report.inputs keeps it


def render_report(
    subject: ReportSubject, *, now: datetime.datetime | None = None
) -> RenderedReport:
    """Build the report's HTML from current data and render it to PDF."""
    html, digest, snapshot = _report_document(subject, now=now)
    return RenderedReport(
        pdf=render_pdf(html), inputs_hash=digest, html=html, inputs=snapshot_as_stored(snapshot)
    )


def report_html(subject: ReportSubject, *, now: datetime.datetime | None = None) -> tuple[str, str]:
    """The report as one HTML document, and the fingerprint of the inputs it shows."""
    html, digest, _ = _report_document(subject, now=now)
    return html, digest


def _report_document(
    subject: ReportSubject, *, now: datetime.datetime | None
) -> tuple[str, str, dict[str, Any]]:
    snapshot = report_inputs(subject)
    digest = inputs_hash(subject, snapshot)
    comparison = report_comparison(subject, snapshot)
    context = report_context(
        subject,
        snapshot,
        comparison,
        newest_definition(snapshot),
        digest,
        now=now or timezone.now(),
        robustness=ranked_robustness(subject, snapshot),
        decision=report_decision(subject, snapshot, comparison),
    )
    template = f"{TEMPLATE_FOLDER}/{subject.kind}.html"
    return render_to_string(template, context), digest, snapshot
