"""The buyer's PDFs read as a board pack: the verdict on the cover, contents, a one-page
summary that ranks only handed-over vendors, no answer cut, scores that agree with their
tier, the buyer's reason for an override and never the analyst's internal note.

Read back with pypdf; whitespace is normalised, since a long text wraps over lines.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from questionnaires.models import Answer, ReportKind, ResponseScore, ResponseStatus
from questionnaires.reports import render_report, report_subject
from questionnaires.reports.charts import score_text
from questionnaires.services.scores import response_score, score_override
from tests.factories import ResponseFactory, UserFactory, VendorFactory, answer_all
from tests.questionnaires.reports_data import pdf_pages_text, report_selection

NOTE = "INTERNAL-7Q: the vendor's sales lead lobbied for this; recheck in May."
REASON = "Two reference customers confirmed live monitoring on every queue."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _pages(rendered) -> list[str]:
    return [_one_line(p) for p in pdf_pages_text(rendered.pdf)]


def _comparison(selection):
    return render_report(report_subject(kind=ReportKind.COMPARISON, selection=selection))


@pytest.fixture
def data(example_version):
    return report_selection(example_version)


def test_the_cover_states_the_verdict_who_prepared_it_and_the_sign_off(data):
    selection = data.selection
    owner = UserFactory(username="dana.reyes", first_name="Dana", last_name="Reyes")
    selection.owners.add(owner)
    selection.recommended = data.responses["Acme Voice"]
    selection.signed_off_by = owner
    selection.signed_off_at = timezone.now()
    selection.save()

    cover = _pages(_comparison(selection))[0]

    assert "VERDICT Recommended: Acme Voice" in cover
    assert re.search(
        r"Risk score \d+\.\d of 100 · tier low · range [\d.]+\u2013[\d.]+ · ranked 1 of 3", cover
    )
    assert f"Signed off by Dana Reyes on {timezone.localtime():%-d %B %Y}" in cover
    assert "Prepared for Northwind Retail" in cover
    assert "Round Contact centre agent 2026" in cover
    assert "Prepared by Dana Reyes" in cover


def test_without_a_recommendation_the_cover_says_so_and_lists_the_contents(data):
    pages = _pages(_comparison(data.selection))
    cover = pages[0]

    assert "VERDICT No recommendation yet" in cover
    assert "Not signed off" in cover
    # The contents give each part's page, and the page says so.
    for title in ("Executive summary", "Limitations", "Answers by section"):
        found = re.search(rf"{title} \.+ ?(\d+)", cover)
        assert found, title
        assert title in pages[int(found.group(1)) - 1]


def test_a_vendor_still_answering_is_listed_but_not_ranked(data, example_version):
    late = ResponseFactory(
        version=example_version,
        vendor=VendorFactory(name="Dray Speech", product="Dray Agent"),
        status=ResponseStatus.IN_PROGRESS,
    )
    answer_all(late, {"live_deployments": 500, "rollback_rate": 0, "human_approval_money": "yes"})
    response_score(response=late)
    data.selection.responses.add(late)

    summary = _pages(_comparison(data.selection))[1]

    assert (
        "— Dray Speech Dray Agent · In progress Not ranked: its answers are not handed over"
        in summary
    )
    assert re.search(r"1 Acme Voice .* 2 Cora Talk .* 3 Blip Chat .* Dray Speech", summary)
    assert not re.search(r"\d Dray Speech", summary)
    assert "Dray Speech" not in summary.split("Robustness of the ranking.")[1].split(".")[0]


def test_no_answer_is_cut_a_long_one_is_printed_in_full_in_a_note(data):
    acme = data.responses["Acme Voice"]
    long_answer = (
        "The customer's operations lead, or in their absence the duty manager of the "
        "contact centre, who can pause every channel from the console within two minutes "
        "and is paged by the monitoring whenever the refusal rate doubles."
    )
    Answer.objects.filter(response=acme, question__key="kill_switch_owner").update(
        value=long_answer
    )

    text = _one_line(" ".join(_pages(_comparison(data.selection))))

    assert "(see note 1)" in text
    assert f"Note 1 · Q2.3 · Acme Voice: {long_answer}" in text
    # Numbers carry their unit.
    assert "LOW · document 5%" in text


def test_the_buyer_reads_the_reason_for_an_override_never_the_internal_note(data):
    cora = data.responses["Cora Talk"]
    stored = ResponseScore.objects.get(response=cora, profile_key="general")
    score_override(
        response_score=stored,
        user=UserFactory(),
        score=35,
        tier="moderate",
        justification=NOTE,
        reason=REASON,
    )

    comparison = " ".join(_pages(_comparison(data.selection)))
    assessment = " ".join(
        _pages(render_report(report_subject(kind=ReportKind.ASSESSMENT, response=cora)))
    )

    for text in (comparison, assessment):
        assert REASON in text
        assert "INTERNAL-7Q" not in text
        assert "lobbied" not in text


def test_a_score_just_under_a_threshold_prints_with_the_tier_it_has(data):
    # Acme raises no flag, so its tier follows from the score alone: low below 25.
    stored = ResponseScore.objects.get(response=data.responses["Acme Voice"], profile_key="general")
    score_override(
        response_score=stored,
        user=UserFactory(),
        score=24.96,
        tier="",
        justification="Monitoring confirmed by two references on site.",
        reason=REASON,
    )

    summary = _pages(_comparison(data.selection))[1]

    assert re.search(r"1 Acme Voice .*? 24\.9\* [\d.]+\u2013[\d.]+ Low", summary)
    assert "25.0*" not in summary


@pytest.mark.parametrize(
    ("score", "shown"),
    [
        (None, "—"),
        (24.63, "24.6"),
        (24.96, "24.9"),
        (25.0, "25.0"),
        (49.97, "49.9"),
        (74.99, "74.9"),
        (99.96, "100.0"),
    ],
)
def test_a_printed_score_never_rounds_up_onto_a_tier_threshold(score, shown):
    assert score_text(score) == shown


def test_the_weights_table_is_kept_on_one_page(data):
    pages = _pages(_comparison(data.selection))
    [page] = [p for p in pages if "Section weights of the profile" in p]

    assert "Production track record 2 50%" in page
    assert "Human oversight 2 50%" in page


def test_the_assessment_prints_a_grid_answer_as_a_table_with_units(extensions_version):
    response = ResponseFactory(
        version=extensions_version,
        vendor=VendorFactory(name="Grid Co", product="Grid Agent"),
        status=ResponseStatus.SUBMITTED,
    )
    answer_all(
        response,
        {
            "live_deployments": 12,
            "time_to_rollback": 1.5,
            "action_authority": {
                "choices": {
                    "refund.voice": "approved",
                    "refund.chat": "approved",
                    "account_change.voice": "not_offered",
                    "account_change.chat": "approved",
                },
                "limits": {},
            },
        },
    )
    response_score(response=response)

    rendered = render_report(report_subject(kind=ReportKind.ASSESSMENT, response=response))
    text = " ".join(_pages(rendered))

    assert "VERDICT No verdict: this response is not part of a selection round" in text
    # One line per grid row, each channel with its answer (not one run-on paragraph).
    assert "Refund Voice: A human approves each one; Chat: A human approves each one" in text
    assert "Account change Voice: Not offered; Chat: A human approves each one" in text
    assert "1.5 hours" in text


def test_the_cover_says_an_override_came_after_the_sign_off_and_marks_it(data):
    from questionnaires.services.selections import selection_save, selection_sign_off

    owner = UserFactory(username="dana.reyes", first_name="Dana", last_name="Reyes")
    selection = data.selection
    selection.recommended = data.responses["Acme Voice"]
    selection.recommendation = "Proceed with Acme Voice."
    selection_save(selection=selection, user=owner)
    selection_sign_off(selection=selection, user=owner, explained=True)
    signed = _pages(_comparison(selection))[0]
    assert "before the round changed" not in signed and "set by an analyst" not in signed

    stored = ResponseScore.objects.get(response=data.responses["Acme Voice"], profile_key="general")
    score_override(
        response_score=stored,
        user=owner,
        score=35,
        tier="moderate",
        justification=NOTE,
        reason=REASON,
    )
    cover = _pages(_comparison(selection))[0]

    assert "tier moderate" in cover
    assert "* Score/tier set by an analyst (computed" in cover
    assert (
        f"Signed off on {timezone.localtime():%-d %b %Y}, before the round changed: see page 2"
        in cover
    )
