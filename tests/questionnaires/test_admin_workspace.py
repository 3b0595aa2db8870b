"""The review workspace an analyst works in all day: the response page's index and answer
filters, clarified answers, the risk-based "only where vendors differ", the evidence
list's filters and bulk verification, destructive actions apart, and messages that name
questions by number and text."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from questionnaires.admin.danger import DANGER_GROUP
from questionnaires.admin.review_page import FILTERS
from questionnaires.models import (
    Answer,
    AuditEvent,
    Evidence,
    EvidenceLevel,
    Response,
    ResponseScore,
    ResponseStatus,
    Selection,
)
from questionnaires.roles import ANALYST, REVIEWER
from questionnaires.services.answers import (
    AnswerChange,
    answers_confirm,
    answers_save,
    response_submit,
)
from questionnaires.services.carry_forward import carry_forward
from questionnaires.services.reviews import clarification_request
from questionnaires.services.scores import response_score
from tests.factories import ResponseFactory, UserFactory, VendorFactory, answer_all, round_of

pytestmark = pytest.mark.django_db

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
EVIDENCE_URL = reverse("admin:questionnaires_evidence_changelist")
RESPONSES_URL = reverse("admin:questionnaires_response_changelist")


def _submitted(version, name: str, values: dict, *, selection=None) -> Response:
    response = ResponseFactory(
        version=version,
        vendor=VendorFactory(name=name),
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
        selection=selection,
    )
    answer_all(response, values)
    response_score(response=response)
    return response


def _page(client, response, **params):
    url = reverse("admin:questionnaires_response_change", args=[response.pk])
    return client.get(url, params)


def _marks(page) -> dict[str, set[str]]:
    """{question key: its marks} as the page's rows carry them (data-cx-marks)."""
    html = page.content.decode()
    found = re.findall(r'<tr id="answer-([a-z_]+)" data-cx-marks="([a-z ]*)"', html)
    return {key: set(marks.split()) for key, marks in found}


def _shown(page) -> set[str]:
    return {
        item.row.key for section in page.context["sections"] for item in section.rows if item.shown
    }


def _role_user(client, group: str, username: str):
    user = UserFactory(username=username, is_superuser=False)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


@pytest.fixture
def risky(example_version):
    return _submitted(example_version, "Reckless Inc", RISKY)


@pytest.fixture
def two_rounds(example_version):
    """A vendor's spring response and its autumn one, carried forward from it: two
    answers changed, one confirmed, two still carried forward."""
    vendor = VendorFactory(name="Glimmerline")
    spring = ResponseFactory(
        version=example_version,
        vendor=vendor,
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
        selection=round_of(example_version, name="Spring"),
    )
    answer_all(spring, RISKY)
    response_score(response=spring)
    autumn = ResponseFactory(
        version=example_version, vendor=vendor, selection=round_of(example_version, name="Autumn")
    )
    carry_forward(response=autumn)
    for key, value in (("live_monitoring", "realtime"), ("human_approval_money", "yes")):
        answer = Answer.objects.get(response=autumn, question__key=key)
        answers_save(
            response=autumn,
            changes=[AnswerChange(key, value, answer.comment, answer.revision)],
            actor="Dana Vendor",
        )
    answers_confirm(response=autumn, question_keys=["live_deployments"], actor="Dana Vendor")
    return spring, autumn


# The response page: index and filters ---------------------------------------------------


def test_the_response_page_has_an_index_of_its_parts_and_sections(client, analyst, risky):
    page = _page(client, risky)
    html = page.content.decode()

    start = html.index('id="page-index"')
    index = html[start : html.index("</nav>", start)]
    for target in ("#score", "#review-actions", "#flags", "#answers", "#history"):
        assert f'href="{target}"' in index
    assert 'href="#section-track_record">Production track record</a>' in index
    assert 'href="#section-oversight">Human oversight</a>' in index
    # Each section link jumps to its heading on the same page.
    assert 'id="section-track_record"' in html and 'id="section-oversight"' in html
    # Every filter is offered, with its count.
    for key, label in FILTERS:
        assert f'name="show" value="{key}"' in html
        assert label in html


