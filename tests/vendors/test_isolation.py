"""A private link opens one response and nothing else.

Every portal URL (vendors/urls.py, found through the URL resolver) is tried with a
working link and another response's keys (sections and questions of another
questionnaire, another response's evidence ids), and with tokens that are not exactly a
live link (another vendor's withdrawn or expired link, the right token cut short,
lengthened or in other case). Every one must refuse, change nothing stored, and show
nothing of any vendor: no name, no answer, no file name, no file bytes.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from questionnaires.evidence import check_upload
from questionnaires.models import Answer, Evidence
from questionnaires.services.answers import evidence_add
from questionnaires.services.definitions import questionnaire_import
from tests.conftest import EXAMPLE_DEFINITION, SHIPPED_DEFINITION
from tests.factories import AnswerFactory, ResponseFactory, VendorFactory
from tests.site_walk import all_routes, changed_tables, database_state
from tests.vendors.helpers import link_for
from vendors.forms import EVIDENCE, field_name

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Every portal URL and the methods it answers; a new one must be added here.
ROUTE_METHODS = {
    "portal:overview": ("get",),
    "portal:section": ("get", "post"),
    "portal:autosave": ("post",),
    "portal:evidence": ("post",),
    "portal:evidence_remove": ("post",),
    "portal:confirm": ("post",),
    "portal:submit": ("get", "post"),
    "portal:sent": ("get",),
    "portal:workbook": ("get", "post"),
    "portal:workbook_download": ("get",),
    "portal:workbook_preview": ("get", "post"),
}


class Party:
    """One vendor's response with a link, an answer with a comment and a file."""

    def __init__(self, name: str, version, question_key: str, evidence_key: str):
        self.name = name
        self.response = ResponseFactory(version=version, vendor=VendorFactory(name=name))
        self.token, self.link = link_for(self.response)
        question = version.questions.get(key=question_key)
        self.comment = f"{name.upper()} CONFIDENTIAL: 3 rollbacks in Q1"
        self.answer = AnswerFactory(
            response=self.response, question=question, value=12, comment=self.comment
        )
        self.file_bytes = f"{name} incident log bytes".encode()
        upload = SimpleUploadedFile(
            f"{name.split()[0].lower()}-incidents.pdf", PDF + self.file_bytes, "application/pdf"
        )
        self.evidence = evidence_add(
            response=self.response,
            question_key=evidence_key,
            upload=check_upload(upload),
            actor="test",
        )
        self.question_key, self.evidence_key = question_key, evidence_key

    @property
    def secrets(self) -> list[bytes]:
        return [
            self.name.encode(),
            self.comment.encode(),
            self.file_bytes,
            self.evidence.original_name.encode(),
        ]


class Parties:
    def __init__(self):
        example = questionnaire_import(text=EXAMPLE_DEFINITION.read_text(), publish=True).version
        shipped = questionnaire_import(text=SHIPPED_DEFINITION.read_text(), publish=True).version
        # Alder and Cedar answer the same questionnaire; Birch answers another one.
        self.alder = Party("Alder Voice", example, "live_deployments", "rollback_rate")
        self.cedar = Party("Cedar Bots", example, "live_deployments", "rollback_rate")
        birch_key = _evidence_question(shipped)
        self.birch = Party("Birch Chat", shipped, birch_key, birch_key)
        self.withdrawn, _ = link_for(self.birch.response, revoked_at=timezone.now())
        lapsed = ResponseFactory(
            version=example,
            vendor=self.birch.response.vendor,
            due_date=timezone.localdate() - datetime.timedelta(days=365),
        )
        self.expired, _ = link_for(lapsed)
        self.example, self.shipped = example, shipped

    def everyone(self) -> list[Party]:
        return [self.alder, self.cedar, self.birch]

    def secrets(self) -> list[bytes]:
        return [s for party in self.everyone() for s in party.secrets]


def _evidence_question(version) -> str:
    question = version.questions.filter(evidence_requested=True).order_by("position").first()
    return question.key


