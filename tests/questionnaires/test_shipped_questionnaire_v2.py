"""Version 2 of the shipped questionnaire: what it asks, how it keeps scoring out of
vendors' sight, and that it lives next to version 1 without changing a v1 score.

The definition is read from the file (no database) except where a test imports,
exports, scores or carries answers forward. Rules and knock-outs are checked through
the scoring engine, so derived rates, declared answers and grids count as they would
for a real response.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.core.management import call_command

from questionnaires.definition import (
    NUMERIC_TYPES,
    InvalidDefinition,
    content_hash,
    dump_definition,
    iter_questions,
    load_definition,
    visibility,
)
from questionnaires.frameworks import catalogues
from questionnaires.frameworks.coverage import coverage
from questionnaires.models import Answer, QuestionnaireVersion, ResponseScore, VersionStatus
from questionnaires.scoring import AnswerInput, ScoreResult, score_response
from questionnaires.services.carry_forward import carry_forward
from questionnaires.services.definitions import questionnaire_import
from questionnaires.services.scores import response_score
from tests.conftest import ROOT, SHIPPED_DEFINITION, SHIPPED_V2_DEFINITION
from tests.factories import ResponseFactory, round_of, scored_submission

TEXT = SHIPPED_V2_DEFINITION.read_text(encoding="utf-8")
DEFINITION = load_definition(TEXT)
QUESTIONS = {q["key"]: q for _, q in iter_questions(DEFINITION)}
ORDER = list(QUESTIONS)
SECTION_OF = {q["key"]: s["key"] for s, q in iter_questions(DEFINITION)}
PROFILES = {p["key"]: p for p in DEFINITION["profiles"]}
V1 = load_definition(SHIPPED_DEFINITION.read_text(encoding="utf-8"))
V1_QUESTIONS = {q["key"]: q for _, q in iter_questions(V1)}
DOCS = (ROOT / "docs" / "questionnaire.md").read_text(encoding="utf-8")

# The v1 file is what published v1 responses were scored against: it never changes.
V1_FILE_SHA256 = "cae17c66c6a17e5b87f0ddca2e34a66f32b86e68f843e722e3869dd5a4a837d6"


def path_of(key: str) -> str:
    for i, section in enumerate(DEFINITION["sections"]):
        for j, question in enumerate(section["questions"]):
            if question["key"] == key:
                return f"sections[{i}].questions[{j}]"
    raise KeyError(key)


def flags(answers: dict[str, Any], profile: str = "general") -> set[str]:
    """The keys of the flags these answers raise, scored as a real response would be."""
    inputs = {key: AnswerInput(value) for key, value in answers.items()}
    return {flag.key for flag in score_response(DEFINITION, PROFILES[profile], inputs).flags}


def grid(default: str = "not_offered", **rows: str) -> dict[str, Any]:
    """An action-authority answer: every cell `default`, a row's cells as given."""
    question = QUESTIONS["action_authority"]
    choices = {
        f"{row['key']}.{column['key']}": rows.get(row["key"], default)
        for row in question["rows"]
        for column in question["columns"]
    }
    limits = {cell: 50 for cell, answer in choices.items() if answer == "alone_limited"}
    return {"choices": choices, "limits": limits}


# Import, publish, export -------------------------------------------------------------


@pytest.mark.django_db
def test_imports_and_publishes_next_to_version_1(capsys):
    call_command("import_questionnaire", str(SHIPPED_DEFINITION), "--publish")
    call_command("import_questionnaire", str(SHIPPED_V2_DEFINITION), "--publish")
    versions = QuestionnaireVersion.objects.filter(questionnaire__key="ai_cx_agent_readiness")
    assert sorted(versions.values_list("number", "status")) == [
        (1, VersionStatus.PUBLISHED),
        (2, VersionStatus.PUBLISHED),
    ]
    v2 = versions.get(number=2)
    assert v2.questions.count() == len(QUESTIONS)
    assert v2.profiles.count() == 3
    assert v2.title == V1["title"]  # the same questionnaire, a new version
    assert "v2 published" in capsys.readouterr().out


