"""Industry baselines: published figures a vendor's answers are read against.

One data file, questionnaires/baselines.yaml, lists each baseline with its source
(title, publisher, date, url when the source gives one, sample), the findings as the
source states them, the caveat that limits how they may be read, and the keys of the
questions it applies to. `baselines()` reads and checks it once per process; a broken
file raises InvalidBaselines naming each problem by its place in the file, as the
framework catalogues do, so the test suite fails rather than a page.

`baselines_by_question(definition)` gives, per question a definition asks, the
baselines that apply to it; keys the definition does not ask are skipped (a baseline
may apply to questions of several versions).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .definition import iter_questions
from .frameworks import _StrictLoader

BASELINES_FILE = Path(__file__).resolve().parent / "baselines.yaml"
BASELINE_FIELDS = {
    "key",
    "title",
    "publisher",
    "date",
    "url",
    "sample",
    "findings",
    "caveat",
    "questions",
}
OPTIONAL_FIELDS = {"url"}
KEY = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
# A month ("2026-05") or a day ("2026-05-14"): sources are often dated by month only.
DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
MAX_TEXT = 2000


@dataclass(frozen=True)
class Baseline:
    key: str
    title: str
    publisher: str
    date: str
    url: str  # "" when the source gives none
    sample: str
    findings: tuple[str, ...]
    caveat: str
    questions: tuple[str, ...]  # question keys, in the file's order


class InvalidBaselines(Exception):
    def __init__(self, source: str, errors: list[str]):
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: " + "\n".join(errors))


@functools.cache
def baselines() -> tuple[Baseline, ...]:
    """The shipped baselines, in the file's order; read and checked once."""
    return load_baselines(BASELINES_FILE.read_text(encoding="utf-8"), source=BASELINES_FILE.name)


def load_baselines(text: str, *, source: str = "baselines") -> tuple[Baseline, ...]:
    """Baselines from YAML text, or InvalidBaselines with every problem and its place."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise InvalidBaselines(source, [f"YAML error: {exc}"]) from exc
    errors: list[str] = []
    if not isinstance(data, dict) or set(data) != {"baselines"}:
        raise InvalidBaselines(source, ["(top level): expected one field, `baselines`, a list"])
    items = data["baselines"]
    if not isinstance(items, list) or not items:
        raise InvalidBaselines(source, ["baselines: expected a non-empty list"])
    found: list[Baseline] = []
    first_seen: dict[str, str] = {}
    for i, item in enumerate(items):
        path = f"baselines[{i}]"
        baseline = _baseline(item, path, errors)
        if baseline is None:
            continue
        if baseline.key in first_seen:
            errors.append(
                f"{path}.key: {baseline.key!r} is used twice (first at {first_seen[baseline.key]})"
            )
            continue
        first_seen[baseline.key] = path
        found.append(baseline)
    if errors:
        raise InvalidBaselines(source, errors)
    return tuple(found)


def unknown_questions(
    items: Iterable[Baseline], definitions: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Problems naming each baseline's question keys that none of `definitions` asks."""
    asked = {q["key"] for definition in definitions for _, q in iter_questions(definition)}
    return [
        f"{baseline.key}: no questionnaire asks {key!r}"
        for baseline in items
        for key in baseline.questions
        if key not in asked
    ]


def baselines_by_question(
    definition: Mapping[str, Any], items: Iterable[Baseline] | None = None
) -> dict[str, tuple[Baseline, ...]]:
    """{question key: its baselines}, in questionnaire order, for the questions that have any."""
    items = tuple(baselines() if items is None else items)
    found = {}
    for _, question in iter_questions(definition):
        applying = tuple(b for b in items if question["key"] in b.questions)
        if applying:
            found[question["key"]] = applying
    return found


def _baseline(item: Any, path: str, errors: list[str]) -> Baseline | None:
    if not isinstance(item, dict):
        errors.append(f"{path}: expected a mapping of fields, got {type(item).__name__}")
        return None
    before = len(errors)
    for name in item:
        if name not in BASELINE_FIELDS:
            errors.append(
                f"{path}: unknown field {name!r} (allowed: {', '.join(sorted(BASELINE_FIELDS))})"
            )
    for name in sorted(BASELINE_FIELDS - OPTIONAL_FIELDS - set(item)):
        errors.append(f"{path}: missing required field {name!r}")
    key = item.get("key")
    if "key" in item and (not isinstance(key, str) or not KEY.match(key)):
        errors.append(f"{path}.key: {key!r} is not a lowercase slug (letters, digits, underscores)")
    texts = {
        name: _text(item.get(name), f"{path}.{name}", errors)
        for name in ("title", "publisher", "sample", "caveat")
        if name in item
    }
    date = item.get("date")
    if "date" in item and (not isinstance(date, str) or not DATE.match(date)):
        errors.append(
            f'{path}.date: expected a month or a day as text, "2026-05" or "2026-05-14", got {date!r}'
        )
    url = item.get("url", "")
    if "url" in item and (not isinstance(url, str) or not url.startswith("https://")):
        errors.append(f"{path}.url: expected an https:// address, got {url!r}")
    findings = (
        _texts(item.get("findings"), f"{path}.findings", errors) if "findings" in item else ()
    )
    questions = (
        _keys(item.get("questions"), f"{path}.questions", errors) if "questions" in item else ()
    )
    if len(errors) > before:
        return None
    return Baseline(
        key=str(key),
        title=texts["title"],
        publisher=texts["publisher"],
        date=str(date),
        url=str(url),
        sample=texts["sample"],
        findings=findings,
        caveat=texts["caveat"],
        questions=questions,
    )


def _text(value: Any, path: str, errors: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{path}: expected non-empty text, got {value!r}")
        return ""
    if len(value) > MAX_TEXT:
        errors.append(f"{path}: longer than {MAX_TEXT} characters")
    return " ".join(value.split())


def _texts(value: Any, path: str, errors: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        errors.append(f"{path}: expected a non-empty list of texts")
        return ()
    return tuple(_text(item, f"{path}[{i}]", errors) for i, item in enumerate(value))


def _keys(value: Any, path: str, errors: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        errors.append(f"{path}: expected a non-empty list of question keys")
        return ()
    keys = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not KEY.match(item):
            errors.append(f"{path}[{i}]: {item!r} is not a question key")
        elif item in keys:
            errors.append(f"{path}[{i}]: {item!r} is listed twice")
        else:
            keys.append(item)
    return tuple(keys)
