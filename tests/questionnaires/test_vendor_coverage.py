"""Framework coverage per vendor: the rules of questionnaires/frameworks/vendor_coverage.py
on the shipped version 2 and its OWASP LLM Top 10 mapping."""

from __future__ import annotations

import pytest

from questionnaires.definition import load_definition
from questionnaires.frameworks.vendor_coverage import (
    GAP,
    MET,
    NOT_APPLICABLE,
    PARTLY,
    UNANSWERED,
    UNVERIFIED,
    AnswerState,
    control_status,
    question_status,
    vendor_coverage,
)
from tests.conftest import SHIPPED_V2_DEFINITION
from tests.questionnaires.test_scoring_docs import table

DEFINITION = load_definition(SHIPPED_V2_DEFINITION.read_text())


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (AnswerState(answered=False), UNANSWERED),
        (AnswerState(answered=True, risk=0.0), MET),
        (AnswerState(answered=True, risk=0.2), MET),
        (AnswerState(answered=True, risk=0.25), PARTLY),
        (AnswerState(answered=True, risk=0.49), PARTLY),
        (AnswerState(answered=True, risk=0.5), GAP),
        (AnswerState(answered=True, risk=1.0, evidence_requested=True), GAP),
        (AnswerState(answered=True, risk=0.0, evidence_requested=True), UNVERIFIED),
        (
            AnswerState(
                answered=True, risk=0.0, evidence_level="document", evidence_requested=True
            ),
            UNVERIFIED,
        ),
        (
            AnswerState(
                answered=True, risk=0.0, evidence_level="verified", evidence_requested=True
            ),
            MET,
        ),
        (AnswerState(answered=True, risk=None), MET),  # a disclosure, answered
        (AnswerState(answered=True, risk=None, evidence_requested=True), UNVERIFIED),
    ],
)
def test_a_questions_status(state, status):
    assert question_status(state) == status


@pytest.mark.parametrize(
    ("statuses", "status"),
    [
        ([], NOT_APPLICABLE),
        ([MET, MET], MET),
        ([MET, GAP, MET], GAP),
        ([UNANSWERED, GAP], GAP),
        ([MET, UNANSWERED], PARTLY),
        ([MET, UNVERIFIED], PARTLY),
        ([PARTLY, UNANSWERED], PARTLY),
        ([UNVERIFIED, UNANSWERED], UNVERIFIED),
        ([UNANSWERED, UNANSWERED], UNANSWERED),
    ],
)
def test_a_controls_status_from_its_questions(statuses, status):
    assert control_status(statuses) == status


def owasp(answers: dict[str, AnswerState]):
    return vendor_coverage(DEFINITION, answers, ["owasp_llm_2025"])["owasp_llm_2025"]


def statuses(result) -> dict[str, str]:
    return {c.control_id: c.status for c in result.controls}


def answered(risk: float, **kwargs) -> AnswerState:
    return AnswerState(answered=True, risk=risk, **kwargs)


def test_each_mapped_control_gets_a_status_with_the_questions_behind_it():
    # LLM01: prompt_injection_defences, ai_pentest (asks for evidence) and
    # money_limits_enforced, hidden here (the agent does not act alone): it counts nowhere.
    result = owasp(
        {
            "prompt_injection_defences": answered(0.0),
            "ai_pentest": answered(0.0, evidence_requested=True, evidence_level="verified"),
            "system_prompt_secrets": answered(0.0),
            "consumption_limits": answered(1.0),
            "supply_chain_review": answered(0.4),
        }
    )
    got = statuses(result)
    assert got["LLM01:2025"] == MET
    assert got["LLM07:2025"] == MET
    assert got["LLM10:2025"] == GAP
    assert got["LLM03:2025"] == PARTLY
    llm01 = next(c for c in result.controls if c.control_id == "LLM01:2025")
    assert [q.key for q in llm01.questions] == ["prompt_injection_defences", "ai_pentest"]
    assert llm01.title and llm01.label == "Met"
    # Every question left out of `answers` is hidden or not asked.
    assert got["LLM04:2025"] == NOT_APPLICABLE
    # ai_pentest alone counts for LLM02 and LLM06 as well.
    assert [c for c, s in got.items() if s == MET] == [
        "LLM01:2025",
        "LLM02:2025",
        "LLM06:2025",
        "LLM07:2025",
    ]
    assert result.counts[MET] == 4 and result.counts[GAP] == 1
    assert sum(result.counts.values()) == len(result.controls) == 10


def test_a_self_attested_claim_where_evidence_is_asked_is_unverified():
    result = owasp(
        {
            "prompt_injection_defences": AnswerState(answered=False),
            "ai_pentest": answered(0.0, evidence_requested=True),
        }
    )
    assert statuses(result)["LLM01:2025"] == UNVERIFIED
    verified = owasp(
        {
            "prompt_injection_defences": answered(0.0),
            "ai_pentest": answered(0.0, evidence_requested=True),
        }
    )
    assert statuses(verified)["LLM01:2025"] == PARTLY


def test_frameworks_default_to_every_catalogue_and_unknown_keys_are_skipped():
    assert set(vendor_coverage(DEFINITION, {})) == {
        "csa_aicm",
        "eu_ai_act",
        "iso_42001",
        "nist_ai_600_1",
        "nist_ai_rmf",
        "owasp_llm_2025",
    }
    assert vendor_coverage(DEFINITION, {}, ["nist_ai_rmf", "no_such"]).keys() == {"nist_ai_rmf"}


def test_the_uncovered_controls_come_from_the_questionnaire_not_the_vendor():
    rmf = vendor_coverage(DEFINITION, {}, ["nist_ai_rmf"])["nist_ai_rmf"]
    assert "GOVERN 1.6" not in rmf.uncovered  # out of scope for a buyer
    assert all(c.status == NOT_APPLICABLE for c in rmf.controls)
    assert {c.control_id for c in rmf.controls}.isdisjoint(rmf.uncovered)


def test_the_documented_question_statuses_are_the_codes_in_the_order_it_applies_them():
    documented = [row["status"] for row in table("coverage:questions")]
    assert documented == ["unanswered", "gap", "partly met", "unverified", "met"]
    # The order matters: a high risk is a gap even when unverified, a moderate one partly met.
    assert question_status(AnswerState(answered=True, risk=0.6, evidence_requested=True)) == GAP
    assert question_status(AnswerState(answered=True, risk=0.3, evidence_requested=True)) == PARTLY
