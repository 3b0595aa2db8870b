"""Industry baselines: the shipped file, its checks with located errors, and which
questions each applies to."""

from __future__ import annotations

import pytest

from questionnaires.baselines import (
    InvalidBaselines,
    baselines,
    baselines_by_question,
    load_baselines,
    unknown_questions,
)
from questionnaires.definition import load_definition
from tests.conftest import SHIPPED_DEFINITION, SHIPPED_V2_DEFINITION

V2 = load_definition(SHIPPED_V2_DEFINITION.read_text())
V1 = load_definition(SHIPPED_DEFINITION.read_text())

GOOD = """\
baselines:
  - key: demo
    title: A survey
    publisher: Someone
    date: "2026-05-14"
    url: https://example.org/survey
    sample: "100 firms"
    findings: ["Half of them did."]
    caveat: Small sample.
    questions: [rollback_rate]
"""


def errors(text: str) -> list[str]:
    with pytest.raises(InvalidBaselines) as info:
        load_baselines(text, source="demo.yaml")
    assert info.value.source == "demo.yaml"
    return info.value.errors


def test_the_sinch_survey_is_shipped_with_its_figures_and_caveat():
    sinch = next(b for b in baselines() if b.publisher == "Sinch")
    assert sinch.date == "2026-05"
    assert "2,527" in sinch.sample
    assert any("74%" in f for f in sinch.findings)
    assert any("81%" in f and "mature governance" in f for f in sinch.findings)
    assert "organisations, not deployments" in sinch.caveat
    assert '"rollback"' in sinch.caveat
    assert "rollback_rate" in sinch.questions
    assert sinch.url == ""  # the survey's address is not stated: none is invented


def test_every_shipped_baseline_applies_to_questions_the_questionnaires_ask():
    assert unknown_questions(baselines(), [V1, V2]) == []


def test_baselines_by_question_follow_the_questionnaire():
    by_question = baselines_by_question(V2)
    assert list(by_question) == ["rollback_count", "rollback_rate"]
    assert by_question["rollback_rate"][0].publisher == "Sinch"


def test_a_good_file_loads():
    (baseline,) = load_baselines(GOOD)
    assert baseline.url == "https://example.org/survey"
    assert baseline.questions == ("rollback_rate",)


def test_every_problem_is_named_with_its_place():
    text = (
        GOOD.replace('date: "2026-05-14"', "date: May 2026")
        .replace("url: https://example.org/survey", "url: http://example.org")
        .replace("    caveat: Small sample.\n", "    colour: red\n")
        .replace("[rollback_rate]", "[rollback_rate, rollback_rate, Bad Key]")
    )
    found = errors(text)
    assert (
        "baselines[0]: unknown field 'colour' (allowed: caveat, date, findings, key, publisher, questions, sample, title, url)"
        in found
    )
    assert "baselines[0]: missing required field 'caveat'" in found
    assert any(e.startswith("baselines[0].date: expected a month or a day") for e in found)
    assert "baselines[0].url: expected an https:// address, got 'http://example.org'" in found
    assert "baselines[0].questions[1]: 'rollback_rate' is listed twice" in found
    assert "baselines[0].questions[2]: 'Bad Key' is not a question key" in found


def test_a_key_written_twice_and_a_broken_file_are_refused():
    twice = GOOD + GOOD.split("baselines:\n", 1)[1]
    assert errors(twice) == ["baselines[1].key: 'demo' is used twice (first at baselines[0])"]
    assert errors("baselines: []") == ["baselines: expected a non-empty list"]
    assert errors("- 1")[0].startswith("(top level)")
    assert errors(GOOD + "    title: again\n")[0].startswith("YAML error")
    assert errors(GOOD.replace('findings: ["Half of them did."]', "findings: []")) == [
        "baselines[0].findings: expected a non-empty list of texts"
    ]


def test_unknown_questions_are_named():
    (baseline,) = load_baselines(GOOD.replace("[rollback_rate]", "[no_such_question]"))
    assert unknown_questions([baseline], [V2]) == ["demo: no questionnaire asks 'no_such_question'"]
