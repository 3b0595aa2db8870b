"""The response page shows what changed since the vendor's previous round, and its trend."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from questionnaires.models import Answer, ResponseStatus
from questionnaires.selectors import response_vendor_rounds
from questionnaires.services.answers import AnswerChange, answers_confirm, answers_save
from questionnaires.services.carry_forward import carry_forward
from questionnaires.services.scores import response_score, score_override
from tests.factories import ResponseFactory, VendorFactory, answer_all, round_of

pytestmark = pytest.mark.django_db

RISKY = {
    "live_deployments": 12,
    "rollback_rate": 30,
    "rollback_reasons": ["hallucination"],
    "live_monitoring": "sampled",
    "human_approval_money": "no",
}


def _submitted(version, vendor, round_name: str, values: dict):
    response = ResponseFactory(
        version=version,
        vendor=vendor,
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
        selection=round_of(version, name=round_name),
    )
    answer_all(response, values)
    response_score(response=response)
    return response


def _next_round(version, vendor, round_name: str):
    response = ResponseFactory(
        version=version, vendor=vendor, selection=round_of(version, name=round_name)
    )
    carry_forward(response=response)
    return response


def _change(response, key: str, value) -> None:
    answer = Answer.objects.get(response=response, question__key=key)
    answers_save(
        response=response,
        changes=[AnswerChange(key, value, answer.comment, answer.revision)],
        actor="Dana Vendor",
    )


@pytest.fixture
def two_rounds(example_version):
    vendor = VendorFactory(name="Glimmerline")
    spring = _submitted(example_version, vendor, "Spring 2026 for Contoso", RISKY)
    autumn = _next_round(example_version, vendor, "Autumn 2026 for Fabrikam")
    _change(autumn, "live_monitoring", "realtime")
    _change(autumn, "human_approval_money", "yes")
    answers_confirm(response=autumn, question_keys=["live_deployments"], actor="Dana Vendor")
    return spring, autumn


def test_the_selector_compares_with_the_round_the_answers_came_from(two_rounds):
    spring, autumn = two_rounds
    rounds = response_vendor_rounds(autumn, profile_key="general")
    assert rounds.previous.response_id == spring.pk
    assert rounds.previous.round_name == "Spring 2026 for Contoso"
    assert [(c.key, c.before, c.after) for c in rounds.changed] == [
        ("live_monitoring", "Sampled review after the fact", "Real-time monitoring with alerting"),
        ("human_approval_money", "No", "Yes"),
    ]
    assert [(c.key, c.value) for c in rounds.unconfirmed] == [
        ("rollback_rate", "30%"),
        ("rollback_reasons", "Hallucinated policy or commitment"),
    ]
    assert rounds.previous.tier == "critical"  # the knock-out
    assert not rounds.now.scored  # in progress: nothing stored yet
    assert [p.round_name for p in rounds.trend] == [
        "Spring 2026 for Contoso",
        "Autumn 2026 for Fabrikam",
    ]
    assert [p.current for p in rounds.trend] == [False, True]


def test_without_carried_answers_the_latest_earlier_response_is_the_previous(example_version):
    vendor = VendorFactory(name="Tallyforge")
    first = _submitted(example_version, vendor, "One", RISKY)
    second = _submitted(example_version, vendor, "Two", {**RISKY, "live_deployments": 20})
    third = _submitted(example_version, vendor, "Three", {**RISKY, "live_deployments": 30})
    assert third.carried_from is None
    rounds = response_vendor_rounds(third, profile_key="general")
    assert rounds.previous.response_id == second.pk
    assert [(c.key, c.before, c.after) for c in rounds.changed] == [
        ("live_deployments", "20", "30")
    ]
    assert rounds.unconfirmed == ()
    assert [p.response_id for p in rounds.trend] == [first.pk, second.pk, third.pk]
    # The first one has no previous, only the trend.
    assert response_vendor_rounds(first, profile_key="general").previous is None
    # Another vendor's responses and a lone response have no rounds to show.
    lone = _submitted(example_version, VendorFactory(name="Corvane"), "One", RISKY)
    assert response_vendor_rounds(lone, profile_key="general") is None


def test_the_response_page_shows_changes_scores_then_and_now_and_the_trend(
    client, analyst, two_rounds
):
    spring, autumn = two_rounds
    score_override(
        response_score=spring.scores.get(profile_key="general"),
        score=60,
        tier="high",
        justification="The knock-out was fixed by contract before go-live.",
        user=analyst,
    )
    answers_confirm(response=autumn, section="track_record", actor="Dana Vendor")
    autumn.status = ResponseStatus.SUBMITTED
    autumn.submitted_at = timezone.now()
    autumn.save()
    response_score(response=autumn)

    page = client.get(reverse("admin:questionnaires_response_change", args=[autumn.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    section = html[html.index('id="vendor-rounds"') :]
    section = section[: section.index('id="flags"')]
    assert "Spring 2026 for Contoso" in section
    assert "whose answers this response started from" in section
    assert "Sampled review after the fact" in section
    assert "Real-time monitoring with alerting" in section
    assert "Still carried forward" not in section  # all confirmed or changed now
    assert "override" in section  # the earlier score's override
    assert "60.0 (" in section
    assert section.count("(this response)") == 1
    assert reverse("admin:questionnaires_response_change", args=[spring.pk]) in section


def test_a_response_without_other_rounds_shows_nothing_of_them(client, analyst, example_version):
    lone = _submitted(example_version, VendorFactory(name="Bramblecall"), "One", RISKY)
    page = client.get(reverse("admin:questionnaires_response_change", args=[lone.pk]))
    assert page.status_code == 200
    assert 'id="vendor-rounds"' not in page.content.decode()


def test_the_rounds_cost_the_same_queries_for_two_rounds_or_five(client, analyst, example_version):
    vendor = VendorFactory(name="Quillmere")
    _submitted(example_version, vendor, "Round 1", RISKY)
    latest = _next_round(example_version, vendor, "Round 2")
    url = reverse("admin:questionnaires_response_change", args=[latest.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3, 6):
        _submitted(example_version, vendor, f"Round {n}", {**RISKY, "live_deployments": n})
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(page.context["vendor_rounds"].trend) == 5
    assert len(many) == len(few)
