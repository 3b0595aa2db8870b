"""Vendors side by side: the data behind the comparison page, the exports and the reports.

`build_comparison(responses, profile_key=...)` loads everything it needs in a constant
number of queries (however many vendors and questions), rescores every response under
the chosen profile with the pure scoring engine (nothing is written), and returns plain
dataclasses: one column per vendor, one row per question grouped by section, a subtotal
per section, and the robustness of the ranking in words.

Responses to different versions of one questionnaire are compared on the questions they
share by key; a question a version does not ask is shown as "not asked" for that vendor.
Each response keeps the score of its own version. Responses to different questionnaires
cannot be compared.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.db.models import Count

from .definition import (
    METRIC_PARTS,
    grid_partly_answered,
    iter_questions,
    question_answered,
    section_question_number,
)
from .display import answer_display, grid_answered_rows, grid_lines_display, grid_rows
from .models import (
    Answer,
    Evidence,
    EvidenceLevel,
    QuestionnaireVersion,
    Response,
    ResponseScore,
    ResponseStatus,
)
from .rounds import round_currency
from .scoring import (
    ENGINE_VERSION,
    AnswerInput,
    Robustness,
    ScoreResult,
    ScoringPlan,
    compile_plan,
    ranking_robustness,
)
from .selectors import profiles_of_versions, shared_profiles

# Risk of one answer in words; the same cut points as the tiers of the 0-100 score.
RISK_WORDS = ((0.25, "low"), (0.5, "moderate"), (0.75, "high"), (float("inf"), "severe"))
NOT_ASKED = "not asked"
UNANSWERED = "unanswered"
HIDDEN = "hidden"
CARRIED = "Carried forward, not confirmed"
NOT_SCORED = "not scored"

# Enough samples for a stable sentence, few enough to keep the page quick.
ROBUSTNESS_SAMPLES = 200
ROBUSTNESS_SEED = 20260501
ROBUSTNESS_CACHE_SECONDS = 24 * 3600


class ComparisonError(Exception):
    """These responses cannot be compared as asked; the message says why and what to do."""


class UnknownProfile(ComparisonError):
    """The requested profile does not exist in every compared version."""


# What a figure whose definition was left incomplete is marked with.
DEFINITION_NOT_GIVEN = "definition not given"


def risk_word(risk: float | None) -> str:
    if risk is None:
        return NOT_SCORED
    return next(word for limit, word in RISK_WORDS if risk < limit)


@dataclass(slots=True)
class Cell:
    """One vendor's answer to one question.

    Not frozen: a page holds hundreds of cells, and a frozen dataclass is several times
    slower to create. Treat it as read-only all the same.
    """

    state: str  # "answered", "unanswered", "hidden" or "not_asked"
    display: str
    risk: float | None = None
    risk_word: str = ""
    contribution: float | None = None  # points this answer adds to the 0-100 score
    evidence_level: str = ""
    evidence_label: str = ""
    evidence_files: int = 0
    comment: str = ""
    flagged: bool = False
    flag_titles: tuple[str, ...] = ()
    needs_clarification: bool = False
    # Copied from the vendor's earlier round and not yet confirmed (so unanswered here).
    carried_forward: bool = False
    value: Any = None
    answer_id: int | None = None  # the stored answer, when there is one
    # A grid answer as its table reads (display.grid_rows); None for other questions.
    grid: list[tuple[str, list[tuple[str, str]]]] | None = None
    # "partly answered (2 of 15 cells)": a grid with some cells answered, which counts as
    # unanswered but shows its cells (definition.grid_partly_answered); "" otherwise.
    partial: str = ""
    # A metric's definition as this vendor gave it ("numerator / denominator / window"),
    # and whether it differs from the others' (so the figures are not alike).
    definition: str = ""
    unlike_definition: bool = False

    @property
    def css_class(self) -> str:
        return "risk-" + self.risk_word.replace(" ", "-")

    @property
    def asked(self) -> bool:
        return self.state != "not_asked"


@dataclass(frozen=True)
class Row:
    key: str
    text: str
    type: str
    section_key: str
    cells: tuple[Cell, ...]
    evidence_requested: bool = False
    # How the answer is scored, for analysts and the methodology (never for vendors).
    scoring_notes: str = ""
    # "3.6": the comparison's section position and the row's place in it; for the newest
    # compared version the portal's number (definition.question_numbers). A question only
    # an older version asks comes after the newest's in its section and continues its count.
    number: str = ""

    @property
    def differs(self) -> bool:
        """True when at least two vendors carry a different risk on this question.

        "Only where vendors differ" compares risk, not wording: two answers worded
        differently but scored alike say the same about the vendors, while an answered
        question beside an unanswered (or hidden, or not asked) one does not. A cell
        without a risk counts by its risk word ("unanswered", "not scored", ...).
        """
        return len({_risk_key(c) for c in self.cells}) > 1

    @property
    def answers_differ(self) -> bool:
        """True when at least two vendors answered differently (or one did not answer)."""
        return len({(c.state, _hashable(c.value)) for c in self.cells}) > 1

    @property
    def flagged(self) -> bool:
        return any(c.flagged for c in self.cells)


@dataclass(frozen=True)
class Subtotal:
    score: float | None
    low: float
    high: float
    coverage: float

    @property
    def tier_word(self) -> str:
        return risk_word(None if self.score is None else self.score / 100)


@dataclass(frozen=True)
class SectionBlock:
    key: str
    title: str
    weight: float
    subtotals: tuple[Subtotal | None, ...]  # one per vendor; None when not asked
    rows: tuple[Row, ...]
    total_rows: int = 0


@dataclass(frozen=True)
class VendorColumn:
    response_id: int
    vendor_name: str
    product: str
    version_number: int
    status: str
    status_label: str
    result: ScoreResult
    override_score: float | None = None
    override_tier: str = ""
    override_justification: str = ""
    flags: tuple = ()

    @property
    def effective_score(self) -> float | None:
        return self.override_score if self.override_score is not None else self.result.score

    @property
    def effective_tier(self) -> str:
        return self.override_tier or self.result.tier

    @property
    def is_overridden(self) -> bool:
        return self.override_score is not None or bool(self.override_tier)


@dataclass(frozen=True)
class Comparison:
    questionnaire_key: str
    questionnaire_title: str
    version_numbers: tuple[int, ...]
    profile_key: str
    profile_title: str
    profiles: tuple[tuple[str, str], ...]  # (key, title) offered for switching
    vendors: tuple[VendorColumn, ...]
    sections: tuple[SectionBlock, ...]
    robustness: str
    notes: tuple[str, ...] = ()
    differences_only: bool = False
    flagged_only: bool = False
    order_by_risk: bool = False
    shown_rows: int = 0
    total_rows: int = 0
    questionnaire_id: int = 0

    @property
    def response_ids(self) -> list[int]:
        return [v.response_id for v in self.vendors]

    def rows(self) -> Iterable[tuple[SectionBlock, Row]]:
        for section in self.sections:
            for row in section.rows:
                yield section, row


def build_comparison(
    responses: Sequence[Response | int],
    *,
    profile_key: str | None = None,
    differences_only: bool = False,
    flagged_only: bool = False,
    order_by_risk: bool = False,
    robustness: bool = True,
    answers: StoredAnswers | None = None,
) -> Comparison:
    """Compare responses (instances or ids) under a profile (the default one if None).

    `answers`: the responses' answers when the caller has read them already.
    """
    ids = list(dict.fromkeys(r if isinstance(r, int) else r.pk for r in responses))
    if not ids:
        raise ComparisonError("Choose at least one response to compare.")
    loaded = _load_responses(ids)
    versions = _versions_of(loaded)
    base = max(versions.values(), key=lambda v: v.number)
    profiles_by_version = profiles_of_versions(versions)
    profile_key = profile_key or base.default_profile_key
    offered = shared_profiles(versions.values(), profiles_by_version)
    if profile_key not in dict(offered):
        raise UnknownProfile(
            f"Profile {profile_key!r} is not defined in every compared version; choose one "
            f"of: {', '.join(k for k, _ in offered)}."
        )
    inputs, details = _answers(ids, answers or stored_answers(ids))
    overrides = _overrides(ids, profile_key)

    # One plan per version: everything that does not depend on the answers, done once.
    plans = {
        pk: compile_plan(version.definition, profiles_by_version[pk][profile_key])
        for pk, version in versions.items()
    }
    columns = []
    for response in loaded:
        result = plans[response.version_id].score(inputs.get(response.pk, {}))
        columns.append(_column(response, result, overrides.get(response.pk)))
    if order_by_risk:
        columns.sort(key=_risk_order)

    sections = _sections(
        versions, loaded, columns, plans, inputs, details, profile_key, profiles_by_version
    )
    sections, shown = _filter(
        sections, differences_only=differences_only, flagged_only=flagged_only
    )
    total = sum(s.total_rows for s in sections)
    return Comparison(
        questionnaire_key=base.questionnaire.key,
        questionnaire_title=base.questionnaire.title,
        version_numbers=tuple(sorted(v.number for v in versions.values())),
        profile_key=profile_key,
        profile_title=dict(offered)[profile_key],
        profiles=offered,
        vendors=tuple(columns),
        sections=sections,
        robustness=(
            _robustness(base, loaded, versions, profiles_by_version[base.pk][profile_key], inputs)
            if robustness
            else ""
        ),
        notes=_version_notes(base, versions),
        differences_only=differences_only,
        flagged_only=flagged_only,
        order_by_risk=order_by_risk,
        shown_rows=shown,
        total_rows=total,
        questionnaire_id=base.questionnaire_id,
    )


# Loading -------------------------------------------------------------------------------


def _load_responses(ids: list[int]) -> list[Response]:
    found = {
        r.pk: r for r in Response.objects.filter(pk__in=ids).select_related("vendor", "selection")
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ComparisonError(
            f"No response with id {', '.join(missing)}; it may have been deleted."
        )
    loaded = [found[i] for i in ids]
    # Versions on their own: joined to each response, the (large) definition would be
    # read and decoded once per response instead of once per version.
    versions = QuestionnaireVersion.objects.select_related("questionnaire").in_bulk(
        {r.version_id for r in loaded}
    )
    for response in loaded:
        response.version = versions[response.version_id]
    questionnaires = {r.version.questionnaire for r in loaded}
    if len(questionnaires) > 1:
        titles = ", ".join(sorted(f"“{q.title}”" for q in questionnaires))
        raise ComparisonError(
            f"These responses answer different questionnaires ({titles}); only answers to "
            "the same questionnaire can be compared. Select responses to one questionnaire "
            "(filter the list by questionnaire first)."
        )
    return loaded


def _versions_of(responses: list[Response]) -> dict[int, QuestionnaireVersion]:
    return {r.version_id: r.version for r in responses}


# What a comparison reads of each stored answer (names as in Answer.objects.values()).
ANSWER_FIELDS = (
    "id",
    "response_id",
    "question__key",
    "value",
    "comment",
    "evidence_level",
    "needs_clarification",
    "carried_forward",
)


@dataclass(frozen=True)
class StoredAnswers:
    """The compared responses' answers as read from the database.

    A caller that has read them already (a report's snapshot) passes them in, so that
    one render reads the answers once.
    """

    rows: Sequence[Mapping[str, Any]]  # one per answer, with at least ANSWER_FIELDS
    evidence_files: Mapping[int, int]  # answer id -> its number of files (none: absent)


def stored_answers(ids: Sequence[int]) -> StoredAnswers:
    """Read the answers of responses `ids` and count their files (two queries)."""
    rows = list(Answer.objects.filter(response_id__in=ids).values(*ANSWER_FIELDS))
    # Only answers with files appear here, so this stays small.
    files = (
        Evidence.objects.filter(answer__response_id__in=ids)
        .values("answer_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return StoredAnswers(rows=rows, evidence_files={f["answer_id"]: f["count"] for f in files})


def _answers(
    ids: list[int], stored: StoredAnswers
) -> tuple[dict[int, dict[str, AnswerInput]], dict[int, dict]]:
    """The scoring inputs (as selectors.scoring_inputs reads them) and, per answer, what
    the page shows besides the value: comment, evidence level and files, clarification.

    One pass over the answers instead of two: each value is decoded from JSON once.
    """
    inputs: dict[int, dict[str, AnswerInput]] = {rid: {} for rid in ids}
    details: dict[int, dict[str, dict]] = {rid: {} for rid in ids}
    for row in stored.rows:
        response_id, key = row["response_id"], row["question__key"]
        # Unconfirmed carried-forward answers are unanswered, as scoring_inputs has it
        # (a report's snapshot from before the field has no such key).
        if not row.get("carried_forward"):
            inputs[response_id][key] = AnswerInput(row["value"], row["evidence_level"])
        details[response_id][key] = {
            **row,
            "evidence_files": stored.evidence_files.get(row["id"], 0),
        }
    return inputs, details


def _overrides(ids: list[int], profile_key: str) -> dict[int, ResponseScore]:
    stored = ResponseScore.objects.filter(response_id__in=ids, profile_key=profile_key).only(
        "response_id", "override_score", "override_tier", "override_justification"
    )
    return {s.response_id: s for s in stored}


# Building ------------------------------------------------------------------------------


def _column(response: Response, result: ScoreResult, stored: ResponseScore | None) -> VendorColumn:
    return VendorColumn(
        response_id=response.pk,
        vendor_name=response.vendor.name,
        product=response.vendor.product,
        version_number=response.version.number,
        status=response.status,
        status_label=str(ResponseStatus(response.status).label),
        result=result,
        override_score=stored.override_score if stored else None,
        override_tier=stored.override_tier if stored else "",
        override_justification=stored.override_justification if stored else "",
        flags=tuple(result.flags),
    )


def _risk_order(column: VendorColumn) -> tuple:
    # Lowest risk first; a response with no score at all goes last.
    score = column.effective_score
    return (score is None, score if score is not None else 0, column.vendor_name.lower())


def _sections(
    versions: Mapping[int, QuestionnaireVersion],
    responses: Sequence[Response],
    columns: Sequence[VendorColumn],
    plans: Mapping[int, ScoringPlan],
    inputs: Mapping[int, Mapping[str, AnswerInput]],
    details: Mapping[int, dict[str, dict[str, Any]]],
    profile_key: str,
    profiles: Mapping[int, Mapping[str, Mapping[str, Any]]],
) -> tuple[SectionBlock, ...]:
    by_id = {r.pk: r for r in responses}
    ordered = [by_id[c.response_id] for c in columns]
    layout = _layout(versions)
    per_vendor = [
        _VendorView.build(r, c, plans[r.version_id], inputs.get(r.pk, {}), details)
        for r, c in zip(ordered, columns, strict=True)
    ]
    weights = _section_weights(versions, profile_key, profiles)
    blocks = []
    for position, (section_key, title, questions) in enumerate(layout, start=1):
        cells = {q["key"]: tuple(view.cell(q["key"]) for view in per_vendor) for q in questions}
        for q in questions:
            if q.get("metric_definition"):
                _mark_unlike_definitions(q, cells[q["key"]], per_vendor)
        rows = tuple(
            Row(
                key=q["key"],
                text=q["text"],
                type=q["type"],
                section_key=section_key,
                evidence_requested=bool(q.get("evidence")),
                scoring_notes=q.get("scoring_notes", ""),
                cells=cells[q["key"]],
                number=section_question_number(position, index),
            )
            for index, q in enumerate(questions, start=1)
        )
        blocks.append(
            SectionBlock(
                key=section_key,
                title=title,
                weight=weights.get(section_key, 0),
                subtotals=tuple(view.subtotal(section_key) for view in per_vendor),
                rows=rows,
                total_rows=len(rows),
            )
        )
    return tuple(blocks)


def _layout(versions: Mapping[int, QuestionnaireVersion]) -> list[tuple[str, str, list[dict]]]:
    """Sections and questions of the newest version, then what only older ones ask."""
    layout: dict[str, tuple[str, list[dict]]] = {}
    seen: set[str] = set()
    for version in sorted(versions.values(), key=lambda v: -v.number):
        for section, question in iter_questions(version.definition):
            _, questions = layout.setdefault(section["key"], (section["title"], []))
            if question["key"] not in seen:
                seen.add(question["key"])
                questions.append(question)
    return [(key, title, questions) for key, (title, questions) in layout.items()]


def _section_weights(
    versions: Mapping[int, QuestionnaireVersion],
    profile_key: str,
    profiles_by_version: Mapping[int, Mapping[str, Mapping[str, Any]]],
) -> dict[str, float]:
    """W_s(p): the profile's weight of each section, else the section's own weight."""
    weights: dict[str, float] = {}
    for version in sorted(versions.values(), key=lambda v: -v.number):
        overrides = profiles_by_version[version.pk][profile_key].get("section_weights") or {}
        for section in version.definition["sections"]:
            weights.setdefault(section["key"], overrides.get(section["key"], section["weight"]))
    return weights


def _filter(
    sections: tuple[SectionBlock, ...], *, differences_only: bool, flagged_only: bool
) -> tuple[tuple[SectionBlock, ...], int]:
    if not (differences_only or flagged_only):
        return sections, sum(len(s.rows) for s in sections)
    kept = []
    shown = 0
    for section in sections:
        rows = tuple(
            row
            for row in section.rows
            if (not differences_only or row.differs) and (not flagged_only or row.flagged)
        )
        shown += len(rows)
        kept.append(replace(section, rows=rows))
    return tuple(kept), shown


def _robustness(
    base: QuestionnaireVersion,
    responses: Sequence[Response],
    versions: Mapping[int, QuestionnaireVersion],
    profile: Mapping[str, Any],
    inputs: Mapping[int, Mapping[str, AnswerInput]],
) -> str:
    if len(responses) < 2:
        return "Add a second response to see how robust the ranking is."
    if len(versions) > 1:
        return (
            "The ranking's robustness is computed only for responses to the same version; "
            "these answer versions " + ", ".join(str(v.number) for v in _sorted(versions)) + "."
        )
    answers: dict[Hashable, Mapping[str, AnswerInput]] = {
        r.pk: inputs.get(r.pk, {}) for r in responses
    }
    names: dict[Hashable, str] = {r.pk: r.vendor.name for r in responses}
    key = _robustness_cache_key(base, profile, answers)
    result: Robustness | None = cache.get(key)
    if result is None:
        result = ranking_robustness(
            base.definition, profile, answers, samples=ROBUSTNESS_SAMPLES, seed=ROBUSTNESS_SEED
        )
        cache.set(key, result, ROBUSTNESS_CACHE_SECONDS)
    return result.describe(labels=names)


def _robustness_cache_key(
    base: QuestionnaireVersion,
    profile: Mapping[str, Any],
    answers: Mapping[Hashable, Mapping[str, AnswerInput]],
) -> str:
    """Everything the robustness depends on, hashed: a cached result is never stale.

    Analysts switch the page's filters and ordering far more often than answers or
    weights change; the Monte Carlo draws are the costliest part of the page.
    """
    payload = [
        ENGINE_VERSION,
        ROBUSTNESS_SAMPLES,
        ROBUSTNESS_SEED,
        base.content_hash,
        profile.get("section_weights") or {},
        profile.get("rules") or [],
        [
            [rid, sorted([k, a.value, a.evidence_level] for k, a in given.items())]
            for rid, given in answers.items()
        ],
    ]
    digest = hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()
    return f"cxvet:robustness:{digest}"


def _sorted(versions: Mapping[int, QuestionnaireVersion]) -> list[QuestionnaireVersion]:
    return sorted(versions.values(), key=lambda v: v.number)


def _version_notes(
    base: QuestionnaireVersion, versions: Mapping[int, QuestionnaireVersion]
) -> tuple[str, ...]:
    if len(versions) < 2:
        return ()
    numbers = ", ".join(str(v.number) for v in _sorted(versions))
    return (
        f"These responses answer versions {numbers} of the questionnaire. They are compared "
        "on the questions the versions share (matched by key); a question a version does "
        f"not ask is marked “{NOT_ASKED}”. Each score is computed on the response's own "
        "version.",
    )


# One vendor's view of the rows ----------------------------------------------------------


@dataclass
class _VendorView:
    column: VendorColumn
    questions: dict[str, dict]
    values: dict[str, Any]
    visible: set[str]
    contributions: dict[str, Any]
    details: dict[str, dict]
    currency: str | None = None  # the round's, for amounts of money
    flag_titles: dict[str, list[str]] = field(default_factory=dict)
    subtotals: dict[str, Subtotal] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        response: Response,
        column: VendorColumn,
        plan: ScoringPlan,
        inputs: Mapping[str, AnswerInput],
        details: Mapping[int, dict[str, dict[str, Any]]],
    ) -> _VendorView:
        definition = response.version.definition
        values = plan.visibility.with_derived({key: a.value for key, a in inputs.items()})
        # The plan applies the same one-pass visibility rule as the portal.
        visible = set(plan.visible_values(inputs))
        flag_titles: dict[str, list[str]] = defaultdict(list)
        for flag in column.result.flags:
            for key in flag.questions:
                flag_titles[key].append(flag.title)
        return cls(
            column=column,
            questions={q["key"]: q for _, q in iter_questions(definition)},
            values=values,
            visible=visible,
            contributions={c.question_key: c for c in column.result.contributions},
            details=details.get(response.pk, {}),
            currency=round_currency(response.selection),
            flag_titles=flag_titles,
            subtotals={
                s.key: Subtotal(score=s.score, low=s.low, high=s.high, coverage=s.coverage)
                for s in column.result.sections
            },
        )

    def subtotal(self, section_key: str) -> Subtotal | None:
        return self.subtotals.get(section_key)

    def cell(self, key: str) -> Cell:
        question = self.questions.get(key)
        if question is None:
            return Cell(state="not_asked", display="Not asked", risk_word=NOT_ASKED)
        detail = self.details.get(key, {})
        extra = {
            "comment": detail.get("comment", ""),
            "evidence_files": detail.get("evidence_files", 0),
            "needs_clarification": detail.get("needs_clarification", False),
            "carried_forward": bool(detail.get("carried_forward", False)),
            "answer_id": detail.get("id"),
            "flagged": key in self.flag_titles,
            "flag_titles": tuple(self.flag_titles.get(key, ())),
        }
        if key not in self.visible:
            return Cell(
                state="hidden", display="Hidden by an earlier answer", risk_word=HIDDEN, **extra
            )
        value = self.values.get(key)
        if not _is_answered(question, value, extra["evidence_files"]) or key not in self.values:
            if key in self.values and (partial := grid_partly_answered(question, value)):
                return self._partial_grid(question, value, partial, extra)
            display = CARRIED if detail.get("carried_forward") else "Unanswered"
            return Cell(state="unanswered", display=display, risk_word=UNANSWERED, **extra)
        contribution = self.contributions.get(key)
        # Every visible scored question has a contribution; others have no risk.
        risk = contribution.risk if contribution is not None else None
        level = detail.get("evidence_level", EvidenceLevel.SELF_ATTESTED)
        return Cell(
            state="answered",
            display=answer_display(
                question, value, extra["evidence_files"], currency=self.currency
            ),
            grid=grid_rows(question, value, currency=self.currency)
            if question["type"] == "grid"
            else None,
            risk=risk,
            risk_word=risk_word(risk),
            contribution=getattr(contribution, "points", None),
            evidence_level=level,
            evidence_label=str(EvidenceLevel(level).label),
            value=value,
            **extra,
        )

    def _partial_grid(
        self, question: Mapping[str, Any], value: Any, partial: str, extra: dict[str, Any]
    ) -> Cell:
        """A grid with some cells answered: unanswered, but showing its answered cells,
        one line per grid row (as the comparison PDF shows grids)."""
        grid = grid_answered_rows(question, value, currency=self.currency)
        return Cell(
            state="unanswered",
            display=grid_lines_display(grid),
            grid=grid,
            partial=partial,
            risk_word=UNANSWERED,
            value=value,
            **extra,
        )


def _mark_unlike_definitions(
    metric: Mapping[str, Any], cells: Sequence[Cell], views: Sequence[_VendorView]
) -> None:
    """Give each figure of a metric its vendor's definition (what is counted, out of
    what, over which window), and mark those not defined as most vendors defined theirs:
    with no such majority, every figure not defined as all the others are. A definition
    left incomplete is never alike and has no vote; a declared answer ("not measured")
    is no figure, so it has neither. Unlike figures are then never read as alike."""
    parts = [metric["metric_definition"][part] for part in METRIC_PARTS]
    declared = {d["key"] for d in metric.get("declared", ())}
    complete: list[tuple[Cell, tuple]] = []
    for cell, view in zip(cells, views, strict=True):
        if cell.state != "answered" or (isinstance(cell.value, str) and cell.value in declared):
            continue
        picked = tuple(view.values.get(key) for key in parts)
        if None in picked:
            cell.definition, cell.unlike_definition = DEFINITION_NOT_GIVEN, True
            continue
        cell.definition = " / ".join(
            answer_display(view.questions[k], v) for k, v in zip(parts, picked, strict=True)
        )
        complete.append((cell, picked))
    counts = Counter(picked for _, picked in complete)
    if len(counts) < 2:
        return
    (common, top), (_, runner_up), *_ = counts.most_common()
    majority = common if runner_up < top else None
    for cell, picked in complete:
        cell.unlike_definition = picked != majority


def _is_answered(question: dict, value: Any, evidence_files: int) -> bool:
    if question["type"] == "file":
        return evidence_files > 0
    return question_answered(question, value)


def _risk_key(cell: Cell) -> Hashable:
    # Rounded: the same answer scored by two versions' plans may differ in the last bits.
    return cell.risk_word if cell.risk is None else round(cell.risk, 6)


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(sorted(map(str, value)))
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value
