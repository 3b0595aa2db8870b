"""The shipped questionnaire: it imports, covers the issue's topics, and scores what is risky.

The definition is read from the file (no database) except for the import test; rules
are evaluated with questionnaires.expressions.evaluate over the answers as the portal
would see them (a question hidden by its condition counts as unanswered).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from questionnaires.definition import (
    NUMERIC_TYPES,
    iter_questions,
    load_definition,
    visible_question_keys,
)
from questionnaires.expressions import evaluate
from questionnaires.models import QuestionnaireVersion, VersionStatus
from tests.conftest import SHIPPED_DEFINITION

DEFINITION = load_definition(SHIPPED_DEFINITION.read_text(encoding="utf-8"))
QUESTIONS = {q["key"]: q for _, q in iter_questions(DEFINITION)}
SECTION_OF = {q["key"]: s["key"] for s, q in iter_questions(DEFINITION)}
PROFILES = {p["key"]: p for p in DEFINITION["profiles"]}

# Each topic the issue lists, mapped to the question keys that cover it.
TOPICS: dict[str, list[str]] = {
    # Scope
    "channels (voice, chat, email, SMS, social)": ["channels"],
    "use cases": ["use_cases"],
    "autonomy: answers only versus takes actions": ["autonomy", "agent_actions"],
    "moves money": ["moves_money"],
    "influences credit, insurance or health decisions": ["regulated_decisions"],
    "foundation models and sub-processors": ["foundation_models", "subprocessors"],
    "hosting regions": ["hosting_regions"],
    # Production track record
    "live enterprise deployments": ["live_deployments", "comparable_deployments"],
    "share of deployments rolled back, paused or shut down in 12 months": [
        "rollback_count",
        "rollback_rate",
    ],
    "rollback reasons": ["rollback_reasons", "rollback_detail"],
    "time to detect and to roll back": ["time_to_detect_hours", "time_to_rollback_minutes"],
    "references at comparable scale": ["reference_customers"],
    # Outcomes
    "verified resolution versus deflection or containment": [
        "resolution_metric",
        "resolution_method",
        "verified_resolution_rate",
    ],
    "repeat contacts": ["repeat_contact_rate"],
    "how accuracy and hallucination are measured, and by whom": [
        "accuracy_measured_by",
        "accuracy_sample_size",
        "material_error_rate",
    ],
    # Human in the loop
    "approval thresholds for refunds and payments": [
        "money_human_approval",
        "money_approval_threshold",
        "money_limits_enforced",
    ],
    "approval for account changes": ["account_change_verification"],
    "approval for regulated decisions": ["regulated_decision_control"],
    "warm hand-off to a human with the full context": ["handoff_context", "human_on_request"],
    "how the human queue absorbs a shutdown": ["shutdown_queue_plan"],
    # Governance and monitoring before go-live
    "live monitoring of real interactions and alerting": ["live_monitoring"],
    "kill switch and who may pull it": [
        "kill_switch",
        "kill_switch_authority",
        "kill_switch_minutes",
    ],
    "rollback procedure": ["rollback_procedure"],
    "evaluation on the buyer's own call types before launch": ["pre_launch_evaluation"],
    "regression tests on model or prompt changes": ["regression_gate"],
    "notice before model changes": ["model_change_control"],
    "incident response and notification times": [
        "incident_response_plan",
        "incident_notification_hours",
    ],
    # Cross-channel context
    "context kept across channels": ["context_across_channels", "identity_linking"],
    "context kept across sessions": ["context_across_sessions"],
    "hand-off context across channels": ["handoff_cross_channel", "repeat_explanation_rate"],
    # Security
    "prompt-injection defences": ["prompt_injection_defences"],
    "independent AI penetration test": ["ai_pentest"],
    "least privilege for the agent's tools": ["tool_least_privilege"],
    "SOC 2 Type II or ISO 27001 scope covering the AI components": ["security_attestation"],
    "ISO/IEC 42001": ["iso_42001"],
    # Data and regulation
    "retention and zero-retention options": ["retention"],
    "no training on customer data without consent": ["training_on_customer_data"],
    "PII redaction": ["pii_redaction"],
    "residency": ["data_residency"],
    "deletion and export on exit": ["deletion_on_exit", "portability"],
    "EU AI Act disclosure that the customer talks to an AI": ["ai_disclosure"],
    "call-recording consent": ["recording_consent"],
    "PCI DSS: card data out of recordings, transcripts and prompts": [
        "pci_card_data",
        "pci_attestation",
    ],
    "HIPAA BAA covering every sub-processor": ["hipaa_baa"],
    # Commercials
    "pricing tied to resolved or to handled contacts": ["pricing_basis"],
    "exit and portability of prompts, knowledge and transcripts": ["portability"],
    "a savings-based business case": ["business_case", "savings_resolution_rate"],
}

# Yes/no, choice and numeric questions that are deliberately unscored. Each is a fact
# that decides which later questions apply, or a figure that a rule compares with
# another; none of them is good or bad on its own.
INFORMATIONAL = {
    "channels": "which channels; decides the recording-consent question",
    "use_cases": "compared with the buyer's call types, not good or bad in itself",
    "agent_actions": "exposure; scored through the approval and privilege questions",
    "moves_money": "exposure; scored through the money-approval questions it reveals",
    "regulated_decisions": "exposure; scored through the regulated-decision questions",
    "health_data": "decides whether the BAA question applies; healthcare rule uses it",
    "hosting_regions": "read with data_residency, which is scored",
    "rollback_count": "the numerator behind rollback_rate, which is scored",
    "savings_resolution_rate": "an assumption compared with the record by a rule",
}


def visible_values(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as scoring sees them: hidden questions count as unanswered."""
    visible = visible_question_keys(DEFINITION, answers)
    return {key: answers.get(key) if key in visible else None for key in QUESTIONS}


