"""The response list and the response review page in the admin."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from questionnaires.models import (
    Answer,
    AuditEvent,
    Evidence,
    EvidenceLevel,
    QuestionnaireVersion,
    Response,
    ResponseScore,
    ResponseStatus,
)
from questionnaires.selectors import responses_for_listing
from questionnaires.services.reviews import answer_evidence_level_set
from questionnaires.services.scores import response_score, score_override
from tests.factories import (
    ResponseFactory,
    SelectionFactory,
    UserFactory,
    VendorFactory,
    answer_all,
    scored_submission,
)
from tests.synthetic import answered_responses, generated_definition, import_definition

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:questionnaires_response_changelist")
GOOD = {
    "live_deployments": 40,
    "rollback_rate": 4,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
    "kill_switch_owner": "Head of support",
}
RISKY = {
    "live_deployments": 12,
    "rollback_rate": 30,
    "rollback_reasons": ["hallucination"],
    "live_monitoring": "sampled",
    "human_approval_money": "no",
}


def _change_url(response) -> str:
    return reverse("admin:questionnaires_response_change", args=[response.pk])


def _text(page) -> str:
    return page.content.decode()


# The list --------------------------------------------------------------------------------


def test_list_shows_score_with_range_tier_coverage_and_flags(client, analyst, example_version):
    good = scored_submission(example_version, "Good Bots", GOOD)
    scored_submission(example_version, "Risky Bots", RISKY)
    stored = ResponseScore.objects.get(response=good, profile_key="general")

    page = client.get(LIST_URL)

    html = _text(page)
    assert page.status_code == 200
    # One decimal, as the PDFs print it (display.score_shown).
    assert f"{stored.score:.1f} ({stored.low:.1f}-{stored.high:.1f})" in html
    assert '<span class="cx-tier cx-tier-critical">Critical</span>' in html
    assert f"{stored.coverage:.0%}" in html
    assert "Example AI agent check v1" in html
    row = page.context["cl"].result_list
    risky = next(r for r in row if r.vendor.name == "Risky Bots")
    assert risky.score_flags == 1
    assert risky.effective_tier == "critical"


def test_list_and_response_page_print_a_score_as_the_pdfs_do(client, analyst, example_version):
    # A score a hair under a tier threshold: whole points showed "25 (20-31)" beside a
    # low tier; the PDFs print 24.9, and so must the admin.
    good = scored_submission(example_version, "Good Bots", GOOD)
    ResponseScore.objects.filter(response=good, profile_key="general").update(
        score=24.96, low=20.04, high=31.0
    )

    listed = _text(client.get(LIST_URL))
    page = _text(client.get(_change_url(good)))

    assert "24.9 (20.0-31.0)" in listed
    assert "24.9 (20.0-31.0)" in page
    assert "25 (20-31)" not in listed + page


def test_list_shows_an_override_next_to_the_computed_value(client, analyst, example_version):
    good = scored_submission(example_version, "Good Bots", GOOD)
    stored = ResponseScore.objects.get(response=good, profile_key="general")
    score_override(
        response_score=stored,
        user=analyst,
        score=61,
        tier="high",
        justification="Reference customers report frequent silent failures in production.",
    )

    html = _text(client.get(LIST_URL))

    assert "<strong>61.0</strong>" in html
    assert "override" in html
    assert f"computed {stored.score:.1f} ({stored.low:.1f}-{stored.high:.1f})" in html
    assert '<span class="cx-tier cx-tier-high">High</span>' in html


def test_list_without_a_score_says_so(client, analyst, example_version):
    ResponseFactory(version=example_version, status=ResponseStatus.INVITED)

    page = client.get(LIST_URL)

    assert "not scored" in _text(page)


def test_list_queries_do_not_grow_with_responses(client, analyst, example_version):
    for i in range(2):
        scored_submission(example_version, f"First {i}", GOOD)
    client.get(LIST_URL)  # warm the session and content types
    with CaptureQueriesContext(connection) as two:
        assert client.get(LIST_URL).status_code == 200
    for i in range(18):
        scored_submission(example_version, f"More {i}", RISKY if i % 2 else GOOD)
    with CaptureQueriesContext(connection) as twenty:
        page = client.get(LIST_URL)

    assert len(page.context["cl"].result_list) == 20
    assert len(twenty) == len(two)


def test_list_scores_under_the_first_profile_of_each_version(client, analyst, example_version):
    # The default profile is the definition's first, whatever its key: here not "general".
    definition = generated_definition(key="finance_first")
    definition["profiles"].reverse()
    finance_first = import_definition(definition)
    [other] = answered_responses(finance_first, 1)
    response_score(response=other)
    scored_submission(example_version, "Good Bots", GOOD)

    rows = client.get(LIST_URL).context["cl"].result_list

    assert finance_first.default_profile_key == "financial_services"
    for row in rows:
        version = QuestionnaireVersion.objects.get(pk=row.version_id)  # the list defers it
        stored = ResponseScore.objects.get(response=row, profile_key=version.default_profile_key)
        assert row.default_profile_key == version.default_profile_key
        assert row.score_value == pytest.approx(stored.score)


def test_the_database_and_the_model_agree_on_every_default_profile(example_version):
    definition = generated_definition(key="finance_first")
    definition["profiles"].reverse()
    answered_responses(import_definition(definition), 1)
    ResponseFactory(version=example_version)

    listed = responses_for_listing(Response.objects.all())

    assert {r.default_profile_key for r in listed} == {"general", "financial_services"}
    assert all(r.default_profile_key == r.version.default_profile_key for r in listed)


def _in_round(version, profile_key: str, values: dict):
    response = ResponseFactory(
        version=version,
        selection=SelectionFactory(version=version, profile_key=profile_key),
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    answer_all(response, values)
    response_score(response=response)
    return response


def test_list_scores_a_response_under_its_rounds_profile_as_the_rounds_reports_do(
    client, analyst, example_version
):
    response = _in_round(example_version, "financial_services", RISKY)
    finance = ResponseScore.objects.get(response=response, profile_key="financial_services")
    general = ResponseScore.objects.get(response=response, profile_key="general")
    assert (finance.score, finance.low) != (general.score, general.low)
    score_override(
        response_score=finance,
        user=analyst,
        score=55,
        tier="",
        justification="The oversight references were checked with two live customers.",
    )

    page = client.get(LIST_URL)

    [row] = page.context["cl"].result_list
    assert row.score_profile_key == response.round_profile_key == "financial_services"
    assert row.score_value == pytest.approx(finance.score)
    assert row.score_low == pytest.approx(finance.low)
    assert row.score_tier == finance.tier
    assert row.effective_score == 55
    assert "override · Financial services" in _text(page)


def test_the_database_and_the_model_agree_on_every_round_profile(example_version):
    in_round = _in_round(example_version, "financial_services", GOOD)
    # A round whose profile the version does not define weighs by the version's default.
    elsewhere = _in_round(example_version, "retail", GOOD)
    outside = ResponseFactory(version=example_version)

    listed = {r.pk: r for r in responses_for_listing(Response.objects.all())}

    assert {pk: r.score_profile_key for pk, r in listed.items()} == {
        in_round.pk: "financial_services",
        elsewhere.pk: "general",
        outside.pk: "general",
    }
    assert all(r.score_profile_key == r.round_profile_key for r in listed.values())


def test_list_marks_only_open_responses_past_their_due_date_as_overdue(
    client, analyst, example_version
):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ResponseFactory(
        version=example_version, vendor=VendorFactory(name="Late Bots"), due_date=yesterday
    )
    handed_in = scored_submission(example_version, "Done Bots", GOOD)
    Response.objects.filter(pk=handed_in.pk).update(due_date=yesterday)

    page = client.get(LIST_URL)

    overdue = {r.vendor.name: r.is_overdue for r in page.context["cl"].result_list}
    assert overdue == {"Late Bots": True, "Done Bots": False}
    assert _text(page).count('<span class="cx-overdue">overdue</span>') == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "submitted"}, {"Good Bots", "Risky Bots"}),
        ({"status__exact": "in_progress"}, {"Late Bots", "Fresh Bots"}),
        ({"tier": "critical"}, {"Risky Bots"}),
        ({"tier": "none"}, {"Late Bots", "Fresh Bots"}),
        ({"overdue": "yes"}, {"Late Bots"}),
        ({"overdue": "no"}, {"Good Bots", "Risky Bots", "Fresh Bots"}),
        ({"q": "risky"}, {"Risky Bots"}),
    ],
)
def test_list_filters_and_search(client, analyst, example_version, query, expected):
    good = scored_submission(example_version, "Good Bots", GOOD)
    scored_submission(example_version, "Risky Bots", RISKY)
    ResponseScore.objects.filter(response=good).update(tier="low")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ResponseFactory(
        version=example_version, vendor=VendorFactory(name="Late Bots"), due_date=yesterday
    )
    ResponseFactory(version=example_version, vendor=VendorFactory(name="Fresh Bots"))

    page = client.get(LIST_URL, query)

    assert page.status_code == 200
    assert {r.vendor.name for r in page.context["cl"].result_list} == expected


def test_list_filters_by_questionnaire(client, analyst, example_version):
    other = import_definition(generated_definition(key="other_check"))
    scored_submission(example_version, "Good Bots", GOOD)
    answered_responses(other, 1)

    page = client.get(LIST_URL, {"version__questionnaire__id__exact": other.questionnaire_id})

    assert [r.version.questionnaire.key for r in page.context["cl"].result_list] == ["other_check"]


def test_list_sorts_by_score(client, analyst, example_version):
    scored_submission(example_version, "Good Bots", GOOD)
    scored_submission(example_version, "Risky Bots", RISKY)
    columns = list(page_columns := client.get(LIST_URL).context["cl"].list_display)
    score_index = columns.index("score_column")
    del page_columns

    ascending = client.get(LIST_URL, {"o": str(score_index)})
    descending = client.get(LIST_URL, {"o": f"-{score_index}"})

    assert [r.vendor.name for r in ascending.context["cl"].result_list] == [
        "Good Bots",
        "Risky Bots",
    ]
    assert [r.vendor.name for r in descending.context["cl"].result_list] == [
        "Risky Bots",
        "Good Bots",
    ]


# The response page -----------------------------------------------------------------------


def test_response_page_shows_answers_by_section_with_risk_evidence_and_comments(
    client, analyst, example_version
):
    response = scored_submission(example_version, "Risky Bots", RISKY)
    rate = Answer.objects.get(response=response, question__key="rollback_rate")
    rate.comment = "Two pilots in retail were paused."
    rate.save(update_fields=["comment"])
    evidence = Evidence.objects.create(
        answer=rate,
        file=ContentFile(b"%PDF-1.4", name="rollbacks.pdf"),
        original_name="rollbacks.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
    )

    page = client.get(_change_url(response))

    html = _text(page)
    assert page.status_code == 200
    assert "Production track record" in html and "Human oversight" in html
    assert html.index("Production track record") < html.index("Human oversight")
    assert "Sampled review after the fact" in html  # choice label, not the key
    assert '<span class="cx-risk risk-severe">severe</span>' in html
    assert "Two pilots in retail were paused." in html
    download = reverse("admin:questionnaires_evidence_download", args=[evidence.pk])
    assert f'<a href="{download}">rollbacks.pdf</a>' in html
    assert client.get(download).status_code == 200
    assert "Self-attested" in html
    assert 'name="save"' not in html  # read-only: changes go through the review actions


def test_response_page_shows_flags_with_the_answers_that_raised_them(
    client, analyst, example_version
):
    response = scored_submission(example_version, "Risky Bots", RISKY)

    page = client.get(_change_url(response))

    flags = page.context["flags"]
    assert [flag.title for flag, _ in flags] == ["Money moves without human approval"]
    [(_, raised_by)] = flags
    assert [(row.key, cell.display) for row, cell in raised_by] == [("human_approval_money", "No")]
    assert "The agent can move money with nobody approving it." in _text(page)


def test_response_page_explains_the_score_by_the_answers_that_moved_it_most(
    client, analyst, example_version
):
    response = scored_submission(example_version, "Risky Bots", RISKY)

    page = client.get(_change_url(response))

    explanation = page.context["explanation"]
    shifts = [abs(c.shift) for c, _, _ in explanation]
    assert shifts == sorted(shifts, reverse=True)
    assert explanation[0][1].key in {"human_approval_money", "rollback_rate", "live_monitoring"}
    assert "What moved the score" in _text(page)


def test_response_page_switches_profile(client, analyst, example_version):
    response = scored_submission(example_version, "Risky Bots", RISKY)
    finance = ResponseScore.objects.get(response=response, profile_key="financial_services")

    page = client.get(_change_url(response), {"profile": "financial_services"})

    assert page.context["profile_key"] == "financial_services"
    assert page.context["column"].result.score == pytest.approx(finance.score)
    assert "Score under Financial services" in _text(page)


def test_response_page_shows_the_history(client, analyst, example_version):
    response = scored_submission(example_version, "Risky Bots", RISKY)
    answer = Answer.objects.get(response=response, question__key="rollback_rate")
    answer_evidence_level_set(answer=answer, level=EvidenceLevel.VERIFIED, user=analyst)

    html = _text(client.get(_change_url(response)))

    assert "Evidence level changed" in html
    assert (
        "Q1.2 “Of those deployments, what share was rolled back, paused or…”: "
        "Self-attested → Verified by an analyst" in html
    )
    assert "analyst" in html


def test_response_page_queries_do_not_grow_with_evidence_or_history(
    client, analyst, example_version
):
    response = scored_submission(example_version, "Risky Bots", RISKY)
    url = _change_url(response)
    client.get(url)  # warm the session and content types
    with CaptureQueriesContext(connection) as bare:
        assert client.get(url).status_code == 200
    for answer in Answer.objects.filter(response=response):
        for n in range(3):
            Evidence.objects.create(
                answer=answer,
                file=ContentFile(b"%PDF-1.4", name=f"{answer.question.key}-{n}.pdf"),
                original_name=f"{answer.question.key}-{n}.pdf",
                content_type="application/pdf",
                size=8,
                sha256="0" * 64,
            )
        answer_evidence_level_set(answer=answer, level=EvidenceLevel.VERIFIED, user=analyst)
    with CaptureQueriesContext(connection) as busy:
        page = client.get(url)

    assert len(page.context["events"]) == 5  # one per answer
    assert sum(len(item.files) for item in page.context["sections"][0].rows) >= 3
    assert len(busy) == len(bare)


# Review actions --------------------------------------------------------------------------


def test_accept_from_the_response_page(client, analyst, example_version):
    response = scored_submission(example_version, "Good Bots", GOOD)

    page = client.post(
        reverse("admin:questionnaires_response_accept", args=[response.pk]), follow=True
    )

    response.refresh_from_db()
    assert response.status == ResponseStatus.ACCEPTED
    assert "Accepted the response of Good Bots." in _text(page)
    assert AuditEvent.objects.filter(response=response, actor_user=analyst).exists()


def test_accept_refused_says_why(client, analyst, example_version):
    response = ResponseFactory(version=example_version, status=ResponseStatus.IN_PROGRESS)

    page = client.post(
        reverse("admin:questionnaires_response_accept", args=[response.pk]), follow=True
    )

    response.refresh_from_db()
    assert response.status == ResponseStatus.IN_PROGRESS
    assert "the response is in progress" in _text(page)


def test_the_response_page_itself_accepts_no_changes(client, analyst, example_version):
    response = scored_submission(example_version, "Good Bots", GOOD)

    page = client.post(_change_url(response), {"status": "accepted", "due_date": "2030-01-01"})

    assert page.status_code == 405
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED


def test_accept_needs_post(client, analyst, example_version):
    response = scored_submission(example_version, "Good Bots", GOOD)

    page = client.get(reverse("admin:questionnaires_response_accept", args=[response.pk]))

    assert page.status_code == 405


def test_clarification_form_reopens_ticked_questions_with_notes(
    client, analyst, example_version, django_capture_on_commit_callbacks
):
    response = scored_submission(example_version, "Risky Bots", RISKY)
    url = reverse("admin:questionnaires_response_clarify", args=[response.pk])
    form_page = client.get(url)
    assert "Sampled review after the fact" in _text(form_page)

    with django_capture_on_commit_callbacks() as callbacks:
        page = client.post(
            url,
            {
                "reopen__rollback_rate": "on",
                "note__rollback_rate": "Which deployments were paused?",
                "reopen__live_monitoring": "on",
                "note": "Please reply within a week.",
            },
            follow=True,
        )

    response.refresh_from_db()
    assert response.status == ResponseStatus.CLARIFICATION_REQUESTED
    reopened = dict(
        Answer.objects.filter(response=response, needs_clarification=True).values_list(
            "question__key", "clarification_note"
        )
    )
    assert reopened == {
        "rollback_rate": "Which deployments were paused?",
        "live_monitoring": "Please reply within a week.",
    }
    assert "Reopened 2 questions and notified Risky Bots, to reply by " in _text(page)
    assert len(callbacks) == 1


def test_clarification_form_without_questions_or_notes_explains(client, analyst, example_version):
    response = scored_submission(example_version, "Risky Bots", RISKY)
    url = reverse("admin:questionnaires_response_clarify", args=[response.pk])

    nothing = client.post(url, {"note": "hello"})
    no_note = client.post(url, {"reopen__rollback_rate": "on"})

    assert "Tick at least one question" in _text(nothing)
    assert (
        "no note for: Q1.2 “Of those deployments, what share was rolled back, paused or"
        in _text(no_note)
    )
    # What was typed is kept.
    assert 'name="reopen__rollback_rate" id="id_reopen__rollback_rate" checked' in _text(no_note)
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED


def test_clarification_on_an_accepted_response_redirects_with_the_reason(
    client, analyst, example_version
):
    response = ResponseFactory(version=example_version, status=ResponseStatus.ACCEPTED)

    page = client.get(
        reverse("admin:questionnaires_response_clarify", args=[response.pk]), follow=True
    )

    assert "only be requested on a submitted response; this one is accepted" in _text(page)


def test_evidence_level_set_from_the_response_page(client, analyst, example_version):
    response = scored_submission(example_version, "Good Bots", GOOD)
    answer = Answer.objects.get(response=response, question__key="rollback_rate")
    before = ResponseScore.objects.get(response=response, profile_key="general").high

    page = client.post(
        reverse("admin:questionnaires_response_evidence_level", args=[response.pk, answer.pk]),
        {"level": "verified"},
        follow=True,
    )

    answer.refresh_from_db()
    assert answer.evidence_level == EvidenceLevel.VERIFIED
    assert "is now verified by an analyst" in _text(page)
    assert ResponseScore.objects.get(response=response, profile_key="general").high < before


def test_evidence_level_of_another_responses_answer_is_not_found(client, analyst, example_version):
    response = scored_submission(example_version, "Risky Bots", RISKY)
    other = scored_submission(example_version, "Good Bots", GOOD)
    foreign = Answer.objects.filter(response=other).first()

    page = client.post(
        reverse("admin:questionnaires_response_evidence_level", args=[response.pk, foreign.pk]),
        {"level": "verified"},
    )

    assert page.status_code == 404


def test_override_with_justification(client, analyst, example_version):
    response = scored_submission(example_version, "Good Bots", GOOD)
    url = reverse("admin:questionnaires_response_override", args=[response.pk])
    assert client.get(url).status_code == 200

    page = client.post(
        url,
        {
            "profile": "general",
            "score": "64",
            "tier": "high",
            "justification": "Site visit showed the monitoring dashboard is not staffed at night.",
            "reason": "Nobody watches the monitoring at night, so incidents wait for morning.",
        },
        follow=True,
    )

    stored = ResponseScore.objects.get(response=response, profile_key="general")
    assert (stored.override_score, stored.override_tier) == (64, "high")
    assert stored.overridden_by == analyst
    assert stored.override_reason.startswith("Nobody watches")
    assert "Score overridden" in _text(page)
    assert "Site visit showed the monitoring dashboard" in _text(page)


def test_override_errors_are_shown_and_nothing_is_saved(client, analyst, example_version):
    response = scored_submission(example_version, "Good Bots", GOOD)
    url = reverse("admin:questionnaires_response_override", args=[response.pk])

    short = client.post(url, {"profile": "general", "score": "64", "justification": "meh"})
    empty = client.post(
        url, {"profile": "general", "justification": "A perfectly fine explanation of why."}
    )

    assert "Write a justification of at least" in _text(short)
    assert "Give an overriding score, a tier, or both." in _text(empty)
    assert (
        ResponseScore.objects.get(response=response, profile_key="general").override_score is None
    )


def test_override_of_a_response_never_scored_scores_it_first(client, analyst, example_version):
    response = ResponseFactory(version=example_version, status=ResponseStatus.SUBMITTED)
    answer_all(response, GOOD)

    client.post(
        reverse("admin:questionnaires_response_override", args=[response.pk]),
        {
            "profile": "financial_services",
            "tier": "critical",
            "justification": "The vendor lost its banking licence partner last month.",
            "reason": "The vendor no longer has a licensed banking partner for payments.",
        },
    )

    stored = ResponseScore.objects.get(response=response, profile_key="financial_services")
    assert stored.score is not None
    assert stored.override_tier == "critical"


def test_a_refused_override_of_a_response_never_scored_writes_no_score(
    client, analyst, example_version
):
    response = ResponseFactory(version=example_version, status=ResponseStatus.SUBMITTED)
    answer_all(response, GOOD)

    page = client.post(
        reverse("admin:questionnaires_response_override", args=[response.pk]),
        {"profile": "general", "tier": "critical", "justification": "meh"},
    )

    assert "Write a justification of at least" in _text(page)
    assert not ResponseScore.objects.filter(response=response).exists()


def test_review_pages_need_a_staff_login(client, example_version):
    response = ResponseFactory(version=example_version)

    page = client.get(_change_url(response))

    assert page.status_code == 302
    assert "/admin/login/" in page["Location"]


def test_review_actions_need_change_permission(client, example_version):
    response = scored_submission(example_version, "Good Bots", GOOD)
    viewer = UserFactory(username="viewer", is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_response"))
    client.force_login(viewer)

    page = client.get(_change_url(response))
    accept = client.post(reverse("admin:questionnaires_response_accept", args=[response.pk]))

    assert page.status_code == 200
    assert "Accept response" not in _text(page)
    assert accept.status_code == 403
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
