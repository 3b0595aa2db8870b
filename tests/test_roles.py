"""The shipped roles: created by migrate, kept in step, and what create_analyst makes."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from questionnaires.roles import (
    ADMINISTRATOR,
    ADMINISTRATOR_PERMISSIONS,
    ANALYST,
    ANALYST_PERMISSIONS,
    REVIEWER,
    REVIEWER_PERMISSIONS,
    ROLES,
    WORKSPACE_MODELS,
)
from questionnaires.services.roles import UnknownPermission, roles_sync
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _names(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_migrate_made_the_three_groups_with_exactly_their_permissions():
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLES)}
    assert set(groups) == {ANALYST, REVIEWER, ADMINISTRATOR}
    for name, permissions in ROLES.items():
        assert _names(groups[name]) == permissions


def test_the_reviewer_may_only_view():
    assert all(".view_" in p for p in REVIEWER_PERMISSIONS)
    assert REVIEWER_PERMISSIONS < ANALYST_PERMISSIONS < ADMINISTRATOR_PERMISSIONS


def test_no_role_deletes_a_response_a_report_or_the_audit_trail():
    for permissions in ROLES.values():
        assert not permissions & {
            "questionnaires.delete_response",
            "questionnaires.delete_answer",
            "questionnaires.delete_evidence",
            "questionnaires.delete_report",
            "questionnaires.delete_auditevent",
            "questionnaires.delete_responsescore",
            "vendors.delete_accesslink",
        }


def test_every_model_of_the_workspace_is_named():
    """A new model gets a decision about who sees it before anyone does."""
    models = {
        f"{m._meta.app_label}.{m._meta.model_name}"
        for label in ("questionnaires", "vendors", "outbox")
        for m in apps.get_app_config(label).get_models()
    }
    assert set(WORKSPACE_MODELS) == models


def test_sync_again_changes_nothing():
    assert not roles_sync().changed
    assert not roles_sync().changed


def test_sync_puts_a_group_back_as_the_code_says_and_keeps_its_members():
    analysts = Group.objects.get(name=ANALYST)
    member = UserFactory(username="member", is_superuser=False)
    member.groups.add(analysts)
    analysts.permissions.add(Permission.objects.get(codename="delete_response"))
    analysts.permissions.remove(Permission.objects.get(codename="change_response"))
    Group.objects.get(name=REVIEWER).delete()

    synced = roles_sync()

    assert synced.created == [REVIEWER]
    assert synced.added[ANALYST] == ["questionnaires.change_response"]
    assert synced.removed[ANALYST] == ["questionnaires.delete_response"]
    for name, permissions in ROLES.items():
        assert _names(Group.objects.get(name=name)) == permissions
    assert list(member.groups.all()) == [analysts]


def test_migrate_brings_the_roles_in_step_and_says_so(capsys):
    Group.objects.get(name=ADMINISTRATOR).permissions.clear()

    call_command("migrate", verbosity=1, stdout=io.StringIO())

    assert _names(Group.objects.get(name=ADMINISTRATOR)) == ADMINISTRATOR_PERMISSIONS
    assert "Roles brought in step: Administrator: +auth.add_group" in capsys.readouterr().out


def test_a_role_naming_an_unknown_permission_fails_loudly(monkeypatch):
    monkeypatch.setitem(ROLES, ANALYST, ROLES[ANALYST] | {"questionnaires.fly_response"})
    with pytest.raises(UnknownPermission, match="fly_response"):
        roles_sync()


def _create_analyst(monkeypatch, *args: str) -> str:
    monkeypatch.setenv("ANALYST_PASSWORD", "demo-password-123")
    out = io.StringIO()
    call_command("create_analyst", *args, stdout=out)
    return out.getvalue()


def test_create_analyst_makes_an_analyst_who_is_not_a_superuser(monkeypatch, client):
    output = _create_analyst(monkeypatch)

    user = apps.get_model("auth", "User").objects.get(username="analyst")
    assert "username 'analyst', password 'demo-password-123'" in output
    assert user.is_staff and not user.is_superuser
    assert [g.name for g in user.groups.all()] == [ANALYST]
    assert user.has_perm("questionnaires.change_response")
    assert not user.has_perm("questionnaires.delete_response")
    # `make run`'s login still opens the workspace.
    signed_in = client.post(
        "/admin/login/", {"username": "analyst", "password": "demo-password-123"}
    )
    assert signed_in.status_code == 302
    assert client.get("/admin/questionnaires/response/").status_code == 200


def test_create_analyst_resets_an_earlier_superuser_login(monkeypatch):
    UserFactory(username="analyst", is_superuser=True)
    _create_analyst(monkeypatch)
    user = apps.get_model("auth", "User").objects.get(username="analyst")
    assert not user.is_superuser
    assert [g.name for g in user.groups.all()] == [ANALYST]


def test_create_analyst_makes_other_roles_on_request(monkeypatch):
    _create_analyst(monkeypatch, "--username", "reviewer", "--role", REVIEWER)
    user = apps.get_model("auth", "User").objects.get(username="reviewer")
    assert [g.name for g in user.groups.all()] == [REVIEWER]
    assert not user.has_perm("questionnaires.add_report")