@pytest.mark.django_db
def test_export_then_import_gives_the_same_definition(tmp_path, capsys):
    questionnaire_import(text=TEXT, publish=True)
    exported = tmp_path / "v2.yaml"
    call_command(
        "export_questionnaire", "ai_cx_agent_readiness", "--version", "2", "-o", str(exported)
    )
    assert load_definition(exported.read_text()) == DEFINITION
    call_command("import_questionnaire", str(exported), "--publish")
    assert "nothing changed" in capsys.readouterr().out
    assert load_definition(dump_definition(DEFINITION)) == DEFINITION


def test_the_version_1_file_is_unchanged():
    assert hashlib.sha256(SHIPPED_DEFINITION.read_bytes()).hexdigest() == V1_FILE_SHA256
    assert V1["version"] == 1 and DEFINITION["version"] == 2
    assert DEFINITION["key"] == V1["key"] == "ai_cx_agent_readiness"


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.django_db
def test_a_broken_copy_is_refused_with_every_error_located():
    broken = replace_once(
        TEXT, "        type: grid\n", "        type: grid\n        requird: true\n"
    )
    broken = replace_once(
        broken,
        "derived: {ratio: [rollback_count, live_deployments]}",
        "derived: {ratio: [rollback_count, reference_customers]}",
    )
    broken = replace_once(
        broken, "          window: error_rate_window", "          window: material_error_rate"
    )
    broken = replace_once(broken, "rows: [regulated_decision]", "rows: [regulated_advice]")
    broken = replace_once(
        broken,
        'nist_ai_rmf: ["MANAGE 2.4"]\n          eu_ai_act: ["Art. 14"]\n          nist_ai_600_1',
        'nist_ai_rmf: ["MANAGE 2.5"]\n          eu_ai_act: ["Art. 14"]\n          nist_ai_600_1',
    )
    broken = replace_once(
        broken,
        "unit: minutes\n        required: true\n        evidence",
        ("unit: weeks\n        required: true\n        evidence"),
    )
    broken = replace_once(
        broken,
        "{key: not_tested, label: Never tested, risk: 1}",
        "{key: not_tested, label: Never tested}",
    )
    with pytest.raises(InvalidDefinition) as raised:
        questionnaire_import(text=broken, publish=True)
    errors = [str(e) for e in raised.value.errors]
    expected = [
        (f"{path_of('action_authority')}.requird", "unknown field 'requird'"),
        (
            f"{path_of('rollback_rate')}.derived.ratio[1]",
            "'reference_customers' does not come before 'rollback_rate'",
        ),
        (
            f"{path_of('material_error_rate')}.metric_definition.window",
            "'material_error_rate' is a percentage question",
        ),
        (f"{path_of('action_authority')}.knockouts[1].rows[0]", "'regulated_advice' is not a row"),
        (f"{path_of('kill_switch')}.controls.nist_ai_rmf[0]", "'MANAGE 2.5' is not a control"),
        (f"{path_of('kill_switch_minutes')}.unit", "unknown unit 'weeks'"),
        (f"{path_of('kill_switch_minutes')}.declared[0]", "needs a risk"),
    ]
    for location, message in expected:
        assert any(e.startswith(f"{location} (line ") and message in e for e in errors), (
            f"{location}: {message}\n" + "\n".join(errors)
        )
    assert len(errors) == len(expected), errors
    assert not QuestionnaireVersion.objects.exists()  # nothing half-imported


# What vendors read says nothing about scoring -----------------------------------------

SCORING_WORDS = re.compile(
    r"\b(bands?|points?|risk\w*|scor\w*|best answers?|good answers?|worrying|"
    r"thresholds?|flag\w*|knock-?outs?|weight\w*|penalt\w*|worst|counts? against)\b",
    re.IGNORECASE,
)


