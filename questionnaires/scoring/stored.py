"""The stored form of a score: the columns of a ResponseScore row and the text of its result.

Each is declared once here. `StoredScore` names the computed columns (the writer in
services.scores takes its column names from it); `Term` names the columns of one
explanation row; `result_json` writes the one layout of the stored result, which
`ScoreResult.from_dict` reads back (docs/scoring.md, Stored form).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import NamedTuple

# Stored results are read by people and compared across runs; six decimals is far below
# anything shown and keeps the JSON short.
RESULT_DECIMALS = 6


class Term(NamedTuple):
    """One visible scored question's row in the explanation (ScoreResult.terms)."""

    question_key: str
    section_key: str
    risk: float | None  # None: unanswered
    evidence_level: str | None  # None: unanswered
    weight: float  # effective weight e_q
    u: float  # uncertainty of the answer (0 when unanswered)


class StoredScore(NamedTuple):
    """The computed columns of a ResponseScore row, as ScoringPlan.stored returns them."""

    profile_key: str
    engine_version: str
    inputs_hash: str
    score: float | None
    low: float
    high: float
    coverage: float
    tier: str
    flag_count: int
    result: str  # the result as JSON text (ScoreResult.to_json)


def encode_term(term: Term, section_index: int) -> str:
    """One explanation row as `key,section index,risk,evidence level,e,u`.

    Keys and levels are slugs, so commas and semicolons cannot occur in them; an
    unanswered question has empty risk and level. The numbers are written exactly (the
    shortest text that reads back as the same float), so that section scores rebuilt
    from the rows equal the live ones whatever the scale of the weights.
    """
    risk = "" if term.risk is None else repr(term.risk)
    return (
        f"{term.question_key},{section_index},{risk},{term.evidence_level or ''},"
        f"{term.weight!r},{term.u!r}"
    )


def decode_terms(encoded: str, section_keys: Sequence[str]) -> tuple[Term, ...]:
    """The rows `encode_term` wrote, joined by `;`, with each section index resolved."""
    rows = []
    for row in encoded.split(";") if encoded else ():
        key, section, risk, level, e, u = row.split(",")
        rows.append(
            Term(
                question_key=key,
                section_key=section_keys[int(section)] if section.isdigit() else section,
                risk=float(risk) if risk else None,
                evidence_level=level or None,
                weight=float(e),
                u=float(u),
            )
        )
    return tuple(rows)


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, RESULT_DECIMALS)


compact_json = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def json_number(value: float | None) -> str:
    return "null" if value is None else repr(round(value, RESULT_DECIMALS))


def json_string_body(text: str) -> str:
    """Text that can sit between the quotes of a JSON string as it is."""
    return json.dumps(text)[1:-1]


def result_head(engine_version: str, profile_key: str) -> str:
    """The start of a result's JSON text, up to its score: the same for a whole profile."""
    return (
        f'{{"engine_version":{json.dumps(engine_version)},'
        f'"profile_key":{json.dumps(profile_key)},"score":'
    )


def result_json(
    head: str,
    numbers: tuple[float | None, float, float, float],
    tier: str,
    *,
    sections: str,
    flags: Iterable[str],
    terms: Iterable[str],
) -> str:
    """The stored result as JSON text, from pieces already encoded.

    `head` comes from result_head; `numbers` are the score, low, high and coverage (as
    results.summary gives them); `sections` is the JSON list of each section's
    [key, title, weight]; `flags` the JSON object of each flag; `terms` each explanation
    row as encode_term writes it, escaped for a JSON string (json_string_body). Only
    what the terms cannot give is stored besides them: section scores, ranges and
    coverage are recomputed from the terms when the result is read.

    One string for the terms rather than a mapping per question: every rescoring
    writes thousands of these, and PostgreSQL parses and stores one long jsonb string
    several times faster than hundreds of small values.
    """
    score, low, high, coverage = numbers
    return "".join(
        (
            head,
            json_number(score),
            ',"low":',
            json_number(low),
            ',"high":',
            json_number(high),
            ',"coverage":',
            json_number(coverage),
            ',"tier":"',
            tier,
            '","sections":',
            sections,
            ',"flags":[',
            ",".join(flags),
            '],"terms":"',
            ";".join(terms),
            '"}',
        )
    )