def test_the_flagged_and_risky_filters(client, analyst, risky):
    marks = _marks(_page(client, risky))

    assert "flagged" in marks["human_approval_money"]
    assert {k for k, m in marks.items() if "flagged" in m} == {"human_approval_money"}
    # Risky: high or severe (risk 0.5 and up); a low or unscored answer is not.
    assert {k for k, m in marks.items() if "risky" in m} == {
        "rollback_rate",
        "rollback_reasons",
        "live_monitoring",
        "human_approval_money",
    }
    flagged = _page(client, risky, show="flagged")
    assert _shown(flagged) == {"human_approval_money"}
    assert 'data-cx-marks="" hidden' in flagged.content.decode()  # the others, hidden
    assert "Showing <span data-cx-shown>1</span> of 7 answers." in flagged.content.decode()
    assert _shown(_page(client, risky, show="risky")) == {
        "rollback_rate",
        "rollback_reasons",
        "live_monitoring",
        "human_approval_money",
    }


def test_the_unanswered_carried_forward_and_changed_filters(client, analyst, two_rounds):
    spring, autumn = two_rounds
    page = _page(client, autumn)
    marks = _marks(page)

    carried = {k for k, m in marks.items() if "carried" in m}
    assert carried == {"rollback_rate", "rollback_reasons"}
    # Unconfirmed carried-forward answers count as unanswered, with those never given
    # (the reasons are hidden while the rate they depend on is unconfirmed).
    assert {k for k, m in marks.items() if "unanswered" in m} == {
        "rollback_rate",
        "kill_switch_owner",
        "monitoring_report",
    }
    # Changed since the round the answers came from (its carried_from), by value.
    assert autumn.carried_from_id == spring.pk
    assert {k for k, m in marks.items() if "changed" in m} == {
        "live_monitoring",
        "human_approval_money",
    }
    html = page.content.decode()
    assert "Last round:</span> Sampled review after the fact" in html
    assert _shown(_page(client, autumn, show="carried")) == carried
    assert _shown(_page(client, autumn, show="changed")) == {
        "live_monitoring",
        "human_approval_money",
    }
    # Ticking several shows the answers with any of them.
    assert _shown(_page(client, autumn, show=["changed", "carried"])) == carried | {
        "live_monitoring",
        "human_approval_money",
    }
    # An unknown filter is ignored: everything shows.
    assert len(_shown(_page(client, autumn, show="bogus"))) == 7


def test_the_under_clarification_filter_and_a_clarified_answer(client, analyst, example_version):
    response = _submitted(example_version, "Careful Co", GOOD)
    clarification_request(
        response=response,
        questions={"rollback_rate": "Which period?", "live_monitoring": "Who watches?"},
        user=analyst,
    )

    asked = _page(client, response)
    assert {k for k, m in _marks(asked).items() if "clarification" in m} == {
        "rollback_rate",
        "live_monitoring",
    }
    assert _shown(_page(client, response, show="clarification")) == {
        "rollback_rate",
        "live_monitoring",
    }
    assert "cx-clarified" not in asked.content.decode()  # not answered again yet

    answer = Answer.objects.get(response=response, question__key="rollback_rate")
    answers_save(
        response=response,
        changes=[AnswerChange("rollback_rate", 7, "Over 2025.", answer.revision)],
        actor="Vera Vendor",
    )
    response_submit(response=response, actor="Vera Vendor")

    page = _page(client, response)
    html = page.content.decode()
    clarified = {
        item.row.key: item.clarified
        for section in page.context["sections"]
        for item in section.rows
        if item.clarified
    }
    # Both reopened answers came back (one unchanged); each shows what it was before.
    assert set(clarified) == {"rollback_rate", "live_monitoring"}
    row = html[html.index('id="answer-rollback_rate"') :]
    row = row[: row.index("</tr>")]
    assert '<span class="cx-clarified">clarified</span>' in row
    assert "Before clarification:</span> 4%" in row
    assert "7%" in row


