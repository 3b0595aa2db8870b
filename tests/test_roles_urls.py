"""Every URL of the admin with each role: who gets in, who is refused, and that a refused
request changes nothing and shows nothing of any response.

The project's own URLs are found by walking the URL resolver (tests/site_walk.py) and
must each appear in CUSTOM below; Django's standard pages are tried for every model
registered in the admin, with the expectations in MODELS. Both tables are written by
hand from docs/security.md, never derived from the permissions they test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from questionnaires.models import EvidenceLevel
from tests.roles import (
    ACCOUNTS,
    ADMINISTRATOR_ROLE,
    ANALYST_ROLE,
    ANONYMOUS,
    EVERY_ROLE,
    NOBODY,
    ONLY_SUPERUSER,
    SEE,
    SUPERUSER,
    WORK,
    RoleWorld,
    attempt,
    expected_outcome,
    form_data,
    shared_world,
)
from tests.site_walk import World, all_routes, fill
from tests.test_endpoints import DJANGO_ADMIN_NAMES
from vendors.models import Vendor


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from shared_world(django_db_blocker, tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _media_root(world):
    """The world's files stay where it put them (replaces the per-test media root)."""


@pytest.fixture(autouse=True)
def _db(db):
    """Each test in a savepoint of the module's transaction."""


# The project's own URLs -------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    method: str
    allowed: frozenset[str]
    query: str = ""
    data: Callable[[World], dict] | None = None
    writes: bool = False  # when allowed, the request changes stored rows
    attachment: bool = False  # when allowed, the reply is a download


def _invite(w: World) -> dict:
    vendor = Vendor.objects.order_by("pk").first()
    return {"contacts": [vendor.contacts.order_by("pk").first().pk], "selection": w.selection.pk}


def _invite_into_round(w: World) -> dict:
    vendor = Vendor.objects.order_by("pk").first()
    return {"contacts": [vendor.contacts.order_by("pk").first().pk]}


def _clarify(w: World) -> dict:
    return {f"reopen__{w.answer.question.key}": "on", "note": "Please add last year's figures."}


def _override(w: World) -> dict:
    return {
        "profile": w.reviewed.version.default_profile_key,
        "score": "40",
        "tier": "",
        "justification": "Checked the incident log with the vendor.",
        "reason": "The incident log shows rollbacks the answers leave out.",
    }


def _evidence_level(w: World) -> dict:
    verified = EvidenceLevel.VERIFIED
    return {
        "level": EvidenceLevel.SELF_ATTESTED if w.answer.evidence_level == verified else verified
    }


def _ids(w: World) -> str:
    return f"?ids={w.reviewed.pk},{w.portal_response.pk}"


CUSTOM: dict[str, list[Check]] = {
    "admin:vendors_vendor_invite": [
        Check("get", WORK),
        Check("post", WORK, data=_invite, writes=True),
    ],
    "admin:questionnaires_response_compare": [Check("get", SEE, query="IDS")],
    "admin:questionnaires_response_compare_export": [
        Check("get", SEE, query="IDS&format=xlsx", attachment=True),
        Check("get", SEE, query="IDS&format=csv&part=summary", attachment=True),
    ],
    "admin:questionnaires_response_questionnaire_export": [
        Check("get", SEE, query="?format=csv", attachment=True)
    ],
    "admin:questionnaires_response_accept": [
        Check("get", NOBODY),  # POST only
        Check("post", WORK, writes=True),
    ],
    "admin:questionnaires_response_clarify": [
        Check("get", WORK),
        Check("post", WORK, data=_clarify, writes=True),
    ],
    "admin:questionnaires_response_override": [
        Check("get", WORK),
        Check("post", WORK, data=_override, writes=True),
    ],
    "admin:questionnaires_response_evidence_level": [
        Check("get", NOBODY),  # POST only
        Check("post", WORK, data=_evidence_level, writes=True),
    ],
    # Entering a vendor's workbook is a change: not for reviewers, who may read the page
    # and download the workbook (a read). The preview's id names no waiting import here,
    # so its POST redirects and saves nothing.
    "admin:questionnaires_response_workbook": [Check("get", SEE)],  # POST: test_admin_workbooks
    "admin:questionnaires_response_workbook_download": [Check("get", SEE, attachment=True)],
    "admin:questionnaires_response_workbook_preview": [Check("get", WORK), Check("post", WORK)],
    "admin:questionnaires_selection_compare": [Check("get", SEE)],
    # Signing the round's verdict off records who and when: not for reviewers.
    "admin:questionnaires_selection_sign_off": [
        Check("get", WORK),  # the confirmation page: what would be signed
        Check("post", WORK, data=lambda w: {"explained": "on"}, writes=True),
    ],
    "admin:questionnaires_selection_invite": [
        Check("get", WORK),
        Check("post", WORK, data=_invite_into_round, writes=True),
    ],
    "admin:questionnaires_selection_compare_export": [
        Check("get", SEE, query="?format=xlsx", attachment=True)
    ],
    # Requesting a PDF writes a report and starts rendering it: not for reviewers.
    "admin:questionnaires_report_request_comparison": [
        Check("get", WORK),
        Check("post", WORK, data=lambda w: {"profile": w.selection.profile_key}, writes=True),
    ],
    "admin:questionnaires_report_request_assessment": [
        Check("get", WORK),
        Check(
            "post",
            WORK,
            data=lambda w: {"profile": w.reviewed.version.default_profile_key},
            writes=True,
        ),
    ],
    "admin:questionnaires_report_status": [Check("get", SEE)],
    "admin:questionnaires_report_download": [Check("get", SEE, attachment=True)],
    # Every answer as the report printed it, beside the answer now: a read.
    "admin:questionnaires_report_answers": [Check("get", SEE)],
    "admin:questionnaires_evidence_download": [Check("get", SEE, attachment=True)],
    "admin:questionnaires_rescorejob_progress": [Check("get", SEE)],
}

