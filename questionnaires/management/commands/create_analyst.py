import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Create (or reset) the analyst login and print it. The password is "
        "ANALYST_PASSWORD if set, otherwise a new random one each run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="analyst")

    @transaction.atomic
    def handle(self, *args, username: str, **options):
        password = os.environ.get("ANALYST_PASSWORD") or secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@cxvet.localhost"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} analyst login: username {username!r}, password {password!r}"
            )
        )