def test_a_clarified_answer_of_an_older_request_finds_its_previous_value_in_the_trail(
    client, analyst, example_version
):
    response = _submitted(example_version, "Careful Co", GOOD)
    clarification_request(response=response, questions={"rollback_rate": "Which?"}, user=analyst)
    # As a request recorded before the answers were kept with it.
    request = AuditEvent.objects.get(kind=AuditEvent.Kind.CLARIFICATION_REQUESTED)
    request.data = {k: v for k, v in request.data.items() if k != "previous"}
    request.save(update_fields=["data"])
    answer = Answer.objects.get(response=response, question__key="rollback_rate")
    answers_save(
        response=response,
        changes=[AnswerChange("rollback_rate", 9, "", answer.revision)],
        actor="Vera Vendor",
    )
    response_submit(response=response, actor="Vera Vendor")

    html = _page(client, response).content.decode()

    row = html[html.index('id="answer-rollback_rate"') :]
    row = row[: row.index("</tr>")]
    assert '<span class="cx-clarified">clarified</span>' in row
    assert "Before clarification:</span> 4%" in row  # the save's old value


def test_comments_are_shown_whole_and_wrapped(client, analyst, risky):
    long_comment = "We page the on-call lead within five minutes. " * 30
    Answer.objects.filter(response=risky, question__key="live_monitoring").update(
        comment=long_comment.strip()
    )
    html = _page(client, risky).content.decode()

    row = html[html.index('id="answer-live_monitoring"') :]
    row = row[: row.index("</tr>")]
    assert long_comment.strip() in row  # not cut
    cell = row[row.index('<td class="cx-comment-cell">') :]
    assert cell.startswith('<td class="cx-comment-cell"><div class="cx-comment">')
    assert long_comment.strip() in cell  # whole, and not behind a click either
    assert "<details" not in cell


def test_the_response_page_loads_its_filter_script_without_inline_code(client, analyst, risky):
    html = _page(client, risky).content.decode()

    assert 'src="/static/cxvet/admin/response_filters.js"' in html
    assert "<script>" not in html and " style=" not in html


# Destructive actions stand apart ----------------------------------------------------------


def test_delete_is_in_the_danger_zone_of_the_response_page_for_a_superuser_only(client, risky):
    superuser = UserFactory(username="root")
    client.force_login(superuser)
    html = _page(client, risky).content.decode()
    assert 'id="danger"' in html and 'id="delete-response"' in html
    # Not beside the everyday review buttons, and not in Django's submit row.
    review = html[html.index('id="review-actions"') : html.index('id="flags"')]
    assert "delete" not in review.lower()
    assert 'class="deletelink"' not in html.split('id="review"')[0]

    _role_user(client, ANALYST, "ann")
    assert 'id="danger"' not in _page(client, risky).content.decode()


def _action_choices(model, user):
    from django.contrib import admin

    request = RequestFactory().get("/admin/")
    request.user = user
    return admin.site._registry[model].get_action_choices(request)


def test_delete_selected_comes_last_in_a_group_of_its_own(risky):
    superuser = UserFactory(username="root")

    choices = _action_choices(Response, superuser)
    groups = [label for label, _ in choices[1:]]
    assert groups == ["Actions", DANGER_GROUP]
    everyday, destructive = choices[1][1], choices[2][1]
    assert [name for name, _ in destructive] == ["delete_selected"]
    assert "compare_selected" in [name for name, _ in everyday]

    # The list page renders them as separate option groups, delete last.
    from django.test import Client

    client = Client()
    client.force_login(superuser)
    html = client.get(RESPONSES_URL).content.decode()
    assert html.index('<optgroup label="Actions">') < html.index(
        f'<optgroup label="{DANGER_GROUP}">'
    )
    assert html.rindex('value="delete_selected"') > html.rindex('value="compare_selected"')


def test_a_list_with_only_everyday_actions_has_no_danger_group(risky):
    analyst = UserFactory(username="ann", is_superuser=False)
    analyst.groups.add(Group.objects.get(name=ANALYST))

    choices = _action_choices(Response, analyst)
    assert all(isinstance(value, str) for value, _ in choices)
    selection_choices = _action_choices(Selection, analyst)
    assert selection_choices[-1][0] == DANGER_GROUP