def vendor_texts() -> list[tuple[str, str]]:
    """Every text the portal shows that is not a question or a choice label."""
    texts = [("description", DEFINITION["description"])]
    texts += [(f"{s['key']}.intro", s["intro"]) for s in DEFINITION["sections"]]
    for _, q in iter_questions(DEFINITION):
        texts.append((f"{q['key']}.help", q["help"]))
        if q["explain"]:
            texts.append((f"{q['key']}.explain", q["explain"]["prompt"]))
        texts += [(f"{q['key']}.{c['key']}", c["comment"]) for c in q["choices"] if "comment" in c]
    return texts


def test_no_help_text_says_how_answers_are_scored():
    leaks = [
        f"{where}: {match.group(0)!r}"
        for where, text in vendor_texts()
        for match in SCORING_WORDS.finditer(text)
    ]
    assert not leaks, leaks
    # The phrases version 1 published, for the record.
    assert "best answer" in V1_QUESTIONS["rollback_rate"]["help"]
    assert "enter 240" in V1_QUESTIONS["kill_switch_minutes"]["help"]


def test_every_question_says_what_is_asked_and_every_scored_one_how_it_scores():
    assert all(q["help"].strip() for q in QUESTIONS.values())
    scored = [q for q in QUESTIONS.values() if q["scoring"] is not None]
    assert len(scored) >= 70
    missing = [q["key"] for q in scored if not q.get("scoring_notes")]
    assert not missing, missing
    # Where version 1 explained bands in the help, the notes now do.
    for q in scored:
        if q["type"] in NUMERIC_TYPES:
            for band in q["scoring"]["bands"][1:]:
                threshold = f"{band['min']:,g}"
                assert threshold in q["scoring_notes"], f"{q['key']}: {threshold}"


# Units, declared answers, derived rates ---------------------------------------------


def test_every_number_has_a_unit_and_money_is_in_the_rounds_currency():
    numbers = [q for q in QUESTIONS.values() if q["type"] in NUMERIC_TYPES]
    assert numbers
    for q in numbers:
        expected = "percent" if q["type"] == "percentage" else q.get("unit")
        assert q.get("unit") == expected and expected, q["key"]
    money = [q for q in numbers if "currency" in q["text"]]
    assert [q["key"] for q in money] == ["money_cap_per_customer"]
    for q in money:
        assert q["unit"] == "currency" and "currency" in q["buyer_context"]


# Numbers that are offers or assumptions, not figures a vendor measures.
NOT_MEASUREMENTS = {
    "reference_customers": "how many references the vendor offers",
    "savings_resolution_rate": "an assumption of the business case",
    "money_cap_per_customer": "a configured cap, with its own declared answers",
}


def test_every_track_record_and_drill_figure_offers_an_honest_non_answer():
    figures = [
        q
        for q in QUESTIONS.values()
        if q["type"] in NUMERIC_TYPES and q["key"] not in NOT_MEASUREMENTS
    ]
    assert {"rollback_count", "rollback_rate", "time_to_detect_hours"} <= {
        q["key"] for q in figures
    }
    for q in figures:
        declared = {d["key"] for d in q.get("declared", ())}
        assert declared & {"not_measured", "not_tested", "no_commitment"}, q["key"]
    assert [d["key"] for d in QUESTIONS["kill_switch_minutes"]["declared"]] == ["not_tested"]
    assert QUESTIONS["kill_switch_minutes"]["declared"][0]["label"] == "Never tested"
    for q in figures:
        for declared in q.get("declared", ()):
            if q["scoring"] is not None:
                assert declared["risk"] is not None, q["key"]


