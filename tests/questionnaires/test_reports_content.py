"""What the PDFs say, read back with pypdf, and what they look like, as PNG pages.

The expected numbers come from questionnaires.comparison (the same engine the admin's
comparison page shows), formatted as the report formats them, so a report that printed
anything else, or printed it next to the wrong vendor, fails here.
"""

from __future__ import annotations

import io
import re

import pytest
from django.template.defaultfilters import floatformat
from pypdf import PdfReader

from questionnaires.comparison import build_comparison
from questionnaires.models import Answer, EvidenceLevel, ReportKind, ResponseScore
from questionnaires.reports import render_report, report_subject
from questionnaires.reports.charts import score_text
from questionnaires.scoring import CRITICAL_FROM, HIGH_FROM, MODERATE_FROM
from questionnaires.services.reviews import answer_evidence_level_set, response_accept
from questionnaires.services.scores import score_override
from tests.factories import UserFactory
from tests.questionnaires.reports_data import (
    PASSWD_MARKERS,
    PAYLOAD_IMG,
    PAYLOAD_LINK,
    pdf_pages_text,
    pdf_text,
    pdf_to_pngs,
    report_selection,
)
from tests.test_pdf_safety import local_server  # noqa: F401  (the recording HTTP server)


@pytest.fixture
def recorded(example_version, local_server):  # noqa: F811
    base, requests = local_server
    data = report_selection(example_version, server_url=f"{base}/x.png")
    return data, f"{base}/x.png", requests


@pytest.fixture
def comparison_pdf(recorded):
    data, _, _ = recorded
    return render_report(report_subject(kind=ReportKind.COMPARISON, selection=data.selection))


@pytest.fixture
def assessment_pdf(recorded):
    data, _, _ = recorded
    blip = data.responses["Blip Chat"]
    return render_report(report_subject(kind=ReportKind.ASSESSMENT, response=blip))


EN_DASH = "\u2013"  # between the ends of a range, as printed


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _summary_line(column, rank: int) -> str:
    result = column.result
    flags = "; ".join(
        f"{f.severity.upper()} {f.title}"
        for f in column.flags
        if f.severity in ("critical", "high")
    )
    return (
        f"{rank} {column.vendor_name} {column.product} · {column.status_label} "
        f"{score_text(column.effective_score)} "
        f"{score_text(result.low)}{EN_DASH}{score_text(result.high)} "
        f"{column.effective_tier.capitalize()} {round(result.coverage * 100)}% {flags}"
    ).strip()


def test_comparison_summary_ranks_vendors_with_their_scores_tiers_and_flags(
    recorded, comparison_pdf
):
    data, _, _ = recorded
    comparison = build_comparison(list(data.responses.values()), profile_key="general")
    by_name = {c.vendor_name: c for c in comparison.vendors}
    pages = pdf_pages_text(comparison_pdf.pdf)
    summary = _one_line(pages[1])

    assert "Executive summary" in summary
    assert pages[2].startswith("How the assessment was made")  # the summary is one page
    # Lowest risk first; a critical tier last whatever its number.
    for rank, name in enumerate(["Acme Voice", "Cora Talk", "Blip Chat"], start=1):
        assert _summary_line(by_name[name], rank) in summary
    assert by_name["Blip Chat"].effective_tier == "critical"
    assert "CRITICAL Money moves without human approval" in summary
    assert "HIGH Near-zero rollbacks without live monitoring" in summary
    assert "Proceed with Acme Voice. Ask Blip Chat for a human approval step." in summary
    assert "Acme Voice ranks first, Cora Talk second." in summary


