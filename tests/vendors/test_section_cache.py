"""The section page's cache: a warm page skips the form, and every change shows at once.

Each test warms the cache with a first GET, changes something the way the product does
(autosave, the Save button, an upload, a removal, submitting, the analyst's review, a
revoked link) and checks that the very next GET shows the change.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from questionnaires.definition import visible_question_keys
from questionnaires.models import Evidence, QuestionnaireVersion
from questionnaires.services.answers import response_resubmit, response_submit
from questionnaires.services.definitions import questionnaire_import
from questionnaires.services.reviews import clarification_request
from tests.factories import ContactFactory, UserFactory, answer_all
from tests.vendors.helpers import link_for, open_response, section_post, url
from vendors import page_cache
from vendors.portal import questionnaire_plan
from vendors.services import link_revoke

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
COMPLETE = {
    "live_deployments": 12,
    "rollback_rate": 8,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}
# Two sections, the second asking a follow-up to an answer given in the first.
ACROSS_SECTIONS = """
key: across_sections
title: Conditions across sections
version: 1
sections:
  - key: first
    title: First
    questions:
      - key: channels
        text: Which channels does the agent serve?
        type: multiple_choice
        choices:
          - {key: chat, label: Chat}
          - {key: voice, label: Voice}
  - key: second
    title: Second
    questions:
      - key: voice_latency
        text: What is the voice latency in milliseconds?
        type: integer
        show_if: "'voice' in channels"
      - key: notes
        text: Anything else to add?
        type: text
profiles:
  - {key: general, title: General}
