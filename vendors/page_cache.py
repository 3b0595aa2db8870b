"""Keys for what the portal keeps in the cache (question cards, section pages).

A key digests everything the cached HTML shows, plus the code that draws it, so a
change of data or a deploy is a different key: nothing is ever invalidated by hand, and
nothing stale can be found. The access lookup is never cached (a revoked link stops at
once).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import crispy_bootstrap5
import crispy_forms
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# What decides how a card or a section page looks: the portal's code, templates and
# static files (a page names them by their hashed names), and the questionnaire logic
# behind progress, conditions and explanations.
RENDERING_SOURCES = (
    "vendors/*.py",
    "vendors/templatetags/*.py",
    "templates/portal/*.html",
    "static/portal/*",
    "static/vendor/bootstrap/*",
    "questionnaires/completeness.py",
    "questionnaires/definition.py",
    "questionnaires/expressions.py",
    "questionnaires/scoring/*.py",
)
CACHE_SECONDS = 3600


@functools.cache
def code_digest() -> str:
    """Changes whenever the code or templates that draw portal pages change (a deploy)."""
    digest = hashlib.sha256()
    for pattern in RENDERING_SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    digest.update(f"{crispy_forms.__version__}/{crispy_bootstrap5.__version__}".encode())
    return digest.hexdigest()[:16]


def cache_key(kind: str, shown: list[Any]) -> str:
    """A cache key for `kind` from everything the cached value shows."""
    canonical = json.dumps(
        [code_digest(), settings.EVIDENCE_MAX_BYTES, settings.TIME_ZONE, *shown],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return f"portal-{kind}:" + hashlib.sha256(canonical.encode()).hexdigest()
