"""The hash of everything a score depends on: a stored score with another hash is stale."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .results import ENGINE_VERSION, AnswerInput

_sorted_json = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=str).encode


def inputs_hash(
    definition_hash: str, profile: Mapping[str, Any], answers: Mapping[str, AnswerInput]
) -> str:
    """SHA-256 of everything a score depends on; a stored score with another is stale.

    The engine version, the definition (by its content hash), the profile's weights and
    rules, and every answer's value and evidence level; not the order of the answers.
    """
    return answers_hash(hash_prefix(definition_hash, profile), answers)


def hash_prefix(definition_hash: str, profile: Mapping[str, Any]) -> bytes:
    """The part of the hashed text that is the same for every response under a profile."""
    head = {
        "engine": ENGINE_VERSION,
        "definition": definition_hash,
        "profile": {
            "key": profile.get("key"),
            "section_weights": profile.get("section_weights") or {},
            "rules": profile.get("rules") or [],
        },
    }
    return json.dumps(head, sort_keys=True, separators=(",", ":"), default=str).encode()


def answers_hash(prefix: bytes, answers: Mapping[str, AnswerInput | None]) -> str:
    """The hash of `prefix` (hash_prefix) and the answers, whatever their order."""
    # One line per answer, in key order: key, repr of the value, evidence level. repr
    # tells "12" from 12, is the same in every process for strings, numbers and lists,
    # and escapes the separators; mappings (which no question type stores) are written
    # as JSON with sorted keys, since their repr follows insertion order. (Measured:
    # faster than JSON for the whole list, and than remembering lines per answer.)
    body = "\x1e".join(
        f"{key}\x1f{_sorted_json(a.value) if a.value.__class__ is dict else repr(a.value)}"
        f"\x1f{a.evidence_level}"
        for key, a in sorted(answers.items())
        if a is not None
    )
    return hashlib.sha256(prefix + body.encode()).hexdigest()