"""


def _page(client, token: str, section: str) -> str:
    page = client.get(url("section", token, section))
    assert page.status_code == 200
    # The CSRF token is masked afresh on every page; everything else must match.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.content.decode())


def _card(body: str, key: str) -> str:
    start = body.index(f'id="q-{key}"')
    return body[start : body.index("</section>", start)]


def _hidden(body: str, key: str) -> bool:
    start = body.index(f'id="q-{key}"')
    return " hidden" in body[start : body.index(">", start)]


@pytest.fixture
def clarifying(example_version, django_capture_on_commit_callbacks):
    """A submitted response whose analyst reopened the rollback rate with a note."""
    token, response = open_response(example_version)
    answer_all(response, COMPLETE)
    response_submit(response=response, actor="Dana")
    with django_capture_on_commit_callbacks(execute=True):
        clarification_request(
            response=response,
            questions={"rollback_rate": "Over which period?"},
            user=UserFactory(username="reviewer"),
        )
    return token, response


# Served from the cache ---------------------------------------------------------------------


def test_an_unchanged_section_comes_from_the_cache_without_building_the_form(
    client, example_version, django_assert_num_queries
):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12, "rollback_rate": 30})
    first = _page(client, token, "track_record")
    # The link and the response's fingerprint; no answers, no files, no definition.
    with django_assert_num_queries(2):
        again = _page(client, token, "track_record")
    assert again == first
    assert 'value="30"' in _card(again, "rollback_rate")


def test_each_link_is_served_a_page_with_its_own_token(client, example_version):
    """Contacts of one vendor answer the same response; each page links with its own token."""
    token, response = open_response(example_version)
    other_token, _ = link_for(response, contact=ContactFactory(vendor=response.vendor))
    _page(client, token, "track_record")
    other = _page(client, other_token, "track_record")
    assert token not in other
    assert url("autosave", other_token, "__key__") in other


def test_a_cached_page_carries_each_visitors_own_csrf_token(example_version):
    """The page is filed per link, the CSRF token is per visitor: two people at the vendor
    on one link each get a form their own browser can post."""
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(url("section", token, "track_record"))

    page = second.get(url("section", token, "track_record")).content.decode()

    assert page_cache.CSRF_PLACEHOLDER not in page
    posted = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    saved = second.post(
        url("section", token, "track_record"),
        {
            **section_post({"live_deployments": "40"}, revisions={"live_deployments": 1}),
            "csrfmiddlewaretoken": posted,
        },
    )
    assert saved.status_code == 302
    assert 'value="40"' in _card(_page(first, token, "track_record"), "live_deployments")


def test_a_notice_shows_once_and_is_never_filed_with_the_page(
    client, example_version, django_assert_num_queries
):
    token, _ = open_response(example_version)
    saved = client.post(
        url("section", token, "track_record"), section_post({"live_deployments": "40"})
    )
    assert saved.status_code == 302

    assert "Your answers are saved." in _page(client, token, "track_record")
    assert "Your answers are saved." not in _page(client, token, "track_record")
    with django_assert_num_queries(2):  # filed by the view before, without the notice
        assert "Your answers are saved." not in _page(client, token, "track_record")


# Every change shows at once ---------------------------------------------------------------


def test_a_renamed_vendor_shows_on_the_next_view(client, example_version):
    token, response = open_response(example_version)
    _page(client, token, "track_record")
    response.vendor.name = "Renamed Voice AI"
    response.vendor.save()

    assert "Renamed Voice AI" in _page(client, token, "track_record")


def test_an_autosave_shows_on_the_next_view(client, example_version):
    token, _ = open_response(example_version)
    before = _page(client, token, "oversight")
    assert "0 of 4 answered" in before and "Nothing saved yet" in before

    reply = client.post(
        url("autosave", token, "kill_switch_owner"),
        {"kill_switch_owner": "Night shift lead", "kill_switch_owner-revision": 0},
    ).json()
    assert reply["status"] == "saved"

    after = _page(client, token, "oversight")
    card = _card(after, "kill_switch_owner")
    assert "Night shift lead" in card
    assert 'name="kill_switch_owner-revision" value="1"' in card
    assert "1 of 4 answered" in after and "Last saved at" in after


def test_a_save_with_the_button_shows_on_the_next_view(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    assert 'value="12"' in _card(_page(client, token, "track_record"), "live_deployments")

    client.post(
        url("section", token, "track_record"),
        section_post({"live_deployments": "40"}, revisions={"live_deployments": 1}),
    )
    assert 'value="40"' in _card(_page(client, token, "track_record"), "live_deployments")


def test_an_answer_in_one_section_shows_its_follow_up_in_another(client, db):
    version = questionnaire_import(text=ACROSS_SECTIONS, publish=True).version
    token, _ = open_response(version)
    assert _hidden(_page(client, token, "second"), "voice_latency")

    client.post(url("autosave", token, "channels"), {"channels": ["voice"], "channels-revision": 0})

    second = _page(client, token, "second")
    assert not _hidden(second, "voice_latency")
    assert "0 of 2 answered" in second


def test_an_upload_and_its_removal_show_on_the_next_view(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12, "rollback_rate": 8})
    assert "rollback-log.pdf" not in _page(client, token, "track_record")

    client.post(
        url("evidence", token, "rollback_rate"),
        {"rollback_rate-evidence": [SimpleUploadedFile("rollback-log.pdf", PDF)]},
    )
    assert "rollback-log.pdf" in _card(_page(client, token, "track_record"), "rollback_rate")

    evidence = Evidence.objects.get(answer__response=response)
    client.post(url("evidence_remove", token, "rollback_rate", evidence.pk))
    assert "rollback-log.pdf" not in _page(client, token, "track_record")


def test_submitting_closes_the_cached_section(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, COMPLETE)
    _page(client, token, "track_record")

    client.post(url("submit", token), {"confirm": "yes"})

    page = client.get(url("section", token, "track_record"))
    assert page.status_code == 302
    assert page["Location"].startswith(url("sent", token))


def test_a_clarification_request_reopens_the_cached_section(client, example_version):
    token, response = open_response(example_version)
    answer_all(response, COMPLETE)
    before = _page(client, token, "track_record")
    assert "The analyst asked you to clarify" not in before
    response_submit(response=response, actor="Dana")

    clarification_request(
        response=response,
        questions={"rollback_rate": "Over which period?"},
        user=UserFactory(username="reviewer"),
    )

    after = _page(client, token, "track_record")
    assert "Over which period?" in _card(after, "rollback_rate")
    assert "Read-only" in _card(after, "live_deployments")


def test_a_second_clarification_round_shows_its_own_notes(client, clarifying):
    token, response = clarifying
    assert "Over which period?" in _page(client, token, "track_record")
    response_resubmit(response=response, actor="Dana")

    clarification_request(
        response=response,
        questions={"rollback_rate": "Which deployments does the 8% cover?"},
        user=UserFactory(username="second-reviewer"),
    )

    page = _page(client, token, "track_record")
    assert "Which deployments does the 8% cover?" in page
    assert "Over which period?" not in page


def test_a_revoked_link_stops_at_once_even_with_the_section_cached(client, example_version):
    token, response = open_response(example_version)
    _page(client, token, "track_record")

    link_revoke(link=response.access_links.get(), user=None)

    assert client.get(url("section", token, "track_record")).status_code == 410


# What is kept per process -------------------------------------------------------------------


def test_a_published_version_is_decoded_once_per_process(example_version):
    stored = QuestionnaireVersion.objects.defer("definition").get(pk=example_version.pk)
    plan = questionnaire_plan(stored)
    again = questionnaire_plan(QuestionnaireVersion.objects.get(pk=example_version.pk))
    assert again is plan
    # The version loaded without its definition is given the shared one.
    assert stored.definition is plan.definition
    assert plan.definition == example_version.definition
    assert plan.controlling == ("live_deployments", "rollback_rate")


def test_remembered_visibility_matches_working_it_out(shipped_version):
    """Visibility is remembered by the answers that steer conditions; check it against
    the full evaluation for many random sets of answers."""
    plan = questionnaire_plan(shipped_version)
    questions = list(plan.questions_by_key.values())
    rng = random.Random(4)
    for _ in range(300):
        values = {q["key"]: _random_value(q, rng) for q in questions if rng.random() < 0.7}
        expected = visible_question_keys(shipped_version.definition, values)
        assert plan.visible(values) == expected
        assert plan.visible(dict(values)) == expected  # remembered


def _random_value(question: dict, rng: random.Random):
    choices = [c["key"] for c in question["choices"]]
    kind = question["type"]
    if kind == "yes_no":
        return rng.choice(["yes", "no", None])
    if kind == "single_choice":
        return rng.choice([*choices, None])
    if kind == "multiple_choice":
        return rng.sample(choices, rng.randint(0, len(choices)))
    if kind in ("integer", "decimal", "percentage"):
        return rng.choice([0, 1, 5, 30, None])
    return rng.choice(["text", None])


# A deploy never serves what the old release drew -------------------------------------------


@pytest.fixture
def release_copy(tmp_path, monkeypatch):
    """A copy of the release's files, which the cache keys are then derived from."""
    copies = []
    for source in page_cache.release_sources():
        copy = tmp_path / source.name
        if source.is_file():
            shutil.copy(source, copy)
        else:
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        copies.append(copy)
    monkeypatch.setattr(page_cache, "release_sources", lambda: copies)
    page_cache.code_digest.cache_clear()
    yield tmp_path
    page_cache.code_digest.cache_clear()


