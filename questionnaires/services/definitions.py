"""Importing, publishing and retiring questionnaire versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..definition import content_hash, iter_questions, load_definition
from ..models import (
    Choice,
    Profile,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Section,
    VersionStatus,
)


class VersionConflict(Exception):
    """The file's version number is already published with different content."""


@dataclass(frozen=True)
class ImportResult:
    version: QuestionnaireVersion
    created: bool
    published: bool


@transaction.atomic
def questionnaire_import(*, text: str, publish: bool = False) -> ImportResult:
    """Validate a YAML definition completely, then store it as a version.

    Raises InvalidDefinition (with every error) before anything is written, and
    VersionConflict when the version number is taken by different published content.
    Importing identical content again changes nothing.
    """
    definition = load_definition(text)
    digest = content_hash(definition)
    questionnaire, _ = Questionnaire.objects.get_or_create(
        key=definition["key"], defaults={"title": definition["title"]}
    )
    existing = (
        QuestionnaireVersion.objects.select_for_update()
        .filter(questionnaire=questionnaire, number=definition["version"])
        .first()
    )
    if existing and existing.is_frozen:
        if existing.content_hash != digest:
            raise VersionConflict(
                f"Version {existing.number} of {questionnaire.key!r} is already published with "
                f"different content. Published versions never change: set `version: "
                f"{_next_number(questionnaire)}` in the file and import it again."
            )
        return ImportResult(version=existing, created=False, published=False)
    if existing:
        existing.delete()  # a draft is replaced wholesale
    if questionnaire.title != definition["title"]:
        questionnaire.title = definition["title"]
        questionnaire.save(update_fields=["title"])
    version = _create_version(questionnaire, definition, digest)
    if publish:
        version_publish(version=version)
    return ImportResult(version=version, created=True, published=publish)


def _next_number(questionnaire: Questionnaire) -> int:
    latest = questionnaire.versions.order_by("-number").values_list("number", flat=True).first()
    return (latest or 0) + 1


def _create_version(
    questionnaire: Questionnaire, definition: dict[str, Any], digest: str
) -> QuestionnaireVersion:
    version = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire,
        number=definition["version"],
        title=definition["title"],
        definition=definition,
        content_hash=digest,
    )
    sections = Section.objects.bulk_create(
        Section(
            version=version,
            key=s["key"],
            position=i,
            title=s["title"],
            weight=s["weight"],
        )
        for i, s in enumerate(definition["sections"])
    )
    section_by_key = {s.key: s for s in sections}
    questions = Question.objects.bulk_create(
        Question(
            version=version,
            section=section_by_key[section["key"]],
            key=q["key"],
            position=i,
            text=q["text"],
            type=q["type"],
            required=q["required"],
            evidence_requested=q["evidence"],
        )
        for i, (section, q) in enumerate(iter_questions(definition))
    )
    Choice.objects.bulk_create(
        Choice(question=question, key=c["key"], position=i, label=c["label"], risk=c["risk"])
        for question, (_, q) in zip(questions, iter_questions(definition), strict=True)
        for i, c in enumerate(q["choices"])
    )
    Profile.objects.bulk_create(
        Profile(
            version=version,
            key=p["key"],
            title=p["title"],
            description=p["description"],
            section_weights=p["section_weights"],
            rules=p["rules"],
        )
        for p in definition["profiles"]
    )
    return version


# A version only moves forward: a draft is published, a published version retired.
NEXT_STATUS: dict[str, str] = {
    VersionStatus.DRAFT: VersionStatus.PUBLISHED,
    VersionStatus.PUBLISHED: VersionStatus.RETIRED,
}
# When each move happened is kept on the version.
_MOVED_AT: dict[str, str] = {
    VersionStatus.PUBLISHED: "published_at",
    VersionStatus.RETIRED: "retired_at",
}


@transaction.atomic
def version_status_move(*, version: QuestionnaireVersion, status: str) -> QuestionnaireVersion:
    """Move the version on to `status` if that is its next one, and note when.

    Judged by the status stored (the row is locked), not by what `version` holds: any
    other status (the one it has, or a move back or past the next) changes nothing.
    """
    locked = QuestionnaireVersion.objects.select_for_update().get(pk=version.pk)
    if NEXT_STATUS.get(locked.status) == status:
        moved_at = _MOVED_AT[status]
        locked.status = status
        setattr(locked, moved_at, timezone.now())
        locked.save(update_fields=["status", moved_at])
    version.status = locked.status
    version.published_at, version.retired_at = locked.published_at, locked.retired_at
    return version


def version_publish(*, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """Publish a draft (a version already published or retired stays as it is)."""
    return version_status_move(version=version, status=VersionStatus.PUBLISHED)


def version_retire(*, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """Retire a published version (a draft or a retired one stays as it is)."""
    return version_status_move(version=version, status=VersionStatus.RETIRED)


def version_definition_for_export(*, version: QuestionnaireVersion) -> dict[str, Any]:
    """The version's definition with the profiles as analysts have re-weighted them."""
    definition = dict(version.definition)
    stored = {p.key: p for p in version.profiles.all()}
    definition["profiles"] = [
        {
            **profile,
            "section_weights": stored[profile["key"]].section_weights,
            "rules": stored[profile["key"]].rules,
        }
        if profile["key"] in stored
        else profile
        for profile in version.definition["profiles"]
    ]
    return definition
