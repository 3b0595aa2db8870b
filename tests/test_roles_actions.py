"""Every admin action of every ModelAdmin with each role: offered to exactly its roles,
and running it as anyone else changes nothing.

The actions are enumerated from `admin.site._registry` (each ModelAdmin's own and the
site's `delete_selected`); ACTIONS says by hand who may run each, so a new action fails
`test_every_action_has_expectations` until someone decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import RequestFactory
from django.urls import reverse

from questionnaires.models import Report, ResponseScore
from tests.roles import (
    ACCOUNTS,
    ANONYMOUS,
    EVERY_ROLE,
    NOBODY,
    ONLY_SUPERUSER,
    SEE,
    WORK,
    RoleWorld,
    attempt,
    shared_world,
)
from vendors.models import AccessLink


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from shared_world(django_db_blocker, tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _media_root(world):
    """The world's files stay where it put them (replaces the per-test media root)."""


@pytest.fixture(autouse=True)
def _db(db):
    """Each test in a savepoint of the module's transaction."""


@dataclass(frozen=True)
class Rule:
    offered: frozenset[str]  # whom the action list offers it to
    runs: frozenset[str] | None = None  # who gets it done on the world's rows (default: offered)
    writes: bool = False  # done, it changes stored rows

    @property
    def done_by(self) -> frozenset[str]:
        return self.offered if self.runs is None else self.runs


# Records (evidence, scores, the audit trail, reports, links, questions) are never
# deleted here; the response tried has history, so not even a superuser deletes it.
ACTIONS: dict[tuple[str, str], Rule] = {
    ("questionnaires.questionnaire", "delete_selected"): Rule(ONLY_SUPERUSER, NOBODY),
    ("questionnaires.questionnaireversion", "delete_selected"): Rule(WORK, NOBODY),
    ("questionnaires.question", "delete_selected"): Rule(NOBODY),
    ("questionnaires.profile", "delete_selected"): Rule(NOBODY),
    ("questionnaires.profile", "rescore_profiles"): Rule(WORK, writes=True),
    ("questionnaires.response", "delete_selected"): Rule(ONLY_SUPERUSER, NOBODY),
    ("questionnaires.response", "compare_selected"): Rule(SEE),
    ("questionnaires.response", "export_selected_xlsx"): Rule(SEE),
    ("questionnaires.response", "export_selected_csv"): Rule(SEE),
    ("questionnaires.evidence", "delete_selected"): Rule(NOBODY),
    # Verifying is reviewing: the reviewer sees the files and changes nothing.
    ("questionnaires.evidence", "mark_verified"): Rule(WORK, writes=True),
    ("questionnaires.responsescore", "delete_selected"): Rule(NOBODY),
    ("questionnaires.responsescore", "recompute"): Rule(WORK, writes=True),
    # A round with responses is never deleted (PROTECT).
    ("questionnaires.selection", "delete_selected"): Rule(WORK, NOBODY),
    ("questionnaires.report", "delete_selected"): Rule(ONLY_SUPERUSER, writes=True),
    ("questionnaires.report", "render_again"): Rule(WORK, writes=True),
    ("questionnaires.auditevent", "delete_selected"): Rule(NOBODY),
    ("questionnaires.rescorejob", "delete_selected"): Rule(NOBODY),
    # A vendor with responses is never deleted (PROTECT).
    ("vendors.vendor", "delete_selected"): Rule(WORK, NOBODY),
    ("vendors.accesslink", "delete_selected"): Rule(NOBODY),
    ("outbox.outboxmessage", "delete_selected"): Rule(NOBODY),
    ("vendors.accesslink", "revoke_links"): Rule(WORK, writes=True),
    ("vendors.accesslink", "reissue_links"): Rule(WORK, writes=True),
    ("auth.user", "delete_selected"): Rule(ACCOUNTS, writes=True),
    ("auth.group", "delete_selected"): Rule(ACCOUNTS, writes=True),
    ("axes.accessattempt", "delete_selected"): Rule(ACCOUNTS, writes=True),
    ("axes.accessattempt", "cleanup_expired_attempts"): Rule(ACCOUNTS),
    ("axes.accesslog", "delete_selected"): Rule(ONLY_SUPERUSER, writes=True),
    ("axes.accessfailurelog", "delete_selected"): Rule(ONLY_SUPERUSER, writes=True),
}


def _every_action() -> list[tuple[str, str]]:
    found = []
    for model, model_admin in admin.site._registry.items():
        for _, name, _ in model_admin._get_base_actions():
            found.append((model._meta.label_lower, name))
    return sorted(found)


def test_every_action_has_expectations():
    assert set(_every_action()) == set(ACTIONS)


def _rows_for(model, world: RoleWorld) -> list[int]:
    """The rows an action is tried on: the world's own, chosen so that it can work."""
    site = world.site
    if model is User:
        return [world.users["staff-without-group"].pk]
    if model is Group:
        return [Group.objects.get(name="Reviewers").pk]
    if model is ResponseScore:
        return [ResponseScore.objects.filter(response=site.reviewed).order_by("pk").first().pk]
    if model is Report:
        return [site.report.pk]
    if model is AccessLink:
        return [AccessLink.objects.get(response=site.portal_response).pk]
    return [site.object_of(model).pk]


def _offered(model_admin, user) -> set[str]:
    request = RequestFactory().get("/admin/")
    request.user = user
    return set(model_admin.get_actions(request))


@pytest.mark.parametrize("role", EVERY_ROLE)
@pytest.mark.parametrize(("label", "action"), sorted(ACTIONS))
def test_an_action_is_offered_to_and_done_by_exactly_its_roles(
    world: RoleWorld, label, action, role
):
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    model_admin = admin.site._registry[model]
    rule = ACTIONS[(label, action)]
    if role != ANONYMOUS:
        offered = action in _offered(model_admin, world.users[role])
        assert offered == (role in rule.offered), f"{action} offered to {role}: {offered}"

    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    data = {"action": action, "_selected_action": _rows_for(model, world), "post": "yes"}
    result = attempt(world.client(role), "post", changelist, data)

    if role in rule.done_by:
        assert result.reply.status_code in (200, 302), result.reply.status_code
        assert bool(result.changed) == rule.writes, result.changed
        return
    assert not result.changed, f"{action} as {role} changed {result.changed}"
    if role == ANONYMOUS:
        assert result.outcome == "login"
    elif role in rule.offered:
        # Offered but not done on these rows: Django's deletion check refuses (403) or
        # lists what protects them (200).
        assert result.reply.status_code in (200, 403)
    else:
        # Not offered: the list is refused (403), or the post is ignored (the list
        # again, or back to it with "No action selected").
        assert result.reply.status_code in (200, 302, 403)
