"""The decision data for a round's comparison (questionnaires/decision.py) and its
include templates, on a real round of the shipped version 2."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from questionnaires.comparison import build_comparison
from questionnaires.decision import decision_context, decision_data
from questionnaires.frameworks.vendor_coverage import GAP, MET, PARTLY, UNVERIFIED
from questionnaires.models import Answer, EvidenceLevel
from tests.factories import round_of, scored_submission

ACME = {
    "autonomy": "answers_only",
    "prompt_injection_defences": "layered",
    "ai_pentest": "independent_12_months",
    "system_prompt_secrets": "none_tested",
    "consumption_limits": "none",
    "supply_chain_review": "reviewed_no_bom",
    "pricing_basis": "platform_fee",
    "business_case": "buyer_baseline_verified",
    "savings_resolution_rate": 60,
    "verified_resolution_rate": 40,
    "repeat_contact_rate": 10,
}
BOLT = {
    "autonomy": "answers_only",
    "ai_pentest": "independent_12_months",
    "pricing_basis": "per_handled_contact",
    "business_case": "vendor_benchmarks",
    "savings_resolution_rate": 50,
    "verified_resolution_rate": "not_measured",
    "repeat_contact_rate": "not_measured",
}


def decision_round(version, *, frameworks, bolt_price=None, **round_fields):
    """A v2 round in EUR with its volume and cost of a human contact: Acme priced, with a
    verified pen test and resolution rate; Bolt with no verified figures."""
    selection = round_of(
        version,
        **round_fields,
        buyer_currency="EUR",
        yearly_contact_volume=1_000_000,
        human_contact_cost=Decimal("5.00"),
        frameworks=frameworks,
    )
    acme = scored_submission(version, "Acme", ACME)
    bolt = scored_submission(version, "Bolt", BOLT)
    acme.selection = bolt.selection = selection
    acme.analyst_yearly_price = Decimal("1200000")
    bolt.analyst_yearly_price = bolt_price
    for response in (acme, bolt):
        response.save(update_fields=["selection", "analyst_yearly_price"])
    Answer.objects.filter(
        response=acme, question__key__in=["ai_pentest", "verified_resolution_rate"]
    ).update(evidence_level=EvidenceLevel.VERIFIED)
    return selection, acme, bolt


@pytest.fixture
def round_(shipped_v2_version):
    return decision_round(shipped_v2_version, frameworks=["owasp_llm_2025", "retired_framework"])


def comparison_of(selection, acme, bolt, **options):
    return build_comparison([acme.pk, bolt.pk], profile_key=selection.profile_key, **options)


def test_coverage_per_chosen_framework_with_the_questions_behind_each_status(round_):
    selection, acme, bolt = round_
    decision = decision_data(selection, comparison_of(selection, acme, bolt))
    (matrix,) = decision.frameworks
    assert matrix.framework.key == "owasp_llm_2025"
    assert decision.unknown_frameworks == ("retired_framework",)
    assert matrix.vendors == ("Acme", "Bolt")
    rows = {row.control_id: row for row in matrix.rows}
    assert len(rows) == 10
    acme_status = {key: row.cells[0].status for key, row in rows.items()}
    bolt_status = {key: row.cells[1].status for key, row in rows.items()}
    assert acme_status["LLM01:2025"] == MET  # layered defences, a verified pen test
    assert acme_status["LLM10:2025"] == GAP  # no consumption limits
    assert acme_status["LLM03:2025"] == PARTLY  # reviewed, no bill of materials
    # Bolt's pen test is self-attested and its injection defences unanswered.
    assert bolt_status["LLM01:2025"] == UNVERIFIED
    llm01 = rows["LLM01:2025"].cells[1]
    labels = [(q.question.key, q.status) for q in llm01.questions]
    assert labels == [("prompt_injection_defences", "unanswered"), ("ai_pentest", UNVERIFIED)]
    number = llm01.questions[1].question.number
    assert llm01.questions[1].question.label.startswith(f"Q{number} ")
    assert matrix.counts[0][GAP] >= 1


def test_a_filtered_comparison_gives_the_same_coverage(round_):
    selection, acme, bolt = round_
    whole = decision_data(selection, comparison_of(selection, acme, bolt))
    filtered = decision_data(selection, comparison_of(selection, acme, bolt, flagged_only=True))
    assert filtered.frameworks == whole.frameworks
    assert filtered.business_cases == whole.business_cases


def test_business_case_rows_per_vendor(round_):
    selection, acme, bolt = round_
    acme_row, bolt_row = decision_data(
        selection, comparison_of(selection, acme, bolt)
    ).business_cases
    assert acme_row.vendor_name == "Acme" and acme_row.response_id == acme.pk
    assert acme_row.pricing_basis == "A fixed platform fee"
    case = acme_row.case
    assert case.currency == "EUR"
    # (a) 1,000,000 x 60% x 5 - 1,200,000; (b) 1,000,000 x 40% x 90% x 5 - 1,200,000,
    # its repeat rate unverified.
    assert case.net_assumed == Decimal("1800000.00")
    assert case.net_verified == Decimal("600000.00")
    assert case.net_verified_low == Decimal("-1200000.00")
    assert case.rests_on_unverified is True and case.assumed_only is False
    # Bolt: no analyst's price, so no net savings, and it says why.
    assert bolt_row.case.yearly_price is None
    assert bolt_row.case.net_assumed is None
    assert bolt_row.case.gross_assumed == Decimal("2500000.00")
    assert any("yearly price is unknown" in reason for reason in bolt_row.case.missing)


def test_baselines_per_question(round_):
    selection, acme, bolt = round_
    decision = decision_data(selection, comparison_of(selection, acme, bolt))
    (use,) = decision.baselines
    assert use.baseline.publisher == "Sinch"
    assert [q.key for q in use.questions] == ["rollback_count", "rollback_rate"]
    assert set(decision.baselines_by_question) == {"rollback_count", "rollback_rate"}


def test_the_include_templates_render_the_decision(round_):
    selection, acme, bolt = round_
    context = decision_context(selection, comparison_of(selection, acme, bolt))
    coverage = render_to_string("admin/questionnaires/_decision_coverage.html", context)
    assert "OWASP" in coverage and "LLM01:2025" in coverage
    assert 'class="cx-risk risk-severe">Gap' in coverage
    assert "Unverified" in coverage and "retired_framework" in coverage
    business = render_to_string("admin/questionnaires/_decision_business_case.html", context)
    assert "Acme" in business and "Bolt" in business
    assert "Works only if unverified figures hold" in business  # Acme's
    assert "yearly price is unknown" in business  # Bolt's
    bolt.analyst_yearly_price = Decimal("1000000")
    bolt.save(update_fields=["analyst_yearly_price"])
    context = decision_context(selection, comparison_of(selection, acme, bolt))
    business = render_to_string("admin/questionnaires/_decision_business_case.html", context)
    assert "Works only on the assumed rate" in business  # Bolt's: no verified rate
    assert "yearly price is unknown" not in business
    baselines = render_to_string("admin/questionnaires/_decision_baselines.html", context)
    assert "74%" in baselines and "81%" in baselines
    assert "Counts organisations, not deployments" in baselines
    assert "Share of your enterprise deployments" in baselines  # rollback_rate's text


def test_a_round_naming_no_framework_says_where_to_choose_them(round_):
    selection, acme, bolt = round_
    selection.frameworks = []
    context = decision_context(selection, comparison_of(selection, acme, bolt))
    html = render_to_string("admin/questionnaires/_decision_coverage.html", context)
    assert "names no frameworks" in html


def test_a_round_without_its_figures_says_what_is_missing(round_):
    selection, acme, bolt = round_
    selection.yearly_contact_volume = selection.human_contact_cost = None
    context = decision_context(selection, comparison_of(selection, acme, bolt))
    for row in context["decision"].business_cases:
        assert row.case.gross_assumed is None
        assert "The round has no yearly contact volume." in row.case.missing
    html = render_to_string("admin/questionnaires/_decision_business_case.html", context)
    assert "No yearly volume of contacts a year" in html
    assert "The round has no cost of a contact handled by a person." in html


def test_a_round_from_before_rounds_had_a_version_reads_its_responses_version(round_):
    selection, acme, bolt = round_
    comparison = comparison_of(selection, acme, bolt)
    with_version = decision_data(selection, comparison)
    selection.version = None
    assert decision_data(selection, comparison).frameworks == with_version.frameworks


def test_the_rounds_comparison_page_shows_coverage_business_case_and_baselines(
    round_, admin_client
):
    selection, *_ = round_
    page = admin_client.get(f"/admin/questionnaires/selection/{selection.pk}/compare/")
    assert page.status_code == 200
    decision = page.context["decision"]
    (matrix,) = decision.frameworks
    html = page.content.decode()
    assert matrix.framework.title in html
    for row in matrix.rows:
        assert row.control_id in html
    assert "Sinch" in html  # the rollback baseline, with its source
    assert [row.vendor_name for row in decision.business_cases] == ["Acme", "Bolt"]