def fired_rules(answers: dict[str, Any], profile: str = "general") -> set[str]:
    values = visible_values(answers)
    rules = [*DEFINITION["rules"], *PROFILES[profile]["rules"]]
    return {rule["key"] for rule in rules if evaluate(rule["when"], values)}


# Import and size ---------------------------------------------------------------------


@pytest.mark.django_db
def test_imports_cleanly_and_publishes(capsys):
    call_command("import_questionnaire", str(SHIPPED_DEFINITION), "--publish")
    version = QuestionnaireVersion.objects.get(questionnaire__key="ai_cx_agent_readiness")
    assert version.status == VersionStatus.PUBLISHED
    assert version.title == "AI customer-communications agent: production readiness"
    assert version.questions.count() == len(QUESTIONS)
    assert version.profiles.count() == 3
    assert "published" in capsys.readouterr().out


def test_has_at_least_45_questions_in_at_least_8_sections():
    assert len(QUESTIONS) >= 45
    assert len(DEFINITION["sections"]) >= 8
    assert all(len(s["questions"]) >= 4 for s in DEFINITION["sections"])


# Coverage ----------------------------------------------------------------------------


@pytest.mark.parametrize("topic", TOPICS)
def test_issue_topic_is_covered_by_questions(topic):
    missing = [key for key in TOPICS[topic] if key not in QUESTIONS]
    assert not missing, f"{topic!r}: no question {missing}"


def test_every_question_has_help_that_explains_itself():
    short = [key for key, q in QUESTIONS.items() if len(q["help"].split()) < 20]
    assert not short, f"help text too thin to say why and what good looks like: {short}"


def test_every_risky_question_is_scored():
    scorable = [q for q in QUESTIONS.values() if q["type"] not in ("text", "date", "file")]
    unscored = {q["key"] for q in scorable if q["scoring"] is None}
    assert unscored == set(INFORMATIONAL), (
        f"unscored but not declared informational: {sorted(unscored - set(INFORMATIONAL))}; "
        f"declared informational but scored or gone: {sorted(set(INFORMATIONAL) - unscored)}"
    )


