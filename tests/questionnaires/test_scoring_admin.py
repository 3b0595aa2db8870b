"""Admin pages for scores, profiles and rescoring jobs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questionnaires.models import (
    Answer,
    AuditEvent,
    Profile,
    RescoreJob,
    ResponseScore,
)
from questionnaires.services.scores import score_override
from tests.factories import scored_submission

pytestmark = pytest.mark.django_db

SCORES_URL = reverse("admin:questionnaires_responsescore_changelist")
JUSTIFICATION = "Site visit confirmed real-time monitoring on every production queue."
GOOD = {
    "live_deployments": 40,
    "rollback_rate": 4,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}


@pytest.fixture
def eager_tasks():
    from cxvet.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def text(page) -> str:
    return page.content.decode()


# Stored scores ------------------------------------------------------------------------------


def test_score_list_shows_computed_and_override_side_by_side_and_staleness(
    client, analyst, example_version
):
    steady = scored_submission(example_version, "Steady Bots", GOOD)
    shaky = scored_submission(example_version, "Shaky Bots", GOOD)
    stored = ResponseScore.objects.get(response=steady, profile_key="general")
    score_override(
        response_score=stored, user=analyst, score=62, tier="high", justification=JUSTIFICATION
    )
    Answer.objects.filter(response=shaky, question__key="live_monitoring").update(value="none")

    page = client.get(SCORES_URL, {"profile_key": "general"})
    assert page.status_code == 200
    html = text(page)
    assert "Steady Bots" in html and "Shaky Bots" in html
    assert '<span class="cx-override">override · General</span> 62.0' in html
    assert html.count("cx-stale") == 1  # only Shaky Bots' answers changed
    assert html.count("up to date") == 1


def test_score_list_queries_do_not_grow_with_rows(
    client, analyst, example_version, django_assert_max_num_queries
):
    for i in range(3):
        scored_submission(example_version, f"Vendor {i}", GOOD)
    with django_assert_max_num_queries(14) as few:
        client.get(SCORES_URL)
    for i in range(3, 12):
        scored_submission(example_version, f"Vendor {i}", GOOD)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(SCORES_URL)
    assert text(page).count("up to date") == 24  # 12 responses x 2 profiles


def test_score_page_shows_both_values_the_explanation_and_the_history(
    client, analyst, example_version
):
    response = scored_submission(
        example_version,
        "Steady Bots",
        {**GOOD, "live_monitoring": "sampled", "human_approval_money": "no"},
    )
    stored = ResponseScore.objects.get(response=response, profile_key="general")
    score_override(
        response_score=stored, user=analyst, score=None, tier="high", justification=JUSTIFICATION
    )
    page = client.get(reverse("admin:questionnaires_responsescore_change", args=[stored.pk]))
    assert page.status_code == 200
    html = text(page)
    assert 'id="computed-vs-override"' in html
    assert "cx-tier-critical" in html and "cx-tier-high" in html  # computed and override
    assert "Money moves without human approval" in html
    assert JUSTIFICATION in html
    assert 'id="score-movers"' in html and "<code>human_approval_money</code>" in html
    assert 'id="override-history"' in html and "no override" in html
    override_url = reverse("admin:questionnaires_response_override", args=[response.pk])
    assert f"{override_url}?profile=general" in html
    assert 'name="_save"' not in html  # read-only


def test_recompute_action_refreshes_computed_values_and_keeps_the_override(
    client, analyst, example_version
):
    response = scored_submission(example_version, "Steady Bots", GOOD)
    stored = ResponseScore.objects.get(response=response, profile_key="general")
    score_override(
        response_score=stored, user=analyst, score=40, tier="", justification=JUSTIFICATION
    )
    Answer.objects.filter(response=response, question__key="live_monitoring").update(value="none")
    before = stored.score
    page = client.post(
        SCORES_URL,
        {"action": "recompute", "_selected_action": [stored.pk]},
        follow=True,
    )
    assert "Recomputed 1 score." in text(page)
    stored.refresh_from_db()
    assert stored.score > before
    assert stored.override_score == 40
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SCORE_OVERRIDDEN).count() == 1


def test_recompute_action_names_scores_whose_profile_is_gone(client, analyst, example_version):
    response = scored_submission(example_version, "Steady Bots", GOOD)
    gone = ResponseScore.objects.get(response=response, profile_key="general")
    gone.pk, gone.profile_key = None, "retail"
    gone.save()

    page = client.post(
        SCORES_URL,
        {"action": "recompute", "_selected_action": [gone.pk]},
        follow=True,
    )

    assert "Recomputed 0 scores." in text(page)
    assert f"{response}: no profile retail any more" in text(page)


# Profiles -------------------------------------------------------------------------------------


def profile_url(profile: Profile) -> str:
    return reverse("admin:questionnaires_profile_change", args=[profile.pk])


def test_profile_page_edits_weights_one_number_per_section(client, analyst, example_version):
    profile = Profile.objects.get(version=example_version, key="financial_services")
    page = client.get(profile_url(profile))
    assert page.status_code == 200
    html = text(page)
    assert 'name="weight_track_record"' in html and 'name="weight_oversight"' in html
    assert "Blank: the section's own weight (2)." in html
    assert 'value="4"' in html  # oversight, set by the profile
    assert "Never rescored" in html


def test_saving_new_weights_rescores_in_the_background_and_shows_progress(
    client, analyst, example_version, eager_tasks, django_capture_on_commit_callbacks
):
    steady = scored_submission(example_version, "Steady Bots", GOOD)
    shaky = scored_submission(example_version, "Shaky Bots", {**GOOD, "live_monitoring": "none"})
    profile = Profile.objects.get(version=example_version, key="general")
    before = ResponseScore.objects.get(response=shaky, profile_key="general").score

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            profile_url(profile),
            {"weight_track_record": "1", "weight_oversight": "5"},
            follow=True,
        )
    assert "rescoring 2 responses under General in the background" in text(page)
    profile.refresh_from_db()
    assert profile.section_weights == {"track_record": 1, "oversight": 5}
    job = RescoreJob.objects.get(profile=profile)
    assert (job.status, job.done, job.total, job.requested_by) == ("done", 2, 2, analyst)
    after = ResponseScore.objects.get(response=shaky, profile_key="general").score
    assert after > before  # oversight, where the risk is, weighs more now
    # Steady: rollback_rate 4% (risk .1) with e = 1 * 2/3; both oversight answers risk 0.
    steady_score = ResponseScore.objects.get(response=steady, profile_key="general").score
    assert steady_score == pytest.approx(100 * (2 / 3 * 0.1) / (2 / 3 + 5))

    page = client.get(profile_url(profile))
    assert "2 of 2 responses · Done" in text(page)
    progress = client.get(reverse("admin:questionnaires_rescorejob_progress", args=[job.pk]))
    assert progress.json() == {
        "id": job.pk,
        "status": "done",
        "label": "Done",
        "done": 2,
        "total": 2,
        "percent": 100,
        "finished": True,
        "error": "",
    }


def test_a_bad_weight_is_refused_with_a_reason_and_nothing_changes(
    client, analyst, example_version
):
    profile = Profile.objects.get(version=example_version, key="general")
    page = client.post(profile_url(profile), {"weight_track_record": "0", "weight_oversight": "-2"})
    assert page.status_code == 200
    assert text(page).count("A weight must be a positive number") == 2
    profile.refresh_from_db()
    assert profile.section_weights == {"track_record": 2, "oversight": 2}
    assert not RescoreJob.objects.exists()


def test_unchanged_weights_start_no_job_and_blank_means_the_sections_own(
    client, analyst, example_version
):
    profile = Profile.objects.get(version=example_version, key="general")
    client.post(profile_url(profile), {"weight_track_record": "2", "weight_oversight": "2"})
    assert not RescoreJob.objects.exists()
    client.post(profile_url(profile), {"weight_track_record": "", "weight_oversight": "3"})
    profile.refresh_from_db()
    assert profile.section_weights == {"oversight": 3}
    assert RescoreJob.objects.count() == 1


def test_rescore_action_and_job_list(client, analyst, example_version, eager_tasks):
    scored_submission(example_version, "Steady Bots", GOOD)
    profile = Profile.objects.get(version=example_version, key="general")
    page = client.post(
        reverse("admin:questionnaires_profile_changelist"),
        {"action": "rescore_profiles", "_selected_action": [profile.pk]},
        follow=True,
    )
    assert "Rescoring 1 response under 1 profile in the background." in text(page)
    jobs = client.get(reverse("admin:questionnaires_rescorejob_changelist"))
    assert "Requested by an analyst" in text(jobs)
    assert client.get(reverse("admin:questionnaires_profile_add")).status_code == 403


def test_profile_list_queries_do_not_grow_with_rescoring_jobs(
    client, analyst, example_version, django_assert_max_num_queries
):
    url = reverse("admin:questionnaires_profile_changelist")
    profiles = list(Profile.objects.filter(version=example_version))
    RescoreJob.objects.create(profile=profiles[0], total=1)
    with django_assert_max_num_queries(20) as one:
        client.get(url)
    for profile in profiles:
        for total in range(5):
            RescoreJob.objects.create(profile=profile, total=total)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url)
    assert text(page).count("data-progress-url=") == len(profiles)  # its latest job each


def test_progress_needs_an_analyst(client, example_version):
    profile = Profile.objects.get(version=example_version, key="general")
    job = RescoreJob.objects.create(profile=profile, total=3)
    url = reverse("admin:questionnaires_rescorejob_progress", args=[job.pk])
    assert client.get(url).status_code == 302  # to the login page