ROUTES = {r.name: r for r in all_routes()}


def _ours(name: str, route: str) -> bool:
    return name != route and name.startswith("admin:") and not DJANGO_ADMIN_NAMES.match(name)


def test_every_url_of_ours_has_expectations():
    ours = {r.name for r in ROUTES.values() if _ours(r.name, r.route)}
    assert ours == set(CUSTOM)


def _secrets_of(w: World) -> list[bytes]:
    """What a refused reply must not contain: names and answers of the responses."""
    comment = w.reviewed.answers.exclude(comment="").order_by("pk").first()
    return [w.reviewed.vendor.name.encode(), comment.comment[:40].encode()]


@pytest.mark.parametrize("role", EVERY_ROLE)
@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_a_url_of_ours_lets_in_exactly_its_roles(world: RoleWorld, name, role):
    client = world.client(role)
    site = world.site
    for check in CUSTOM[name]:
        path = fill(ROUTES[name], site) + check.query.replace("IDS", _ids(site))
        data = check.data(site) if check.data else None
        result = attempt(client, check.method, path, data)
        where = f"{check.method.upper()} {path} as {role}"
        assert result.outcome == expected_outcome(role, check.allowed), (
            f"{where}: {result.reply.status_code}"
        )
        if result.outcome != "allowed":
            assert not result.changed, f"{where} was refused but changed {result.changed}"
            for secret in _secrets_of(site):
                assert secret not in result.reply.content, f"{where} showed {secret!r}"
            continue
        assert result.reply.status_code in (200, 302), where
        if check.writes:
            assert result.changed, f"{where} should have changed something (test data?)"
        elif check.method == "post":
            assert not result.changed
        if check.attachment:
            assert result.reply["Content-Disposition"].startswith("attachment"), where


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_a_signed_in_account_opens_nothing_in_the_portal(world: RoleWorld, role):
    cache.clear()  # the guesses below count towards the portal's rate limit
    client = world.client(role)
    for route in ROUTES.values():
        if route.name.startswith("portal:"):
            path = fill(route, world.site).replace(world.site.token, "n0t-a-real-token")
            reply = attempt(client, "get", path).reply
            if reply.status_code == 405:  # the JSON endpoints take POSTs only
                reply = attempt(client, "post", path).reply
            assert reply.status_code == 404, f"{path} as {role}"
            assert world.site.portal_response.vendor.name.encode() not in reply.content
    cache.clear()


# The analyst's queue on the admin's first page --------------------------------------------

# Who sees which counts, written out from docs/security.md: response counts need
# view_response, the email count view_outboxmessage, the report count view_report.
QUEUE_ROWS = {
    "queue-to-review": SEE,
    "queue-clarified": SEE,
    "queue-overdue": SEE,
    "queue-due-soon": SEE,
    "queue-failed-deliveries": SEE,
    "queue-stale-reports": SEE,
}


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_the_queue_on_the_index_shows_each_count_to_exactly_its_roles(world: RoleWorld, role):
    for query in ("", f"?round={world.site.selection.pk}"):
        result = attempt(world.client(role), "get", reverse("admin:index") + query)
        if role == ANONYMOUS:
            assert result.outcome == "login"
            continue
        assert result.reply.status_code == 200, role
        html = result.reply.content.decode()
        for row, allowed in QUEUE_ROWS.items():
            assert (f'id="{row}"' in html) == (role in allowed), f"{row} as {role}{query}"
        if role not in SEE:
            assert world.site.reviewed.vendor.name.encode() not in result.reply.content


