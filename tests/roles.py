"""Helpers for the role tests: one signed-in client per role over one shared world.

The world (tests/site_walk.py's demo data, plus an account per role) is built once per
test module inside a transaction that is rolled back at the end; each request a test
makes runs in a savepoint of its own that is rolled back too, so every role meets the
same data and a request that changed something is caught by comparing every table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, override_settings

from questionnaires.roles import ADMINISTRATOR, ANALYST, REVIEWER
from tests.factories import UserFactory
from tests.site_walk import World, build_world, changed_tables, database_state

ANONYMOUS, STAFF, REVIEWER_ROLE, ANALYST_ROLE, ADMINISTRATOR_ROLE, SUPERUSER = (
    "anonymous",
    "staff-without-group",
    "reviewer",
    "analyst",
    "administrator",
    "superuser",
)
EVERY_ROLE = (ANONYMOUS, STAFF, REVIEWER_ROLE, ANALYST_ROLE, ADMINISTRATOR_ROLE, SUPERUSER)
GROUP_OF = {REVIEWER_ROLE: REVIEWER, ANALYST_ROLE: ANALYST, ADMINISTRATOR_ROLE: ADMINISTRATOR}

# Who may do a thing, as sets of roles; written out, never derived from permissions.
NOBODY: frozenset[str] = frozenset()
ONLY_SUPERUSER = frozenset({SUPERUSER})
ACCOUNTS = frozenset({ADMINISTRATOR_ROLE, SUPERUSER})
WORK = frozenset({ANALYST_ROLE, ADMINISTRATOR_ROLE, SUPERUSER})
SEE = frozenset({REVIEWER_ROLE, *WORK})


@dataclass
class RoleWorld:
    site: World
    users: dict[str, object]  # role -> account (no entry for anonymous)

    def client(self, role: str, **options) -> Client:
        client = Client(**options)
        if role != ANONYMOUS:
            client.force_login(self.users[role])
        return client


def shared_world(django_db_blocker, media_root: Path) -> Iterator[RoleWorld]:
    """Build the world once for a module; everything is rolled back afterwards."""
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media_root),
        transaction.atomic(),
    ):
        site = build_world()
        users = {SUPERUSER: site.superuser}
        for role in (STAFF, REVIEWER_ROLE, ANALYST_ROLE, ADMINISTRATOR_ROLE):
            users[role] = UserFactory(username=f"role-{role}", is_superuser=False)
            if role in GROUP_OF:
                users[role].groups.add(Group.objects.get(name=GROUP_OF[role]))
        yield RoleWorld(site=site, users=users)
        transaction.set_rollback(True)


@dataclass
class Attempt:
    reply: HttpResponse
    changed: list[str]  # the tables the request changed

    @property
    def outcome(self) -> str:
        """'login' (sent to sign in), 'refused' (403, or 405 by design) or 'allowed'."""
        reply = self.reply
        if reply.status_code == 302 and reply["Location"].startswith("/admin/login/"):
            return "login"
        if reply.status_code in (403, 405):
            return "refused"
        return "allowed"


def attempt(client: Client, method: str, path: str, data: dict | None = None) -> Attempt:
    """Make the request, note what it changed, then undo it."""
    before = database_state() if method != "get" else None
    with transaction.atomic():
        reply = getattr(client, method)(path, data or {})
        changed = changed_tables(before, database_state()) if before is not None else []
        transaction.set_rollback(True)
    return Attempt(reply=reply, changed=changed)


def expected_outcome(role: str, allowed: frozenset[str]) -> str:
    if role in allowed:
        return "allowed"
    return "login" if role == ANONYMOUS else "refused"


class _FormFields(HTMLParser):
    """The fields a browser would send for one form on a page."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._select_values: list[str] = []
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = attr.get("id") == self.form_id
            return
        if not self.inside or "name" not in attr or "disabled" in attr:
            if tag == "option" and self._select is not None:
                self._option(attr)
            return
        kind = attr.get("type", "text").lower()
        if tag == "input":
            if kind in ("submit", "button", "reset", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            self._add(attr["name"], attr.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = (attr["name"], "multiple" in attr)
            self._select_values, self._first_option = [], None
        elif tag == "textarea":
            self._textarea, self._text = attr["name"], []

    def _option(self, attr: dict[str, str]) -> None:
        if self._first_option is None:
            self._first_option = attr.get("value", "")
        if "selected" in attr:
            self._select_values.append(attr.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            values = self._select_values
            if not values and not multiple and self._first_option is not None:
                values = [self._first_option]
            for value in values:
                self._add(name, value)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline right after <textarea>.
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None


def form_data(html: str, form_id: str) -> dict[str, list[str]]:
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.data
