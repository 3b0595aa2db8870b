"""What vendors may see of a round, and which questions show it beside them."""

from __future__ import annotations

import yaml

from questionnaires.models import Channel, Selection
from questionnaires.rounds import (
    Topic,
    buyer_context_for_vendors,
    buyer_description,
    buyer_topics,
)
from tests.conftest import SHIPPED_DEFINITION


def _round(**fields) -> Selection:
    # Unsaved: the function reads the fields only.
    values = {
        "name": "Northwind 2026 re-tender",
        "buyer_name": "Northwind Bank",
        "buyer_industry": "retail banking",
        "buyer_regions": "the EU and the UK",
        "buyer_currency": "eur",
        "buyer_channels": [Channel.VOICE, Channel.CHAT],
        "yearly_contact_volume": 1_200_000,
        "use_cases": "Card disputes, address changes",
        "buyer_note": "Voice first; chat in year two.",
        "recommendation": "Pick Corvane",
        **fields,
    }
    return Selection(**values)


def test_a_hidden_buyer_is_described_by_industry_and_regions():
    context = buyer_context_for_vendors(_round())
    assert context is not None
    assert not context.named
    assert context.buyer == "A buyer in retail banking, serving customers in the EU and the UK"
    texts = " ".join(context.lines())
    assert "Northwind" not in texts  # neither the buyer's name nor the round's
    assert "Corvane" not in texts
    assert [i.topic for i in context.items] == list(Topic)
    assert context.item(Topic.CURRENCY).text == "EUR"
    assert context.item(Topic.CHANNELS).text == "Voice, Web and app chat"
    assert context.item(Topic.VOLUME).text == "1,200,000"
    # The description already says industry and regions.
    assert {i.topic for i in context.details} == {
        Topic.CURRENCY,
        Topic.CHANNELS,
        Topic.VOLUME,
        Topic.USE_CASES,
        Topic.NOTE,
    }


def test_a_visible_buyer_is_named():
    context = buyer_context_for_vendors(_round(buyer_name_visible=True))
    assert context.named
    assert context.buyer == "Northwind Bank"
    assert context.item(Topic.BUYER).text == "Northwind Bank"
    assert context.item(Topic.INDUSTRY) in context.details


def test_empty_parts_are_left_out_and_no_round_has_no_context():
    context = buyer_context_for_vendors(
        Selection(name="R", buyer_name="Secret Co", buyer_channels=[])
    )
    assert context.buyer == buyer_description("", "") == "A buyer not named in this round"
    assert [i.topic for i in context.items] == [Topic.BUYER]
    assert buyer_context_for_vendors(None) is None


def test_question_text_decides_the_topics():
    def topics(text, **extra):
        return buyer_topics({"text": text, "help": "Why a buyer asks.", **extra})

    assert topics("above what amount (in the buyer's currency) must a human approve?") == (
        Topic.BUYER,
        Topic.CURRENCY,
    )
    assert topics("Which regions can run for this buyer?") == (Topic.BUYER, Topic.REGIONS)
    assert topics("comparable to the buyer named in your invitation: the same industry") == (
        Topic.BUYER,
        Topic.INDUSTRY,
    )
    # Mentioning the buyer in passing, or a topic without the buyer: nothing beside it.
    assert topics("Which actions can the agent execute in the buyer's systems?") == ()
    assert topics("Which channels do you support?") == ()
    # The help is not read: every help text says why a buyer asks.
    assert buyer_topics({"text": "How fast?", "help": "The buyer's currency and volume."}) == ()
    # A definition may say it outright, in any order; an empty list shows nothing.
    assert topics("Price per contact?", buyer_context=["volume", "currency"]) == (
        Topic.CURRENCY,
        Topic.VOLUME,
    )
    assert topics("In the buyer's currency?", buyer_context=[]) == ()


def test_the_shipped_questions_that_refer_to_the_buyer():
    definition = yaml.safe_load(SHIPPED_DEFINITION.read_text())
    found = {
        q["key"]: buyer_topics(q)
        for s in definition["sections"]
        for q in s["questions"]
        if buyer_topics(q)
    }
    assert found == {
        "subprocessors": (Topic.BUYER, Topic.REGIONS),
        "hosting_regions": (Topic.BUYER, Topic.REGIONS),
        "comparable_deployments": (Topic.BUYER, Topic.INDUSTRY, Topic.VOLUME),
        "reference_customers": (Topic.BUYER, Topic.VOLUME),
        "money_approval_threshold": (Topic.BUYER, Topic.CURRENCY),
        "data_residency": (Topic.BUYER, Topic.REGIONS),
    }