def test_the_rollback_rate_is_worked_out_never_typed_in():
    rate = QUESTIONS["rollback_rate"]
    assert rate["derived"] == {"ratio": ["rollback_count", "live_deployments"]}
    assert not rate["required"] and not rate["evidence"]
    assert QUESTIONS["rollback_count"]["evidence"]  # the evidence sits on the count
    rule = visibility(DEFINITION)
    values = rule.with_derived({"live_deployments": 40, "rollback_count": 3})
    assert values["rollback_rate"] == 7.5
    not_counted = rule.with_derived({"live_deployments": 40, "rollback_count": "not_measured"})
    assert not_counted["rollback_rate"] == "not_measured"
    # No other question asks the vendor to do arithmetic on its own answers.
    typed = [q for q in QUESTIONS.values() if not q.get("derived")]
    assert not [q["key"] for q in typed if re.search(r"divided by|the count above", q["text"])]


# Metric definitions ------------------------------------------------------------------

HEADLINE_METRICS = (
    "rollback_rate",
    "verified_resolution_rate",
    "material_error_rate",
    "repeat_contact_rate",
)


@pytest.mark.parametrize("metric", HEADLINE_METRICS)
def test_a_headline_metric_is_defined_by_the_three_questions_after_it(metric):
    parts = QUESTIONS[metric]["metric_definition"]
    assert list(parts) == ["numerator", "denominator", "window"]
    position = ORDER.index(metric)
    assert ORDER[position + 1 : position + 4] == list(parts.values())
    for key in parts.values():
        part = QUESTIONS[key]
        assert part["type"] == "single_choice" and part["required"]
        assert metric in part["show_if"], key
        other = [c for c in part["choices"] if c["key"] == "other"]
        assert other and other[0]["comment"], f"{key}: an 'other' choice asks what it is"
    window = QUESTIONS[parts["window"]]
    assert [c["key"] for c in window["choices"]] == [
        "last_30_days",
        "last_90_days",
        "last_12_months",
        "other",
    ]
    # Shown only for a figure: a declared "not measured" has nothing to define.
    shown = visibility(DEFINITION).keys
    asked = {"live_deployments": 20, "accuracy_measured_by": "vendor_qa"}
    # The rollback rate is worked out from its count; the others are typed in.
    given = "rollback_count" if QUESTIONS[metric].get("derived") else metric
    assert set(parts.values()) <= shown({**asked, given: 2})
    assert not set(parts.values()) & shown({**asked, given: "not_measured"})


# Action authority ------------------------------------------------------------------------


def test_money_and_regulated_actions_are_asked_once_in_a_grid():
    question = QUESTIONS["action_authority"]
    assert question["type"] == "grid" and question["required"]
    rows = {r["key"]: r["weight"] for r in question["rows"]}
    assert {"refund", "credit_goodwill", "account_change", "payment", "regulated_decision"} == set(
        rows
    )
    assert rows["payment"] == rows["regulated_decision"] == max(rows.values())
    assert rows["refund"] > rows["credit_goodwill"]
    assert [c["key"] for c in question["columns"]] == ["voice", "chat", "messaging", "email"]
    cells = {c["key"]: c for c in question["cells"]}
    assert cells["alone"]["risk"] == 1 and cells["approved"]["risk"] == 0
    assert cells["alone_limited"]["limit"] and 0 < cells["alone_limited"]["risk"] < 1
    assert "currency" in question["buyer_context"]
    # Version 1's duplicates are gone, and nothing else asks about money movement.
    assert not {"moves_money", "money_human_approval", "money_approval_threshold"} & set(QUESTIONS)
    money_choices = {"refunds_credits", "take_payments", "payment_arrangements"}
    assert not any(money_choices & {c["key"] for c in q["choices"]} for q in QUESTIONS.values())


