"""Keys for what the portal keeps in the cache (question cards, section pages).

A key digests everything the cached HTML shows, plus the release that draws it, so a
change of data or a deploy is a different key: nothing is ever invalidated by hand, and
nothing stale can be found. The access lookup is never cached (a revoked link stops at
once).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable
from importlib import import_module
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import ENVIRONMENT_VARIABLE, settings

CACHE_SECONDS = 3600


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
    if settings_module:
        sources.append(Path(import_module(settings_module).__file__).resolve().parent)
    sources += [Path(folder) for engine in settings.TEMPLATES for folder in engine["DIRS"]]
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