def _deploy(release: Path, changed: str) -> None:
    """Change a file of the release (a new one if it does not exist), as a deploy does."""
    with open(release / changed, "a") as source:
        source.write("\n# next release\n")
    page_cache.code_digest.cache_clear()  # a new process


@pytest.mark.parametrize(
    "changed",
    [
        "questionnaires/evidence.py",  # the size and type rules a card states
        "questionnaires/models.py",
        "vendors/forms.py",
        "vendors/a_new_module.py",
        "cxvet/settings.py",
        "templates/portal/_question.html",
        "static/portal/portal.css",  # pages name static files by their hashed names
        "requirements.txt",  # Django's and crispy's field templates
    ],
)
@override_settings(RELEASE_ID="")
def test_without_a_release_id_any_change_to_the_release_files_pages_under_new_keys(
    changed, release_copy
):
    before = page_cache.cache_key("section", ["same", "data"])

    _deploy(release_copy, changed)

    assert page_cache.cache_key("section", ["same", "data"]) != before


@override_settings(RELEASE_ID="")
def test_a_running_process_keeps_the_release_it_started_with(release_copy):
    """Files replaced under a running process (an in-place deploy) do not rename the
    release it runs: its pages are drawn by the code it loaded."""
    started_with = page_cache.files_digest(page_cache.release_sources())
    apps.get_app_config("vendors").ready()  # the process starts

    with open(release_copy / "templates/portal/section.html", "a") as template:
        template.write("\n{# next release #}\n")

    assert page_cache.release_id() == started_with


@override_settings(RELEASE_ID="")
def test_the_same_release_in_another_folder_shares_the_cache(release_copy):
    """Web servers with the release installed in different folders file pages alike."""
    copies = page_cache.release_sources()
    originals = [settings.BASE_DIR / copy.name for copy in copies]
    assert page_cache.files_digest(copies) == page_cache.files_digest(originals)


def test_the_release_id_names_the_release_whatever_the_files(release_copy):
    with override_settings(RELEASE_ID="3f2c1e9"):
        first = page_cache.cache_key("section", ["same", "data"])
        _deploy(release_copy, "vendors/forms.py")
        assert page_cache.cache_key("section", ["same", "data"]) == first
    with override_settings(RELEASE_ID="8a41d07"):
        assert page_cache.cache_key("section", ["same", "data"]) != first


def test_a_new_release_draws_the_section_afresh(client, example_version, django_assert_num_queries):
    token, response = open_response(example_version)
    answer_all(response, {"live_deployments": 12})
    with override_settings(RELEASE_ID="3f2c1e9"):
        _page(client, token, "track_record")
        with django_assert_num_queries(2):  # filed: the link and the fingerprint
            _page(client, token, "track_record")
    with override_settings(RELEASE_ID="8a41d07"), django_assert_num_queries(4):
        # The old release's page is not found: the answers and files are read again.
        _page(client, token, "track_record")
