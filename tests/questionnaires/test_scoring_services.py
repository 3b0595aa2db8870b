"""Storing scores, overrides with history, stale-score detection, batch rescoring."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from questionnaires.models import (
    Answer,
    AuditEvent,
    EvidenceLevel,
    Profile,
    RescoreJob,
    ResponseScore,
    ResponseStatus,
)
from questionnaires.scoring import ENGINE_VERSION, ScoreResult, StoredScore
from questionnaires.selectors import profile_as_dict, scoring_inputs, stale_scores
from questionnaires.services import scores as score_services
from questionnaires.services.scores import (
    profile_weights_update,
    profiles_rescore,
    response_score,
    response_score_override,
    response_scores_recompute,
    score_override,
    score_override_clear,
)
from tests.conftest import wait_until
from tests.factories import ResponseFactory, UserFactory, answer_all

GOOD_ANSWERS = {
    "live_deployments": 12,
    "rollback_rate": 8,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}
RISKY_ANSWERS = {
    "live_deployments": 12,
    "rollback_rate": 30,
    "rollback_reasons": ["hallucination"],
    "live_monitoring": "sampled",
    "human_approval_money": "yes",
}
JUSTIFICATION = "On-site audit on 3 May found the rollback figures independently verified."


@pytest.fixture
def eager_tasks():
    """Tasks run in-process even when REDIS_URL points at a real broker."""
    from cxvet.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def submitted_response(version, values, **kwargs):
    response = ResponseFactory(version=version, status=ResponseStatus.SUBMITTED, **kwargs)
    answer_all(response, values)
    return response


def test_scoring_inputs_reads_every_response_in_one_query(
    example_version, django_assert_num_queries
):
    first = submitted_response(example_version, GOOD_ANSWERS)
    second = submitted_response(example_version, RISKY_ANSWERS)
    empty = ResponseFactory(version=example_version)
    with django_assert_num_queries(1):
        inputs = scoring_inputs([first.id, second.id, empty.id])
    assert inputs[first.id]["rollback_rate"].value == 8
    assert inputs[second.id]["rollback_reasons"].value == ["hallucination"]
    assert inputs[first.id]["rollback_rate"].evidence_level == "self_attested"
    assert inputs[empty.id] == {}


def test_response_score_stores_one_row_per_profile_with_engine_version_and_time(
    example_version,
):
    response = submitted_response(example_version, GOOD_ANSWERS)
    rows = response_score(response=response)
    assert [r.profile_key for r in rows] == ["financial_services", "general"]
    general = next(r for r in rows if r.profile_key == "general")
    assert general.engine_version == ENGINE_VERSION
    assert general.computed_at is not None
    assert len(general.inputs_hash) == 64
    # rollback_rate 8% -> risk 0.1 with effective weight 2 * 2/3 (rollback_reasons is shown
    # but unanswered); both oversight questions answered with risk 0, weight 1 each.
    result = ScoreResult.from_dict(general.result)
    assert result.score == pytest.approx(general.score)
    assert general.score == pytest.approx(100 * (4 / 3 * 0.1) / (4 / 3 + 1 + 1))
    assert general.tier == "low"


def test_response_score_rejects_an_unknown_profile_by_name(example_version):
    response = submitted_response(example_version, GOOD_ANSWERS)
    with pytest.raises(ValueError, match="financial_services, general"):
        response_score(response=response, profile_keys=["healthcare"])


def test_evidence_level_change_narrows_the_stored_range(example_version):
    response = submitted_response(example_version, GOOD_ANSWERS)
    before = response_score(response=response, profile_keys=["general"])[0]
    Answer.objects.filter(response=response, question__key="rollback_rate").update(
        evidence_level=EvidenceLevel.VERIFIED
    )
    after = response_score(response=response, profile_keys=["general"])[0]
    assert after.pk == before.pk
    assert after.score == pytest.approx(before.score)
    assert after.high < before.high
    assert after.inputs_hash != before.inputs_hash


def test_stale_scores_detects_changed_answers_weights_and_engine_version(example_version):
    response = submitted_response(example_version, GOOD_ANSWERS)
    response_score(response=response)
    assert stale_scores([response.id]) == []

    Answer.objects.filter(response=response, question__key="live_monitoring").update(value="none")
    assert {s.profile_key for s in stale_scores([response.id])} == {
        "general",
        "financial_services",
    }
    response_score(response=response)
    assert stale_scores([response.id]) == []

    Profile.objects.filter(version=example_version, key="general").update(
        section_weights={"oversight": 9}
    )
    assert [s.profile_key for s in stale_scores([response.id])] == ["general"]
    response_score(response=response)
    ResponseScore.objects.filter(response=response, profile_key="general").update(
        engine_version="1999.1"
    )
    assert [s.profile_key for s in stale_scores([response.id])] == ["general"]


def test_override_needs_a_real_justification(example_version):
    response = submitted_response(example_version, GOOD_ANSWERS)
    row = response_score(response=response, profile_keys=["general"])[0]
    analyst = UserFactory()
    for bad in ("", "ok", "because I say so", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa a a a"):
        with pytest.raises(ValidationError) as caught:
            score_override(response_score=row, user=analyst, score=60, tier="", justification=bad)
        assert "justification" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        score_override(
            response_score=row, user=analyst, score=140, tier="", justification=JUSTIFICATION
        )
    assert "0 to 100" in caught.value.message_dict["score"][0]
    with pytest.raises(ValidationError) as caught:
        score_override(
            response_score=row, user=analyst, score=None, tier="severe", justification=JUSTIFICATION
        )
    assert "low, moderate, high, critical" in caught.value.message_dict["tier"][0]
    row.refresh_from_db()
    assert row.override_score is None
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.SCORE_OVERRIDDEN).exists()


def test_override_is_kept_beside_the_computed_score_and_recorded(example_version):
    response = submitted_response(example_version, GOOD_ANSWERS)
    row = response_score(response=response, profile_keys=["general"])[0]
    computed = row.score
    analyst = UserFactory()
    score_override(response_score=row, user=analyst, score=55, tier="", justification=JUSTIFICATION)
    row.refresh_from_db()
    assert (row.override_score, row.override_tier) == (55, "high")
    assert row.score == pytest.approx(computed)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SCORE_OVERRIDDEN)
    assert event.response == response
    assert event.actor_user == analyst
    assert event.data["before"]["override_score"] is None
    assert event.data["after"]["override_score"] == 55
    assert event.data["justification"] == JUSTIFICATION

    # A recomputation refreshes the computed values and keeps the override.
    Answer.objects.filter(response=response, question__key="live_monitoring").update(value="none")
    row = response_score(response=response, profile_keys=["general"])[0]
    assert row.score > computed
    assert (row.override_score, row.override_tier) == (55, "high")
    assert row.override_justification == JUSTIFICATION

    score_override_clear(response_score=row, user=analyst, justification=JUSTIFICATION)
    row.refresh_from_db()
    assert row.override_score is None and row.override_tier == ""
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SCORE_OVERRIDDEN).count() == 2


def test_overriding_a_response_never_scored_scores_it_first(example_version):
    response = submitted_response(example_version, RISKY_ANSWERS)
    analyst = UserFactory()

    stored = response_score_override(
        response=response,
        profile_key="financial_services",
        user=analyst,
        score=None,
        tier="critical",
        justification=JUSTIFICATION,
    )

    assert stored.profile_key == "financial_services"
    assert stored.score is not None and stored.override_tier == "critical"
    # Only the profile overridden was scored.
    assert list(ResponseScore.objects.filter(response=response).values_list("profile_key")) == [
        ("financial_services",)
    ]


def test_a_refused_override_of_a_response_never_scored_writes_nothing(example_version):
    response = submitted_response(example_version, RISKY_ANSWERS)

    with pytest.raises(ValidationError) as refused:
        response_score_override(
            response=response,
            profile_key="general",
            user=UserFactory(),
            score=70,
            tier="",
            justification="too short",
        )

    assert "justification" in refused.value.message_dict
    assert not ResponseScore.objects.filter(response=response).exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.SCORE_OVERRIDDEN).exists()


def test_recompute_refreshes_stored_scores_and_reports_profiles_that_are_gone(example_version):
    response = submitted_response(example_version, GOOD_ANSWERS)
    _, general = response_score(response=response)  # financial_services, general
    gone = ResponseScore.objects.get(pk=general.pk)
    gone.pk, gone.profile_key = None, "retail"
    gone.save()
    Answer.objects.filter(response=response, question__key="live_monitoring").update(value="none")

    done = response_scores_recompute(scores=ResponseScore.objects.filter(response=response))

    assert done.count == 2  # financial_services and general; retail is no profile any more
    assert [(r.pk, keys) for r, keys in done.missing] == [(response.pk, ["retail"])]
    assert ResponseScore.objects.get(pk=general.pk).score > general.score
    assert stale_scores([response.pk]) == [gone]  # left as it was


def test_profiles_rescore_starts_one_job_per_profile(example_version):
    submitted_response(example_version, GOOD_ANSWERS)
    profiles = Profile.objects.filter(version=example_version)

    jobs = profiles_rescore(profiles=profiles, user=None, reason="Requested by an analyst")

    assert sorted(job.profile.key for job in jobs) == ["financial_services", "general"]
    assert {(job.total, job.reason) for job in jobs} == {(1, "Requested by an analyst")}


def test_profile_weights_update_validates_every_weight(example_version):
    profile = Profile.objects.get(version=example_version, key="general")
    with pytest.raises(ValidationError) as caught:
        profile_weights_update(
            profile=profile,
            section_weights={"oversight": 0, "nonsense": 2, "track_record": "x"},
            user=None,
        )
    messages = caught.value.messages
    assert len(messages) == 3
    assert any("'nonsense' is not a section" in m for m in messages)
    profile.refresh_from_db()
    assert profile.section_weights == {"track_record": 2, "oversight": 2}
    assert not RescoreJob.objects.exists()


def test_profile_weights_update_rescores_in_batches_eagerly(
    example_version, monkeypatch, django_capture_on_commit_callbacks, eager_tasks
):
    monkeypatch.setattr(score_services, "RESCORE_BATCH_SIZE", 2)
    responses = [submitted_response(example_version, RISKY_ANSWERS) for _ in range(5)]
    ResponseFactory(version=example_version)  # never submitted: not rescored
    for response in responses[:2]:
        response_score(response=response, profile_keys=["general"])
    before = ResponseScore.objects.get(response=responses[0], profile_key="general").score
    profile = Profile.objects.get(version=example_version, key="general")

    with django_capture_on_commit_callbacks(execute=True):
        job = profile_weights_update(
            profile=profile, section_weights={"track_record": 1, "oversight": 6}, user=None
        )
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (RescoreJob.Status.DONE, 5, 5)
    assert job.weights_before == {"track_record": 2, "oversight": 2}
    assert job.weights_after == {"track_record": 1, "oversight": 6}
    scores = ResponseScore.objects.filter(profile_key="general")
    assert scores.count() == 5
    after = scores.get(response=responses[0]).score
    assert after != pytest.approx(before)
    assert stale_scores([r.id for r in responses]) == []


def test_a_redelivered_batch_does_nothing_twice(example_version, monkeypatch):
    monkeypatch.setattr(score_services, "RESCORE_BATCH_SIZE", 2)
    for _ in range(3):
        submitted_response(example_version, RISKY_ANSWERS)
    profile = Profile.objects.get(version=example_version, key="general")
    job = score_services.profile_rescore(profile=profile, user=None)  # on_commit not run
    cursor = score_services.rescore_job_advance(job_id=job.id, after_id=0)
    assert cursor is not None
    assert score_services.rescore_job_advance(job_id=job.id, after_id=0) is None
    job.refresh_from_db()
    assert (job.done, job.cursor, job.status) == (2, cursor, RescoreJob.Status.RUNNING)
    assert score_services.rescore_job_advance(job_id=job.id, after_id=cursor) is None
    job.refresh_from_db()
    assert (job.done, job.status) == (3, RescoreJob.Status.DONE)


def test_a_newer_job_supersedes_an_older_one(example_version):
    submitted_response(example_version, RISKY_ANSWERS)
    profile = Profile.objects.get(version=example_version, key="general")
    old = score_services.profile_rescore(profile=profile, user=None)
    new = score_services.profile_rescore(profile=profile, user=None)
    old.refresh_from_db()
    assert old.status == RescoreJob.Status.SUPERSEDED
    assert score_services.rescore_job_advance(job_id=old.id, after_id=0) is None
    assert score_services.rescore_job_advance(job_id=new.id, after_id=0) is None
    new.refresh_from_db()
    assert (new.status, new.done) == (RescoreJob.Status.DONE, 1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_rescoring_job_completes_on_the_worker(celery_worker_process, example_version, monkeypatch):
    from django.db import transaction

    responses = [submitted_response(example_version, RISKY_ANSWERS) for _ in range(3)]
    profile = Profile.objects.get(version=example_version, key="general")
    with transaction.atomic():
        job = profile_weights_update(profile=profile, section_weights={"oversight": 5}, user=None)
    wait_until(lambda: RescoreJob.objects.filter(pk=job.pk, status=RescoreJob.Status.DONE).exists())
    job.refresh_from_db()
    assert (job.done, job.total) == (3, 3)
    general = profile_as_dict(Profile.objects.get(pk=profile.pk))
    assert general["section_weights"] == {"oversight": 5}
    assert ResponseScore.objects.filter(response__in=responses, profile_key="general").count() == 3
    assert stale_scores([r.id for r in responses]) == []


def test_a_failing_batch_marks_the_job_failed_with_the_reason(example_version, eager_tasks):
    from questionnaires.tasks.scoring import rescore_batch

    submitted_response(example_version, RISKY_ANSWERS)
    profile = Profile.objects.get(version=example_version, key="general")
    # Bad data written around the service (which would have refused it).
    Profile.objects.filter(pk=profile.pk).update(section_weights={"oversight": "heavy"})
    profile.refresh_from_db()
    job = score_services.profile_rescore(profile=profile, user=None)
    with pytest.raises(ValueError, match="weight 'heavy'"):
        rescore_batch.delay(job.id, 0)
    job.refresh_from_db()
    assert job.status == RescoreJob.Status.FAILED
    assert "Profile 'general' gives section 'oversight' the weight 'heavy'" in job.error
    assert job.finished_at is not None


def test_refresh_writes_every_chunk_of_a_batch(example_version, monkeypatch):
    monkeypatch.setattr(score_services, "WRITE_CHUNK_SIZE", 2)
    responses = [submitted_response(example_version, RISKY_ANSWERS) for _ in range(5)]
    profile = Profile.objects.get(version=example_version, key="general")
    ids = [r.id for r in responses]
    assert score_services.response_scores_refresh(profile=profile, response_ids=ids) == 5
    assert ResponseScore.objects.filter(response_id__in=ids, profile_key="general").count() == 5
    assert stale_scores(ids) == []


def test_a_failed_pipelined_write_raises_and_rolls_back(example_version):
    from django.db import connection, transaction
    from django.utils import timezone

    if connection.vendor != "postgresql":
        pytest.skip("pipelined writes are PostgreSQL's")
    response = submitted_response(example_version, RISKY_ANSWERS)
    stored = response_score(response=response, profile_keys=["general"])[0]
    good = score_services._Row(
        response.id, StoredScore("general", "good", "h", 1, 0, 2, 1, "low", 0, "{}")
    )
    bad = good._replace(score=good.score._replace(tier="far-too-long-for-the-column"))
    with (
        pytest.raises(Exception, match="too long"),
        transaction.atomic(),
        score_services._writes_pipelined(),
    ):
        score_services._upsert([good], timezone.now())
        score_services._upsert([bad], timezone.now())
    stored.refresh_from_db()
    assert stored.engine_version == ENGINE_VERSION
