"""The business case, stress-tested: numbers against a hand computation, and the worked
example of docs/scoring.md read back from the page and recomputed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from questionnaires.business_case import (
    Rate,
    RoundFigures,
    VendorFigures,
    business_case,
    rate_from_answer,
    vendor_figures,
)
from tests.questionnaires.test_scoring_docs import table

ROUND = RoundFigures(
    yearly_contact_volume=1_000_000, human_contact_cost=Decimal("5.00"), currency="EUR"
)


def figures(price="1200000", assumed="60", verified=("40", True), repeat=("10", False)):
    def rate(pair):
        return Rate(None) if pair is None else Rate(Decimal(pair[0]), pair[1])

    return VendorFigures(
        yearly_price=None if price is None else Decimal(price),
        assumed_rate=Rate(Decimal(assumed)) if assumed is not None else Rate(None),
        verified_rate=rate(verified),
        repeat_rate=rate(repeat),
    )


def test_net_savings_match_a_hand_computation():
    case = business_case(ROUND, figures())
    # (a) 1,000,000 contacts x 60% x 5.00 = 3,000,000, less the price 1,200,000.
    assert case.gross_assumed == Decimal("3000000.00")
    assert case.net_assumed == Decimal("1800000.00")
    # (b) 1,000,000 x 40% x (1 - 10%) = 360,000 contacts x 5.00 = 1,800,000 - 1,200,000.
    assert case.contacts_saved_verified == Decimal(360000)
    assert case.net_verified == Decimal("600000.00")
    assert case.break_even_price == Decimal("1800000.00")
    # The repeat rate is unverified: taken up to 100%, nothing is saved at the low end.
    assert case.net_verified_low == Decimal("-1200000.00")
    assert case.net_verified_high == Decimal("600000.00")
    assert case.assumed_only is False
    assert case.rests_on_unverified is True
    assert case.currency == "EUR"
    assert case.missing == ()


def test_verified_figures_give_a_point_not_a_range():
    case = business_case(ROUND, figures(repeat=("10", True)))
    assert case.net_verified_low == case.net_verified == case.net_verified_high
    assert case.rests_on_unverified is False


def test_an_unverified_resolution_rate_is_taken_between_zero_and_the_claim():
    case = business_case(ROUND, figures(verified=("40", False), repeat=("10", True)))
    assert case.net_verified_low == Decimal("-1200000.00")  # v = 0
    assert case.net_verified_high == Decimal("600000.00")  # v = 40%


def test_a_case_that_pays_only_on_its_assumption_is_flagged():
    # (a) 3,000,000 - 2,000,000 > 0; (b) 1,800,000 - 2,000,000 < 0.
    case = business_case(ROUND, figures(price="2000000", repeat=("10", True)))
    assert case.net_assumed == Decimal("1000000.00")
    assert case.net_verified == Decimal("-200000.00")
    assert case.assumed_only is True


def test_no_verified_rate_means_the_case_pays_only_on_its_assumption():
    case = business_case(ROUND, figures(verified=None, repeat=None))
    assert case.net_verified is None
    assert case.assumed_only is True
    # v in [0, a], p in [0, 100%].
    assert case.net_verified_low == Decimal("-1200000.00")
    assert case.net_verified_high == Decimal("1800000.00")
    assert "The vendor gives no verified resolution rate." in case.missing


def test_an_unknown_price_leaves_net_savings_unknown_and_says_why():
    case = business_case(ROUND, figures(price=None))
    assert case.gross_assumed == Decimal("3000000.00")
    assert case.net_assumed is None and case.net_verified is None
    assert case.assumed_only is None and case.rests_on_unverified is None
    assert any("yearly price is unknown" in reason for reason in case.missing)


def test_a_round_without_volume_or_cost_has_no_money_figures():
    case = business_case(RoundFigures(None, None, None), figures())
    assert case.gross_assumed is None and case.net_verified_low is None
    assert len(case.missing) == 2


def test_answers_become_rates_and_declared_answers_are_not_figures():
    assert rate_from_answer(12.5, "verified") == Rate(Decimal("12.5"), True)
    assert rate_from_answer(30, "document") == Rate(Decimal(30), False)
    for value in ("not_measured", None, True, [1], float("nan"), -1, 100.5):
        assert rate_from_answer(value, "verified") == Rate(None)
    got = vendor_figures(
        {
            "savings_resolution_rate": (55, "self_attested"),
            "verified_resolution_rate": ("not_measured", "verified"),
        },
        Decimal("900000"),
    )
    assert got.yearly_price == Decimal("900000")
    assert got.assumed_rate.percent == Decimal(55)
    assert got.verified_rate == Rate(None) and got.repeat_rate == Rate(None)


def test_the_answers_give_no_yearly_price_without_an_analysts():
    assert (
        vendor_figures({"pricing_basis": ("platform_fee", "verified")}, None).yearly_price is None
    )


# The worked example of docs/scoring.md ---------------------------------------------------


@pytest.fixture(scope="module")
def documented():
    inputs = {row["input"]: row["value"] for row in table("business-case-example:inputs")}
    results = {row["quantity"]: row["value"] for row in table("business-case-example:results")}
    return inputs, results


def test_the_documented_worked_example_is_what_the_code_computes(documented):
    inputs, results = documented

    def rate(name):
        percent, _, level = inputs[name].partition(" ")
        return Rate(Decimal(percent.rstrip("%")), level == "(verified)")

    round_figures = RoundFigures(
        yearly_contact_volume=int(inputs["N"].replace(",", "")),
        human_contact_cost=Decimal(inputs["C"]),
        currency="EUR",
    )
    vendor = VendorFigures(
        yearly_price=Decimal(inputs["P"].replace(",", "")),
        assumed_rate=rate("a"),
        verified_rate=rate("v"),
        repeat_rate=rate("p"),
    )
    case = business_case(round_figures, vendor)

    def money(text):
        return Decimal(text.replace(",", ""))

    assert case.net_assumed == money(results["net_a"])
    assert case.net_verified == money(results["net_b"])
    assert case.net_verified_low == money(results["net_b low"])
    assert case.net_verified_high == money(results["net_b high"])
    assert case.break_even_price == money(results["break-even price"])
    assert str(case.assumed_only).lower() == results["assumed_only"]
    assert str(case.rests_on_unverified).lower() == results["rests_on_unverified"]
