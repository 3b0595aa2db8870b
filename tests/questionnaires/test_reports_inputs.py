"""The report's inputs and context: what one render reads, and how it numbers questions."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from questionnaires.models import ReportKind
from questionnaires.reports import report_html, report_subject
from tests.factories import SelectionFactory
from tests.questionnaires.reports_data import report_selection
from tests.synthetic import answered_responses, generated_definition, import_definition


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


def test_cited_sources_carry_the_numbers_the_comparison_prints_across_versions(db):
    first = generated_definition(sections=2, per_section=7, key="cited", realistic=True)
    second = generated_definition(sections=2, per_section=7, key="cited", realistic=True, version=2)
    # Version 2 drops a question of the first section: the comparison lists it after the
    # questions version 2 asks in that section, continuing its count (1.7), so every
    # question version 2 asks keeps the number the portal gives it.
    second["sections"][0]["questions"].pop(2)
    selection = SelectionFactory()
    for definition in (first, second):
        selection.responses.add(*answered_responses(import_definition(definition), 1))
    cited = [q for s in second["sections"] for q in s["questions"] if q["sources"]]

    html, _ = report_html(report_subject(kind=ReportKind.COMPARISON, selection=selection))

    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    numbers = [re.search(rf"Q(\d+\.\d+) {re.escape(q['text'])}", text).group(1) for q in cited]
    assert numbers == ["1.6", "2.6"]
    assert "(cited by Q1.6, Q2.6)" in text
