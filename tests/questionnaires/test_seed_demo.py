"""`seed_demo`: five distinguishable vendors answering version 2, one of them re-assessed
from its version 1 answers, evidence in storage, and idempotent."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from questionnaires.comparison import build_comparison
from questionnaires.decision import decision_data
from questionnaires.definition import iter_questions, visibility, visible_question_keys
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
    carried_keys,
    demo_seed,
    demo_vendor_problems,
    demo_vendors_load,
    earlier_round_load,
)
from tests.conftest import SHIPPED_DEFINITION, SHIPPED_V2_DEFINITION
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


ROUND = "Contact-center agent selection"


def response_of(vendor: str) -> Response:
    """The vendor's response in the demo's current round."""
    return Response.objects.get(vendor__name=vendor, selection__name=ROUND)


def score_of(vendor: str, profile: str = "general") -> ResponseScore:
    return ResponseScore.objects.get(
        response__vendor__name=vendor, response__selection__name=ROUND, profile_key=profile
    )


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


def test_imports_and_publishes_both_shipped_versions_when_missing(seeded):
    version = seeded.version
    assert version.questionnaire.key == "ai_cx_agent_readiness"
    assert version.number == 2 and version.status == VersionStatus.PUBLISHED
    earlier = QuestionnaireVersion.objects.get(questionnaire=version.questionnaire, number=1)
    assert earlier.status == VersionStatus.PUBLISHED
    # The current round asks version 2; the round a vendor was re-assessed from, version 1.
    assert Response.objects.filter(version=version, selection__name=ROUND).count() == 5
    assert Response.objects.filter(version=version).count() == 5
    assert Response.objects.filter(version=earlier).count() == 1


def test_publishes_an_imported_draft_instead_of_importing_again():
    draft = questionnaire_import(text=SHIPPED_V2_DEFINITION.read_text()).version
    summary = demo_seed()
    draft.refresh_from_db()
    assert summary.version == draft
    assert draft.status == VersionStatus.PUBLISHED
    assert sorted(QuestionnaireVersion.objects.values_list("number", flat=True)) == [1, 2]


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
        assert not response.answers.filter(carried_forward=True).exists(), name


def test_the_round_holds_every_demo_vendor_with_buyer_context_and_a_recommendation(seeded):
    selection = Selection.objects.get(name="Contact-center agent selection")
    assert selection.name == "Contact-center agent selection"
    assert selection.profile_key == "financial_services"
    assert selection.version == seeded.version and selection.due_date
    assert selection.buyer_currency == "GBP" and not selection.buyer_name_visible
    assert sorted(r.vendor.name for r in selection.responses.all()) == sorted([*SUBMITTED, PARTIAL])
    assert STRONG in selection.recommendation and MONEY_UNSAFE in selection.recommendation


def test_the_round_holds_the_buyers_decision_inputs_and_each_vendors_business_case(seeded):
    selection = Selection.objects.get(name="Contact-center agent selection")
    assert selection.recommended == response_of(STRONG)
    assert "owasp_llm_2025" in selection.frameworks
    ids = [r.pk for r in selection.responses.all()]
    comparison = build_comparison(ids, profile_key=selection.profile_key, robustness=False)
    decision = decision_data(selection, comparison)
    assert [m.framework.key for m in decision.frameworks] == selection.frameworks
    cases = {row.vendor_name: row.case for row in decision.business_cases}
    assert cases[STRONG].yearly_price == Decimal("2650000.00")
    # Every vendor's assumed-rate case can be worked out from the demo's figures.
    assert all(cases[name].net_assumed is not None for name in SUBMITTED)
    # The recommended vendor's rates are verified by the analyst: its case is one figure.
    strong = cases[STRONG]
    assert strong.net_verified_low == strong.net_verified == strong.net_verified_high
    assert strong.rests_on_unverified is False


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
    # The rate is worked out from the counts, never stored: 0 of 31.
    assert "rollback_rate" not in values
    assert visibility(seeded.version.definition).with_derived(values)["rollback_rate"] == 0
    assert values["rollback_rate_numerator"] == "shutdowns_only"  # why it is zero
    assert values["live_monitoring"] == "sampled_review"
    assert values["resolution_rate_numerator"] == "model_judged"
    assert values["kill_switch_minutes"] == "not_tested"
    assert values["repeat_explanation_rate"] == "not_measured"
    assert {
        "blind_spot_rollbacks",
        "resolution_without_method",
        "kill_switch_untested",
    } <= flags_of(BLIND_SPOT)
    assert score_of(BLIND_SPOT).tier == "high"
    for name in (STRONG, MONEY_UNSAFE, WEAK_CONTEXT):
        assert "blind_spot_rollbacks" not in flags_of(name)


def test_money_unsafe_vendor_is_critical_on_money_movement(seeded):
    values = values_of(response_of(MONEY_UNSAFE))
    grid = values["action_authority"]["choices"]
    assert grid["refund.voice"] == grid["payment.chat"] == "alone"
    assert values["money_limits_enforced"] == "no"
    flags = flags_of(MONEY_UNSAFE)
    assert {"action_authority.knockout1", "money_limits_enforced.knockout1"} <= flags
    assert "fs_money_cap_loose" in flags_of(MONEY_UNSAFE, "financial_services")
    assert score_of(MONEY_UNSAFE).tier == "critical"
    assert score_of(MONEY_UNSAFE, "financial_services").tier == "critical"
    for name in (STRONG, BLIND_SPOT, WEAK_CONTEXT):
        assert "action_authority.knockout1" not in flags_of(name)


def test_the_strong_vendor_acts_alone_only_up_to_limits(seeded):
    values = values_of(response_of(STRONG))
    grid = values["action_authority"]
    assert grid["choices"]["refund.voice"] == "alone_limited"
    assert grid["limits"]["refund.voice"] == 40
    assert values["money_cap_per_customer"] == 80


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
    # The rollback rate is worked out from the count, so it is missing with it.
    assert {"subprocessors", "rollback_count", "action_authority"} <= unanswered
    assert visibility(definition).with_derived(values)["rollback_rate"] is None
    assert values["verified_resolution_rate"] == "not_measured"
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
    version = questionnaire_import(text=SHIPPED_V2_DEFINITION.read_text(), publish=True).version
    for vendor in demo_vendors_load():
        assert demo_vendor_problems(version.definition, vendor) == [], vendor.source


def test_demo_data_problems_are_named():
    version = questionnaire_import(text=SHIPPED_V2_DEFINITION.read_text(), publish=True).version
    vendor = vendor_file(BLIND_SPOT)
    answers = dict(vendor.answers)
    answers["autonomy"] = DemoAnswer(value="fully_autonomous")
    answers["high_risk_assessment"] = DemoAnswer(value="assessed")  # hidden: no regulated use
    answers.pop("kill_switch")
    answers["human_on_request"] = DemoAnswer(value="no")  # risky, and now no comment
    answers["ai_pentest"] = DemoAnswer(value="internal_only", files=("nowhere.pdf",))
    answers["rollback_rate"] = DemoAnswer(value=0)  # worked out, never answered
    answers["repeat_contact_rate"] = DemoAnswer(value="not_counted")
    grid = answers["action_authority"].value
    answers["action_authority"] = DemoAnswer(
        value={
            "choices": {**grid["choices"], "refund.fax": "alone"},
            "limits": {"payment.chat": 9},
        },
        comment="x",
    )
    broken = dataclasses.replace(vendor, answers=answers)
    problems = "\n".join(demo_vendor_problems(version.definition, broken))
    assert "autonomy: 'fully_autonomous' is not one of" in problems
    assert "high_risk_assessment: answered, but its condition hides it" in problems
    assert "kill_switch: required, but a submitted response leaves it unanswered" in problems
    assert "human_on_request: the answer asks for an explanation comment" in problems
    assert "ai_pentest: evidence file nowhere.pdf is missing" in problems
    assert "rollback_rate: worked out from other answers, so it is not answered" in problems
    assert "repeat_contact_rate: 'not_counted' is neither a number nor one of" in problems
    assert "action_authority: 'refund.fax' is not a cell of the grid" in problems
    assert "action_authority: payment.chat: a limit, but the cell's answer takes none" in problems


def test_the_re_assessed_vendor_answers_every_question_carried_forward():
    # Its earlier answers fit version 1, and its current file confirms or changes each
    # one that carrying forward copies (checked before the seed writes anything).
    v1 = questionnaire_import(text=SHIPPED_DEFINITION.read_text(), publish=True).version
    v2 = questionnaire_import(text=SHIPPED_V2_DEFINITION.read_text(), publish=True).version
    earlier = earlier_round_load(demo_vendors_load())
    assert demo_vendor_problems(v1.definition, earlier.answers) == []
    carried = carried_keys(v1.definition, v2.definition, earlier.answers.answers)
    assert carried <= set(vendor_file(STRONG).answers)
    assert {"live_deployments", "rollback_count", "kill_switch_minutes"} <= carried
    assert not {"rollback_rate", "moves_money", "agent_actions"} & carried


def test_an_unfit_file_stops_the_seed_before_writing():
    # A published version whose content differs from the demo's expectations: every
    # answer to a question it lacks is reported and nothing is written.
    text = SHIPPED_V2_DEFINITION.read_text()
    trimmed = text.replace("key: tenant_isolation", "key: tenant_separation")
    questionnaire_import(text=trimmed, publish=True)
    with pytest.raises(DemoDataError, match="tenant_isolation: not a question"):
        demo_seed()
    assert not Vendor.objects.exists()
    assert not Response.objects.exists()


def test_the_round_is_in_progress_as_the_story_says(seeded):
    from questionnaires.models import AuditEvent, Reminder, ReminderKind

    selection = Selection.objects.get(name="Contact-center agent selection")
    by_vendor = {r.vendor.name: r for r in selection.responses.all()}
    # Re-assessed: started from its accepted version 1 response in an earlier round for
    # the buyer, carried forward by shared key, then confirmed or changed answer by answer.
    corvane = by_vendor[STRONG]
    earlier = corvane.carried_from
    assert earlier.selection.name == "Chat pilot shortlist"
    assert earlier.version.number == 1 and corvane.version.number == 2
    assert earlier.status == "accepted" and earlier.scores.exists()
    assert earlier.answers.get(question__key="live_deployments").value == 31
    assert corvane.answers.get(question__key="live_deployments").value == 46
    events = AuditEvent.objects.filter(response=corvane)
    [copied] = events.filter(kind="answers_carried_forward").values_list("data", flat=True)
    shared = set(earlier.answers.values_list("question__key", flat=True)) & set(
        corvane.answers.values_list("question__key", flat=True)
    )
    assert set(copied["questions"]) == shared - {"rollback_rate"}  # derived: not copied
    [confirmed] = events.filter(kind="answers_confirmed").values_list("data", flat=True)
    changed = set(events.filter(kind="answer_changed").values_list("data__question", flat=True))
    assert {"live_deployments", "rollback_count", "comparable_deployments"} <= changed
    assert set(confirmed["questions"]) | (changed & shared) == set(copied["questions"])
    assert "kill_switch_minutes" in confirmed["questions"]
    # Its files came along: one record per file, pointing at the stored copy.
    register = Evidence.objects.get(
        answer__response=corvane, answer__question__key="live_deployments"
    )
    assert (
        register.file.name
        == Evidence.objects.get(
            answer__response=earlier, answer__question__key="live_deployments"
        ).file.name
    )
    # Overdue: still answering after its due date, reminded and told it is late.
    overdue = by_vendor[PARTIAL]
    assert overdue.status == "in_progress" and overdue.due_date < datetime.date.today()
    assert set(Reminder.objects.filter(response=overdue).values_list("kind", "days_before")) == {
        (ReminderKind.BEFORE_DUE, 7),
        (ReminderKind.BEFORE_DUE, 3),
        (ReminderKind.BEFORE_DUE, 1),
        (ReminderKind.OVERDUE, 0),
    }
    assert Reminder.objects.exclude(response=overdue).filter(sent_at__isnull=False).exists()
    # A clarification answered: reopened, changed, submitted again.
    kinds = list(
        AuditEvent.objects.filter(response=by_vendor[BLIND_SPOT])
        # The analyst's price for the business case is set after the story's events.
        .exclude(kind=AuditEvent.Kind.PRICE_CHANGED)
        .order_by("at", "pk")
        .values_list("kind", flat=True)
    )
    assert kinds[-3:] == ["clarification_requested", "answer_changed", "status_changed"]