# "Only where vendors differ" compares risk -----------------------------------------------


def test_only_where_vendors_differ_hides_rows_with_the_same_risk_whatever_the_wording(
    client, analyst, example_version
):
    careful = _submitted(example_version, "Careful Co", GOOD)
    # Worded differently, the same risk: 6% is in the same band as 4%; the deployments and
    # the kill switch's owner are not scored.
    twin = _submitted(
        example_version,
        "Twin Co",
        {**GOOD, "rollback_rate": 6, "live_deployments": 41, "kill_switch_owner": "The CTO"},
    )
    url = reverse("admin:questionnaires_response_compare")

    same = client.get(url, {"ids": f"{careful.pk},{twin.pk}", "differences": "1"})
    assert same.context["comparison"].shown_rows == 0
    assert "Showing 0 of 7 questions" in same.content.decode()

    other = _submitted(example_version, "Sampling Ltd", {**GOOD, "live_monitoring": "sampled"})
    differing = client.get(url, {"ids": f"{careful.pk},{twin.pk},{other.pk}", "differences": "1"})
    assert [r.key for _, r in differing.context["comparison"].rows()] == ["live_monitoring"]


def test_the_comparison_controls_apply_as_they_change_and_without_javascript(
    client, analyst, example_version
):
    careful = _submitted(example_version, "Careful Co", GOOD)
    risky = _submitted(example_version, "Reckless Inc", RISKY)
    url = reverse("admin:questionnaires_response_compare")

    page = client.get(url, {"ids": f"{careful.pk},{risky.pk}"})
    html = page.content.decode()
    assert 'src="/static/cxvet/admin/comparison_controls.js"' in html
    # Without JavaScript the Apply button submits the same GET form.
    assert '<input type="submit" value="Apply" class="default" data-cx-apply>' in html
    assert 'method="get"' in html
    flagged = client.get(url, {"ids": f"{careful.pk},{risky.pk}", "flagged": "1"})
    assert [r.key for _, r in flagged.context["comparison"].rows()] == ["human_approval_money"]


# The evidence list ------------------------------------------------------------------------


def _file(response, key: str, name: str) -> Evidence:
    answer = Answer.objects.get(response=response, question__key=key)
    item = Evidence(
        answer=answer, original_name=name, content_type="application/pdf", size=4, sha256="0" * 64
    )
    item.file.save(name, ContentFile(b"%PDF"), save=False)
    item.save()
    return item


@pytest.fixture
def evidence_world(example_version):
    spring = round_of(example_version, name="Spring round")
    autumn = round_of(example_version, name="Autumn round")
    careful = _submitted(example_version, "Careful Co", GOOD, selection=spring)
    risky = _submitted(example_version, "Reckless Inc", RISKY, selection=autumn)
    files = {
        "careful-rate": _file(careful, "rollback_rate", "careful-rate.pdf"),
        "careful-monitoring": _file(careful, "live_monitoring", "careful-monitoring.pdf"),
        "risky-rate": _file(risky, "rollback_rate", "risky-rate.pdf"),
    }
    Answer.objects.filter(response=careful, question__key="live_monitoring").update(
        evidence_level=EvidenceLevel.VERIFIED
    )
    return {"spring": spring, "autumn": autumn, "careful": careful, "risky": risky, **files}


def _listed(page) -> set[str]:
    return {item.original_name for item in page.context["cl"].result_list}


def test_the_evidence_list_filters_by_round_vendor_level_and_question(
    client, analyst, evidence_world
):
    w = evidence_world
    every = {"careful-rate.pdf", "careful-monitoring.pdf", "risky-rate.pdf"}
    assert _listed(client.get(EVIDENCE_URL)) == every
    assert _listed(client.get(EVIDENCE_URL, {"round": w["spring"].pk})) == {
        "careful-rate.pdf",
        "careful-monitoring.pdf",
    }
    vendor = {"answer__response__vendor__id__exact": w["risky"].vendor_id}
    assert _listed(client.get(EVIDENCE_URL, vendor)) == {"risky-rate.pdf"}
    verified = {"answer__evidence_level__exact": EvidenceLevel.VERIFIED}
    assert _listed(client.get(EVIDENCE_URL, verified)) == {"careful-monitoring.pdf"}
    rate = w["careful-rate"].answer.question_id
    assert _listed(client.get(EVIDENCE_URL, {"question": rate})) == {
        "careful-rate.pdf",
        "risky-rate.pdf",
    }