def test_numeric_bands_justify_their_thresholds_in_the_help():
    banded = [q for q in QUESTIONS.values() if q["type"] in NUMERIC_TYPES and q["scoring"]]
    assert len(banded) >= 10
    for q in banded:
        assert "Bands:" in q["help"], f"{q['key']} does not explain its bands"
        # Every inner threshold is named in the help text, so a reader can check it.
        for band in q["scoring"]["bands"][1:]:
            threshold = f"{band['min']:,g}"
            assert threshold in q["help"], f"{q['key']}: threshold {threshold} not explained"


def test_production_figures_have_a_period():
    figures = [
        q
        for q in QUESTIONS.values()
        if q["type"] == "percentage" and SECTION_OF[q["key"]] in ("track_record", "outcomes")
    ]
    assert figures
    for q in figures:
        assert "last 12 months" in q["text"] or "last quarter" in q["text"], q["key"]
    assert "last 12 months" in QUESTIONS["live_deployments"]["text"]


def test_claims_that_matter_ask_for_evidence():
    for key in (
        "live_deployments",
        "rollback_rate",
        "verified_resolution_rate",
        "material_error_rate",
        "live_monitoring",
        "kill_switch_minutes",
        "ai_pentest",
        "security_attestation",
        "hipaa_baa",
        "pci_attestation",
        "business_case",
    ):
        assert QUESTIONS[key]["evidence"], key


def test_questions_a_buyer_cannot_decide_without_are_required():
    for key in (
        "autonomy",
        "moves_money",
        "live_deployments",
        "rollback_rate",
        "live_monitoring",
        "kill_switch",
        "money_human_approval",
        "ai_disclosure",
        "training_on_customer_data",
    ):
        assert QUESTIONS[key]["required"], key


def test_sources_cite_the_standards_behind_the_concerns():
    sources = {s["key"]: s for s in DEFINITION["sources"]}
    assert "74%" in sources["sinch_2026"]["note"] and "81%" in sources["sinch_2026"]["note"]
    assert "MANAGE 2.4" in sources["nist_ai_rmf"]["note"]
    assert "Article 50" in sources["eu_ai_act"]["note"]
    assert "164.504(e)" in sources["hipaa_baa"]["title"]
    for key, source in (
        ("rollback_rate", "sinch_2026"),
        ("kill_switch", "nist_ai_rmf"),
        ("ai_disclosure", "eu_ai_act"),
        ("pci_card_data", "pci_dss"),
        ("hipaa_baa", "hipaa_baa"),
        ("prompt_injection_defences", "owasp_llm"),
        ("iso_42001", "iso_42001"),
        ("security_attestation", "soc2_iso27001"),
    ):
        assert source in QUESTIONS[key]["sources"], f"{key} should cite {source}"


def test_risky_answers_ask_for_an_explanation():
    explained = {key for key, q in QUESTIONS.items() if q["explain"]}
    assert {
        "rollback_rate",
        "rollback_reasons",
        "money_human_approval",
        "live_monitoring",
        "material_error_rate",
    } <= explained


# Conditions ----------------------------------------------------------------------------


def test_rollback_questions_appear_only_when_there_were_rollbacks():
    none = visible_question_keys(DEFINITION, {"live_deployments": 12, "rollback_count": 0})
    some = visible_question_keys(DEFINITION, {"live_deployments": 12, "rollback_count": 2})
    followups = {
        "rollback_reasons",
        "rollback_detail",
        "rollback_detection_source",
        "time_to_detect_hours",
        "time_to_rollback_minutes",
    }
    assert not followups & none
    assert followups <= some


def test_money_questions_appear_only_when_the_agent_moves_money():
    no = visible_question_keys(DEFINITION, {"moves_money": "no"})
    yes = visible_question_keys(DEFINITION, {"moves_money": "yes"})
    money = {"money_human_approval", "money_limits_enforced"}
    assert not money & no
    assert money <= yes
    threshold = visible_question_keys(
        DEFINITION, {"moves_money": "yes", "money_human_approval": "above_threshold"}
    )
    assert "money_approval_threshold" in threshold
    assert "money_approval_threshold" not in yes


