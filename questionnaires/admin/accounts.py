"""Accounts, roles and sign-in records in the admin: Django's and axes' pages, bounded.

Administrators manage accounts and groups, but what the roles promise holds for them too:
- only a superuser makes, changes or deletes a superuser (otherwise an administrator
  could become one, and a superuser may delete what no role may);
- an account named in the audit trail is deactivated, never deleted, so the trail keeps
  saying who acted;
- the shipped groups are defined in questionnaires/roles.py and brought back to it by
  every `migrate`, so their page is read-only (make another group for anything else);
- cleaning up sign-in records needs the right to delete them.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.http import HttpRequest

from .. import access
from ..roles import ROLES
from .danger import DangerLastActionsMixin


class AccountAdmin(DangerLastActionsMixin, UserAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return (*fields, "is_superuser")

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_change_permission(request, obj) and access.may_manage_account(
            request.user, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_delete_permission(request, obj) and access.may_delete_account(
            request.user, obj
        )


class RoleGroupAdmin(DangerLastActionsMixin, GroupAdmin):
    list_display = ("name", "shipped")

    @admin.display(description="Shipped role", boolean=True)
    def shipped(self, group: Group) -> bool:
        return group.name in ROLES

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        shipped = obj is not None and obj.name in ROLES
        return not shipped and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        shipped = obj is not None and obj.name in ROLES
        return not shipped and super().has_delete_permission(request, obj)


class SignInAttemptAdmin(DangerLastActionsMixin, AccessAttemptAdmin):
    # axes' action names no permission (it deletes attempts), and fails outside a sign-in
    # request, which is where axes sets the time it measures expiry from.
    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: object) -> None:
        AxesProxyHandler.update_request(request)
        super().cleanup_expired_attempts(request, queryset)


for model, model_admin in ((User, AccountAdmin), (Group, RoleGroupAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, SignInAttemptAdmin)