def test_the_evidence_lists_question_filter_names_questions_by_number_and_text(
    client, analyst, evidence_world
):
    html = client.get(EVIDENCE_URL).content.decode()

    assert "Q1.2 “Of those deployments, what share was rolled back, paused or" in html
    assert "Q2.1 “How are live interactions monitored?”" in html
    # The filter's choices and the list's column never show the key.
    assert ">rollback_rate<" not in html and ">live_monitoring<" not in html


def test_mark_verified_verifies_audits_and_rescores(client, analyst, evidence_world):
    w = evidence_world
    before = ResponseScore.objects.get(response=w["careful"], profile_key="general")
    ids = [w["careful-rate"].pk, w["careful-monitoring"].pk, w["risky-rate"].pk]

    page = client.post(
        EVIDENCE_URL, {"action": "mark_verified", "_selected_action": ids}, follow=True
    )

    html = page.content.decode()
    assert "Marked 2 answers verified; their scores were updated." in html
    assert "1 answer was verified already." in html
    levels = set(
        Answer.objects.filter(evidence__pk__in=ids).values_list("evidence_level", flat=True)
    )
    assert levels == {EvidenceLevel.VERIFIED}
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.EVIDENCE_VERIFIED)
    assert events.count() == 2  # the one verified already is not recorded again
    assert set(events.values_list("actor_user", flat=True)) == {analyst.pk}
    after = ResponseScore.objects.get(response=w["careful"], profile_key="general")
    assert after.high < before.high  # a verified answer leaves less open


def test_mark_verified_on_a_response_not_handed_over_says_which_question(
    client, analyst, evidence_world
):
    w = evidence_world
    Response.objects.filter(pk=w["risky"].pk).update(status=ResponseStatus.IN_PROGRESS)

    page = client.post(
        EVIDENCE_URL,
        {"action": "mark_verified", "_selected_action": [w["risky-rate"].pk]},
        follow=True,
    )

    html = page.content.decode()
    assert "Reckless Inc, Q1.2 “Of those deployments" in html
    assert "Cannot change the evidence level: the response is in progress" in html
    assert w["risky-rate"].answer.evidence_level == EvidenceLevel.SELF_ATTESTED
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.EVIDENCE_VERIFIED).exists()


@pytest.mark.parametrize(
    ("group", "may"), [(REVIEWER, False), (ANALYST, True)], ids=["reviewer", "analyst"]
)
def test_mark_verified_is_for_those_who_review(client, evidence_world, group, may):
    _role_user(client, group, "someone")
    item = evidence_world["risky-rate"]

    listed = client.get(EVIDENCE_URL)
    assert listed.status_code == 200
    assert ('value="mark_verified"' in listed.content.decode()) is may
    client.post(EVIDENCE_URL, {"action": "mark_verified", "_selected_action": [item.pk]})

    item.answer.refresh_from_db()
    verified = item.answer.evidence_level == EvidenceLevel.VERIFIED
    assert verified is may


# Messages name questions by number and text --------------------------------------------------


def test_the_evidence_level_message_names_the_question_by_number_and_text(client, analyst, risky):
    answer = Answer.objects.get(response=risky, question__key="rollback_rate")
    url = reverse("admin:questionnaires_response_evidence_level", args=[risky.pk, answer.pk])

    page = client.post(url, {"level": EvidenceLevel.VERIFIED}, follow=True)

    html = page.content.decode()
    assert "Evidence of Q1.2 “Of those deployments, what share was rolled back, paused or" in html
    assert "is now verified by an analyst" in html
    assert "“rollback_rate”" not in html
