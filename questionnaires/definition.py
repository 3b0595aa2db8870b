"""Parse, validate and normalise a questionnaire definition (docs/questionnaire-format.md).

`load_definition(text)` returns the normalised definition (plain dicts and lists, every
default filled in) or raises InvalidDefinition carrying every error found, each with its
location (`sections[2].questions[4].scoring.bands[1]`) and the line it sits on. Nothing
here touches the database: writing is the job of services.questionnaire_import.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import yaml

from . import expressions, frameworks

QUESTION_TYPES = (
    "yes_no",
    "single_choice",
    "multiple_choice",
    "integer",
    "decimal",
    "percentage",
    "text",
    "date",
    "file",
    "grid",
)
CHOICE_TYPES = ("single_choice", "multiple_choice")
NUMERIC_TYPES = ("integer", "decimal", "percentage")
SEVERITIES = ("info", "moderate", "high", "critical")
DEFAULT_TEXT_MAX_LENGTH = 2000
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,79}$")

TOP_FIELDS = {"key", "title", "version", "description", "sources", "sections", "profiles", "rules"}
SOURCE_FIELDS = {"key", "title", "url", "note"}
SECTION_FIELDS = {"key", "title", "intro", "weight", "questions"}
QUESTION_FIELDS = {
    "key",
    "text",
    "help",
    "type",
    "required",
    "evidence",
    "sources",
    "show_if",
    "weight",
    "min",
    "max",
    "max_length",
    "choices",
    "scoring",
    "knockouts",
    "explain",
    "buyer_context",
    "scoring_notes",
    "unit",
    "declared",
    "derived",
    "rows",
    "columns",
    "cells",
    "metric_definition",
    "controls",
}
GRID_ROW_FIELDS = {"key", "label", "weight"}
GRID_SCORING = {"grid": "worst_per_row"}
GRID_COLUMN_FIELDS = {"key", "label"}
GRID_CELL_FIELDS = {"key", "label", "risk", "limit"}
# The parts of a metric's definition, each named by the question that asks it.
METRIC_PARTS = ("numerator", "denominator", "window")
DERIVED_FIELDS = {"ratio"}
# The unit a number is in; a percentage is always in percent. `currency` is the round's
# currency (questionnaires.rounds), so one question reads "EUR" for one buyer and "USD"
# for another.
UNITS = ("percent", "hours", "minutes", "days", "count", "currency")
# The parts of a round's buyer context a question may name in `buyer_context`
# (questionnaires.rounds.Topic, in the order they are shown).
BUYER_CONTEXT_TOPICS = (
    "buyer",
    "industry",
    "regions",
    "currency",
    "channels",
    "volume",
    "use_cases",
    "note",
)
CHOICE_FIELDS = {"key", "label", "risk", "comment"}
DECLARED_FIELDS = {"key", "label", "risk"}
BAND_FIELDS = {"min", "max", "risk"}
KNOCKOUT_FIELDS = {"answers", "rows", "when", "severity", "title", "message"}
EXPLAIN_FIELDS = {"min_risk", "prompt"}
PROFILE_FIELDS = {"key", "title", "description", "section_weights", "rules"}
RULE_FIELDS = {"key", "severity", "title", "when", "message"}


@dataclass(frozen=True)
class DefinitionError:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.path or "(top level)"
        if self.line:
            where += f" (line {self.line})"
        return f"{where}: {self.message}"


class InvalidDefinition(Exception):
    def __init__(self, errors: list[DefinitionError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def load_definition(text: str) -> dict[str, Any]:
    """Parse YAML text into a normalised definition, or raise InvalidDefinition."""
    data, lines, syntax_errors = _compose(text)
    if syntax_errors:
        raise InvalidDefinition(syntax_errors)
    validator = _Validator(lines)
    definition = validator.top(data)
    if validator.errors:
        raise InvalidDefinition(validator.errors)
    return definition


def is_positive_weight(value: object) -> bool:
    """A weight (of a question, a section, or a section in a profile) is a finite number
    above zero; true and false are not numbers."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def content_hash(definition: dict[str, Any]) -> str:
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def dump_definition(definition: dict[str, Any]) -> str:
    """The normalised definition as YAML that load_definition reads back unchanged."""
    return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, width=88)


def iter_questions(definition: Mapping[str, Any]) -> Iterator[tuple[dict, dict]]:
    """(section, question) pairs in order."""
    for section in definition["sections"]:
        for question in section["questions"]:
            yield section, question


def question_numbers(definition: Mapping[str, Any]) -> dict[str, str]:
    """Each question's number as vendors and analysts both quote it: "3.6" is the sixth
    question of the third section. The one numbering of the app: the portal, the
    workbook, the admin, the audit trail, the exports and the reports all use it."""
    return {
        question["key"]: section_question_number(s, q)
        for s, section in enumerate(definition["sections"], start=1)
        for q, question in enumerate(section["questions"], start=1)
    }


def section_question_number(section: int, question: int) -> str:
    """ "3.6" from the section's position and the question's within it, counted from 1."""
    return f"{section}.{question}"


def question_number_order(number: str) -> tuple[int, ...]:
    """Sort key of question numbers: "3.10" after "3.9" (its parts as whole numbers)."""
    return tuple(int(part) for part in number.split("."))


# Grid answers -------------------------------------------------------------------------------
#
# A grid question's answer is {"choices": {"row.column": cell answer key}, "limits":
# {"row.column": amount}}: an amount only where the cell's answer has `limit`.


def grid_cell(row: str, column: str) -> str:
    """The key of a grid's cell in its stored answer: "refund.voice"."""
    return f"{row}.{column}"


def grid_choices(value: Any) -> Mapping[str, Any]:
    """The cells' answers of a stored grid answer ({} when it is not one)."""
    choices = value.get("choices") if isinstance(value, dict) else None
    return choices if isinstance(choices, dict) else {}


def grid_limits(value: Any) -> Mapping[str, Any]:
    """The amount limits of a stored grid answer ({} when it has none)."""
    limits = value.get("limits") if isinstance(value, dict) else None
    return limits if isinstance(limits, dict) else {}


