"""What the portal keeps in the cache: whole section pages and question cards.

Each is filed under a key that digests everything it shows, plus the release that drew
it, so a change of data or a deploy is a different key: nothing is ever invalidated by
hand, and nothing stale can be found; entries expire after an hour. The access lookup is
never cached (a revoked link stops at once), and no private link token is ever filed: a
copy of the cache opens no response.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Set
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.conf import ENVIRONMENT_VARIABLE, settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from questionnaires.rounds import ContextItem, buyer_context_for_vendors

from .portal import QuestionnairePlan, ResponseState, response_fingerprint

if TYPE_CHECKING:
    from .access import PortalAccess

CACHE_SECONDS = 3600


# The release ---------------------------------------------------------------------------


def release_id() -> str:
    """The release this process runs: `RELEASE_ID` (deploys set it to the commit id), or
    else a digest of the files the process started with."""
    return settings.RELEASE_ID or code_digest()


@functools.cache
def code_digest() -> str:
    """A digest of the release's files, worked out once per process (at start-up, see
    vendors.apps): a page is drawn by the code that was loaded, not by what is on disk
    later."""
    return files_digest(release_sources())


def release_sources() -> list[Path]:
    """What a release is made of: the project's own apps and its settings package (code,
    app templates, data), the template and static folders, and the pinned requirements
    (which fix the third-party code, Django's and crispy's field templates among it).

    Found from the settings, so a new module, template or app counts without being
    listed anywhere.
    """
    base = Path(settings.BASE_DIR).resolve()
    sources = [Path(app.path).resolve() for app in apps.get_app_configs()]
    settings_module = os.environ.get(ENVIRONMENT_VARIABLE)
    settings_file = import_module(settings_module).__file__ if settings_module else None
    if settings_file:
        sources.append(Path(settings_file).resolve().parent)
    for engine in settings.TEMPLATES:
        sources += [Path(folder) for folder in cast(list, engine.get("DIRS", []))]
    # A STATICFILES_DIRS entry may be a (prefix, folder) pair.
    sources += [
        Path(entry[1] if isinstance(entry, list | tuple) else entry)
        for entry in settings.STATICFILES_DIRS
    ]
    sources.append(base / "requirements.txt")
    # Apps installed as packages (Django's own, crispy's) are fixed by the requirements.
    own = {p for p in sources if p.parent == base and p.exists()}
    return sorted(own)


def files_digest(sources: Iterable[Path]) -> str:
    """A digest of every file in these files and folders, by name and content.

    Names are taken from each source's own name down, so the same release installed in
    another folder (another web server) has the same digest and shares the cache.
    """
    digest = hashlib.sha256()
    for source in sorted(sources, key=lambda p: p.name):
        files = [source] if source.is_file() else sorted(source.rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(source.parent)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(kind: str, shown: list[Any]) -> str:
    """A cache key for `kind` from everything the cached value shows."""
    canonical = json.dumps(
        [release_id(), settings.EVIDENCE_MAX_BYTES, settings.TIME_ZONE, *shown],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return f"portal-{kind}:" + hashlib.sha256(canonical.encode()).hexdigest()


# Section pages -----------------------------------------------------------------------------


def section_page_key(access: PortalAccess, section: dict[str, Any]) -> str:
    """Everything a section page shows: the link (whose token every URL of the page
    holds, put back in each reply), the vendor, whom to ask, the questionnaire, the
    round's buyer context and the reply-by date (read with the link), the section, and
    the response's fingerprint (one query; conditions look back across sections, so all
    of the response counts).

    The link by its token's hash, never its row id: a restored or recreated database
    reuses ids while the cache may keep its pages, and a page filed under an id would
    then be served to another link, with that link's answers in it.
    """
    context = buyer_context_for_vendors(access.response.selection)
    return cache_key(
        "section",
        [
            # The token this visit came with: a link has one per email that carried it.
            access.token_hash,
            access.vendor.name,
            settings.ANALYST_CONTACT_EMAIL,
            access.response.pk,
            access.response.version.content_hash,
            # The round's buyer context (every page shows it) and the reply-by date of a
            # clarification: the analyst may change either without touching an answer.
            context.key_data() if context else None,
            access.response.clarification_reply_by,
            section["key"],
            response_fingerprint(access.response),
        ],
    )


# Stand in for what a filed page must not hold, and each response puts back.
# The visitor's CSRF token: it belongs to the visitor (their cookie), the page to the link.
CSRF_PLACEHOLDER = "csrf-token-of-this-visitor"
# The link's token, in every URL of the page: a copy of the cache (Redis) must open no
# response, so the page is filed without it. The angle brackets cannot come out of
# anything a template escapes, so the placeholder stands only where the token stood.
TOKEN_PLACEHOLDER = "<portal-link-token>"


def filed_page(
    request: HttpRequest, key: str, token: str, draw: Callable[[str], HttpResponse]
) -> HttpResponse:
    """The page filed under `key`, else drawn and filed; with the visitor's CSRF token
    and the link's `token`, neither of which is ever filed.

    `draw(csrf_token)` draws the page with the token it is given (the placeholder).
    """
    page = cache.get(key)
    if page is None:
        page = draw(CSRF_PLACEHOLDER).content.decode().replace(token, TOKEN_PLACEHOLDER)
        cache.set(key, page, CACHE_SECONDS)
    return HttpResponse(
        page.replace(TOKEN_PLACEHOLDER, token).replace(CSRF_PLACEHOLDER, get_token(request))
    )


# Question cards ----------------------------------------------------------------------------


def card_key(
    plan: QuestionnairePlan,
    state: ResponseState,
    key: str,
    *,
    visible: bool,
    editable: bool,
    beside: Iterable[ContextItem] = (),
) -> str:
    """Everything a question's card shows: the question (with its sources), its number,
    the answer and revision (a derived value as worked out), whether it is carried forward and not confirmed, the
    analyst's note and whether a document was asked for, the files, the buyer context
    beside it, and whether it is shown and can change."""
    answer = state.answer(key)
    return cache_key(
        "card",
        [
            plan.question_digests[key],
            plan.numbers.get(key),
            [answer.value, answer.comment, answer.revision],
            # A derived value moves with the answers it is worked out from.
            state.values.get(key) if key in plan.visibility.derived else None,
            key in state.carried,
            state.reopened.get(key),
            key in state.documents_asked,
            [
                (e.pk, e.name, e.size, e.uploaded_at.isoformat())
                for e in state.evidence.get(key, [])
            ],
            [(item.label, item.text) for item in beside],
            visible,
            editable,
        ],
    )


class CardCache:
    """The cards of one page: those filed are read in one go, the others are filed as
    they are drawn. Made with no keys (a post drawn again), it holds and files nothing."""

    def __init__(self, keys: dict[str, str] | None = None):
        self.keys = keys or {}
        self.filed: dict[str, str] = cache.get_many(list(self.keys.values())) if self.keys else {}

    @classmethod
    def of_page(
        cls,
        plan: QuestionnairePlan,
        state: ResponseState,
        question_keys: Iterable[str],
        *,
        visible: Set[str],
        editable: Set[str],
        beside: Mapping[str, Iterable[ContextItem]] | None = None,
    ) -> CardCache:
        beside = beside or {}
        return cls(
            {
                key: card_key(
                    plan,
                    state,
                    key,
                    visible=key in visible,
                    editable=key in editable,
                    beside=beside.get(key, ()),
                )
                for key in question_keys
            }
        )

    def get(self, question_key: str) -> str | None:
        """The card as filed, or None when it must be drawn."""
        cache_key = self.keys.get(question_key)
        return self.filed.get(cache_key) if cache_key is not None else None

    def file(self, question_key: str, html: str) -> None:
        if question_key in self.keys:
            cache.set(self.keys[question_key], html, CACHE_SECONDS)
