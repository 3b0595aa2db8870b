"""What changed between two report snapshots (reports.inputs.report_inputs), in words.

Pure: two snapshots in their stored form (inputs.snapshot_as_stored: JSON, dates as
text) in, a ReportChanges out; `change_lines` says it for people, with the questions
named as the audit trail names them. A report keeps the snapshot it was rendered from
(Report.inputs), so comparing it with the snapshot its subject would give now says why
the report is stale: vendors added or removed, answers changed (by question), scores,
tiers and overrides changed, the recommendation edited, the profile re-weighted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..audit import EventLabels
from ..display import answer_display, shorten
from ..models import ResponseStatus

# The columns of a snapshot's score rows (inputs.SCORE_FIELDS).
SCORE, LOW, HIGH, TIER, OVERRIDE_SCORE, OVERRIDE_TIER, REASON = 3, 4, 5, 6, 7, 8, 9
ANSWER_CHARS = 80


@dataclass(frozen=True)
class Vendor:
    response_id: int
    name: str


@dataclass(frozen=True)
class ChangedAnswer:
    """One answer that differs: which parts of it, and its value before and after."""

    response_id: int
    vendor: str
    version_id: int | None
    question_key: str
    parts: tuple[str, ...]  # "answer", "comment", "evidence level", "files", "clarification"
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class ChangedScore:
    """One vendor's stored score under the report's profile, before and after."""

    response_id: int
    vendor: str
    before: Sequence[Any] | None  # a snapshot score row; None: no stored score
    after: Sequence[Any] | None

    @property
    def score_changed(self) -> bool:
        return any(_at(self.before, i) != _at(self.after, i) for i in (SCORE, LOW, HIGH))

    @property
    def tier_changed(self) -> bool:
        return _at(self.before, TIER) != _at(self.after, TIER)

    @property
    def override_changed(self) -> bool:
        return any(
            _at(self.before, i) != _at(self.after, i)
            for i in (OVERRIDE_SCORE, OVERRIDE_TIER, REASON)
        )


@dataclass(frozen=True)
class ReportChanges:
    vendors_added: tuple[Vendor, ...] = ()
    vendors_removed: tuple[Vendor, ...] = ()
    statuses: tuple[tuple[str, str, str], ...] = ()  # (vendor, before, after)
    answers: tuple[ChangedAnswer, ...] = ()
    scores: tuple[ChangedScore, ...] = ()
    weights_changed: bool = False
    recommendation_edited: bool = False
    round_renamed: bool = False
    reviews_added: int = 0  # review events since (the assessment's history)
    frameworks_changed: bool = False  # the round's chosen frameworks
    figures_changed: bool = False  # the business case's round figures (volume, cost, currency)
    prices_changed: tuple[str, ...] = ()  # vendors whose analyst's yearly price changed
    other: bool = field(default=False)  # anything else the snapshot holds

    def __bool__(self) -> bool:
        return bool(
            self.vendors_added
            or self.vendors_removed
            or self.statuses
            or self.answers
            or self.scores
            or self.weights_changed
            or self.recommendation_edited
            or self.round_renamed
            or self.reviews_added
            or self.frameworks_changed
            or self.figures_changed
            or self.prices_changed
            or self.other
        )


# The round's figures the business case reads (inputs.SELECTION_FIELDS).
ROUND_FIGURES = ("yearly_contact_volume", "human_contact_cost", "buyer_currency")


def snapshot_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> ReportChanges:
    """What differs between snapshot `before` and snapshot `after` of the same report."""
    old_vendors = _vendors(before)
    new_vendors = _vendors(after)
    names = {**old_vendors, **new_vendors}
    kept = sorted(set(old_vendors) & set(new_vendors))
    old_status = {r["pk"]: r.get("status") for r in before.get("responses", [])}
    new_status = {r["pk"]: r.get("status") for r in after.get("responses", [])}
    old_selection = before.get("selection") or {}
    new_selection = after.get("selection") or {}
    old_price = {r["pk"]: r.get("analyst_yearly_price") for r in before.get("responses", [])}
    new_price = {r["pk"]: r.get("analyst_yearly_price") for r in after.get("responses", [])}
    changes = ReportChanges(
        vendors_added=tuple(
            Vendor(pk, new_vendors[pk]) for pk in sorted(set(new_vendors) - set(old_vendors))
        ),
        vendors_removed=tuple(
            Vendor(pk, old_vendors[pk]) for pk in sorted(set(old_vendors) - set(new_vendors))
        ),
        statuses=tuple(
            (names[pk], old_status[pk], new_status[pk])
            for pk in kept
            if old_status[pk] != new_status[pk]
        ),
        answers=_answer_changes(before, after, set(kept), names),
        scores=_score_changes(before, after, set(kept), names),
        weights_changed=_profiles(before) != _profiles(after),
        recommendation_edited=(
            old_selection.get("recommendation") != new_selection.get("recommendation")
        ),
        round_renamed=any(
            old_selection.get(k) != new_selection.get(k) for k in ("name", "buyer_name")
        ),
        reviews_added=max(0, len(after.get("history", [])) - len(before.get("history", []))),
        frameworks_changed=old_selection.get("frameworks") != new_selection.get("frameworks"),
        figures_changed=any(old_selection.get(k) != new_selection.get(k) for k in ROUND_FIGURES),
        prices_changed=tuple(names[pk] for pk in kept if old_price.get(pk) != new_price.get(pk)),
    )
    if changes or _same(before, after):
        return changes
    # Something the parts above do not name (for example a vendor renamed): say so.
    return ReportChanges(other=True)


def _vendors(snapshot: Mapping[str, Any]) -> dict[int, str]:
    return {r["pk"]: r.get("vendor__name", "") for r in snapshot.get("responses", [])}


def _versions(snapshot: Mapping[str, Any]) -> dict[int, int]:
    return {r["pk"]: r.get("version_id") for r in snapshot.get("responses", [])}


def _answer_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], kept: set[int], names: Mapping[int, str]
) -> tuple[ChangedAnswer, ...]:
    old = _answers(before)
    new = _answers(after)
    old_files = _files(before)
    new_files = _files(after)
    versions = _versions(after)
    # Questionnaire order: the snapshots list answers by question position.
    position: dict[tuple[int, str], int] = {}
    for i, key in enumerate([*new, *old]):
        position.setdefault(key, i)
    changed = []
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], position[k])):
        response_id, question = key
        if response_id not in kept:
            continue
        was, now = old.get(key) or {}, new.get(key) or {}
        parts = []
        if was.get("value") != now.get("value"):
            parts.append("answer")
        if (was.get("comment") or "") != (now.get("comment") or ""):
            parts.append("comment")
        if was.get("evidence_level") != now.get("evidence_level") and (was and now):
            parts.append("evidence level")
        if old_files.get(key, []) != new_files.get(key, []):
            parts.append("files")
        if (bool(was.get("needs_clarification")), was.get("clarification_note") or "") != (
            bool(now.get("needs_clarification")),
            now.get("clarification_note") or "",
        ):
            parts.append("clarification")
        if parts:
            changed.append(
                ChangedAnswer(
                    response_id=response_id,
                    vendor=names.get(response_id, ""),
                    version_id=versions.get(response_id),
                    question_key=question,
                    parts=tuple(parts),
                    before=was.get("value"),
                    after=now.get("value"),
                )
            )
    return tuple(changed)


def _answers(snapshot: Mapping[str, Any]) -> dict[tuple[int, str], Mapping[str, Any]]:
    return {(a["response_id"], a["question__key"]): a for a in snapshot.get("answers", [])}


def _files(snapshot: Mapping[str, Any]) -> dict[tuple[int, str], list[str]]:
    response_of = {a["id"]: a["response_id"] for a in snapshot.get("answers", [])}
    files: dict[tuple[int, str], list[str]] = defaultdict(list)
    for item in snapshot.get("evidence", []):
        response_id = response_of[item["answer_id"]]
        files[(response_id, item["answer__question__key"])].append(item.get("sha256", ""))
    return {key: sorted(names) for key, names in files.items()}


def _score_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], kept: set[int], names: Mapping[int, str]
) -> tuple[ChangedScore, ...]:
    old = {row[0]: row for row in before.get("scores", [])}
    new = {row[0]: row for row in after.get("scores", [])}
    changed = []
    for response_id in sorted(kept):
        score = ChangedScore(
            response_id, names[response_id], old.get(response_id), new.get(response_id)
        )
        if score.score_changed or score.tier_changed or score.override_changed:
            changed.append(score)
    return tuple(changed)


def _profiles(snapshot: Mapping[str, Any]) -> list[Any]:
    return [list(row[1:]) for row in snapshot.get("profiles", [])]


def _same(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    return dict(before) == dict(after)


def _at(row: Sequence[Any] | None, index: int) -> Any:
    return None if row is None else row[index]


# In words -------------------------------------------------------------------------------


def change_lines(changes: ReportChanges, definitions: Mapping[int, Mapping[str, Any]]) -> list[str]:
    """The changes for people, one a line; `definitions` maps version ids to definitions."""
    labels = {pk: EventLabels.of(dict(definition)) for pk, definition in definitions.items()}
    lines = [f"{v.name} was added to the round" for v in changes.vendors_added]
    lines += [f"{v.name} is no longer in the round" for v in changes.vendors_removed]
    lines += [f"{vendor}: {_status(old)} → {_status(new)}" for vendor, old, new in changes.statuses]
    for answer in changes.answers:
        named = labels.get(answer.version_id or 0, EventLabels())
        line = f"{answer.vendor}, {named.question(answer.question_key)}: {', '.join(answer.parts)} changed"
        if "answer" in answer.parts:
            line += (
                f" ({_answer(named, answer.question_key, answer.before)} → "
                f"{_answer(named, answer.question_key, answer.after)})"
            )
        lines.append(line)
    for score in changes.scores:
        lines.extend(_score_lines(score))
    if changes.weights_changed:
        lines.append("The profile's section weights or rules changed")
    if changes.recommendation_edited:
        lines.append("The analyst's recommendation was edited")
    if changes.round_renamed:
        lines.append("The round's name or buyer changed")
    if changes.reviews_added:
        n = changes.reviews_added
        lines.append(f"{n} review step{'s' if n != 1 else ''} recorded since (the history)")
    if changes.frameworks_changed:
        lines.append("The round's chosen frameworks changed")
    if changes.figures_changed:
        lines.append(
            "The business case's figures changed (contacts a year, the cost of a contact "
            "handled by a person, or the currency)"
        )
    lines += [f"{vendor}: the analyst's yearly price changed" for vendor in changes.prices_changed]
    if changes.other:
        lines.append("Something else the report prints changed (for example a vendor's name)")
    return lines


def _score_lines(score: ChangedScore) -> list[str]:
    lines = []
    if score.score_changed or score.tier_changed:
        lines.append(f"{score.vendor}: score {_score(score.before)} → {_score(score.after)}")
    if score.override_changed:
        after = _override(score.after)
        before = _override(score.before)
        lines.append(f"{score.vendor}: override {before} → {after}")
    return lines


def _score(row: Sequence[Any] | None) -> str:
    if row is None:
        return "none stored"
    number = "no score" if row[SCORE] is None else f"{row[SCORE]:.0f}"
    return f"{number} ({row[LOW]:.0f}-{row[HIGH]:.0f}, {row[TIER]})"


def _override(row: Sequence[Any] | None) -> str:
    if row is None or (row[OVERRIDE_SCORE] is None and not row[OVERRIDE_TIER]):
        return "none"
    if row[OVERRIDE_SCORE] is None:
        return f"tier {row[OVERRIDE_TIER]}"
    tier = f" ({row[OVERRIDE_TIER]})" if row[OVERRIDE_TIER] else ""
    return f"{row[OVERRIDE_SCORE]:g}{tier}"


def _answer(labels: EventLabels, key: str, value: Any) -> str:
    question = labels.questions.get(key)
    if question is None:
        return shorten(str(value), ANSWER_CHARS)
    return shorten(answer_display(question[1], value), ANSWER_CHARS)


def _status(value: str) -> str:
    return str(ResponseStatus(value).label) if value in ResponseStatus.values else str(value)


# Answers then and now ----------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerThenAndNow:
    number: str  # "3.6", as the portal and the report number it
    key: str
    text: str
    then: str | None  # None: the vendor was not in the report
    then_comment: str
    now: str | None  # None: the vendor is no longer in the round
    now_comment: str

    @property
    def changed(self) -> bool:
        return (self.then, self.then_comment) != (self.now, self.now_comment)


@dataclass(frozen=True)
class VendorAnswers:
    response_id: int
    vendor: str
    in_report: bool
    in_round: bool
    answers: tuple[AnswerThenAndNow, ...]

    @property
    def changed_count(self) -> int:
        return sum(1 for answer in self.answers if answer.changed)


def answers_then_and_now(
    kept: Mapping[str, Any],
    current: Mapping[str, Any],
    definitions: Mapping[int, Mapping[str, Any]],
) -> list[VendorAnswers]:
    """Every answer of every vendor as the report printed it (`kept`) and as it is now
    (`current`), question by question in the questionnaire's order."""
    then, now = _answers(kept), _answers(current)
    old_vendors, new_vendors = _vendors(kept), _vendors(current)
    versions = {**_versions(kept), **_versions(current)}
    found = []
    for response_id in sorted(set(old_vendors) | set(new_vendors)):
        definition = definitions.get(versions.get(response_id) or 0) or {"sections": []}
        labels = EventLabels.of(dict(definition))
        rows = []
        for key, (number, question) in labels.questions.items():
            was = then.get((response_id, key))
            is_ = now.get((response_id, key))
            rows.append(
                AnswerThenAndNow(
                    number=number,
                    key=key,
                    text=question["text"],
                    then=_shown(question, was) if response_id in old_vendors else None,
                    then_comment=(was or {}).get("comment") or "",
                    now=_shown(question, is_) if response_id in new_vendors else None,
                    now_comment=(is_ or {}).get("comment") or "",
                )
            )
        found.append(
            VendorAnswers(
                response_id=response_id,
                vendor=new_vendors.get(response_id) or old_vendors.get(response_id, ""),
                in_report=response_id in old_vendors,
                in_round=response_id in new_vendors,
                answers=tuple(rows),
            )
        )
    return found


def _shown(question: Mapping[str, Any], answer: Mapping[str, Any] | None) -> str:
    return answer_display(question, None if answer is None else answer.get("value"))
