"""Factories for the models. Questionnaire versions come from YAML (see conftest)."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model

from questionnaires.models import Answer, EvidenceLevel, Response, ResponseStatus, Selection
from vendors.models import Contact, Vendor


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"analyst{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    is_superuser = True
    password = factory.django.Password("correct horse battery staple")


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n}")
    product = factory.LazyAttribute(lambda v: f"{v.name} Agent")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@vendor.example")


class ResponseFactory(factory.django.DjangoModelFactory):
    """Needs `version=` (a published QuestionnaireVersion)."""

    class Meta:
        model = Response

    vendor = factory.SubFactory(VendorFactory)
    status = ResponseStatus.IN_PROGRESS
    due_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=30))


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    evidence_level = EvidenceLevel.SELF_ATTESTED
    revision = 1


class SelectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Selection

    name = factory.Sequence(lambda n: f"Selection {n}")
    buyer_name = "Northwind Retail"
    profile_key = "general"
    due_date = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=30))


def round_of(version, due_date: datetime.date | None = None, **fields) -> Selection:
    """A round asking `version` by `due_date` (in 30 days unless given)."""
    if due_date is not None:
        fields["due_date"] = due_date
    return SelectionFactory(version=version, profile_key=version.default_profile_key, **fields)


def answer_all(response: Response, values: dict) -> list[Answer]:
    """Create answers for `response` from {question_key: value}."""
    questions = {q.key: q for q in response.version.questions.all()}
    return [
        AnswerFactory(response=response, question=questions[key], value=value)
        for key, value in values.items()
    ]


def scored_submission(version, vendor_name: str, values: dict) -> Response:
    """A submitted response of a new vendor with these answers, scored for every profile."""
    from django.utils import timezone

    from questionnaires.services.scores import response_score

    response = ResponseFactory(
        version=version,
        vendor=VendorFactory(name=vendor_name),
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    answer_all(response, values)
    response_score(response=response)
    return response