def test_comparison_cover_header_footer_and_page_numbers(comparison_pdf):
    pages = [_one_line(p) for p in pdf_pages_text(comparison_pdf.pdf)]
    total = len(pages)
    fingerprint = comparison_pdf.inputs_hash[:12]

    assert 5 <= total <= 10
    cover = pages[0]
    for text in (
        "Vendor comparison",
        "Contact centre agent 2026",
        "Northwind Retail",
        "Example AI agent check, version 1",
        "Industry profile General",
        "3: Acme Voice, Cora Talk, Blip Chat",
    ):
        assert text in cover
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        assert f"Fingerprint {fingerprint}" in page
        assert "Generated " in page
        if number > 1:  # the running header, not on the cover
            assert "Contact centre agent 2026 CX Vet · Vendor comparison" in page


def test_comparison_sections_compare_answers_risk_evidence_and_comments(recorded, comparison_pdf):
    _, server_url, requests = recorded
    text = _one_line("\n".join(pdf_pages_text(comparison_pdf.pdf)))

    assert "Risk score and range by vendor" in text
    assert "Section risk by vendor" in text
    assert "Production track record section weight 2" in text
    assert "Question Acme Voice Cora Talk Blip Chat" in text  # rank order, as the summary
    assert "Section risk score (0\u2013100) 10.0 10.0 93.3" in text
    assert "LOW · document 5% LOW ⚑ · document 0% SEVERE · document · clarifying 30%" in text
    assert (
        "Q2.2 Does a human approve every action that moves money? LOW Yes unanswered SEVERE ⚑ No"
        in text
    )
    # Vendor text prints as text, and nothing it names was fetched or embedded.
    assert (
        f"Q1.2 · Blip Chat: Two rollbacks after prompt changes. {PAYLOAD_IMG} {PAYLOAD_LINK}"
        in text
    )
    assert server_url in text
    assert requests == []
    _assert_nothing_embedded(comparison_pdf.pdf)


def test_methodology_states_the_engine_thresholds_weights_and_sources(comparison_pdf):
    text = _one_line("\n".join(pdf_pages_text(comparison_pdf.pdf)))

    assert "Appendix: formulas, weights and sources" in text
    assert "Risk score (0\u2013100) = 100 \u00d7 \u03a3A eq rq / \u03a3A eq" in text
    assert f"Low below {MODERATE_FROM:g}" in text
    assert f"High {HIGH_FROM:g} to below {CRITICAL_FROM:g}, or any high flag" in text
    assert f"Critical {CRITICAL_FROM:g} and above, or any critical flag" in text
    assert "self-attested 1, document 0.50, verified 0" in text
    assert "Production track record 2 50%" in text
    assert "Human oversight 2 50%" in text
    assert "Sinch, The AI Production Paradox (2026)" in text
    assert "(cited by Q1.2)" in text
    assert comparison_pdf.inputs_hash in text


def test_an_override_without_a_reason_is_printed_neutrally_never_with_its_note(recorded):
    """An override made before overrides had a reason for the buyer."""
    data, _, _ = recorded
    stored = ResponseScore.objects.get(response=data.responses["Cora Talk"], profile_key="general")
    note = "References confirmed monitoring gaps in two deployments."
    score_override(response_score=stored, user=UserFactory(), score=55, tier="", justification=note)

    rendered = render_report(report_subject(kind=ReportKind.COMPARISON, selection=data.selection))

    summary = _one_line(pdf_pages_text(rendered.pdf)[1])
    assert re.search(r"2 Cora Talk .*? 55\.0\*", summary)
    assert (
        "* Cora Talk: score/tier set by an analyst under the General profile (computed 40.0, "
        "high): Adjusted by the analyst" in summary
    )
    assert "References confirmed" not in _one_line(pdf_text(rendered.pdf))


