"""What vendors may see of a round (a Selection), stated once.

`buyer_context_for_vendors(selection)` is the only way a round reaches a vendor: the
portal's pages and the emails to vendors show what it returns and nothing else of the
Selection. So the round's own name (analysts often name a round after its buyer), its
owners, profile, recommendation and the other vendors never reach a vendor; the buyer's
name only when `buyer_name_visible`, otherwise the buyer is described by its industry
and regions.

`buyer_topics(question)` says which parts of that context a question refers to, so the
portal can show them beside it (the rule is in docs/questionnaire-format.md, "Buyer
context beside a question"). Both are pure: no query beyond reading the Selection the
caller passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .models import Channel, Selection


class Topic(StrEnum):
    """The parts of the buyer context, in the order they are shown."""

    BUYER = "buyer"
    INDUSTRY = "industry"
    REGIONS = "regions"
    CURRENCY = "currency"
    CHANNELS = "channels"
    VOLUME = "volume"
    USE_CASES = "use_cases"
    NOTE = "note"


TOPIC_LABELS: dict[str, str] = {
    Topic.BUYER: "Buyer",
    Topic.INDUSTRY: "Industry",
    Topic.REGIONS: "Regions",
    Topic.CURRENCY: "Currency",
    Topic.CHANNELS: "Channels in scope",
    Topic.VOLUME: "Customer contacts a year",
    Topic.USE_CASES: "Use cases in scope",
    Topic.NOTE: "Note from the analyst",
}
TOPICS: tuple[str, ...] = tuple(Topic)


@dataclass(frozen=True)
class ContextItem:
    """One part of the buyer context as a vendor reads it."""

    topic: str
    label: str
    text: str


@dataclass(frozen=True)
class BuyerContext:
    """The round's buyer context as vendors may see it.

    `buyer` is the buyer's name when the round shows it (`named`), else a description
    from its industry and regions. `items` holds every part that has a value, in TOPICS
    order, the buyer first.
    """

    buyer: str
    named: bool
    items: tuple[ContextItem, ...]

    def item(self, topic: str) -> ContextItem | None:
        return next((i for i in self.items if i.topic == topic), None)

    def for_topics(self, topics: Iterable[str]) -> tuple[ContextItem, ...]:
        """The items of these topics that have a value, in TOPICS order."""
        wanted = set(topics)
        return tuple(i for i in self.items if i.topic in wanted)

    @property
    def details(self) -> tuple[ContextItem, ...]:
        """The items after the buyer line: without the industry and regions when the
        description of an unnamed buyer already says them."""
        said = set() if self.named else {Topic.INDUSTRY, Topic.REGIONS}
        return tuple(i for i in self.items if i.topic != Topic.BUYER and i.topic not in said)

    def lines(self) -> list[str]:
        """ "Label: text" per item, for plain-text messages."""
        return [f"{i.label}: {i.text}" for i in self.items]

    def key_data(self) -> list[list[str]]:
        """Everything this context shows, for cache keys."""
        return [[i.topic, i.text] for i in self.items]


CHANNEL_LABELS = dict(Channel.choices)


def buyer_description(industry: str, regions: str) -> str:
    """An unnamed buyer in words: "A buyer in retail banking, serving customers in the EU"."""
    if industry and regions:
        return f"A buyer in {industry}, serving customers in {regions}"
    if industry:
        return f"A buyer in {industry}"
    if regions:
        return f"A buyer serving customers in {regions}"
    return "A buyer not named in this round"


def buyer_context_for_vendors(selection: Selection | None) -> BuyerContext | None:
    """What vendors may see of `selection`'s buyer; None for a response outside a round."""
    if selection is None:
        return None
    industry = selection.buyer_industry.strip()
    regions = selection.buyer_regions.strip()
    named = bool(selection.buyer_name_visible and selection.buyer_name.strip())
    buyer = selection.buyer_name.strip() if named else buyer_description(industry, regions)
    volume = selection.yearly_contact_volume
    texts: dict[str, str] = {
        Topic.BUYER: buyer,
        Topic.INDUSTRY: industry,
        Topic.REGIONS: regions,
        Topic.CURRENCY: selection.buyer_currency.strip().upper(),
        Topic.CHANNELS: ", ".join(
            str(CHANNEL_LABELS.get(c, c)) for c in (selection.buyer_channels or []) if c
        ),
        Topic.VOLUME: f"{volume:,}" if volume is not None else "",
        Topic.USE_CASES: selection.use_cases.strip(),
        Topic.NOTE: selection.buyer_note.strip(),
    }
    items = tuple(
        ContextItem(topic=topic, label=TOPIC_LABELS[topic], text=texts[topic])
        for topic in TOPICS
        if texts[topic]
    )
    return BuyerContext(buyer=buyer, named=named, items=items)


# Which questions refer to the buyer ---------------------------------------------------------

# A question's text refers to the buyer when it names it ("the buyer's systems").
_MENTIONS_BUYER = re.compile(r"\bbuyers?\b", re.IGNORECASE)
# ... and points at this round's buyer in particular.
_THIS_BUYER = re.compile(r"\bthis buyer\b|\bthe buyer named\b|\byour invitation\b", re.IGNORECASE)
# The words that make a part of the context relevant to a question that mentions the buyer.
_TOPIC_WORDS: dict[str, re.Pattern[str]] = {
    Topic.INDUSTRY: re.compile(r"\bindustr(?:y|ies)\b", re.IGNORECASE),
    Topic.REGIONS: re.compile(r"\bregions?\b|\bcountr(?:y|ies)\b", re.IGNORECASE),
    Topic.CURRENCY: re.compile(r"\bcurrenc(?:y|ies)\b", re.IGNORECASE),
    Topic.CHANNELS: re.compile(r"\bchannels?\b", re.IGNORECASE),
    Topic.VOLUME: re.compile(r"\bvolumes?\b|\b(?:comparable|similar|same) scale\b", re.IGNORECASE),
    Topic.USE_CASES: re.compile(r"\buse cases?\b", re.IGNORECASE),
}


def round_currency(selection: Selection | None) -> str | None:
    """The round's currency code ("EUR"), for amounts of money; None when not set."""
    return currency_code(selection.buyer_currency) if selection else None


def currency_code(text: str | None) -> str | None:
    """A round's currency field as a code: trimmed, upper case; None when empty."""
    return (text or "").strip().upper() or None


def buyer_topics(question: Mapping[str, Any]) -> tuple[str, ...]:
    """The parts of the buyer context a question refers to, in TOPICS order (none: the
    question shows no context beside it).

    A definition may say so with the question's `buyer_context` list; otherwise the
    question's text decides (docs/questionnaire-format.md).
    """
    # An amount in the buyer's currency always shows which currency that is.
    money = {Topic.CURRENCY} if _asks_for_money(question) else set()
    declared = question.get("buyer_context")
    topics = set(declared) if declared is not None else _topics_in_text(question)
    return tuple(t for t in TOPICS if t in topics | money)


def _asks_for_money(question: Mapping[str, Any]) -> bool:
    """An amount in the round's currency: a number in `currency`, or a grid's limits."""
    if question.get("unit") == "currency":
        return True
    return question.get("type") == "grid" and any(c["limit"] for c in question["cells"])


def _topics_in_text(question: Mapping[str, Any]) -> set[str]:
    text = question.get("text") or ""
    if not _MENTIONS_BUYER.search(text):
        return set()
    topics = {topic for topic, words in _TOPIC_WORDS.items() if words.search(text)}
    if topics or _THIS_BUYER.search(text):
        topics.add(Topic.BUYER)
    return topics
