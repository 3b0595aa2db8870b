"""`seed_demo`: five distinguishable vendors, evidence in storage, and idempotent."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from questionnaires.definition import iter_questions, visible_question_keys
from questionnaires.models import (
    Answer,
    AuditEvent,
    Evidence,
    EvidenceLevel,
    QuestionnaireVersion,
    Response,
    ResponseScore,
    ResponseStatus,
    Selection,
    VersionStatus,
)
from questionnaires.scoring import ScoreResult
from questionnaires.services.definitions import questionnaire_import
from questionnaires.services.demo import (
    DemoAnswer,
    DemoDataError,
    demo_seed,
    demo_vendor_problems,
    demo_vendors_load,
)
from tests.conftest import SHIPPED_DEFINITION
from vendors.models import Contact, Vendor

pytestmark = pytest.mark.django_db

STRONG = "Corvane Labs"
BLIND_SPOT = "Glimmerline"
MONEY_UNSAFE = "Tallyforge"
PARTIAL = "Quillmere Systems"
WEAK_CONTEXT = "Bramblecall"
SUBMITTED = [STRONG, BLIND_SPOT, MONEY_UNSAFE, WEAK_CONTEXT]


@pytest.fixture
def seeded():
    return demo_seed()


def response_of(vendor: str) -> Response:
    return Response.objects.get(vendor__name=vendor)


def score_of(vendor: str, profile: str = "general") -> ResponseScore:
    return ResponseScore.objects.get(response__vendor__name=vendor, profile_key=profile)


def result_of(vendor: str, profile: str = "general") -> ScoreResult:
    return ScoreResult.from_dict(score_of(vendor, profile).result)


def flags_of(vendor: str, profile: str = "general") -> set[str]:
    return {flag.key for flag in result_of(vendor, profile).flags}


def values_of(response: Response) -> dict:
    return dict(response.answers.values_list("question__key", "value"))


def snapshot() -> dict:
    """Every row the seed writes, with the fields that would change if it wrote again."""
    return {
        "versions": list(QuestionnaireVersion.objects.values_list("id", "status")),
        "vendors": list(Vendor.objects.values_list("id", "name", "product")),
        "contacts": list(Contact.objects.values_list("id", "email", "name")),
        "responses": list(Response.objects.values_list("id", "status", "due_date", "submitted_at")),
        "answers": list(
            Answer.objects.values_list("id", "value", "comment", "evidence_level", "updated_at")
        ),
        "evidence": list(Evidence.objects.values_list("id", "file", "sha256")),
        "events": AuditEvent.objects.count(),
        "scores": list(ResponseScore.objects.values_list("id", "computed_at", "score")),
        "selections": list(Selection.objects.values_list("id", "updated_at")),
    }


# Running it --------------------------------------------------------------------------


def test_imports_and_publishes_the_shipped_questionnaire_when_missing(seeded):
    version = seeded.version
    assert version.questionnaire.key == "ai_cx_agent_readiness"
    assert version.status == VersionStatus.PUBLISHED
    assert Response.objects.filter(version=version).count() == 5


def test_publishes_an_imported_draft_instead_of_importing_again():
    draft = questionnaire_import(text=SHIPPED_DEFINITION.read_text()).version
    summary = demo_seed()
    draft.refresh_from_db()
    assert summary.version == draft
    assert draft.status == VersionStatus.PUBLISHED
    assert QuestionnaireVersion.objects.count() == 1


def test_creates_five_vendors_with_contacts_and_realistic_statuses(seeded):
    assert seeded.vendors_created == 5
    assert Vendor.objects.count() == 5
    assert all(v.contacts.exists() for v in Vendor.objects.all())
    statuses = dict(Response.objects.values_list("vendor__name", "status"))
    assert statuses == {
        STRONG: ResponseStatus.ACCEPTED,
        BLIND_SPOT: ResponseStatus.SUBMITTED,
        MONEY_UNSAFE: ResponseStatus.SUBMITTED,
        WEAK_CONTEXT: ResponseStatus.SUBMITTED,
        PARTIAL: ResponseStatus.IN_PROGRESS,
    }
    accepted = response_of(STRONG)
    assert accepted.submitted_at < accepted.accepted_at
    assert response_of(PARTIAL).submitted_at is None
    history = AuditEvent.objects.filter(
        response=accepted, kind=AuditEvent.Kind.STATUS_CHANGED
    ).values_list("data__to", flat=True)
    assert set(history) == {"in_progress", "submitted", "accepted"}


def test_submitted_answers_are_complete_with_comments(seeded):
    definition = seeded.version.definition
    for name in SUBMITTED:
        response = response_of(name)
        values = values_of(response)
        visible = visible_question_keys(definition, values)
        required = {q["key"] for _, q in iter_questions(definition) if q["required"]}
        assert not (required & visible) - set(values), name
        assert response.answers.exclude(comment="").count() >= 5, name


def test_selection_compares_the_submitted_vendors_with_a_recommendation(seeded):
    selection = Selection.objects.get()
    assert selection.name == "Contact-center agent selection"
    assert selection.profile_key == "financial_services"
    assert sorted(r.vendor.name for r in selection.responses.all()) == sorted(SUBMITTED)
    assert STRONG in selection.recommendation and MONEY_UNSAFE in selection.recommendation


def test_submitted_and_accepted_responses_are_scored_under_every_profile(seeded):
    assert seeded.responses_scored == 4
    for name in SUBMITTED:
        assert set(response_of(name).scores.values_list("profile_key", flat=True)) == {
            "general",
            "financial_services",
            "healthcare",
        }
    assert not response_of(PARTIAL).scores.exists()


def test_running_twice_creates_and_changes_nothing(seeded, capsys):
    before = snapshot()
    call_command("seed_demo")
    assert snapshot() == before
    assert "nothing changed" in capsys.readouterr().out


def test_rerunning_keeps_an_analysts_changes(seeded):
    answer = response_of(PARTIAL).answers.get(question__key="live_deployments")
    answer.value = 11
    answer.save(update_fields=["value"])
    demo_seed()
    answer.refresh_from_db()
    assert answer.value == 11


def test_command_prints_a_summary(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "5 vendors, 5 responses" in out
    assert f"{PARTIAL}: In progress" in out
    assert "Selection created" in out
    partial = Vendor.objects.get(name=PARTIAL)
    assert f"/admin/vendors/vendor/{partial.pk}/invite/" in out


# The five characters -----------------------------------------------------------------


def test_strong_vendor_is_lowest_risk_and_unflagged(seeded):
    for profile in ("general", "financial_services", "healthcare"):
        scores = {name: score_of(name, profile).score for name in SUBMITTED}
        assert min(scores, key=scores.get) == STRONG, profile
        assert flags_of(STRONG, profile) == set()
        assert score_of(STRONG, profile).tier == "low"


def test_blind_spot_vendor_trips_the_blind_spot_and_resolution_rules(seeded):
    values = values_of(response_of(BLIND_SPOT))
    assert values["rollback_rate"] == 0
    assert values["live_monitoring"] == "sampled_review"
    assert {"blind_spot_rollbacks", "resolution_without_method"} <= flags_of(BLIND_SPOT)
    assert score_of(BLIND_SPOT).tier == "high"
    for name in (STRONG, MONEY_UNSAFE, WEAK_CONTEXT):
        assert "blind_spot_rollbacks" not in flags_of(name)


def test_money_unsafe_vendor_is_critical_on_money_movement(seeded):
    values = values_of(response_of(MONEY_UNSAFE))
    assert values["moves_money"] == "yes"
    assert values["money_human_approval"] == "none"
    flags = flags_of(MONEY_UNSAFE)
    assert {"money_without_approval", "money_limits_enforced.knockout1"} <= flags
    assert score_of(MONEY_UNSAFE).tier == "critical"
    assert score_of(MONEY_UNSAFE, "financial_services").tier == "critical"
    for name in (STRONG, BLIND_SPOT, WEAK_CONTEXT):
        assert "money_without_approval" not in flags_of(name)


def test_weak_context_vendor_is_strong_overall_but_worst_on_context(seeded):
    context = {
        name: next(s for s in result_of(name).sections if s.key == "context").score
        for name in SUBMITTED
    }
    assert max(context, key=context.get) == WEAK_CONTEXT
    assert score_of(WEAK_CONTEXT).tier == "low"
    assert score_of(WEAK_CONTEXT).score < score_of(BLIND_SPOT).score
    assert "channels_not_connected" in flags_of(WEAK_CONTEXT)
    assert "channels_not_connected" not in flags_of(STRONG)


def test_partial_vendor_has_unanswered_required_questions_and_missing_evidence(seeded):
    response = response_of(PARTIAL)
    definition = seeded.version.definition
    values = {k: v for k, v in values_of(response).items() if v is not None}
    visible = visible_question_keys(definition, values)
    required = {q["key"] for _, q in iter_questions(definition) if q["required"]}
    unanswered = (required & visible) - set(values)
    assert {"subprocessors", "rollback_count", "rollback_rate"} <= unanswered
    evidence_requested = response.answers.filter(
        question__evidence_requested=True, value__isnull=False
    )
    assert evidence_requested.count() >= 4
    assert all(a.evidence_level == EvidenceLevel.SELF_ATTESTED for a in evidence_requested)
    assert not Evidence.objects.filter(answer__response=response).exists()
    # A comment without an answer is kept (the vendor said what is coming).
    assert response.answers.get(question__key="subprocessors").comment


# Evidence ----------------------------------------------------------------------------


def test_evidence_files_are_in_storage_and_match_their_records(seeded):
    evidence = list(Evidence.objects.select_related("answer"))
    assert len(evidence) == seeded.evidence_created >= 10
    for item in evidence:
        assert default_storage.exists(item.file.name)
        with default_storage.open(item.file.name, "rb") as handle:
            content = handle.read()
        assert hashlib.sha256(content).hexdigest() == item.sha256
        assert len(content) == item.size
        assert content.startswith(b"%PDF-") or content.startswith(b"\x89PNG")
        assert item.answer.evidence_level in (EvidenceLevel.DOCUMENT, EvidenceLevel.VERIFIED)
    verified = Answer.objects.filter(evidence_level=EvidenceLevel.VERIFIED)
    assert verified.count() >= 2
    assert all(a.evidence.exists() for a in verified)


# The data is checked before anything is written ---------------------------------------


def vendor_file(name: str):
    return next(v for v in demo_vendors_load() if v.name == name)


def test_demo_files_fit_the_questionnaire():
    version = questionnaire_import(text=SHIPPED_DEFINITION.read_text(), publish=True).version
    for vendor in demo_vendors_load():
        assert demo_vendor_problems(version.definition, vendor) == [], vendor.source


def test_demo_data_problems_are_named():
    version = questionnaire_import(text=SHIPPED_DEFINITION.read_text(), publish=True).version
    vendor = vendor_file(BLIND_SPOT)
    answers = dict(vendor.answers)
    answers["autonomy"] = DemoAnswer(value="fully_autonomous")
    answers["money_human_approval"] = DemoAnswer(value="none")  # hidden: moves_money is no
    answers.pop("kill_switch")
    answers["human_on_request"] = DemoAnswer(value="no")  # risky, and now no comment
    answers["ai_pentest"] = DemoAnswer(value="internal_only", files=("nowhere.pdf",))
    broken = dataclasses.replace(vendor, answers=answers)
    problems = "\n".join(demo_vendor_problems(version.definition, broken))
    assert "autonomy: 'fully_autonomous' is not one of" in problems
    assert "money_human_approval: answered, but its condition hides it" in problems
    assert "kill_switch: required, but a submitted response leaves it unanswered" in problems
    assert "human_on_request: the answer's risk asks for an explanation comment" in problems
    assert "ai_pentest: evidence file nowhere.pdf is missing" in problems


def test_an_unfit_file_stops_the_seed_before_writing():
    # A published version whose content differs from the demo's expectations: every
    # answer to a question it lacks is reported and nothing is written.
    text = SHIPPED_DEFINITION.read_text()
    trimmed = text.replace("key: tenant_isolation", "key: tenant_separation")
    questionnaire_import(text=trimmed, publish=True)
    with pytest.raises(DemoDataError, match="tenant_isolation: not a question"):
        demo_seed()
    assert not Vendor.objects.exists()
    assert not Response.objects.exists()
