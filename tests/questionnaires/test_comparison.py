"""questionnaires.comparison: the matrix behind the comparison page, exports and reports."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from questionnaires.comparison import (
    ComparisonError,
    UnknownProfile,
    build_comparison,
    risk_word,
)
from questionnaires.display import NOT_ANSWERED, answer_display
from questionnaires.models import Evidence, EvidenceLevel, ResponseScore, ResponseStatus
from questionnaires.scoring import score_response
from questionnaires.selectors import profile_as_dict, scoring_inputs
from tests.factories import ResponseFactory, VendorFactory, answer_all
from tests.synthetic import answered_responses, generated_definition, import_definition

pytestmark = pytest.mark.django_db

CAREFUL = {
    "live_deployments": 40,
    "rollback_rate": 4,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
    "kill_switch_owner": "Head of support",
}
RECKLESS = {
    "live_deployments": 12,
    "rollback_rate": 30,
    "rollback_reasons": ["hallucination", "cost"],
    "live_monitoring": "none",
    "human_approval_money": "no",
}


def _pair(version):
    careful = ResponseFactory(
        version=version, vendor=VendorFactory(name="Careful Co"), status=ResponseStatus.SUBMITTED
    )
    reckless = ResponseFactory(
        version=version, vendor=VendorFactory(name="Reckless Inc"), status=ResponseStatus.SUBMITTED
    )
    answer_all(careful, CAREFUL)
    answer_all(reckless, RECKLESS)
    return careful, reckless


def _row(comparison, key):
    return next(row for _, row in comparison.rows() if row.key == key)


def test_matrix_has_a_column_per_vendor_and_a_row_per_question_grouped_by_section(
    example_version,
):
    careful, reckless = _pair(example_version)

    comparison = build_comparison([careful, reckless])

    assert [v.vendor_name for v in comparison.vendors] == ["Careful Co", "Reckless Inc"]
    assert [s.key for s in comparison.sections] == ["track_record", "oversight"]
    assert [r.key for r in comparison.sections[1].rows] == [
        "live_monitoring",
        "human_approval_money",
        "kill_switch_owner",
        "monitoring_report",
    ]
    assert comparison.profile_key == "general"
    assert comparison.profiles == (
        ("general", "General"),
        ("financial_services", "Financial services"),
    )


def test_cells_show_answers_as_people_read_them_with_risk_in_words(example_version):
    careful, reckless = _pair(example_version)

    comparison = build_comparison([careful, reckless])

    monitoring = _row(comparison, "live_monitoring").cells
    assert monitoring[0].display == "Real-time monitoring with alerting"
    assert (monitoring[0].risk, monitoring[0].risk_word) == (0, "low")
    assert (monitoring[1].display, monitoring[1].risk_word) == ("Not monitored", "severe")
    rate = _row(comparison, "rollback_rate").cells
    assert (rate[0].display, rate[0].risk_word) == ("4%", "low")
    assert (rate[1].display, rate[1].risk_word) == ("30%", "severe")
    reasons = _row(comparison, "rollback_reasons").cells
    assert reasons[1].display == "Hallucinated policy or commitment; Cost"
    assert reasons[1].risk == 0.8
    money = _row(comparison, "human_approval_money").cells
    assert [c.display for c in money] == ["Yes", "No"]
    deployments = _row(comparison, "live_deployments").cells
    assert (deployments[0].display, deployments[0].risk_word) == ("40", "not scored")
    owner = _row(comparison, "kill_switch_owner").cells
    assert owner[0].display == "Head of support"
    assert (owner[1].state, owner[1].risk_word) == ("unanswered", "unanswered")
    report = _row(comparison, "monitoring_report").cells
    assert report[0].state == "unanswered"


def test_hidden_questions_are_marked_hidden_not_unanswered(example_version):
    careful, _ = _pair(example_version)
    answer_all(
        ResponseFactory(version=example_version, vendor=VendorFactory(name="Zero Ltd")),
        {"live_deployments": 9, "rollback_rate": 0},
    )
    zero = example_version.responses.get(vendor__name="Zero Ltd")

    comparison = build_comparison([careful, zero])

    reasons = _row(comparison, "rollback_reasons").cells
    # Careful Co had rollbacks, so it was asked why (and did not say); Zero Ltd was not.
    assert [c.state for c in reasons] == ["unanswered", "hidden"]
    assert [c.risk_word for c in reasons] == ["unanswered", "hidden"]


def test_cells_carry_evidence_level_comment_and_the_flags_they_raised(example_version):
    careful, reckless = _pair(example_version)
    careful.answers.filter(question__key="rollback_rate").update(
        evidence_level=EvidenceLevel.VERIFIED, comment="Audited by KPMG in March."
    )

    comparison = build_comparison([careful, reckless])

    rate = _row(comparison, "rollback_rate").cells[0]
    assert rate.evidence_level == "verified"
    assert rate.evidence_label == "Verified by an analyst"
    assert rate.comment == "Audited by KPMG in March."
    money = _row(comparison, "human_approval_money")
    assert not money.cells[0].flagged
    assert money.cells[1].flagged
    assert "Money moves without human approval" in money.cells[1].flag_titles
    reckless_column = comparison.vendors[1]
    assert reckless_column.result.tier == "critical"
    assert [f.title for f in reckless_column.flags] == ["Money moves without human approval"]


def test_a_cross_answer_rule_flags_every_answer_it_depends_on(example_version):
    careful, _ = _pair(example_version)
    blind = ResponseFactory(version=example_version, vendor=VendorFactory(name="Blind Spot"))
    answer_all(blind, {**CAREFUL, "rollback_rate": 0, "live_monitoring": "none"})

    comparison = build_comparison([careful, blind])

    rule = "Near-zero rollbacks without live monitoring"
    assert rule in _row(comparison, "rollback_rate").cells[1].flag_titles
    assert rule in _row(comparison, "live_monitoring").cells[1].flag_titles
    assert not _row(comparison, "live_monitoring").cells[0].flagged
    assert comparison.vendors[1].result.tier == "high"


def test_header_and_subtotals_match_the_scoring_engine(example_version):
    careful, reckless = _pair(example_version)
    inputs = scoring_inputs([careful.pk, reckless.pk])
    profile = profile_as_dict(example_version.profiles.get(key="general"))

    comparison = build_comparison([careful, reckless])

    for column, response in zip(comparison.vendors, [careful, reckless], strict=True):
        expected = score_response(example_version.definition, profile, inputs[response.pk])
        assert column.result.score == pytest.approx(expected.score)
        assert (column.result.low, column.result.high) == pytest.approx(
            (expected.low, expected.high)
        )
    oversight = comparison.sections[1]
    expected_oversight = next(
        s for s in comparison.vendors[1].result.sections if s.key == "oversight"
    )
    assert oversight.subtotals[1].score == pytest.approx(expected_oversight.score)
    assert oversight.weight == 2


def test_switching_profile_rescores_on_the_fly_without_writing(example_version):
    careful, reckless = _pair(example_version)
    inputs = scoring_inputs([careful.pk, reckless.pk])
    finance = profile_as_dict(example_version.profiles.get(key="financial_services"))
    stored_before = ResponseScore.objects.count()

    with CaptureQueriesContext(connection) as queries:
        comparison = build_comparison([careful, reckless], profile_key="financial_services")

    assert comparison.profile_title == "Financial services"
    expected = score_response(example_version.definition, finance, inputs[careful.pk])
    assert comparison.vendors[0].result.score == pytest.approx(expected.score)
    assert comparison.sections[1].weight == 4
    general = build_comparison([careful, reckless], profile_key="general")
    assert general.vendors[0].result.score != pytest.approx(comparison.vendors[0].result.score)
    writes = [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert ResponseScore.objects.count() == stored_before


def test_unknown_profile_is_refused_with_the_choices(example_version):
    careful, reckless = _pair(example_version)

    with pytest.raises(UnknownProfile, match="general, financial_services"):
        build_comparison([careful, reckless], profile_key="healthcare")


def test_different_questionnaires_are_refused_with_a_clear_message(example_version):
    other = import_definition(generated_definition(key="other_check"))
    careful, _ = _pair(example_version)
    foreign = ResponseFactory(version=other)

    with pytest.raises(ComparisonError, match="different questionnaires") as excinfo:
        build_comparison([careful, foreign])

    assert "Example AI agent check" in str(excinfo.value)
    assert "filter the list by questionnaire" in str(excinfo.value)


def test_nothing_to_compare_and_missing_responses_are_refused(example_version):
    with pytest.raises(ComparisonError, match="at least one"):
        build_comparison([])
    with pytest.raises(ComparisonError, match="No response with id 999999"):
        build_comparison([999999])


def test_versions_are_compared_on_shared_questions_and_the_rest_is_not_asked(db):
    first = generated_definition(sections=2, per_section=3)
    second = generated_definition(sections=2, per_section=3, version=2)
    # Version 2 drops s1_q2 and adds a new question.
    second["sections"][1]["questions"].pop()
    second["sections"][1]["questions"].append(
        {
            "key": "s1_new",
            "text": "A new question?",
            "type": "yes_no",
            "scoring": {"yes": 0, "no": 1},
        }
    )
    v1, v2 = import_definition(first), import_definition(second)
    old = answered_responses(v1, 1, seed=1)[0]
    new = answered_responses(v2, 1, seed=2)[0]

    comparison = build_comparison([old, new])

    assert comparison.version_numbers == (1, 2)
    assert "versions 1, 2" in comparison.notes[0]
    new_row = _row(comparison, "s1_new")
    assert [c.state for c in new_row.cells] == ["not_asked", "answered"]
    assert new_row.cells[0].risk_word == "not asked"
    dropped = _row(comparison, "s1_q2")
    assert [c.state for c in dropped.cells] == ["answered", "not_asked"]
    shared = _row(comparison, "s0_q0")
    assert all(c.asked for c in shared.cells)
    assert "same version" in comparison.robustness


def test_differences_only_and_flagged_only_filter_rows(example_version):
    careful, reckless = _pair(example_version)
    twin = ResponseFactory(version=example_version, vendor=VendorFactory(name="Twin"))
    answer_all(twin, CAREFUL)

    same = build_comparison([careful, twin], differences_only=True)
    assert same.shown_rows == 0
    assert same.total_rows == 7

    differing = build_comparison([careful, reckless], differences_only=True)
    keys = [row.key for _, row in differing.rows()]
    assert "live_monitoring" in keys
    assert "monitoring_report" not in keys  # both left it unanswered

    flagged = build_comparison([careful, reckless], flagged_only=True)
    assert [row.key for _, row in flagged.rows()] == ["human_approval_money"]
    assert flagged.shown_rows == 1
    assert len(flagged.sections) == 2  # subtotals stay, even with no rows left


def test_order_by_risk_puts_the_lowest_risk_first_and_unscored_last(example_version):
    careful, reckless = _pair(example_version)
    empty = ResponseFactory(version=example_version, vendor=VendorFactory(name="Empty"))

    natural = build_comparison([empty, reckless, careful])
    ordered = build_comparison([empty, reckless, careful], order_by_risk=True)

    assert [v.vendor_name for v in natural.vendors] == ["Empty", "Reckless Inc", "Careful Co"]
    assert [v.vendor_name for v in ordered.vendors] == ["Careful Co", "Reckless Inc", "Empty"]
    # Cells follow their vendor.
    assert _row(ordered, "live_monitoring").cells[0].display.startswith("Real-time")


def test_a_stored_override_is_shown_next_to_the_computed_score(example_version):
    careful, reckless = _pair(example_version)
    result = build_comparison([careful]).vendors[0].result
    ResponseScore.objects.create(
        response=careful,
        profile_key="general",
        engine_version=result.engine_version,
        inputs_hash="x",
        computed_at="2026-05-01T00:00:00Z",
        score=result.score,
        low=result.low,
        high=result.high,
        coverage=result.coverage,
        tier=result.tier,
        result=result.to_dict(),
        override_score=55,
        override_tier="high",
        override_justification="Reference calls contradict the reported rollback rate.",
    )

    column = build_comparison([careful, reckless]).vendors[0]

    assert column.is_overridden
    assert (column.effective_score, column.effective_tier) == (55, "high")
    assert column.result.score == pytest.approx(result.score)
    assert column.override_justification.startswith("Reference calls")
    finance = build_comparison([careful, reckless], profile_key="financial_services")
    assert not finance.vendors[0].is_overridden


def test_robustness_is_stated_in_words_with_vendor_names(example_version):
    careful, reckless = _pair(example_version)

    comparison = build_comparison([careful, reckless])

    assert comparison.robustness.startswith("Careful Co ranks first, Reckless Inc second.")
    assert "draws" in comparison.robustness
    assert "second response" in build_comparison([careful]).robustness


def test_queries_do_not_grow_with_vendors_or_questions(db):
    small = import_definition(generated_definition(sections=2, per_section=3, key="small_check"))
    large = import_definition(generated_definition(sections=6, per_section=10, key="large_check"))
    two = answered_responses(small, 2)
    twelve = answered_responses(large, 12)

    with CaptureQueriesContext(connection) as few:
        build_comparison(two)
    with CaptureQueriesContext(connection) as many:
        comparison = build_comparison(twelve)

    assert len(comparison.vendors) == 12
    assert comparison.total_rows == 60
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("question", "value", "expected"),
    [
        ({"type": "percentage"}, 12.5, "12.5%"),
        ({"type": "integer"}, 12000, "12,000"),
        ({"type": "decimal"}, 3.25, "3.25"),
        ({"type": "decimal"}, 1234.5, "1,234.5"),
        ({"type": "decimal"}, 2.0, "2"),
        ({"type": "date"}, "2026-03-07", "7 Mar 2026"),
        ({"type": "date"}, "not a date", "not a date"),
        ({"type": "yes_no"}, "yes", "Yes"),
        ({"type": "text"}, "Ops", "Ops"),
    ],
)
def test_answer_display(question, value, expected):
    assert answer_display(question, value) == expected


def test_answer_display_of_nothing():
    assert answer_display({"type": "text"}, "") == NOT_ANSWERED


def test_answer_display_of_files_counts_them():
    assert answer_display({"type": "file"}, None, 1) == "1 file"
    assert answer_display({"type": "file"}, None, 3) == "3 files"


@pytest.mark.parametrize(
    ("risk", "word"),
    [
        (0, "low"),
        (0.249, "low"),
        (0.25, "moderate"),
        (0.5, "high"),
        (0.75, "severe"),
        (1, "severe"),
    ],
)
def test_risk_words_follow_the_tier_cut_points(risk, word):
    assert risk_word(risk) == word


def test_file_questions_are_answered_by_their_attachments(example_version):
    careful, reckless = _pair(example_version)
    report = answer_all(careful, {"monitoring_report": None})[0]
    for name in ("march.pdf", "april.pdf"):
        Evidence.objects.create(
            answer=report,
            file=ContentFile(b"%PDF-1.4", name=name),
            original_name=name,
            content_type="application/pdf",
            size=8,
            sha256="0" * 64,
        )

    cells = _row(build_comparison([careful, reckless]), "monitoring_report").cells

    assert (cells[0].state, cells[0].display, cells[0].evidence_files) == ("answered", "2 files", 2)
    assert cells[1].state == "unanswered"


def test_robustness_follows_changed_answers(example_version):
    careful, reckless = _pair(example_version)
    assert build_comparison([careful, reckless]).robustness.startswith("Careful Co ranks first")

    reckless.answers.filter(question__key="human_approval_money").update(value="yes")
    reckless.answers.filter(question__key="live_monitoring").update(value="realtime")
    reckless.answers.filter(question__key="rollback_rate").update(value=2)
    careful.answers.filter(question__key="live_monitoring").update(value="none")

    again = build_comparison([careful, reckless]).robustness
    assert again.startswith("Reckless Inc ranks first, Careful Co second.")