def test_money_moved_alone_without_a_limit_is_critical_on_any_channel():
    base = {"autonomy": "acts_autonomously", "regulated_decisions": "no"}
    limited = grid(refund="alone_limited", payment="approved")
    assert not {"action_authority.knockout1", "action_authority.knockout2"} & flags(
        {**base, "action_authority": limited}
    )
    one_channel = grid(refund="alone_limited")
    one_channel["choices"]["payment.messaging"] = "alone"
    assert "action_authority.knockout1" in flags({**base, "action_authority": one_channel})
    regulated = grid(regulated_decision="alone")
    raised = flags({**base, "regulated_decisions": "yes", "action_authority": regulated})
    assert "action_authority.knockout2" in raised and "action_authority.knockout1" not in raised
    severities = {k["title"]: k["severity"] for k in QUESTIONS["action_authority"]["knockouts"]}
    assert set(severities.values()) == {"critical"}


def test_the_grid_is_asked_of_agents_that_act_or_touch_regulated_decisions():
    shown = visibility(DEFINITION).keys
    answers_only = {"autonomy": "answers_only", "regulated_decisions": "no"}
    assert "action_authority" not in shown(answers_only)
    assert "action_authority" in shown({**answers_only, "regulated_decisions": "yes"})
    assert "action_authority" in shown({"autonomy": "acts_with_approval"})
    # Limits enforced in code, and the cap per customer, matter where the agent acts alone.
    alone = shown({"autonomy": "acts_autonomously"})
    assert {"money_limits_enforced", "money_cap_per_customer"} <= alone
    assert not {"money_limits_enforced", "money_cap_per_customer"} & shown(
        {"autonomy": "acts_with_approval"}
    )


# Buyer context, choices asking for details -----------------------------------------------


def test_questions_about_the_buyer_say_which_buyer_context_they_show():
    about_buyer = [q for q in QUESTIONS.values() if re.search(r"\bbuyer", q["text"], re.I)]
    assert not [q["key"] for q in about_buyer if "buyer_context" not in q]
    context = {key: q.get("buyer_context", []) for key, q in QUESTIONS.items()}
    assert {"industry", "volume"} <= set(context["comparable_deployments"])
    assert "volume" in context["reference_customers"]
    for key in ("subprocessors", "hosting_regions", "data_residency"):
        assert "regions" in context[key], key
    assert "currency" in context["money_cap_per_customer"]


def test_a_choice_that_needs_details_asks_for_them():
    for q in QUESTIONS.values():
        for choice in q["choices"]:
            assert "comment" not in choice["label"].lower(), f"{q['key']}.{choice['key']}"
            if choice["key"] == "other":
                assert choice.get("comment"), f"{q['key']}.other"
    assert QUESTIONS["iso_42001"]["choices"][1]["comment"]
    assert QUESTIONS["high_risk_assessment"]["choices"][1]["comment"]
    # Version 1's "name them in the comment" choices, now with a required comment.
    summaries = QUESTIONS["context_across_channels"]["choices"][1]
    assert summaries["key"] == "summaries_some_channels" and summaries["comment"]


def test_no_explanation_prompt_repeats_the_next_question():
    assert QUESTIONS["rollback_reasons"]["explain"] is None  # rollback_detail asks it
    assert QUESTIONS["rollback_rate"]["explain"] is None


# Framework controls -----------------------------------------------------------------------


def test_every_scored_question_names_a_control():
    assert coverage(DEFINITION).unmapped_scored == ()


