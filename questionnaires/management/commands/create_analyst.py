import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from questionnaires.roles import ANALYST, ROLES


class Command(BaseCommand):
    help = (
        "Create (or reset) a staff login in one of the shipped roles (Analyst unless --role "
        "says otherwise) and print it. The password is ANALYST_PASSWORD if set, otherwise a "
        "new random one each run. The login is never a superuser."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="analyst")
        parser.add_argument("--role", default=ANALYST, choices=sorted(ROLES))

    @transaction.atomic
    def handle(self, *args: Any, username: str, role: str, **options: Any) -> None:
        group = Group.objects.filter(name=role).first()
        if group is None:
            raise CommandError(f"There is no {role!r} group yet: run `manage.py migrate` first.")
        password = os.environ.get("ANALYST_PASSWORD") or secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@cxvet.localhost"}
        )
        # A reset also takes away what an earlier run gave (this login used to be a
        # superuser): the role's group is all it holds.
        user.is_staff, user.is_superuser, user.is_active = True, False, True
        user.set_password(password)
        user.save()
        user.groups.set([group])
        user.user_permissions.clear()
        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {role.lower()} login: username {username!r}, password {password!r}"
            )
        )
