"""The report's inputs: what one render reads, and that the report shows what it read."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from questionnaires.models import ReportKind
from questionnaires.reports import report_html, report_subject
from tests.questionnaires.reports_data import report_selection


def _reads_of(table: str, queries: CaptureQueriesContext) -> int:
    pattern = re.compile(rf'\bFROM "{table}"')
    return sum(1 for query in queries.captured_queries if pattern.search(query["sql"]))


@pytest.mark.parametrize("kind", [ReportKind.COMPARISON, ReportKind.ASSESSMENT])
def test_one_render_reads_the_answers_and_their_files_once(example_version, kind):
    data = report_selection(example_version)
    if kind == ReportKind.COMPARISON:
        subject = report_subject(kind=kind, selection=data.selection)
    else:
        subject = report_subject(kind=kind, response=data.responses["Blip Chat"])

    with CaptureQueriesContext(connection) as queries:
        report_html(subject)

    assert _reads_of("questionnaires_answer", queries) == 1
    assert _reads_of("questionnaires_evidence", queries) == 1
