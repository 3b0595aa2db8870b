"""Every URL the app serves, found by walking the URL resolver, so that a test over
"every URL" covers a new one the day it is added.

The URLs are filled in from one set of demo data (the five demo vendors, a private link,
a report, a rescoring job, sign-in records) and requested as a superuser, who may reach
every admin page; the portal's are requested with the link's token and no sign-in.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from cxvet.outbox.models import OutboxMessage
from questionnaires.models import (
    Answer,
    Evidence,
    Profile,
    Report,
    ReportKind,
    ReportStatus,
    RescoreJob,
    Response,
    ResponseStatus,
    Selection,
)
from questionnaires.services.demo import demo_seed
from tests.factories import ContactFactory, UserFactory
from vendors.models import AccessLink
from vendors.services import token_hash

# What a request may change without being a change of state: the session (signing in,
# messages), the sign-in records, and when a private link was last used.
NOT_STATE_MODELS = {"sessions.Session", "axes.AccessAttempt", "axes.AccessLog"}
NOT_STATE_FIELDS = {("vendors.AccessLink", "last_used_at"), ("auth.User", "last_login")}

# Patterns answered with 404 for the data here, by design: the admin's catch-all for
# unknown admin URLs, and "view on site" (no model here has a public page).
NOT_FOUND_BY_DESIGN = {"admin/(?P<url>.*)$", "admin/r/<path:content_type_id>/<path:object_id>/"}


@dataclass(frozen=True)
class Route:
    route: str  # the pattern as written, e.g. "portal/<str:token>/submit/"
    name: str  # namespace:name, or the route when unnamed


def all_routes() -> list[Route]:
    return list(_walk(get_resolver(), "", ()))


def _walk(resolver: URLResolver, prefix: str, namespaces: tuple[str, ...]) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = ":".join((*namespaces, entry.name)) if entry.name else route
            yield Route(route, name)


def database_state() -> dict[str, list[str]]:
    """Every stored row of every model (many-to-many tables too), as comparable text."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if label in NOT_STATE_MODELS:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if (label, f.name) not in NOT_STATE_FIELDS
        ]
        state[label] = sorted(repr(row) for row in model.objects.values_list(*fields))
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


@dataclass
class World:
    """Objects to fill URLs with: one of each kind, and a portal link that works."""

    superuser: object
    token: str
    portal_response: Response
    reviewed: Response  # a submitted response, so its review pages are all reachable
    answer: Answer
    evidence: Evidence
    report: Report
    job: RescoreJob
    selection: Selection

    def object_of(self, model: type[models.Model]) -> models.Model:
        special = {
            Response: self.reviewed,
            Answer: self.answer,
            Evidence: self.evidence,
            Report: self.report,
            RescoreJob: self.job,
            Selection: self.selection,
        }
        if model in special:
            return special[model]
        found = model._default_manager.order_by("pk").first()
        assert found is not None, f"the test data has no {model._meta.label} to open"
        return found


def build_world() -> World:
    """The demo data plus one of everything else an admin page can show (needs the db)."""
    summary = demo_seed()
    superuser = UserFactory(username="root-analyst")
    portal_response = Response.objects.get(
        version=summary.version, status=ResponseStatus.IN_PROGRESS
    )
    token = secrets.token_urlsafe(32)
    AccessLink.objects.create(
        response=portal_response,
        contact=ContactFactory(vendor=portal_response.vendor),
        token_hash=token_hash(token),
    )
    reviewed = Response.objects.filter(status=ResponseStatus.SUBMITTED).order_by("pk").first()
    evidence = Evidence.objects.order_by("pk").first()
    report = Report.objects.create(
        kind=ReportKind.ASSESSMENT,
        response=reviewed,
        status=ReportStatus.READY,
        inputs_hash="0" * 64,
        finished_at=timezone.now(),
    )
    report.file.save("assessment.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    job = RescoreJob.objects.create(profile=Profile.objects.order_by("pk").first())
    Group.objects.create(name="Reviewers")
    # Sign-in records, so that their admin pages have something to open.
    attempt = {"username": "someone", "ip_address": "192.0.2.1", "user_agent": "test"}
    now = timezone.now()
    AccessAttempt.objects.create(**attempt, failures_since_start=1, attempt_time=now)
    AccessLog.objects.create(**attempt, attempt_time=now)
    AccessFailureLog.objects.create(**attempt, attempt_time=now, locked_out=False)
    # An email that could not be sent, shown on the reviewed response's page.
    OutboxMessage.objects.create(
        kind="vendors.tasks.send_clarification_request",
        payload={"response_id": reviewed.pk},
        subject=reviewed,
        status=OutboxMessage.Status.FAILED,
        attempts=6,
        last_error="Gave up after 6 attempts. Last error: SMTPConnectError: (421, b'busy')",
        next_attempt_at=now,
        finished_at=now,
    )
    return World(
        superuser=superuser,
        token=token,
        portal_response=portal_response,
        reviewed=reviewed,
        answer=reviewed.answers.order_by("pk").first(),
        evidence=evidence,
        report=report,
        job=job,
        selection=Selection.objects.get(name="Contact-center agent selection"),
    )


_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def fill(route: Route, world: World) -> str:
    """The route as a path, with every parameter set to something that exists."""
    if route.route == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    if "(?P<app_label>" in route.route:
        return "/admin/questionnaires/"
    model = _admin_model(route.route)

    def value(match: re.Match) -> str:
        name = match["name"]
        if name == "token":
            return world.token
        if name == "section_key":
            return world.portal_response.version.sections.order_by("position").first().key
        if name == "question_key":
            return world.evidence.answer.question.key
        if name == "evidence_id":
            return str(world.evidence.pk)
        if name == "answer_id":
            return str(world.answer.pk)
        if name == "import_id":
            return "1"  # no workbook waits: the preview redirects to the upload page
        if route.route.startswith("admin/r/"):  # view on site: <content_type_id>/<object_id>
            selection = world.selection
            if name == "content_type_id":
                return str(ContentType.objects.get_for_model(selection).pk)
            return str(selection.pk)
        if name in {"object_id", "id"}:
            assert model is not None, f"{route.route}: no admin model for {name}"
            return str(world.object_of(model).pk)
        by_name = {
            "report_id": world.report,
            "job_id": world.job,
            "selection_id": world.selection,
            "response_id": world.reviewed,
            "questionnaire_id": world.reviewed.version.questionnaire,
        }
        assert name in by_name, f"{route.route}: add a value for <{name}> to this test"
        return str(by_name[name].pk)

    return "/" + _PARAMETER.sub(value, route.route)


def _admin_model(route: str) -> type[models.Model] | None:
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if not match:
        return None
    try:
        model = apps.get_model(match[1], match[2])
    except LookupError:
        return None
    return model if model in admin.site._registry else None


class Visitors:
    """A signed-in superuser for the admin's URLs, a link holder for the portal's."""

    def __init__(self, world: World, **options):
        self.admin = Client(**options)
        self.admin.force_login(world.superuser)
        self.portal = Client(**options)
        # Both hold a CSRF cookie, as after any page view; what they send is the test.
        self.admin.get("/admin/")
        self.portal.get(f"/portal/{world.token}/")

    def for_route(self, route: Route) -> Client:
        return self.admin if route.route.startswith("admin/") else self.portal