def test_baa_question_appears_for_vendors_offering_health_deployments():
    assert "hipaa_baa" in visible_question_keys(DEFINITION, {"health_data": "yes"})
    assert "hipaa_baa" not in visible_question_keys(DEFINITION, {"health_data": "no"})


# Profiles ------------------------------------------------------------------------------


def section_weight(profile: str, section: str) -> float:
    own = next(s["weight"] for s in DEFINITION["sections"] if s["key"] == section)
    return PROFILES[profile]["section_weights"].get(section, own)


def test_profiles_named_in_the_issue_exist_general_first():
    assert [p["key"] for p in DEFINITION["profiles"]] == [
        "general",
        "financial_services",
        "healthcare",
    ]


def test_general_weighs_track_record_oversight_and_governance_above_commercials():
    commercials = section_weight("general", "commercials")
    for section in ("track_record", "human_oversight", "governance"):
        assert section_weight("general", section) > commercials
        assert section_weight("general", section) == max(
            section_weight("general", s["key"]) for s in DEFINITION["sections"]
        )


def test_financial_services_raises_money_movement_and_regulation():
    for section in ("human_oversight", "regulation"):
        assert section_weight("financial_services", section) > section_weight("general", section)
    assert section_weight("financial_services", "human_oversight") == max(
        section_weight("financial_services", s["key"]) for s in DEFINITION["sections"]
    )


def test_healthcare_raises_data_protection_to_the_top():
    assert section_weight("healthcare", "data_protection") > section_weight(
        "general", "data_protection"
    )
    assert section_weight("healthcare", "data_protection") == max(
        section_weight("healthcare", s["key"]) for s in DEFINITION["sections"]
    )
    no_baa = next(r for r in PROFILES["healthcare"]["rules"] if r["key"] == "no_baa")
    assert no_baa["severity"] == "critical"


# Cross-answer rules --------------------------------------------------------------------

RECORD = {"live_deployments": 40, "rollback_count": 0, "rollback_rate": 0}


def rule_severity(key: str) -> str:
    rules = [*DEFINITION["rules"], *(r for p in PROFILES.values() for r in p["rules"])]
    return next(r["severity"] for r in rules if r["key"] == key)


@pytest.mark.parametrize("monitoring", ["sampled_review", "none"])
@pytest.mark.parametrize("rate", [0, 1.5])
def test_blind_spot_fires_on_near_zero_rollbacks_without_live_monitoring(monitoring, rate):
    answers = {**RECORD, "rollback_rate": rate, "live_monitoring": monitoring}
    assert "blind_spot_rollbacks" in fired_rules(answers)
    assert rule_severity("blind_spot_rollbacks") == "high"


@pytest.mark.parametrize(
    "answers",
    [
        {**RECORD, "live_monitoring": "realtime_with_alerting"},
        {**RECORD, "live_monitoring": "realtime_no_paging"},
        {**RECORD, "rollback_count": 5, "rollback_rate": 12.5, "live_monitoring": "none"},
        {**RECORD, "rollback_count": 1, "rollback_rate": 2.5, "live_monitoring": "none"},
        {**RECORD},  # monitoring not answered yet: no flag on missing data
    ],
)
def test_blind_spot_stays_quiet_otherwise(answers):
    assert "blind_spot_rollbacks" not in fired_rules(answers)


def test_money_without_human_approval_is_critical():
    answers = {"moves_money": "yes", "money_human_approval": "none"}
    assert "money_without_approval" in fired_rules(answers)
    assert rule_severity("money_without_approval") == "critical"


