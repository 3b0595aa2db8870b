"""The recommendation records what it was written against; the comparison page and the
comparison PDF warn once the round moves on (a vendor added or removed, a score changed,
an override)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questionnaires.comparison import build_comparison
from questionnaires.models import Answer, ReportKind, ResponseScore
from questionnaires.recommendation import recommendation_drift
from questionnaires.reports import report_html, report_subject
from questionnaires.services.scores import response_score, score_override
from questionnaires.services.selections import selection_save
from tests.factories import UserFactory, scored_submission
from tests.questionnaires.reports_data import ANSWERS, report_selection

pytestmark = pytest.mark.django_db

JUSTIFICATION = "Two references confirmed the monitoring gaps in their deployments."


@pytest.fixture
def analyst():
    return UserFactory(username="dana")


@pytest.fixture
def round_(example_version, analyst):
    data = report_selection(example_version)
    data.selection.recommendation = "Proceed with Acme Voice."
    selection_save(selection=data.selection, user=analyst)
    data.selection.refresh_from_db()
    return data


def _compare_page(client, selection) -> str:
    page = client.get(reverse("admin:questionnaires_selection_compare", args=[selection.pk]))
    assert page.status_code == 200
    return page.content.decode()


def test_the_recommendation_records_the_vendors_and_scores_it_was_written_against(round_, analyst):
    selection = round_.selection
    basis = selection.recommendation_basis

    assert selection.recommendation_at is not None
    assert basis["written_by"] == "dana" and basis["profile_key"] == "general"
    assert [v["vendor"] for v in basis["vendors"]] == sorted(ANSWERS)
    acme = ResponseScore.objects.get(response=round_.responses["Acme Voice"], profile_key="general")
    assert {v["vendor"]: v["score"] for v in basis["vendors"]}["Acme Voice"] == round(acme.score)

    # Saving the round again without touching the text keeps what it was written against.
    written_at = selection.recommendation_at
    selection.buyer_note = "Hello"
    selection_save(selection=selection, user=analyst)
    assert selection.recommendation_at == written_at

    selection.recommendation = ""
    selection_save(selection=selection, user=analyst)
    assert selection.recommendation_basis == {} and selection.recommendation_at is None


def test_the_comparison_page_warns_only_once_the_round_has_moved_on(
    client, round_, analyst, example_version
):
    client.force_login(analyst)
    assert "recommendation-drift" not in _compare_page(client, round_.selection)

    newcomer = scored_submission(example_version, "Dot Voice", ANSWERS["Acme Voice"])
    round_.selection.responses.add(newcomer)
    cora = ResponseScore.objects.get(response=round_.responses["Cora Talk"], profile_key="general")
    score_override(
        response_score=cora, user=analyst, score=60, tier="", justification=JUSTIFICATION
    )
    acme = round_.responses["Acme Voice"]
    Answer.objects.filter(response=acme, question__key="live_monitoring").update(value="none")
    response_score(response=acme)

    html = _compare_page(client, round_.selection)

    assert "The round has changed since this recommendation was written" in html
    assert "Dot Voice was added to the round after the recommendation was written." in html
    assert "Cora Talk&#x27;s score was overridden since (60, high)." in html
    assert "Acme Voice now scores" in html
    assert "Blip Chat" not in html[html.index('id="recommendation-drift"') :][:600]


def test_under_another_profile_the_page_still_checks_the_recommendation_s(client, round_, analyst):
    client.force_login(analyst)
    cora = ResponseScore.objects.get(response=round_.responses["Cora Talk"], profile_key="general")
    score_override(
        response_score=cora, user=analyst, score=60, tier="", justification=JUSTIFICATION
    )
    url = reverse("admin:questionnaires_selection_compare", args=[round_.selection.pk])

    html = client.get(url, {"profile": "financial_services"}).content.decode()

    assert "Cora Talk&#x27;s score was overridden since" in html


def test_the_comparison_pdf_warns_too(round_, analyst, example_version):
    subject = report_subject(kind=ReportKind.COMPARISON, selection=round_.selection)
    before, _ = report_html(subject)
    newcomer = scored_submission(example_version, "Dot Voice", ANSWERS["Acme Voice"])
    round_.selection.responses.add(newcomer)

    after, _ = report_html(report_subject(kind=ReportKind.COMPARISON, selection=round_.selection))

    assert "Written before the round changed" not in before
    assert "Written before the round changed" in after
    assert "Dot Voice was added to the round after the recommendation was written." in after


def test_drift_under_another_profile_names_only_vendors_and_says_why(round_):
    columns = build_comparison(
        list(round_.selection.responses.values_list("pk", flat=True)),
        profile_key="financial_services",
        robustness=False,
    ).vendors
    basis = round_.selection.recommendation_basis

    drift = recommendation_drift(basis, columns[1:], profile_key="financial_services")

    assert drift.warnings == (f"{columns[0].vendor_name} is no longer in the round.",)
    assert drift.profile_note.startswith("It was written under the General profile")
    assert not recommendation_drift({}, columns, profile_key="general")
