"""Framework catalogues: the controls of the standards and regulations questions map to.

One YAML file per framework sits beside this module, named after the framework's key
(`nist_ai_rmf.yaml`, `eu_ai_act.yaml`, ...). Each lists control IDs with short titles in
our own words: the standards' own text is not copied (some of it is copyrighted, and a
title only has to tell an analyst which control is meant), and each file's `note` says
what it holds. A control a buyer of an AI customer-communications agent cannot get
evidence for from a vendor says so, with why (`scope: {out: ...}`), so that coverage
does not count it as a gap.

`catalogues()` reads and checks every file once per process. A broken catalogue raises
InvalidCatalogue naming the file and each problem, so the test suite (and the first
import of a definition) fails rather than an analyst's import. The format is described
in docs/questionnaire-format.md, "Framework controls"; questionnaires/frameworks/coverage.py
says which controls a definition's questions cover.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

CATALOGUE_DIR = Path(__file__).resolve().parent
FRAMEWORK_FIELDS = {"key", "title", "short_title", "url", "note", "controls"}
CONTROL_FIELDS = {"id", "title", "scope"}
# Framework keys are written in definitions as mapping keys, like question keys.
FRAMEWORK_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
BUYER_SCOPE = "buyer"


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    # Why a buyer cannot get evidence for this control from a vendor; None when it can.
    out_of_scope_reason: str | None = None

    @property
    def in_scope(self) -> bool:
        return self.out_of_scope_reason is None


@dataclass(frozen=True)
class Framework:
    key: str
    title: str
    short_title: str  # in error messages and beside a question in the admin
    url: str
    note: str
    controls: Mapping[str, Control]  # by ID, in the catalogue's order


class InvalidCatalogue(Exception):
    def __init__(self, source: str, errors: list[str]):
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: " + "\n".join(errors))


@functools.cache
def catalogues() -> Mapping[str, Framework]:
    """Every shipped catalogue by key, in key order; read and checked once."""
    frameworks = {}
    for path in sorted(CATALOGUE_DIR.glob("*.yaml")):
        frameworks[path.stem] = load_catalogue(
            path.read_text(encoding="utf-8"), key=path.stem, source=path.name
        )
    return MappingProxyType(frameworks)


def load_catalogue(text: str, *, key: str, source: str = "catalogue") -> Framework:
    """One catalogue from its YAML text; `key` is the key its file name gives it.

    Raises InvalidCatalogue with every problem found: unknown or missing fields,
    fields of the wrong type, an ID written twice, a scope that is neither `buyer` nor
    `{out: reason}`, a `key` that differs from the file's name.
    """
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise InvalidCatalogue(source, [f"YAML error: {exc}"]) from exc
    errors: list[str] = []
    raw = _fields(data, "(top level)", FRAMEWORK_FIELDS, errors)
    if "key" in raw and raw["key"] != key:
        errors.append(f"key: {raw.get('key')!r} must be the file's name, {key!r}")
    if not FRAMEWORK_KEY.match(key):
        errors.append(f"key: {key!r} is not a lowercase slug (letters, digits, underscores)")
    texts = {name: _text(raw.get(name), name, errors) for name in ("title", "short_title", "note")}
    url = raw.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
        errors.append(f"url: expected an https:// address, got {url!r}")
    controls = _controls(raw.get("controls"), errors)
    if errors:
        raise InvalidCatalogue(source, errors)
    return Framework(
        key=key,
        title=texts["title"],
        short_title=texts["short_title"],
        url=str(url),
        note=texts["note"],
        controls=MappingProxyType(controls),
    )


def _controls(value: Any, errors: list[str]) -> dict[str, Control]:
    if value is None:  # reported as missing
        return {}
    if not isinstance(value, list) or not value:
        errors.append("controls: expected a non-empty list of {id, title, scope?}")
        return {}
    controls: dict[str, Control] = {}
    first_seen: dict[str, str] = {}
    for i, item in enumerate(value):
        path = f"controls[{i}]"
        raw = _fields(item, path, CONTROL_FIELDS, errors, optional={"scope"})
        control_id = raw.get("id")
        if control_id is None:  # reported as missing
            continue
        if not isinstance(control_id, str) or not control_id.strip():
            errors.append(f"{path}.id: expected the control's ID as text, got {control_id!r}")
            continue
        if control_id != control_id.strip() or "\n" in control_id:
            errors.append(f"{path}.id: {control_id!r} has surrounding spaces or a line break")
        if control_id in first_seen:
            errors.append(
                f"{path}.id: duplicate control ID {control_id!r} "
                f"(first at {first_seen[control_id]})"
            )
            continue
        first_seen[control_id] = path
        controls[control_id] = Control(
            id=control_id,
            title=_text(raw.get("title"), f"{path}.title", errors),
            out_of_scope_reason=_scope(raw.get("scope", BUYER_SCOPE), f"{path}.scope", errors),
        )
    return controls


def _scope(value: Any, path: str, errors: list[str]) -> str | None:
    """None for a control a buyer must get evidence for; the reason for one it cannot."""
    if value == BUYER_SCOPE:
        return None
    if isinstance(value, dict) and set(value) == {"out"}:
        reason = value["out"]
        if isinstance(reason, str) and reason.strip():
            return reason.strip()
    errors.append(f"{path}: expected `buyer` (the default) or {{out: <why>}}, got {value!r}")
    return None


def _fields(
    value: Any,
    path: str,
    allowed: set[str],
    errors: list[str],
    optional: frozenset[str] | set[str] = frozenset(),
) -> dict:
    if not isinstance(value, dict):
        errors.append(f"{path}: expected a mapping of fields, got {type(value).__name__}")
        return {}
    for name in value:
        if name not in allowed:
            errors.append(f"{path}: unknown field {name!r} (allowed: {', '.join(sorted(allowed))})")
    for name in sorted(allowed - set(optional) - set(value)):
        errors.append(f"{path}: missing required field {name!r}")
    return value


def _text(value: Any, path: str, errors: list[str]) -> str:
    if value is None:  # reported as missing
        return ""
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{path}: expected non-empty text, got {value!r}")
        return ""
    return value.strip()


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a mapping key written twice (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)
