"""The analyst's recommendation, and whether the round has moved on since it was written.

Pure: `recommendation_basis` records, from the comparison the analyst was looking at
(questionnaires.comparison), the vendors and their scores under the round's profile;
the round service stores it with the text (Selection.recommendation_basis).
`recommendation_drift` compares it with a comparison of the round now and says, in
words, what the recommendation predates: a vendor added or removed, a score or tier
changed, an override set, changed or removed. The comparison page and the comparison
PDF both ask it, so they warn alike.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Column(Protocol):
    """What is read of a comparison's vendor column (comparison.VendorColumn)."""

    # Read-only, as the frozen comparison columns are.
    @property
    def response_id(self) -> int: ...

    @property
    def vendor_name(self) -> str: ...

    @property
    def override_score(self) -> float | None: ...

    @property
    def override_tier(self) -> str: ...

    @property
    def effective_score(self) -> float | None: ...

    @property
    def effective_tier(self) -> str: ...


def recommendation_basis(
    columns: Sequence[Column],
    *,
    profile_key: str,
    profile_title: str,
    written_at: datetime.datetime,
    written_by: str,
) -> dict[str, Any]:
    """What the recommendation is written against, as JSON-able data."""
    return {
        "profile_key": profile_key,
        "profile_title": profile_title,
        "written_at": written_at.isoformat(),
        "written_by": written_by,
        "vendors": [
            {
                "response": column.response_id,
                "vendor": column.vendor_name,
                "score": _rounded(column.effective_score),
                "tier": column.effective_tier,
                "override_score": column.override_score,
                "override_tier": column.override_tier,
            }
            for column in columns
        ],
    }


@dataclass(frozen=True)
class Drift:
    """What a recommendation predates; empty when nothing it was written against moved."""

    warnings: tuple[str, ...]
    profile_note: str = ""  # set when the scores could not be compared under its profile

    def __bool__(self) -> bool:
        return bool(self.warnings)


def recommendation_drift(
    basis: Mapping[str, Any] | None, columns: Sequence[Column], *, profile_key: str
) -> Drift:
    """Compare `basis` with `columns` of the round now, weighed under `profile_key`.

    Vendors added or removed are found under any profile; scores, tiers and overrides
    only under the profile the recommendation was written under (else `profile_note`).
    """
    if not basis or "vendors" not in basis:
        return Drift(())
    then = {v["response"]: v for v in basis["vendors"]}
    now = {c.response_id: c for c in columns}
    warnings = [
        f"{now[pk].vendor_name} was added to the round after the recommendation was written."
        for pk in now
        if pk not in then
    ]
    warnings += [f"{then[pk]['vendor']} is no longer in the round." for pk in then if pk not in now]
    same_profile = basis.get("profile_key") == profile_key
    if same_profile:
        for pk, column in now.items():
            if pk in then:
                warnings.extend(_vendor_drift(then[pk], column))
    note = (
        ""
        if same_profile
        else f"It was written under the {basis.get('profile_title') or basis.get('profile_key')} "
        "profile: choose that profile to check whether the scores changed since."
    )
    return Drift(tuple(warnings), profile_note=note)


def _vendor_drift(then: Mapping[str, Any], column: Column) -> list[str]:
    name = column.vendor_name
    warnings = []
    override_then = (then.get("override_score"), then.get("override_tier") or "")
    override_now = (column.override_score, column.override_tier or "")
    if override_then != override_now:
        if override_now == (None, ""):
            warnings.append(f"{name}'s override was removed since.")
        elif override_then == (None, ""):
            warnings.append(f"{name}'s score was overridden since ({_shown(override_now)}).")
        else:
            warnings.append(
                f"{name}'s override changed since: {_shown(override_then)} → "
                f"{_shown(override_now)}."
            )
    score_then, tier_then = then.get("score"), then.get("tier")
    score_now, tier_now = _rounded(column.effective_score), column.effective_tier
    # An override changed says so above; the score it sets is no news beside it.
    if not warnings and (score_then, tier_then) != (score_now, tier_now):
        warnings.append(
            f"{name} now scores {_score(score_now, tier_now)}; it scored "
            f"{_score(score_then, tier_then)} when the recommendation was written."
        )
    return warnings


def _rounded(score: float | None) -> int | None:
    # Whole points: a score moving by less is noise for a recommendation, not a reason
    # to say it predates the round (the pages print scores to one decimal).
    return None if score is None else round(score)


def _score(score: int | None, tier: str | None) -> str:
    return f"{'no score' if score is None else score} ({tier or 'unrated'})"


def _shown(override: tuple[float | None, str]) -> str:
    score, tier = override
    parts = [] if score is None else [f"{score:g}"]
    parts += [tier] if tier else []
    return ", ".join(parts)


@dataclass(frozen=True)
class SignOffCheck:
    """What a sign-off vouches for, and what in it needs explaining in the recommendation.

    `vendor` is empty when the round recommends no vendor (only a text); `warnings` name
    each reason a reader would question the verdict: a vendor ranked below another, in the
    critical tier, with a critical red flag, or whose response is not accepted.
    """

    vendor: str = ""
    score: float | None = None
    tier: str = ""
    overridden: bool = False
    rank: int = 0  # 0: not ranked (its answers are not handed over)
    ranked: int = 0  # how many vendors are ranked
    status: str = ""
    flags: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


class Ranked(Protocol):
    """What is read of a ranked vendor (reports.summary.VendorSummary)."""

    @property
    def column(self) -> Any: ...

    @property
    def rank(self) -> int: ...


def sign_off_check(vendors: Sequence[Ranked], recommended_id: int | None) -> SignOffCheck:
    """The recommended vendor among `vendors` (in rank order), and the warnings on it."""
    found = next((v for v in vendors if v.column.response_id == recommended_id), None)
    if found is None:
        return SignOffCheck()
    column = found.column
    name, ranked = column.vendor_name, sum(1 for v in vendors if v.rank)
    critical = [f.title for f in column.flags if f.severity == "critical"]
    warnings = []
    if not found.rank:
        warnings.append(f"{name} is not ranked: its answers are not handed over.")
    elif found.rank > 1:
        top = next(v.column.vendor_name for v in vendors if v.rank == 1)
        warnings.append(f"{name} is ranked {found.rank} of {ranked}: {top} ranks higher.")
    if column.effective_tier == "critical":
        warnings.append(f"{name} is in the critical tier.")
    warnings += [f"{name} carries a critical red flag: {title}." for title in critical]
    if column.status != "accepted":
        warnings.append(f"{name}'s response is not accepted: it is {column.status_label.lower()}.")
    return SignOffCheck(
        vendor=name,
        score=column.effective_score,
        tier=column.effective_tier,
        overridden=column.is_overridden,
        rank=found.rank,
        ranked=ranked,
        status=column.status_label,
        flags=tuple(f"{f.severity}: {f.title}" for f in column.flags),
        warnings=tuple(warnings),
    )