# Django's standard admin pages, per model ---------------------------------------------------

PAGES = ("list", "add", "open", "history", "save", "delete_page", "delete")


def _pages(
    view: frozenset[str],
    *,
    add: frozenset[str] = NOBODY,
    change: frozenset[str] = NOBODY,
    delete: frozenset[str] = NOBODY,
    delete_page: frozenset[str] | None = None,
) -> dict[str, frozenset[str]]:
    return {
        "list": view | change,
        "add": add,
        "open": view | change,
        "history": view | change,
        "save": change,
        "delete_page": delete if delete_page is None else delete_page,
        "delete": delete,
    }


# Records made by the system (answers, evidence, scores, events, reports, links) are
# changed by nobody here; the objects tried are the world's (a published version, a
# submitted response with history, a vendor with responses, a staff account, a group
# that is not a shipped role).
MODELS: dict[str, dict[str, frozenset[str]]] = {
    "questionnaires.questionnaire": _pages(
        SEE, add=ONLY_SUPERUSER, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER
    ),
    # A published version changes only its status, and is never deleted.
    "questionnaires.questionnaireversion": _pages(SEE, change=WORK),
    "questionnaires.question": _pages(SEE),
    "questionnaires.profile": _pages(SEE, change=WORK),
    # The response page changes nothing itself (the review URLs above do); only a
    # superuser reaches the delete page, and even then a response with history stays.
    "questionnaires.response": _pages(SEE, delete_page=ONLY_SUPERUSER),
    "questionnaires.evidence": _pages(SEE),
    "questionnaires.responsescore": _pages(SEE),
    "questionnaires.selection": _pages(SEE, add=WORK, change=WORK, delete=WORK),
    "questionnaires.report": _pages(SEE, delete=ONLY_SUPERUSER),
    "questionnaires.auditevent": _pages(SEE),
    "questionnaires.rescorejob": _pages(SEE),
    "vendors.vendor": _pages(SEE, add=WORK, change=WORK, delete=WORK),
    "vendors.accesslink": _pages(SEE),
    "outbox.outboxmessage": _pages(SEE),
    "auth.user": _pages(ACCOUNTS, add=ACCOUNTS, change=ACCOUNTS, delete=ACCOUNTS),
    "auth.group": _pages(ACCOUNTS, add=ACCOUNTS, change=ACCOUNTS, delete=ACCOUNTS),
    "axes.accessattempt": _pages(ACCOUNTS, change=ONLY_SUPERUSER, delete=ACCOUNTS),
    "axes.accesslog": _pages(ACCOUNTS, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
    "axes.accessfailurelog": _pages(ACCOUNTS, change=ONLY_SUPERUSER, delete=ONLY_SUPERUSER),
}


def test_every_model_in_the_admin_has_expectations():
    assert {m._meta.label_lower for m in admin.site._registry} == set(MODELS)


def object_for(model, world: RoleWorld):
    if model is User:
        return world.users["staff-without-group"]
    if model is Group:
        return Group.objects.get(name="Reviewers")
    return world.site.object_of(model)


def _page_request(page: str, model, obj, world: RoleWorld) -> tuple[str, str, dict | None]:
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    if page == "list":
        return "get", reverse(f"{info}_changelist"), None
    if page == "add":
        return "get", reverse(f"{info}_add"), None
    if page in ("open", "save"):
        url = reverse(f"{info}_change", args=[obj.pk])
        if page == "open":
            return "get", url, None
        return "post", url, _filled_change_form(url, model, world)
    if page == "history":
        return "get", reverse(f"{info}_history", args=[obj.pk]), None
    url = reverse(f"{info}_delete", args=[obj.pk])
    return ("get", url, None) if page == "delete_page" else ("post", url, {"post": "yes"})


def _filled_change_form(url: str, model, world: RoleWorld) -> dict:
    """The change form as a superuser's browser would send it back, unchanged."""
    page = world.client(SUPERUSER).get(url)
    data = form_data(page.content.decode(), f"{model._meta.model_name}_form")
    data.pop("csrfmiddlewaretoken", None)
    return {**data, "_save": "Save"}


@pytest.mark.parametrize("role", EVERY_ROLE)
@pytest.mark.parametrize("label", sorted(MODELS))
def test_a_standard_admin_page_lets_in_exactly_its_roles(world: RoleWorld, label, role):
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    obj = object_for(model, world)
    client = world.client(role)
    problems = []
    for page in PAGES:
        method, path, data = _page_request(page, model, obj, world)
        result = attempt(client, method, path, data)
        expected = expected_outcome(role, MODELS[label][page])
        where = f"{page}: {method.upper()} {path} as {role}"
        if result.outcome != expected:
            problems.append(f"{where}: {result.reply.status_code}, expected {expected}")
        if result.outcome != "allowed" and result.changed:
            problems.append(f"{where} was refused but changed {result.changed}")
        if result.outcome == "allowed" and page == "save" and result.reply.status_code != 302:
            problems.append(f"{where}: the unchanged form did not save (test data?)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_a_password_is_set_by_administrators_only(world: RoleWorld, role):
    target = world.users["staff-without-group"]
    path = reverse("admin:auth_user_password_change", args=[target.pk])
    client = world.client(role)
    data = {"password1": "a new long passphrase 42", "password2": "a new long passphrase 42"}
    for method in ("get", "post"):
        result = attempt(client, method, path, data)
        assert result.outcome == expected_outcome(role, ACCOUNTS), f"{method} as {role}"
        assert bool(result.changed) == (method == "post" and role in ACCOUNTS)


# What administrators may not do with accounts -------------------------------------------------


def test_an_administrator_cannot_touch_a_superuser_account(world: RoleWorld):
    client = world.client(ADMINISTRATOR_ROLE)
    root = world.site.superuser
    password = reverse("admin:auth_user_password_change", args=[root.pk])
    change = reverse("admin:auth_user_change", args=[root.pk])
    delete = reverse("admin:auth_user_delete", args=[root.pk])

    for method, path, data in (
        ("post", password, {"password1": "taken over 12345", "password2": "taken over 12345"}),
        ("post", change, _filled_change_form(change, User, world)),
        ("post", delete, {"post": "yes"}),
    ):
        result = attempt(client, method, path, data)
        assert result.outcome == "refused", path
        assert not result.changed
    assert attempt(client, "get", change).reply.status_code == 200  # still visible


def test_an_administrator_cannot_make_a_superuser(world: RoleWorld):
    staff = world.users["staff-without-group"]
    change = reverse("admin:auth_user_change", args=[staff.pk])
    data = {**_filled_change_form(change, User, world), "is_superuser": "on"}
    page = world.client(ADMINISTRATOR_ROLE).get(change)

    def promoted_by(role: str) -> bool:
        with transaction.atomic():
            saved = world.client(role).post(change, data)
            promoted = User.objects.get(pk=staff.pk).is_superuser
            transaction.set_rollback(True)
        assert saved.status_code == 302, role
        return promoted

    assert b'name="is_superuser"' not in page.content  # shown, not editable
    assert not promoted_by(ADMINISTRATOR_ROLE)
    assert promoted_by(SUPERUSER)


def test_an_account_named_in_the_audit_trail_is_kept(world: RoleWorld):
    actor = world.users[ANALYST_ROLE]
    accept = reverse("admin:questionnaires_response_accept", args=[world.site.reviewed.pk])
    assert world.client(ANALYST_ROLE).post(accept).status_code == 302  # now in the trail
    delete = reverse("admin:auth_user_delete", args=[actor.pk])

    for role in (ADMINISTRATOR_ROLE, SUPERUSER):
        result = attempt(world.client(role), "post", delete, {"post": "yes"})
        assert result.outcome == "refused", role
        assert not result.changed


def test_shipped_groups_are_read_only_and_others_are_not(world: RoleWorld):
    shipped = Group.objects.get(name="Analyst")
    change = reverse("admin:auth_group_change", args=[shipped.pk])
    data = {**_filled_change_form(change, Group, world), "name": "Renamed"}
    for role in (ADMINISTRATOR_ROLE, SUPERUSER):
        for method, path, body in (
            ("post", change, data),
            ("post", reverse("admin:auth_group_delete", args=[shipped.pk]), {"post": "yes"}),
        ):
            result = attempt(world.client(role), method, path, body)
            assert result.outcome == "refused", f"{path} as {role}"
            assert not result.changed