@pytest.mark.parametrize(
    "answers",
    [
        {"moves_money": "yes", "money_human_approval": "all_approved"},
        {"moves_money": "yes", "money_human_approval": "above_threshold"},
        # Hidden when no money moves: a stale answer must not raise the flag.
        {"moves_money": "no", "money_human_approval": "none"},
    ],
)
def test_money_rule_stays_quiet_otherwise(answers):
    assert "money_without_approval" not in fired_rules(answers)


def test_policy_engine_only_money_is_flagged_for_financial_services_only():
    answers = {"moves_money": "yes", "money_human_approval": "policy_engine_only"}
    assert "fs_money_without_human" in fired_rules(answers, "financial_services")
    assert "fs_money_without_human" not in fired_rules(answers, "general")


@pytest.mark.parametrize(
    "answers",
    [
        {"health_data": "yes", "hipaa_baa": "no"},
        {"health_data": "yes", "hipaa_baa": "vendor_only"},
        {"health_data": "no"},
    ],
)
def test_healthcare_without_a_baa_is_critical(answers):
    assert "no_baa" in fired_rules(answers, "healthcare")
    assert "no_baa" not in fired_rules(answers, "general")
    assert "no_baa" not in fired_rules(answers, "financial_services")


def test_healthcare_with_a_baa_covering_every_subprocessor_is_not_flagged():
    assert "no_baa" not in fired_rules(
        {"health_data": "yes", "hipaa_baa": "all_subprocessors"}, "healthcare"
    )
    assert "no_baa" not in fired_rules({}, "healthcare")


def test_verified_resolution_without_a_method_is_flagged():
    assert "resolution_without_method" in fired_rules({"resolution_metric": "verified_resolution"})
    assert rule_severity("resolution_without_method") == "high"


@pytest.mark.parametrize(
    "answers",
    [
        {"resolution_metric": "verified_resolution", "resolution_method": "system_of_record"},
        {"resolution_metric": "verified_resolution", "resolution_method": "model_judged"},
        {"resolution_metric": "containment"},
        {},
    ],
)
def test_resolution_rule_stays_quiet_otherwise(answers):
    assert "resolution_without_method" not in fired_rules(answers)


def test_inconsistent_rollback_figures_are_flagged():
    consistent = {"live_deployments": 20, "rollback_count": 2, "rollback_rate": 10}
    assert "rollback_figures_inconsistent" not in fired_rules(consistent)
    understated = {**consistent, "rollback_rate": 2}
    assert "rollback_figures_inconsistent" in fired_rules(understated)


def test_money_actions_contradicting_moves_money_are_flagged():
    answers = {
        "autonomy": "acts_autonomously",
        "agent_actions": ["case_updates", "refunds_credits"],
        "moves_money": "no",
    }
    assert "money_actions_inconsistent" in fired_rules(answers)
    assert "money_actions_inconsistent" not in fired_rules({**answers, "moves_money": "yes"})


def test_business_case_above_the_record_is_flagged():
    answers = {
        "verified_resolution_rate": 31,
        "business_case": "vendor_benchmarks",
        "savings_resolution_rate": 65,
    }
    assert "business_case_exceeds_record" in fired_rules(answers)
    assert "business_case_exceeds_record" not in fired_rules(
        {**answers, "savings_resolution_rate": 38}
    )


def test_knockouts_target_the_worst_answers():
    knockouts = {
        key: {a for k in q["knockouts"] for a in (k["answers"] or [])}
        for key, q in QUESTIONS.items()
        if q["knockouts"]
    }
    assert knockouts["money_limits_enforced"] == {"no"}
    assert knockouts["kill_switch"] == {"none"}
    assert knockouts["regulated_decision_control"] == {"agent_decides"}
    assert knockouts["ai_disclosure"] == {"no"}
    assert QUESTIONS["kill_switch"]["knockouts"][0]["severity"] == "critical"
    # A knock-out answer is always the question's worst choice.
    for key, answers in knockouts.items():
        risks = {c["key"]: c["risk"] for c in QUESTIONS[key]["choices"]}
        if risks:
            assert all(risks[a] == max(risks.values()) for a in answers), key
