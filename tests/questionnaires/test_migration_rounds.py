"""Existing data migrates to rounds: each response joins the round that compared it."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("questionnaires", "0006_rescore_job_verbose_name"), ("vendors", "0001_initial")]
AFTER = [("questionnaires", "0009_drop_compared_responses")]


def _latest():
    """Every app's newest migration: the test leaves the database as it found it."""
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


DEFINITION = {"profiles": [{"key": "general", "title": "General"}], "sections": []}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_responses_join_the_rounds_that_compared_them():
    old = _migrate(BEFORE)
    version = old.get_model("questionnaires", "QuestionnaireVersion").objects.create(
        questionnaire=old.get_model("questionnaires", "Questionnaire").objects.create(
            key="q", title="Q"
        ),
        number=1,
        title="Q",
        status="published",
        definition=DEFINITION,
        content_hash="x",
    )
    question = old.get_model("questionnaires", "Question").objects.create(
        version=version,
        section=old.get_model("questionnaires", "Section").objects.create(
            version=version, key="s", position=1, title="S", weight=1
        ),
        key="k",
        position=1,
        text="?",
        type="text",
    )
    Vendor = old.get_model("vendors", "Vendor")
    Response = old.get_model("questionnaires", "Response")
    Selection = old.get_model("questionnaires", "Selection")
    due = datetime.date(2026, 12, 24)
    shared, alone, unselected = (
        Response.objects.create(
            version=version, vendor=Vendor.objects.create(name=n, product=n), due_date=due
        )
        for n in ("Shared", "Alone", "Unselected")
    )
    old.get_model("questionnaires", "Answer").objects.create(
        response=shared, question=question, value="kept"
    )
    first = Selection.objects.create(name="First", buyer_name="A", profile_key="general")
    second = Selection.objects.create(name="Second", buyer_name="B", profile_key="general")
    first.responses.set([shared, alone])
    second.responses.set([shared])

    new = _migrate(AFTER)
    Response = new.get_model("questionnaires", "Response")
    Selection = new.get_model("questionnaires", "Selection")
    first, second = Selection.objects.get(name="First"), Selection.objects.get(name="Second")
    assert set(first.responses.values_list("vendor__name", flat=True)) == {"Shared", "Alone"}
    # Compared in two rounds: the later round gets its own copy, answers included.
    [copy] = second.responses.all()
    assert copy.vendor.name == "Shared" and copy.pk != shared.pk
    assert copy.carried_from_id == shared.pk
    assert list(copy.answers.values_list("value", flat=True)) == ["kept"]
    assert first.version_id == version.pk and first.due_date == due
    # No round compared it: it joins one named for its version.
    earlier = Response.objects.get(pk=unselected.pk).selection
    assert earlier.name == "Earlier responses to Q v1"
    assert earlier.profile_key == "general"
    assert not Response.objects.filter(selection__isnull=True).exists()


def _version(old, number: int):
    questionnaire, _ = old.get_model("questionnaires", "Questionnaire").objects.get_or_create(
        key="q", defaults={"title": "Q"}
    )
    return old.get_model("questionnaires", "QuestionnaireVersion").objects.create(
        questionnaire=questionnaire,
        number=number,
        title="Q",
        status="published",
        definition=DEFINITION,
        content_hash=f"x{number}",
    )


@pytest.mark.django_db(transaction=True)
def test_a_round_that_compared_one_vendor_twice_keeps_one_response_and_splits_the_other():
    old = _migrate(BEFORE)
    first, second = _version(old, 1), _version(old, 2)
    Response = old.get_model("questionnaires", "Response")
    Vendor = old.get_model("vendors", "Vendor")
    acme, globex = (Vendor.objects.create(name=n, product=n) for n in ("Acme", "Globex"))
    due = datetime.date(2026, 12, 24)
    acme_first, acme_second, globex_second = (
        Response.objects.create(version=v, vendor=vendor, due_date=due)
        for v, vendor in ((first, acme), (second, acme), (second, globex))
    )
    compared = old.get_model("questionnaires", "Selection").objects.create(
        name="Both", buyer_name="Northwind", profile_key="general"
    )
    compared.responses.set([acme_first, acme_second, globex_second])

    new = _migrate([("questionnaires", "0012_unique_response_per_round_vendor")])
    Response = new.get_model("questionnaires", "Response")
    Selection = new.get_model("questionnaires", "Selection")
    both = Selection.objects.get(name="Both")
    # The round's version is the one most of its responses answer: version 2.
    assert both.version_id == second.pk
    assert set(both.responses.values_list("pk", flat=True)) == {acme_second.pk, globex_second.pk}
    split = Response.objects.get(pk=acme_first.pk).selection
    assert split.name == "Both (Q v1)"
    assert split.version_id == first.pk and split.buyer_name == "Northwind"
    assert list(split.responses.values_list("pk", flat=True)) == [acme_first.pk]


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    yield
    _migrate(_latest())