def not_covered_in_docs(short_title: str) -> dict[str, str]:
    """{control ID: reason} from docs/questionnaire.md's table of in-scope controls that
    version 2 does not cover, for one framework."""
    section = DOCS.split("## Framework coverage", 1)[1]
    part = section.split(f"### {short_title}\n", 1)[1].split("\n### ", 1)[0]
    part = part.split("**In scope, not covered**", 1)[1].split("\n\n**", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (.+?) \|$", part, re.MULTILINE)
    return {control: reason.strip() for control, reason in rows}


@pytest.mark.parametrize("framework", sorted(catalogues()))
def test_every_in_scope_control_is_covered_or_explained_in_the_docs(framework):
    result = coverage(DEFINITION).frameworks[framework]
    explained = not_covered_in_docs(result.framework.short_title)
    assert not result.unknown
    assert sorted(result.uncovered) == sorted(explained), (
        f"{framework}: uncovered but not explained: "
        f"{sorted(set(result.uncovered) - set(explained))}; explained but covered: "
        f"{sorted(set(explained) - set(result.uncovered))}"
    )
    assert all(len(reason.split()) >= 8 for reason in explained.values()), explained
    # Most of every framework is covered.
    assert len(result.covered) >= 0.75 * len(result.in_scope)


# Sources, profiles and rules ---------------------------------------------------------------


def test_sources_stay_cited():
    sources = {s["key"]: s for s in DEFINITION["sources"]}
    sinch = sources["sinch_2026"]
    assert "74%" in sinch["note"] and "2,527" in sinch["note"] and "May 2026" in sinch["title"]
    for key, source in (
        ("live_deployments", "sinch_2026"),
        ("rollback_rate", "sinch_2026"),
        ("kill_switch", "nist_ai_rmf"),
        ("ai_disclosure", "eu_ai_act"),
        ("pci_card_data", "pci_dss"),
        ("hipaa_baa", "hipaa_baa"),
        ("prompt_injection_defences", "owasp_llm"),
        ("security_attestation", "soc2_iso27001"),
        ("liability_for_agent_errors", "moffatt_2024"),
    ):
        assert source in QUESTIONS[key]["sources"], f"{key} should cite {source}"


def test_profiles_keep_their_order_and_weights():
    assert [p["key"] for p in DEFINITION["profiles"]] == [
        "general",
        "financial_services",
        "healthcare",
    ]
    for v1_profile in V1["profiles"]:
        assert PROFILES[v1_profile["key"]]["section_weights"] == v1_profile["section_weights"]
    assert [s["key"] for s in DEFINITION["sections"]] == [s["key"] for s in V1["sections"]]


RECORD = {"live_deployments": 40, "rollback_count": 0}


@pytest.mark.parametrize("monitoring", ["sampled_review", "none"])
def test_near_zero_rollbacks_without_live_monitoring_is_a_blind_spot(monitoring):
    assert "blind_spot_rollbacks" in flags({**RECORD, "live_monitoring": monitoring})
    not_counted = {**RECORD, "rollback_count": "not_measured", "live_monitoring": monitoring}
    # "Not measured" is no rate at all: a string compared with a number is false.
    assert "blind_spot_rollbacks" not in flags(not_counted)
    assert "rollbacks_not_counted" in flags(not_counted)


@pytest.mark.parametrize(
    "answers",
    [
        {**RECORD, "live_monitoring": "realtime_with_alerting"},
        {**RECORD, "rollback_count": 3, "live_monitoring": "none"},  # 7.5%
        {**RECORD},  # monitoring not answered: no flag on missing data
    ],
)
def test_the_blind_spot_stays_quiet_otherwise(answers):
    assert "blind_spot_rollbacks" not in flags(answers)


@pytest.mark.parametrize(
    ("answers", "fires"),
    [
        ({"verified_resolution_rate": "not_measured"}, True),
        ({"verified_resolution_rate": 80, "resolution_rate_numerator": "model_judged"}, True),
        ({"verified_resolution_rate": 80, "resolution_rate_numerator": "not_escalated"}, True),
        ({"verified_resolution_rate": 58, "resolution_rate_numerator": "system_of_record"}, False),
        ({}, False),
    ],
)
def test_verified_resolution_without_verification_is_flagged(answers, fires):
    raised = flags({"resolution_metric": "verified_resolution", **answers})
    assert ("resolution_without_method" in raised) is fires


def test_a_business_case_above_or_without_the_record_is_flagged():
    case = {"business_case": "vendor_benchmarks", "savings_resolution_rate": 65}
    assert "business_case_exceeds_record" in flags({**case, "verified_resolution_rate": 31})
    assert "business_case_exceeds_record" not in flags({**case, "verified_resolution_rate": 60})
    unmeasured = {**case, "verified_resolution_rate": "not_measured"}
    assert "business_case_exceeds_record" in flags(unmeasured)


def test_an_untested_kill_switch_is_flagged():
    switch = {"kill_switch": "whole_deployment"}
    assert "kill_switch_untested" in flags({**switch, "kill_switch_minutes": "not_tested"})
    assert "kill_switch_untested" not in flags({**switch, "kill_switch_minutes": 4})


def test_card_payments_without_card_data_handling_is_critical():
    pays = {"use_cases": ["billing"], "pci_attestation_scope": "no_aoc"}
    assert "card_payments_in_transcripts" in flags({**pays, "pci_card_data": "not_handled"})
    no_payments = {**pays, "pci_attestation_scope": "no_card_payments"}
    assert "card_payments_in_transcripts" not in flags(
        {**no_payments, "pci_card_data": "not_handled"}
    )


@pytest.mark.parametrize(
    ("answers", "fires"),
    [
        ({"money_cap_per_customer": "no_cap"}, True),
        ({"money_cap_per_customer": 750}, True),
        ({"money_cap_per_customer": 100}, False),
        ({"money_cap_per_customer": "none_alone"}, False),
    ],
)
def test_financial_services_flags_a_loose_money_cap(answers, fires):
    answers = {"autonomy": "acts_autonomously", **answers}
    assert ("fs_money_cap_loose" in flags(answers, "financial_services")) is fires
    assert "fs_money_cap_loose" not in flags(answers, "general")


def test_financial_services_flags_slow_or_missing_incident_notice():
    assert "fs_slow_incident_notice" in flags(
        {"incident_notification_hours": 24}, "financial_services"
    )
    assert "fs_slow_incident_notice" in flags(
        {"incident_notification_hours": "no_commitment"}, "financial_services"
    )
    assert "fs_slow_incident_notice" not in flags(
        {"incident_notification_hours": 2}, "financial_services"
    )


@pytest.mark.parametrize(
    "answers",
    [{"health_data": "yes", "hipaa_baa": "vendor_only"}, {"health_data": "no"}],
)
def test_healthcare_without_a_baa_is_critical(answers):
    assert "no_baa" in flags(answers, "healthcare")
    assert "no_baa" not in flags(answers, "general")


# Version 1 stays as it was; its answers carry forward ------------------------------------

V1_ANSWERS = {
    "channels": ["chat", "voice"],
    "autonomy": "acts_autonomously",
    "agent_actions": ["case_updates", "refunds_credits"],
    "moves_money": "yes",
    "money_human_approval": "above_threshold",
    "money_approval_threshold": 80,
    "money_limits_enforced": "yes",
    "regulated_decisions": "no",
    "health_data": "no",
    "live_deployments": 24,
    "comparable_deployments": 2,
    "rollback_count": 3,
    "rollback_rate": 12.5,
    "rollback_reasons": ["latency_outages", "other"],
    "resolution_metric": "verified_resolution",
    "resolution_method": "human_audit",
    "verified_resolution_rate": 48,
    "live_monitoring": "realtime_no_paging",
    "kill_switch": "whole_deployment",
    "kill_switch_minutes": 240,
    "context_across_channels": "summaries_some_channels",
    "hosting_regions": ["eu", "other"],
    "iso_42001": "audit_scheduled",
    "pci_attestation": "yes",
}


def score_rows(response) -> list[tuple]:
    return list(
        ResponseScore.objects.filter(response=response)
        .order_by("profile_key")
        .values_list(
            "profile_key", "inputs_hash", "score", "tier", "low", "high", "coverage", "flag_count"
        )
    )


@pytest.mark.django_db
def test_importing_version_2_leaves_a_scored_version_1_response_exactly_as_it_was(
    shipped_version,
):
    response = scored_submission(shipped_version, "Earlier Vendor", V1_ANSWERS)
    before = score_rows(response)
    results = [ScoreResult.from_dict(s.result) for s in response.scores.order_by("profile_key")]
    assert len(before) == 3 and all(row[2] is not None for row in before)
    questionnaire_import(text=TEXT, publish=True)
    response_score(response=response)
    response.refresh_from_db()
    assert response.version == shipped_version
    assert score_rows(response) == before
    assert [
        ScoreResult.from_dict(s.result) for s in response.scores.order_by("profile_key")
    ] == results
    assert shipped_version.content_hash == content_hash(V1)


@pytest.mark.django_db
def test_version_1_answers_carry_forward_into_version_2_by_shared_keys(shipped_version):
    v2 = questionnaire_import(text=TEXT, publish=True).version
    earlier = scored_submission(shipped_version, "Returning Vendor", V1_ANSWERS)
    current = ResponseFactory(version=v2, vendor=earlier.vendor, selection=round_of(v2))
    copied = carry_forward(response=current)
    carried = set(current.answers.values_list("question__key", flat=True))
    assert copied == len(carried)
    # Same key, same type, a value that still fits: copied, to be confirmed.
    assert carried == {
        "channels",
        "autonomy",
        "money_limits_enforced",
        "regulated_decisions",
        "health_data",
        "live_deployments",
        "comparable_deployments",
        "rollback_count",
        "rollback_reasons",
        "resolution_metric",
        "verified_resolution_rate",
        "live_monitoring",
        "kill_switch",
        "kill_switch_minutes",
        "context_across_channels",
        "hosting_regions",
        "iso_42001",
    }
    assert all(current.answers.values_list("carried_forward", flat=True))
    # Asked differently in version 2 (new keys), or derived: not carried.
    assert not carried & {
        "agent_actions",
        "moves_money",
        "money_human_approval",
        "money_approval_threshold",
        "resolution_method",
        "pci_attestation",
        "rollback_rate",
    }
    assert Answer.objects.get(response=current, question__key="live_deployments").value == 24


def test_shared_keys_ask_the_same_thing_in_the_same_shape():
    shared = set(QUESTIONS) & set(V1_QUESTIONS)
    assert len(shared) >= 60
    for key in shared:
        old, new = V1_QUESTIONS[key], QUESTIONS[key]
        assert old["type"] == new["type"], key
        assert [c["key"] for c in old["choices"]] == [c["key"] for c in new["choices"]], key
    # Changed in meaning or shape, so given new keys (docs/questionnaire.md says why).
    replaced = {
        "agent_actions": "system_actions",
        "account_change_verification": "account_change_identity",
        "resolution_method": "resolution_rate_numerator",
        "pci_attestation": "pci_attestation_scope",
        "regulated_decision_control": "action_authority",
        "money_human_approval": "action_authority",
    }
    for old_key, new_key in replaced.items():
        assert old_key not in QUESTIONS and new_key in QUESTIONS
        assert f"`{old_key}`" in DOCS and f"`{new_key}`" in DOCS


def test_regulated_decisions_alone_are_critical_whatever_the_limit(shipped_v2_version):
    from questionnaires.definition import grid_cells, iter_questions
    from questionnaires.scoring import AnswerInput, score_response

    definition = shipped_v2_version.definition
    grid = next(q for _, q in iter_questions(definition) if q["type"] == "grid")
    choices = dict.fromkeys(grid_cells(grid), "approved")
    choices["regulated_decision.chat"] = "alone_limited"
    answer = {"choices": choices, "limits": {"regulated_decision.chat": 2000}}
    inputs = {
        "autonomy": AnswerInput("acts_autonomously", "self_attested"),
        "regulated_decisions": AnswerInput("yes", "self_attested"),
        grid["key"]: AnswerInput(answer, "self_attested"),
    }
    flags = [f.title for f in score_response(definition, definition["profiles"][0], inputs).flags]
    assert "Solely automated regulated decisions" in flags