def test_assessment_shows_summary_flags_with_answers_sections_answers_and_history(
    recorded, assessment_pdf
):
    data, server_url, requests = recorded
    comparison = build_comparison([data.responses["Blip Chat"]], profile_key="general")
    column = comparison.vendors[0]
    pages = [_one_line(p) for p in pdf_pages_text(assessment_pdf.pdf)]
    text = " ".join(pages)
    total = len(pages)

    assert 4 <= total <= 8
    assert "Vendor assessment" in pages[0]
    assert "Vendor Blip Chat Product Blip Chat Agent" in pages[0]
    assert "Response status Clarification requested" in pages[0]
    summary = (
        f"{score_text(column.result.score)} {score_text(column.result.low)}{EN_DASH}"
        f"{score_text(column.result.high)} Critical {round(column.result.coverage * 100)}% 1"
    )
    assert summary in pages[1]
    assert (
        "CRITICAL Money moves without human approval. The agent can move money with nobody "
        "approving it. Q2.2 Does a human approve every action that moves money? — No" in text
    )
    for section in column.result.sections:
        assert (
            f"{section.title} {floatformat(section.weight, -2)} {score_text(section.score)}" in text
        )
    assert "Hallucinated policy or commitment; Cost" in text
    assert "Sampled review after the fact" in text
    assert "Document attached" in text
    assert "Clarification requested: Which period does 30% cover?" in text
    assert re.search(
        r"dana Clarification requested Please give the period\. Reply by \d+ \w+ \d{4} "
        r"Reopened Q1.2 “Of those deployments, what share was rolled back, paused or…”: Which "
        r"period does 30% cover\?",
        text,
    )
    assert f"Comment: Two rollbacks after prompt changes. {PAYLOAD_IMG}" in text
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        if number > 1:
            assert "Blip Chat · Example AI agent check CX Vet · Vendor assessment" in page
    assert server_url in re.sub(r"\s", "", text)  # a long URL may wrap
    assert requests == []
    _assert_nothing_embedded(assessment_pdf.pdf)


def test_the_assessment_history_describes_each_review_step_in_words(recorded):
    data, _, _ = recorded
    cora = data.responses["Cora Talk"]
    dana = UserFactory(username="dana.analyst")
    answer = Answer.objects.get(response=cora, question__key="rollback_rate")
    answer_evidence_level_set(answer=answer, level=EvidenceLevel.VERIFIED, user=dana)
    stored = ResponseScore.objects.get(response=cora, profile_key="general")
    note = "INTERNAL-ONLY: their sales lead pushed for this, check again in May."
    reason = "The bank's own staff approve every refund in both live deployments."
    score_override(
        response_score=stored,
        user=dana,
        score=35,
        tier="moderate",
        justification=note,
        reason=reason,
    )
    response_accept(response=cora, user=dana)

    rendered = render_report(report_subject(kind=ReportKind.ASSESSMENT, response=cora))

    pages = [_one_line(p) for p in pdf_pages_text(rendered.pdf)]
    history = next(p for p in pages if p.startswith("History of clarifications"))
    assert (
        "dana.analyst Evidence level changed Q1.2 “Of those deployments, what share was rolled back, "
        "paused or…”: Document attached → Verified by an analyst" in history
    )
    assert (
        f"dana.analyst Score overridden General: set to score 35, tier Moderate (computed "
        f"{score_text(stored.score)}, {stored.tier.capitalize()}) “{reason}”" in history
    )
    assert "INTERNAL-ONLY" not in " ".join(pages)
    assert "dana.analyst Status changed Submitted → Accepted" in history
    for raw in ("profile_key", "rollback_rate", "verified", "document", "justification"):
        assert raw not in history


def test_every_page_renders_to_png_for_review(comparison_pdf, assessment_pdf, artifacts_dir):
    folder = artifacts_dir / "reports"
    for prefix, rendered in (("comparison", comparison_pdf), ("assessment", assessment_pdf)):
        pngs = pdf_to_pngs(rendered.pdf, folder, prefix)
        pages = len(PdfReader(io.BytesIO(rendered.pdf)).pages)
        assert len(pngs) == pages
        for png in pngs:
            data = png.read_bytes()
            assert data.startswith(b"\x89PNG")
            assert len(data) > 3000  # a blank page compresses to far less


def _assert_nothing_embedded(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    for marker in PASSWD_MARKERS:
        assert marker.encode() not in pdf
        assert all(marker not in page.extract_text() for page in reader.pages)
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            assert annot.get_object().get("/Subtype") != "/FileAttachment"
