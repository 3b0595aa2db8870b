"""Questionnaire versions in the admin: the status moves forward only, through the service."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse

from questionnaires.models import QuestionnaireVersion, VersionStatus
from questionnaires.services.definitions import questionnaire_import, version_status_move
from tests.synthetic import generated_definition, import_definition

pytestmark = pytest.mark.django_db


def _draft() -> QuestionnaireVersion:
    text = yaml.safe_dump(generated_definition(sections=1, per_section=2, key="draft_check"))
    return questionnaire_import(text=text).version


def _url(version: QuestionnaireVersion) -> str:
    return reverse("admin:questionnaires_questionnaireversion_change", args=[version.pk])


def _post(client, version: QuestionnaireVersion, status: str):
    """Save the version's page with this status (and its read-only inlines as they are)."""
    page = client.get(_url(version))
    data = {"status": status}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        )
        for form in formset.forms:
            data.update(
                {f"{form.prefix}-id": form.instance.pk, f"{form.prefix}-version": version.pk}
            )
    return client.post(_url(version), data)


def _offered(page) -> list[str]:
    return [value for value, _ in page.context["adminform"].form.fields["status"].choices]


def test_the_page_offers_the_status_a_version_has_and_the_next_one(client, analyst):
    draft = _draft()
    published = import_definition(generated_definition(key="live_check"))

    assert _offered(client.get(_url(draft))) == ["draft", "published"]
    assert _offered(client.get(_url(published))) == ["published", "retired"]


def test_publishing_from_the_admin_notes_when(client, analyst):
    draft = _draft()

    page = _post(client, draft, "published")

    assert page.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    assert draft.published_at is not None


def test_retiring_from_the_admin_notes_when(client, analyst):
    version = import_definition(generated_definition())

    _post(client, version, "retired")

    version.refresh_from_db()
    assert (version.status, version.retired_at is not None) == (VersionStatus.RETIRED, True)


def test_a_published_version_cannot_go_back_to_draft(client, analyst):
    version = import_definition(generated_definition())

    page = _post(client, version, "draft")

    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED


def test_the_move_is_judged_by_the_stored_status(db):
    version = import_definition(generated_definition())
    stale = QuestionnaireVersion.objects.get(pk=version.pk)
    version_status_move(version=version, status=VersionStatus.RETIRED)
    stale.status = VersionStatus.DRAFT  # what an old copy might hold

    version_status_move(version=stale, status=VersionStatus.PUBLISHED)

    assert stale.status == VersionStatus.RETIRED
    assert QuestionnaireVersion.objects.get(pk=version.pk).status == VersionStatus.RETIRED