@pytest.fixture(scope="module")
def parties(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        yield Parties()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_root(parties):
    """The parties' files stay where they were stored (replaces the per-test root)."""


@pytest.fixture(autouse=True)
def _no_rate_limit(db, settings):
    # Every guess here is a bad token; the limit itself is tested in test_access.py.
    settings.PORTAL_BAD_TOKEN_RATE = "100000/m"
    cache.clear()
    yield
    cache.clear()


def test_every_portal_url_is_tried():
    portal = {r.name for r in all_routes() if r.name.startswith("portal:")}
    assert portal == set(ROUTE_METHODS)


# What a request sends ---------------------------------------------------------------------


def _data(name: str, question_key: str, *, revision: int = 1) -> dict:
    """What the page would send to this URL about this question, valid for its owner."""
    if name in ("portal:section", "portal:autosave"):
        return {question_key: "99", f"{question_key}-revision": revision, "action": "save"}
    if name == "portal:evidence":
        upload = SimpleUploadedFile("new.pdf", PDF, "application/pdf")
        return {field_name(question_key, EVIDENCE): upload}
    if name == "portal:submit":
        return {"confirm": "yes"}
    return {}


def _args(name: str, party: Party) -> list:
    """The keys the URL names, taken from `party` (its section, question, file)."""
    if name == "portal:section":
        section = party.response.version.questions.get(key=party.question_key).section
        return [section.key]
    if name in ("portal:autosave", "portal:confirm"):
        return [party.question_key]
    if name == "portal:evidence":
        return [party.evidence_key]
    if name == "portal:evidence_remove":
        return [party.evidence_key, party.evidence.pk]
    if name == "portal:workbook_preview":
        return [1]  # a waiting workbook's id (tests/vendors/test_workbook_portal.py)
    return []


def _try(token: str, name: str, args: list, method: str, data: dict):
    before = database_state()
    files = {e.pk: e.file.name for e in Evidence.objects.all()}
    with transaction.atomic():
        reply = getattr(Client(), method)(reverse(name, args=[token, *args]), data)
        changed = changed_tables(before, database_state())
        transaction.set_rollback(True)
    stored = {e.pk: e.file.name for e in Evidence.objects.all()}
    assert stored == files
    return reply, changed


def _assert_reveals_none(reply, secrets: list[bytes], where: str) -> None:
    for secret in secrets:
        assert secret not in reply.content, f"{where} showed {secret!r}"


# A working link with another response's keys ---------------------------------------------------


def _foreign_keys(parties: Parties) -> list[tuple[str, list]]:
    """(URL name, keys) that belong to Birch's questionnaire or Cedar's files only."""
    alder_sections = set(parties.example.sections.values_list("key", flat=True))
    alder_questions = set(parties.example.questions.values_list("key", flat=True))
    birch_sections = set(parties.shipped.sections.values_list("key", flat=True))
    birch_questions = set(parties.shipped.questions.values_list("key", flat=True))
    section = sorted(birch_sections - alder_sections)[0]
    question = sorted(birch_questions - alder_questions)[0]
    birch, cedar = parties.birch, parties.cedar
    assert birch.evidence_key not in alder_questions
    return [
        ("portal:section", [section]),
        ("portal:autosave", [question]),
        ("portal:confirm", [question]),
        ("portal:evidence", [birch.evidence_key]),
        ("portal:evidence", [question]),
        # Cedar's file under a question Alder has too: the id is Cedar's, so no.
        ("portal:evidence_remove", [cedar.evidence_key, cedar.evidence.pk]),
        ("portal:evidence_remove", [birch.evidence_key, birch.evidence.pk]),
    ]


@pytest.mark.parametrize("case", range(7))
def test_a_working_link_finds_nothing_by_another_responses_keys(parties: Parties, case):
    name, args = _foreign_keys(parties)[case]
    others = parties.birch.secrets + parties.cedar.secrets
    for method in ROUTE_METHODS[name]:
        reply, changed = _try(parties.alder.token, name, args, method, _data(name, str(args[0])))
        where = f"{method.upper()} {name} {args}"
        assert reply.status_code == 404, where
        assert not changed, f"{where} changed {changed}"
        _assert_reveals_none(reply, others, where)
    assert Evidence.objects.filter(pk__in=[e.evidence.pk for e in parties.everyone()]).count() == 3


def test_the_same_requests_with_the_owners_keys_do_change_things(parties: Parties):
    """The control: the data above is what the portal accepts from the link's owner."""
    alder = parties.alder
    for name in ("portal:section", "portal:autosave", "portal:evidence", "portal:evidence_remove"):
        key = alder.evidence_key if name == "portal:evidence" else alder.question_key
        reply, changed = _try(alder.token, name, _args(name, alder), "post", _data(name, key))
        assert reply.status_code in (200, 302), name
        assert {"questionnaires.Answer", "questionnaires.Evidence"} & set(changed), name
    # Confirming changes an answer only while it is carried forward.
    with transaction.atomic():
        Answer.objects.filter(pk=alder.answer.pk).update(carried_forward=True)
        reply, changed = _try(alder.token, "portal:confirm", [alder.question_key], "post", {})
        transaction.set_rollback(True)
    assert reply.json()["status"] == "confirmed"
    assert "questionnaires.Answer" in changed


# Tokens that are not exactly a live link --------------------------------------------------------

TOKEN_VARIANTS = {
    "withdrawn link of another vendor": lambda p: p.withdrawn,
    "expired link of another vendor": lambda p: p.expired,
    "cut short by one": lambda p: p.alder.token[:-1],
    "half of it": lambda p: p.alder.token[: len(p.alder.token) // 2],
    "one character more": lambda p: p.alder.token + "A",
    "other case": lambda p: p.alder.token.swapcase(),
    "upper case": lambda p: p.alder.token.upper(),
    "last character changed": lambda p: (
        p.alder.token[:-1] + ("B" if p.alder.token[-1] != "B" else "C")
    ),
    "with a space": lambda p: p.alder.token + " ",
}
GONE = {"withdrawn link of another vendor", "expired link of another vendor"}


@pytest.mark.parametrize("name", sorted(ROUTE_METHODS))
@pytest.mark.parametrize("variant", sorted(TOKEN_VARIANTS))
def test_a_token_that_is_not_a_live_link_opens_nothing(parties: Parties, variant, name):
    token = TOKEN_VARIANTS[variant](parties)
    assert token != parties.alder.token
    alder = parties.alder
    key = alder.evidence_key if name == "portal:evidence" else alder.question_key
    for method in ROUTE_METHODS[name]:
        reply, changed = _try(token, name, _args(name, alder), method, _data(name, key))
        where = f"{method.upper()} {name} with a token {variant}"
        assert reply.status_code == (410 if variant in GONE else 404), where
        assert not changed, f"{where} changed {changed}"
        _assert_reveals_none(reply, parties.secrets(), where)


# Another vendor's working link -------------------------------------------------------------------


def test_another_working_link_reaches_only_its_own_response(parties: Parties):
    alder, cedar = parties.alder, parties.cedar
    # Alder's file, named under the question both questionnaires share, through Cedar's link.
    reply, changed = _try(
        cedar.token, "portal:evidence_remove", _args("portal:evidence_remove", alder), "post", {}
    )
    assert reply.status_code == 404
    assert not changed
    _assert_reveals_none(reply, alder.secrets, "removing Alder's file with Cedar's link")

    # Cedar's pages show Cedar's answers and files, never Alder's.
    for name in (
        "portal:overview",
        "portal:section",
        "portal:submit",
        "portal:sent",
        "portal:workbook",
    ):
        reply, _ = _try(cedar.token, name, _args(name, cedar), "get", {})
        assert reply.status_code in (200, 302), name
        _assert_reveals_none(reply, alder.secrets + parties.birch.secrets, name)

    # Saving through Cedar's link changes Cedar's answer, not Alder's.
    with transaction.atomic():
        Client().post(
            reverse("portal:autosave", args=[cedar.token, "live_deployments"]),
            _data("portal:autosave", "live_deployments"),
        )
        assert Answer.objects.get(pk=cedar.answer.pk).value == 99
        assert Answer.objects.get(pk=alder.answer.pk).value == 12
        transaction.set_rollback(True)


def test_a_rate_limited_client_learns_nothing_either(parties: Parties, settings):
    settings.PORTAL_BAD_TOKEN_RATE = "3/m"
    client = Client()
    for _ in range(3):
        client.get(reverse("portal:overview", args=["no-such-token"]))

    reply = client.get(reverse("portal:sent", args=[parties.alder.token]))

    assert reply.status_code == 429
    _assert_reveals_none(reply, parties.secrets(), "the rate-limited page")