def grid_cells(question: Mapping[str, Any]) -> list[str]:
    return [grid_cell(r["key"], c["key"]) for r in question["rows"] for c in question["columns"]]


def grid_answered_cells(question: Mapping[str, Any], value: Any) -> int:
    """How many cells of the grid have one of its answers, with its amount where the
    answer takes a limit ("acts alone up to a limit" without the limit says nothing)."""
    choices, limits = grid_choices(value), grid_limits(value)
    takes_limit = {c["key"]: c["limit"] for c in question["cells"]}
    return sum(
        1
        for cell in grid_cells(question)
        if (picked := choices.get(cell)) in takes_limit
        and not (takes_limit[picked] and limits.get(cell) is None)
    )


def grid_complete(question: Mapping[str, Any], value: Any) -> bool:
    """Whether every cell of the grid is answered (grid_answered_cells)."""
    return grid_answered_cells(question, value) == len(grid_cells(question))


def grid_partly_answered(question: Mapping[str, Any], value: Any) -> str:
    """ "partly answered (2 of 15 cells)" for a grid with some cells answered but not all;
    "" otherwise. Such a grid counts as unanswered (question_answered), yet its answered
    cells already raise flags, so every page shows them with this mark."""
    if question["type"] != "grid":
        return ""
    answered, total = grid_answered_cells(question, value), len(grid_cells(question))
    return f"partly answered ({answered} of {total} cells)" if 0 < answered < total else ""


def question_answered(question: Mapping[str, Any], value: Any) -> bool:
    """Whether a value answers its question: a grid only once every cell is answered."""
    if question["type"] == "grid":
        return grid_complete(question, value)
    return expressions.is_answered(value)


# Which questions are shown --------------------------------------------------------------

Condition = Callable[[Mapping[str, Any]], bool]
# Sets of hidden questions remembered per Visibility; a questionnaire has few
# conditions, so real responses share a handful of them.
HIDDEN_MEMO_SIZE = 4096


