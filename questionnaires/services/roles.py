"""The shipped roles as Django groups, kept equal to questionnaires/roles.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, transaction

from ..roles import ROLES


class UnknownPermission(LookupError):
    """A role names a permission that no installed model has."""


@dataclass
class RolesSynced:
    created: list[str] = field(default_factory=list)  # groups that did not exist
    added: dict[str, list[str]] = field(default_factory=dict)  # group -> permissions
    removed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.added or self.removed)

    def describe(self) -> str:
        parts = [
            f"created {name} ({len(self.added.get(name, []))} permissions)" for name in self.created
        ]
        parts += [
            f"{name}: +{', '.join(perms)}"
            for name, perms in self.added.items()
            if name not in self.created
        ]
        parts += [f"{name}: -{', '.join(perms)}" for name, perms in self.removed.items()]
        return "; ".join(parts)


def roles_sync(*, using: str = DEFAULT_DB_ALIAS) -> RolesSynced:
    """Create each shipped group and give it exactly its permissions; run again, no change.

    Permissions an administrator added to a shipped group by hand are taken away again:
    the groups mean what the code says. Who is in a group is left alone.
    """
    # post_migrate reaches this app before the apps installed after it have their
    # permissions; make sure every app's exist (Django's own step, which is idempotent).
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    synced = RolesSynced()
    with transaction.atomic(using=using):
        known = _permissions_by_name(using)
        for name, wanted_names in ROLES.items():
            missing = sorted(wanted_names - known.keys())
            if missing:
                raise UnknownPermission(f"Role {name!r} names unknown permissions: {missing}")
            group, created = Group.objects.using(using).get_or_create(name=name)
            if created:
                synced.created.append(name)
            have = {f"{p.content_type.app_label}.{p.codename}" for p in _group_permissions(group)}
            if add := sorted(wanted_names - have):
                group.permissions.add(*(known[n] for n in add))
                synced.added[name] = add
            if remove := sorted(have - wanted_names):
                group.permissions.remove(*(known[n] for n in remove))
                synced.removed[name] = remove
    return synced


def _permissions_by_name(using: str) -> dict[str, Permission]:
    permissions = Permission.objects.using(using).select_related("content_type")
    return {f"{p.content_type.app_label}.{p.codename}": p for p in permissions}


def _group_permissions(group: Group) -> list[Permission]:
    return list(group.permissions.select_related("content_type"))