@dataclass(frozen=True, eq=False)
class Visibility:
    """A definition's `show_if` conditions, compiled: which questions answers show.

    The one implementation of the rule, for the portal, completeness, scoring and the
    comparison alike (the server is the authority).
    """

    # Every question key in questionnaire order, with its compiled condition (or None).
    conditions: tuple[tuple[str, Condition | None], ...]
    # The question keys some condition names: only their answers decide what is shown.
    controlling: tuple[str, ...]
    # The derived values (a rate from two counts), by question key.
    derived: Mapping[str, Derivation] = field(default_factory=dict)
    _hidden_memo: dict[tuple, frozenset[str]] = field(default_factory=dict, repr=False)

    def values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """{key: value} of the questions shown for these answers (None when unanswered).

        Conditions only look back (the importer refuses any other), so one pass in order
        settles everything; a condition sees only the answers to earlier questions that
        are shown, so a hidden question's answer counts as unanswered after it.
        """
        shown: dict[str, Any] = {}
        get = values.get
        derived = self.derived
        for key, condition in self.conditions:
            if condition is None or condition(shown):
                shown[key] = derived[key].value(shown) if key in derived else get(key)
        return shown

    def with_derived(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` with every derived value worked out (None where it cannot be)."""
        if not self.derived:
            return dict(values)
        shown = self.values(values)
        return {**values, **{key: shown.get(key) for key in self.derived}}

    def keys(self, values: Mapping[str, Any]) -> set[str]:
        """Keys of the questions shown for these answers."""
        return set(self.values(values))

    def hidden(self, values: Mapping[str, Any]) -> frozenset[str]:
        """Keys of the questions these answers hide (those `values` leaves out).

        Remembered by the answers to the controlling questions: no other answer can
        change what is shown.
        """
        steering = tuple(map(values.get, self.controlling))
        try:
            hidden = self._hidden_memo.get(steering)
        except TypeError:  # a list among them: remembered as a tuple
            steering = tuple(tuple(v) if isinstance(v, list) else v for v in steering)
            try:
                hidden = self._hidden_memo.get(steering)
            except TypeError:  # something unhashable still: not remembered
                return self._hidden(values)
        if hidden is None:
            if len(self._hidden_memo) >= HIDDEN_MEMO_SIZE:
                self._hidden_memo.clear()
            hidden = self._hidden_memo[steering] = self._hidden(values)
        return hidden

    def _hidden(self, values: Mapping[str, Any]) -> frozenset[str]:
        shown = self.values(values)
        return frozenset(key for key, _ in self.conditions if key not in shown)


@dataclass(frozen=True)
class Derivation:
    """A value worked out from two earlier answers: 100 * numerator / denominator for a
    percentage, the plain ratio for a decimal (docs/questionnaire-format.md)."""

    numerator: str
    denominator: str
    scale: float
    # Declared answers ("not measured") the derived question shares: an input declared
    # so makes the derived value say the same.
    declared: frozenset[str] = frozenset()

    # The question's bounds: a share of more than all of them is no share.
    low: float | None = None
    high: float | None = None

    def value(self, values: Mapping[str, Any]) -> Any:
        """The value worked out, or None: an input missing or not a number, a zero
        denominator, or a result outside the question's bounds (more than 100%)."""
        top, bottom = values.get(self.numerator), values.get(self.denominator)
        for given in (top, bottom):
            if isinstance(given, str) and given in self.declared:
                return given
        ratio = self.ratio(top, bottom)
        if ratio is None or not self.within(ratio):
            return None
        return ratio

    def ratio(self, top: Any, bottom: Any) -> float | None:
        if not (_is_number(top) and _is_number(bottom)) or bottom == 0:
            return None
        # A percentage to one decimal, a ratio to two: finer would be false precision.
        return round(self.scale * top / bottom, 1 if self.scale == 100 else 2)

    def within(self, ratio: float) -> bool:
        return (self.low is None or ratio >= self.low) and (self.high is None or ratio <= self.high)


def derivation(question: Mapping[str, Any]) -> Derivation | None:
    derived = question.get("derived")
    if not derived or len(derived["ratio"]) != 2:
        return None
    numerator, denominator = derived["ratio"]
    return Derivation(
        numerator=numerator,
        denominator=denominator,
        scale=100.0 if question["type"] == "percentage" else 1.0,
        declared=frozenset(d["key"] for d in question.get("declared", ())),
        low=question["min"],
        high=question["max"],
    )


def visibility(definition: Mapping[str, Any]) -> Visibility:
    """The definition's visibility rule, compiled once for many sets of answers."""
    conditions = []
    named: set[str] = set()
    derived: dict[str, Derivation] = {}
    for _, question in iter_questions(definition):
        source = question["show_if"]
        conditions.append(
            (question["key"], expressions.compile_expression(source) if source else None)
        )
        if source:
            named |= expressions.parse(source).names
        if (rule := derivation(question)) is not None:
            derived[question["key"]] = rule
    # A condition on a derived value depends on the answers it is worked out from.
    for key in reversed(list(derived)):
        if key in named:
            named |= {derived[key].numerator, derived[key].denominator}
    return Visibility(
        conditions=tuple(conditions),
        controlling=tuple(key for key, _ in conditions if key in named),
        derived=derived,
    )


def visible_question_keys(definition: Mapping[str, Any], values: Mapping[str, Any]) -> set[str]:
    """Keys of the questions shown for these answers (see Visibility.values)."""
    return visibility(definition).keys(values)


# YAML with line numbers ---------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false, so `yes` and `no` stay answers, not booleans."""


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _compose(text: str) -> tuple[Any, dict[str, int], list[DefinitionError]]:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, {}, [DefinitionError("", line, f"YAML syntax error: {problem}")]
    if node is None:
        return None, {}, [DefinitionError("", 1, "the file is empty")]
    lines: dict[str, int] = {}
    errors: list[DefinitionError] = []
    try:
        data = _to_python(node, "", lines, errors, _Loader(""))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        return None, {}, [DefinitionError("", line, f"YAML error: {exc}")]
    return data, lines, errors


def _to_python(
    node: yaml.Node, path: str, lines: dict[str, int], errors: list, loader: _Loader
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            child = f"{path}.{key}" if path else str(key)
            if key in result:
                errors.append(
                    DefinitionError(
                        child, key_node.start_mark.line + 1, f"{key!r} is written twice"
                    )
                )
            result[key] = _to_python(value_node, child, lines, errors, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(item, f"{path}[{i}]", lines, errors, loader)
            for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


# Validation ----------------------------------------------------------------------------


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Validator:
    def __init__(self, lines: dict[str, int]):
        self.lines = lines
        self.errors: list[DefinitionError] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(DefinitionError(path, self._line(path), message))

    def _line(self, path: str) -> int | None:
        probe = path
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", probe)
        return self.lines.get("")

    # generic helpers

    def mapping(self, value: Any, path: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping of fields, got {_kind(value)}")
            return {}
        for name in value:
            if name not in allowed:
                hint = ", ".join(sorted(allowed))
                self.error(_join(path, name), f"unknown field {name!r} (allowed: {hint})")
        for name in sorted(required - set(value)):
            self.error(path, f"missing required field {name!r}")
        return value

    def records(
        self, items: list, path: str, allowed: set[str], required: set[str]
    ) -> Iterator[tuple[str, dict]]:
        """Each item of a list of mappings with its path, its fields checked."""
        for i, item in enumerate(items):
            item_path = f"{path}[{i}]"
            yield item_path, self.mapping(item, item_path, allowed, required)

    def unique_keys(self, items: list[dict], path: str, what: str) -> None:
        self.unique([(item["key"], f"{path}[{i}].key") for i, item in enumerate(items)], what)

    def sequence(self, value: Any, path: str, *, required: bool = False) -> list:
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.error(path, f"expected a list, got {_kind(value)}")
            return []
        return value

    def text(self, value: Any, path: str, *, required: bool = False) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(path, f"expected text, got {_kind(value)}")
            return ""
        if required and not value.strip():
            self.error(path, "must not be empty")
        return value

    def key(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not KEY_PATTERN.match(value):
            self.error(
                path,
                f"{value!r} is not a valid key: use lowercase letters, digits and "
                "underscores, starting with a letter",
            )
            return str(value)
        return value

    def boolean(self, value: Any, path: str, default: bool = False) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, f"expected true or false, got {value!r}")
            return default
        return value

    def weight(self, value: Any, path: str) -> float:
        if value is None:
            return 1
        if not is_positive_weight(value):
            self.error(path, f"weight must be a positive number, got {value!r}")
            return 1
        return value

    def risk(self, value: Any, path: str) -> float | None:
        if value is None:
            return None
        if not _is_number(value) or not 0 <= value <= 1:
            self.error(path, f"risk must be a number from 0 to 1, got {value!r}")
            return None
        return value

    def severity(self, value: Any, path: str) -> str:
        if value not in SEVERITIES:
            self.error(path, f"severity must be one of {', '.join(SEVERITIES)}, got {value!r}")
        return value if isinstance(value, str) else ""

    def unique(self, keys: list[tuple[str, str]], what: str) -> None:
        seen: dict[str, str] = {}
        for key, path in keys:
            if key in seen:
                self.error(path, f"duplicate {what} key {key!r} (first used at {seen[key]})")
            else:
                seen[key] = path

    # the document

    def top(self, data: Any) -> dict[str, Any]:
        raw = self.mapping(
            data, "", TOP_FIELDS, {"key", "title", "version", "sections", "profiles"}
        )
        version = raw.get("version")
        if "version" in raw and (
            not isinstance(version, int) or isinstance(version, bool) or version < 1
        ):
            self.error("version", f"version must be a whole number from 1, got {version!r}")
        definition: dict[str, Any] = {
            "key": self.key(raw.get("key"), "key") if "key" in raw else "",
            "title": self.text(raw.get("title"), "title", required=True),
            "version": version,
            "description": self.text(raw.get("description"), "description"),
            "sources": self.sources(raw.get("sources")),
        }
        source_keys = {s["key"] for s in definition["sources"]}
        sections = self.sequence(raw.get("sections"), "sections", required=True)
        if "sections" in raw and not sections:
            self.error("sections", "a questionnaire needs at least one section")
        definition["sections"] = [
            self.section(s, f"sections[{i}]", source_keys) for i, s in enumerate(sections)
        ]
        self.unique(
            [(s["key"], f"sections[{i}].key") for i, s in enumerate(definition["sections"])],
            "section",
        )
        question_paths = [
            (q["key"], f"sections[{i}].questions[{j}].key")
            for i, s in enumerate(definition["sections"])
            for j, q in enumerate(s["questions"])
        ]
        self.unique(question_paths, "question")
        self.check_expressions(definition)
        self.check_derived(definition)
        self.check_metrics(definition)
        definition["profiles"] = self.profiles(raw.get("profiles"), definition)
        definition["rules"] = self.rules(raw.get("rules"), "rules", definition)
        return definition

    def sources(self, value: Any) -> list[dict]:
        result = []
        items = self.sequence(value, "sources")
        for path, raw in self.records(items, "sources", SOURCE_FIELDS, {"key", "title"}):
            result.append(
                {
                    "key": self.key(raw.get("key"), f"{path}.key"),
                    "title": self.text(raw.get("title"), f"{path}.title", required=True),
                    "url": self.text(raw.get("url"), f"{path}.url"),
                    "note": self.text(raw.get("note"), f"{path}.note"),
                }
            )
        self.unique_keys(result, "sources", "source")
        return result

    def section(self, value: Any, path: str, source_keys: set[str]) -> dict:
        raw = self.mapping(value, path, SECTION_FIELDS, {"key", "title", "questions"})
        questions = self.sequence(raw.get("questions"), f"{path}.questions", required=True)
        if "questions" in raw and not questions:
            self.error(f"{path}.questions", "a section needs at least one question")
        return {
            "key": self.key(raw.get("key"), f"{path}.key"),
            "title": self.text(raw.get("title"), f"{path}.title", required=True),
            "intro": self.text(raw.get("intro"), f"{path}.intro"),
            "weight": self.weight(raw.get("weight"), f"{path}.weight"),
            "questions": [
                self.question(q, f"{path}.questions[{j}]", source_keys)
                for j, q in enumerate(questions)
            ],
        }

    def question(self, value: Any, path: str, source_keys: set[str]) -> dict:
        raw = self.mapping(value, path, QUESTION_FIELDS, {"key", "text", "type"})
        qtype = raw.get("type")
        if "type" in raw and qtype not in QUESTION_TYPES:
            self.error(
                f"{path}.type", f"unknown type {qtype!r} (one of: {', '.join(QUESTION_TYPES)})"
            )
            qtype = None
        question = {
            "key": self.key(raw.get("key"), f"{path}.key"),
            "text": self.text(raw.get("text"), f"{path}.text", required=True),
            "help": self.text(raw.get("help"), f"{path}.help"),
            "type": qtype,
            "required": self.boolean(raw.get("required"), f"{path}.required"),
            "evidence": self.boolean(raw.get("evidence"), f"{path}.evidence"),
            "sources": self.question_sources(raw.get("sources"), f"{path}.sources", source_keys),
            "show_if": raw.get("show_if"),
            "weight": self.weight(raw.get("weight"), f"{path}.weight"),
            "min": None,
            "max": None,
            "max_length": None,
            "choices": [],
            "scoring": None,
            "knockouts": [],
            "explain": None,
        }
        if question["show_if"] is not None and not isinstance(question["show_if"], str):
            self.error(f"{path}.show_if", "show_if must be an expression written as text")
            question["show_if"] = None
        # The fields below are stored only when written, so that definitions written
        # before they existed keep their hash.
        if raw.get("buyer_context") is not None:
            question["buyer_context"] = self.buyer_context(
                raw["buyer_context"], f"{path}.buyer_context"
            )
        if raw.get("metric_definition") is not None:
            question["metric_definition"] = self.metric_definition(
                raw["metric_definition"], f"{path}.metric_definition"
            )
        if raw.get("scoring_notes") is not None:
            question["scoring_notes"] = self.text(
                raw["scoring_notes"], f"{path}.scoring_notes", required=True
            )
        if raw.get("controls") is not None:
            # Stored only when written, like buyer_context.
            question["controls"] = self.controls(raw["controls"], f"{path}.controls")
        if qtype is None:
            return question
        self.type_specific(raw, question, path)
        question["knockouts"] = self.knockouts(raw.get("knockouts"), question, path)
        question["explain"] = self.explain(raw.get("explain"), question, f"{path}.explain")
        return question

    def question_sources(self, value: Any, path: str, source_keys: set[str]) -> list[str]:
        result = []
        for i, key in enumerate(self.sequence(value, path)):
            if key not in source_keys:
                self.error(f"{path}[{i}]", f"unknown source {key!r}: declare it in `sources`")
            result.append(key)
        return result

    def type_specific(self, raw: dict, question: dict, path: str) -> None:
        qtype = question["type"]
        self.forbid(raw, path, qtype, "choices", qtype in CHOICE_TYPES)
        self.forbid(raw, path, qtype, "min", qtype in NUMERIC_TYPES)
        self.forbid(raw, path, qtype, "max", qtype in NUMERIC_TYPES)
        self.forbid(raw, path, qtype, "max_length", qtype == "text")
        self.forbid(raw, path, qtype, "unit", qtype in NUMERIC_TYPES)
        self.forbid(raw, path, qtype, "declared", qtype in NUMERIC_TYPES)
        self.forbid(raw, path, qtype, "derived", qtype in ("decimal", "percentage"))
        for grid_field in ("rows", "columns", "cells"):
            self.forbid(raw, path, qtype, grid_field, qtype == "grid")
        self.forbid(
            raw,
            path,
            qtype,
            "scoring",
            qtype in NUMERIC_TYPES + CHOICE_TYPES + ("yes_no", "grid"),
        )
        if qtype in CHOICE_TYPES:
            self.choices(raw, question, path)
        elif qtype in NUMERIC_TYPES:
            self.numeric(raw, question, path)
        elif qtype == "yes_no":
            self.yes_no(raw, question, path)
        elif qtype == "grid":
            self.grid(raw, question, path)
        elif qtype == "text":
            length = raw.get("max_length", DEFAULT_TEXT_MAX_LENGTH)
            if not isinstance(length, int) or isinstance(length, bool) or length < 1:
                self.error(
                    f"{path}.max_length",
                    f"max_length must be a whole number from 1, got {length!r}",
                )
                length = DEFAULT_TEXT_MAX_LENGTH
            question["max_length"] = length

    def grid(self, raw: dict, question: dict, path: str) -> None:
        """Rows by columns (actions by channels), each cell one of the `cells` answers;
        scored by the worst cell of each row, rows weighted (docs/scoring.md)."""
        rows = self.labelled(raw.get("rows"), f"{path}.rows", GRID_ROW_FIELDS)
        columns = self.labelled(raw.get("columns"), f"{path}.columns", GRID_COLUMN_FIELDS)
        cells = []
        items = self.sequence(raw.get("cells"), f"{path}.cells")
        for cpath, craw in self.records(items, f"{path}.cells", GRID_CELL_FIELDS, {"key", "label"}):
            cells.append(
                {
                    "key": self.key(craw.get("key"), f"{cpath}.key"),
                    "label": self.text(craw.get("label"), f"{cpath}.label", required=True),
                    "risk": self.risk(craw.get("risk"), f"{cpath}.risk"),
                    "limit": self.boolean(craw.get("limit"), f"{cpath}.limit"),
                }
            )
        for what, found in (("rows", rows), ("columns", columns)):
            if not found:
                self.error(f"{path}.{what}", f"a grid needs at least one of its {what}")
            self.unique_keys(found, f"{path}.{what}", what[:-1])
        if len(cells) < 2:
            self.error(f"{path}.cells", "a grid needs at least two answers for its cells")
        self.unique_keys(cells, f"{path}.cells", "cell answer")
        with_risk = [c for c in items if isinstance(c, dict) and c.get("risk") is not None]
        if with_risk and len(with_risk) != len(items):
            self.error(f"{path}.cells", "every cell answer needs a risk once one has one")
        question.update(rows=rows, columns=columns, cells=cells)
        scoring = raw.get("scoring")
        if scoring is not None and scoring != GRID_SCORING:
            self.error(
                f"{path}.scoring",
                "a grid is scored by the worst cell of each row, from the `risk` of its cell "
                "answers; scoring may only be {grid: worst_per_row}",
            )
        question["scoring"] = dict(GRID_SCORING) if with_risk else None

    def labelled(self, value: Any, path: str, fields: set[str]) -> list[dict]:
        """Items with a key and a label (a grid's rows and columns), and a weight where
        `fields` allow one."""
        result = []
        for ipath, iraw in self.records(self.sequence(value, path), path, fields, {"key", "label"}):
            item: dict[str, Any] = {
                "key": self.key(iraw.get("key"), f"{ipath}.key"),
                "label": self.text(iraw.get("label"), f"{ipath}.label", required=True),
            }
            if "weight" in fields:
                item["weight"] = self.weight(iraw.get("weight"), f"{ipath}.weight")
            result.append(item)
        return result

    def forbid(self, raw: dict, path: str, qtype: str, field: str, applies: bool) -> None:
        if not applies and raw.get(field) not in (None, []):
            self.error(f"{path}.{field}", f"{field!r} does not apply to a {qtype} question")

    def choices(self, raw: dict, question: dict, path: str) -> None:
        items = self.sequence(raw.get("choices"), f"{path}.choices")
        if len(items) < 2:
            self.error(f"{path}.choices", "a choice question needs at least two choices")
        choices = []
        for cpath, craw in self.records(items, f"{path}.choices", CHOICE_FIELDS, {"key", "label"}):
            choice = {
                "key": self.key(craw.get("key"), f"{cpath}.key"),
                "label": self.text(craw.get("label"), f"{cpath}.label", required=True),
                "risk": self.risk(craw.get("risk"), f"{cpath}.risk"),
            }
            if craw.get("comment") is not None:  # stored only when written (hash)
                choice["comment"] = self.text(craw["comment"], f"{cpath}.comment", required=True)
            choices.append(choice)
        self.unique_keys(choices, f"{path}.choices", "choice")
        question["choices"] = choices
        scoring = raw.get("scoring")
        if scoring is not None and scoring != {"choices": True}:
            self.error(
                f"{path}.scoring",
                "a choice question is scored by the `risk` of its choices; "
                "scoring may only be {choices: true}",
            )
        # Judge by what was written, so an out-of-range risk is reported once, not twice.
        with_risk = [c for c in items if isinstance(c, dict) and c.get("risk") is not None]
        if with_risk and len(with_risk) != len(items):
            missing = ", ".join(
                str(c.get("key")) for c in items if isinstance(c, dict) and c.get("risk") is None
            )
            self.error(
                f"{path}.choices",
                f"every choice needs a risk once one has one (missing: {missing})",
            )
        if scoring == {"choices": True} and not with_risk:
            self.error(f"{path}.scoring", "scoring by choices needs a risk on every choice")
        question["scoring"] = {"choices": True} if with_risk else None

    def numeric(self, raw: dict, question: dict, path: str) -> None:
        low, high = raw.get("min"), raw.get("max")
        for bound, value in (("min", low), ("max", high)):
            if value is not None and not _is_number(value):
                self.error(f"{path}.{bound}", f"{bound} must be a number, got {value!r}")
        if question["type"] == "percentage":
            low = 0 if low is None else low
            high = 100 if high is None else high
            for bound, value in (("min", low), ("max", high)):
                if _is_number(value) and not 0 <= value <= 100:
                    self.error(f"{path}.{bound}", f"a percentage {bound} must be within 0 to 100")
        if _is_number(low) and _is_number(high) and low > high:
            self.error(f"{path}.min", f"min {low} is above max {high}")
        question["min"] = low if _is_number(low) else None
        question["max"] = high if _is_number(high) else None
        if raw.get("unit") is not None:
            question["unit"] = self.unit(raw["unit"], f"{path}.unit", question["type"])
        scoring = raw.get("scoring")
        if scoring is not None:
            spath = f"{path}.scoring"
            sraw = self.mapping(scoring, spath, {"bands"}, {"bands"})
            bands = self.bands(
                sraw.get("bands"), f"{spath}.bands", question["min"], question["max"]
            )
            question["scoring"] = {"bands": bands}
        if raw.get("declared") is not None:
            question["declared"] = self.declared(raw["declared"], question, f"{path}.declared")
        if raw.get("derived") is not None and question["type"] != "integer":
            question["derived"] = self.derived(raw, f"{path}.derived")

    def derived(self, raw: dict, path: str) -> dict:
        """A value the engine works out from two earlier answers (checked, with the
        other questions, in check_derived); never typed in, so never required and
        never backed by its own documents."""
        spec = self.mapping(raw["derived"], path, DERIVED_FIELDS, {"ratio"})
        ratio = spec.get("ratio")
        if "ratio" in spec and (
            not isinstance(ratio, list)
            or len(ratio) != 2
            or not all(isinstance(k, str) for k in ratio)
        ):
            self.error(f"{path}.ratio", "ratio is [numerator, denominator]: two question keys")
            ratio = None
        for name in ("required", "evidence"):
            if raw.get(name):
                self.error(
                    f"{path.rsplit('.', 1)[0]}.{name}",
                    f"a derived value is worked out, not typed in: it cannot be {name}",
                )
        return {"ratio": list(ratio) if isinstance(ratio, list) else []}

    def unit(self, value: Any, path: str, qtype: str) -> str:
        if value not in UNITS:
            self.error(path, f"unknown unit {value!r} (one of: {', '.join(UNITS)})")
            return ""
        if qtype == "percentage" and value != "percent":
            self.error(path, f"a percentage is in percent, not {value}")
        elif qtype != "percentage" and value == "percent":
            self.error(path, "a number in percent is a question of type percentage")
        return value

    def declared(self, value: Any, question: dict, path: str) -> list[dict]:
        """Answers a vendor gives instead of a number ("not measured"), each with the
        risk it documents; a scored question needs that risk, an unscored one has none."""
        items = self.sequence(value, path)
        if isinstance(value, list) and not items:
            self.error(path, "list at least one declared answer, or leave `declared` out")
        scored = question["scoring"] is not None
        result = []
        for dpath, raw in self.records(items, path, DECLARED_FIELDS, {"key", "label"}):
            risk = self.risk(raw.get("risk"), f"{dpath}.risk")
            if scored and raw.get("risk") is None:
                self.error(dpath, "a declared answer to a scored question needs a risk")
            if not scored and raw.get("risk") is not None:
                self.error(f"{dpath}.risk", "the question is not scored: leave risk out")
            result.append(
                {
                    "key": self.key(raw.get("key"), f"{dpath}.key"),
                    "label": self.text(raw.get("label"), f"{dpath}.label", required=True),
                    "risk": risk,
                }
            )
        self.unique_keys(result, path, "declared answer")
        return result

    def bands(self, value: Any, path: str, low: float | None, high: float | None) -> list[dict]:
        items = self.sequence(value, path, required=True)
        if not items:
            self.error(path, "list at least one band")
            return []
        bands = []
        for bpath, braw in self.records(items, path, BAND_FIELDS, {"risk"}):
            band = {
                "min": braw.get("min"),
                "max": braw.get("max"),
                "risk": self.risk(braw.get("risk"), f"{bpath}.risk"),
            }
            for bound in ("min", "max"):
                if band[bound] is not None and not _is_number(band[bound]):
                    self.error(f"{bpath}.{bound}", f"{bound} must be a number, got {band[bound]!r}")
                    band[bound] = None
            if band["min"] is not None and band["max"] is not None and band["min"] >= band["max"]:
                self.error(bpath, f"band min {band['min']} must be below its max {band['max']}")
            bands.append(band)
        self.band_coverage(bands, path, low, high)
        return bands

    def band_coverage(
        self, bands: list[dict], path: str, low: float | None, high: float | None
    ) -> None:
        first, last = bands[0], bands[-1]
        if first["min"] is None and low is not None:
            first["min"] = low
        if last["max"] is None and high is not None:
            last["max"] = high
        if low is not None and first["min"] is not None and first["min"] > low:
            self.error(
                f"{path}[0]",
                f"bands start at {first['min']} but answers can be as low as {low} (gap)",
            )
        if high is not None and last["max"] is not None and last["max"] < high:
            self.error(
                f"{path}[{len(bands) - 1}]",
                f"bands end at {last['max']} but answers can be as high as {high} (gap)",
            )
        for i in range(1, len(bands)):
            prev_end, start = bands[i - 1]["max"], bands[i]["min"]
            bpath = f"{path}[{i}]"
            if prev_end is None or start is None:
                self.error(bpath, "only the first band may omit min and only the last may omit max")
            elif start > prev_end:
                self.error(
                    bpath, f"band starts at {start} but the previous band ends at {prev_end} (gap)"
                )
            elif start < prev_end:
                self.error(
                    bpath,
                    f"band starts at {start} but the previous band ends at {prev_end} (bands overlap)",
                )

    def yes_no(self, raw: dict, question: dict, path: str) -> None:
        scoring = raw.get("scoring")
        if scoring is None:
            return
        spath = f"{path}.scoring"
        sraw = self.mapping(scoring, spath, {"yes", "no"}, {"yes", "no"})
        question["scoring"] = {
            "yes": self.risk(sraw.get("yes"), f"{spath}.yes"),
            "no": self.risk(sraw.get("no"), f"{spath}.no"),
        }

    def knockouts(self, value: Any, question: dict, path: str) -> list[dict]:
        result = []
        allowed_answers = _answer_keys(question)
        items = self.sequence(value, f"{path}.knockouts")
        required = {"severity", "title", "message"}
        for kpath, raw in self.records(items, f"{path}.knockouts", KNOCKOUT_FIELDS, required):
            answers, when = raw.get("answers"), raw.get("when")
            if (answers is None) == (when is None):
                self.error(kpath, "a knock-out needs exactly one of `answers` or `when`")
            rows = raw.get("rows")
            if rows is not None:
                self.knockout_rows(rows, question, f"{kpath}.rows")
            if answers is not None:
                if allowed_answers is None:
                    self.error(
                        f"{kpath}.answers",
                        f"`answers` applies only to choice and yes/no questions and to declared answers; use `when` on a {question['type']} question",
                    )
                for j, answer in enumerate(self.sequence(answers, f"{kpath}.answers")):
                    if allowed_answers is not None and answer not in allowed_answers:
                        self.error(
                            f"{kpath}.answers[{j}]",
                            f"{answer!r} is not an answer to {question['key']!r} (one of: {', '.join(sorted(allowed_answers))})",
                        )
            if when is not None and not isinstance(when, str):
                self.error(f"{kpath}.when", "when must be an expression written as text")
                when = None
            knockout = {
                "answers": list(answers) if isinstance(answers, list) else None,
                "when": when,
                "severity": self.severity(raw.get("severity"), f"{kpath}.severity"),
                "title": self.text(raw.get("title"), f"{kpath}.title", required=True),
                "message": self.text(raw.get("message"), f"{kpath}.message", required=True),
            }
            if isinstance(rows, list):  # stored only when written (hash)
                knockout["rows"] = list(rows)
            result.append(knockout)
        return result

    def knockout_rows(self, rows: Any, question: dict, path: str) -> None:
        if question["type"] != "grid":
            self.error(path, "`rows` applies only to a grid question's knock-outs")
            return
        known = {r["key"] for r in question["rows"]}
        for i, row in enumerate(self.sequence(rows, path)):
            if row not in known:
                self.error(
                    f"{path}[{i}]",
                    f"{row!r} is not a row of {question['key']!r} (one of: {', '.join(sorted(known))})",
                )

    def explain(self, value: Any, question: dict, path: str) -> dict | None:
        if value is None:
            return None
        raw = self.mapping(value, path, EXPLAIN_FIELDS, {"min_risk", "prompt"})
        if question["scoring"] is None:
            self.error(path, "explain needs a scored question: it triggers on the answer's risk")
        return {
            "min_risk": self.risk(raw.get("min_risk"), f"{path}.min_risk"),
            "prompt": self.text(raw.get("prompt"), f"{path}.prompt", required=True),
        }

    def buyer_context(self, value: Any, path: str) -> list[str]:
        topics = []
        for i, topic in enumerate(self.sequence(value, path)):
            if topic not in BUYER_CONTEXT_TOPICS:
                self.error(
                    f"{path}[{i}]",
                    f"unknown part of the buyer context {topic!r} "
                    f"(one of: {', '.join(BUYER_CONTEXT_TOPICS)})",
                )
            elif topic not in topics:
                topics.append(topic)
        return topics

    def controls(self, value: Any, path: str) -> dict[str, list[str]]:
        """{framework key: [control ID, ...]}, each ID a control of that catalogue."""
        if not isinstance(value, dict):
            self.error(
                path,
                f"expected a mapping of framework key to a list of control IDs, got {_kind(value)}",
            )
            return {}
        known = frameworks.catalogues()
        result = {}
        for key, ids in value.items():
            fpath = _join(path, str(key))
            framework = known.get(key) if isinstance(key, str) else None
            if framework is None:
                self.error(
                    fpath,
                    f"unknown framework {key!r}{_did_you_mean(str(key), known)} "
                    f"(one of: {', '.join(known)})",
                )
                continue
            if not isinstance(ids, list):
                self.error(
                    fpath,
                    f"expected a list of {framework.short_title} control IDs, got {_kind(ids)}",
                )
                continue
            if not ids:
                self.error(fpath, "list at least one control ID, or leave the framework out")
                continue
            chosen: list[str] = []
            for i, control_id in enumerate(ids):
                cpath = f"{fpath}[{i}]"
                if not isinstance(control_id, str):
                    self.error(cpath, f"expected a control ID written as text, got {control_id!r}")
                elif control_id not in framework.controls:
                    self.error(
                        cpath,
                        f"{control_id!r} is not a control of {framework.short_title}"
                        f"{_did_you_mean(control_id, framework.controls)}",
                    )
                elif control_id in chosen:
                    self.error(cpath, f"{control_id!r} is listed twice")
                else:
                    chosen.append(control_id)
            result[key] = chosen
        return result

    # expressions

    def check_expressions(self, definition: dict) -> None:
        questions = {q["key"]: q for _, q in iter_questions(definition)}
        order = {key: i for i, key in enumerate(questions)}
        for i, section in enumerate(definition["sections"]):
            for j, question in enumerate(section["questions"]):
                path = f"sections[{i}].questions[{j}]"
                if question["show_if"]:
                    self.expression(
                        question["show_if"],
                        f"{path}.show_if",
                        questions,
                        before=order.get(question["key"]),
                        own_key=question["key"],
                    )
                for k, knockout in enumerate(question["knockouts"]):
                    if knockout["when"]:
                        self.expression(knockout["when"], f"{path}.knockouts[{k}].when", questions)

    def expression(
        self,
        source: str,
        path: str,
        questions: dict[str, dict],
        *,
        before: int | None = None,
        own_key: str | None = None,
    ) -> None:
        try:
            parsed = expressions.parse(source)
        except expressions.ExpressionError as exc:
            self.error(path, str(exc))
            return
        order = list(questions)
        for name in sorted(parsed.names):
            if name not in questions:
                self.error(path, f"{name!r} is not a question key")
            elif name == own_key:
                self.error(path, f"the condition of {own_key!r} refers to itself (a cycle)")
            elif before is not None and order.index(name) > before:
                self.error(
                    path,
                    f"{name!r} comes later in the questionnaire: a condition may only refer to earlier questions",
                )
        for name, literal in parsed.string_comparisons:
            allowed = _answer_keys(questions[name]) if name in questions else None
            if allowed is not None and literal not in allowed:
                self.error(
                    path,
                    f"{literal!r} is not an answer to {name!r} (one of: {', '.join(sorted(allowed))})",
                )

    def metric_definition(self, value: Any, path: str) -> dict[str, str]:
        raw = self.mapping(value, path, set(METRIC_PARTS), set(METRIC_PARTS))
        parts = {}
        for part in METRIC_PARTS:
            if part in raw:
                parts[part] = self.key(raw[part], f"{path}.{part}")
        return parts

    def check_metrics(self, definition: dict) -> None:
        """Each part of a metric's definition is asked by a single-choice question, so
        that two vendors' definitions can be compared part by part."""
        questions = {q["key"]: q for _, q in iter_questions(definition)}
        for i, section in enumerate(definition["sections"]):
            for j, question in enumerate(section["questions"]):
                parts = question.get("metric_definition")
                if parts is None:
                    continue
                path = f"sections[{i}].questions[{j}].metric_definition"
                if question["type"] not in NUMERIC_TYPES:
                    self.error(path, "only a number has a metric definition")
                for part, key in parts.items():
                    asked = questions.get(key)
                    if asked is None:
                        self.error(f"{path}.{part}", f"{key!r} is not a question key")
                    elif asked["type"] != "single_choice":
                        self.error(
                            f"{path}.{part}",
                            f"{key!r} is a {asked['type']} question: the {part} is asked as a "
                            "single choice, so that definitions compare",
                        )

    def check_derived(self, definition: dict) -> None:
        questions = {q["key"]: q for _, q in iter_questions(definition)}
        order = list(questions)
        for i, section in enumerate(definition["sections"]):
            for j, question in enumerate(section["questions"]):
                derived = question.get("derived")
                if not derived:
                    continue
                path = f"sections[{i}].questions[{j}].derived.ratio"
                for k, name in enumerate(derived["ratio"]):
                    source = questions.get(name)
                    if source is None:
                        self.error(f"{path}[{k}]", f"{name!r} is not a question key")
                    elif order.index(name) >= order.index(question["key"]):
                        self.error(
                            f"{path}[{k}]",
                            f"{name!r} does not come before {question['key']!r}: a derived "
                            "value is worked out from earlier answers",
                        )
                    elif source["type"] not in NUMERIC_TYPES:
                        self.error(
                            f"{path}[{k}]", f"{name!r} is a {source['type']} question, not a number"
                        )

    # profiles and rules

    def profiles(self, value: Any, definition: dict) -> list[dict]:
        items = self.sequence(value, "profiles", required=True)
        if isinstance(value, list) and not items:
            self.error("profiles", "list at least one profile")
        section_keys = {s["key"] for s in definition["sections"]}
        result = []
        for path, raw in self.records(items, "profiles", PROFILE_FIELDS, {"key", "title"}):
            weights = raw.get("section_weights") or {}
            if not isinstance(weights, dict):
                self.error(f"{path}.section_weights", "expected a mapping of section key to weight")
                weights = {}
            for section_key, weight in weights.items():
                wpath = f"{path}.section_weights.{section_key}"
                if section_key not in section_keys:
                    self.error(wpath, f"{section_key!r} is not a section key")
                self.weight(weight, wpath)
            result.append(
                {
                    "key": self.key(raw.get("key"), f"{path}.key"),
                    "title": self.text(raw.get("title"), f"{path}.title", required=True),
                    "description": self.text(raw.get("description"), f"{path}.description"),
                    "section_weights": dict(weights),
                    "rules": self.rules(raw.get("rules"), f"{path}.rules", definition),
                }
            )
        self.unique_keys(result, "profiles", "profile")
        return result

    def rules(self, value: Any, path: str, definition: dict) -> list[dict]:
        questions = {q["key"]: q for _, q in iter_questions(definition)}
        result = []
        required = {"key", "severity", "title", "when", "message"}
        for rpath, raw in self.records(self.sequence(value, path), path, RULE_FIELDS, required):
            when = raw.get("when")
            rule = {
                "key": self.key(raw.get("key"), f"{rpath}.key"),
                "severity": self.severity(raw.get("severity"), f"{rpath}.severity"),
                "title": self.text(raw.get("title"), f"{rpath}.title", required=True),
                "when": when if isinstance(when, str) else "",
                "message": self.text(raw.get("message"), f"{rpath}.message", required=True),
            }
            if isinstance(when, str):
                self.expression(when, f"{rpath}.when", questions)
            elif "when" in raw:
                self.error(f"{rpath}.when", "when must be an expression written as text")
            result.append(rule)
        self.unique_keys(result, path, "rule")
        return result


def _answer_keys(question: dict) -> set[str] | None:
    """The string answers a question can have: a choice or yes/no question's keys, a
    number's declared answers; None when any string is as good as none."""
    if question["type"] == "yes_no":
        return {"yes", "no"}
    if question["type"] in CHOICE_TYPES:
        return {c["key"] for c in question["choices"]}
    if question["type"] == "grid":
        return {c["key"] for c in question["cells"]}
    if question.get("declared"):
        return {d["key"] for d in question["declared"]}
    return None


def _did_you_mean(written: str, names: Iterable[str]) -> str:
    """' (did you mean 'MANAGE 2.4'?)' for a near miss, else ''.

    Spacing, punctuation and case are the usual slips ('Art 14', 'manage2.4'), and
    an ID written without its suffix ('LLM01') names the one control it starts;
    otherwise difflib's closest match, if it is close.
    """
    names = list(names)
    squashed = _squash(written)
    same = [name for name in names if _squash(name) == squashed]
    if len(same) != 1 and len(squashed) >= 3:
        same = [name for name in names if _squash(name).startswith(squashed)]
    if len(same) != 1:
        same = difflib.get_close_matches(written, names, n=1, cutoff=0.85)
    return f" (did you mean {same[0]!r}?)" if len(same) == 1 else ""


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).casefold()


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else str(name)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )
