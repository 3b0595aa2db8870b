"""The vendor's business case, stress-tested (pure: plain data in and out, no Django).

docs/scoring.md ("The business case, stress-tested") states the formulas and a worked
example that tests/questionnaires/test_business_case.py recomputes. In short, with N
the buyer's yearly contacts, C the cost of a contact handled by a person and P the
vendor's yearly price:

- (a) as assumed: net_a = N * a * C - P, with a the resolution rate the vendor's
  business case assumes (savings_resolution_rate);
- (b) as verified: net_b = N * v * (1 - p) * C - P, with v the verified resolution rate
  (verified_resolution_rate) and p the repeat-contact rate (repeat_contact_rate): a
  contact resolved and then back within 7 days saved nothing.

(b) is a range, because a rate an analyst has not verified may be anything up to what
the vendor claims: an unverified v is taken in [0, v], an unverified p in [p, 100%]; a
v not given (unanswered, hidden or "not measured") in [0, a] (at best what the vendor's
own case assumes; no upper end without it), a p not given in [0, 100%]. The point value
of (b) takes the figures as the vendor gave them, where it gave them. Money is Decimal,
rounded to the cent at the end.

Flags: `assumed_only`, the case pays (net_a > 0) only on the assumed rate, not on the
vendor's own verified figures (net_b <= 0, or no net_b because a figure is not given);
`rests_on_unverified`, it pays on the figures as given (net_b > 0) but not at the low
end of the range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# The v2 questions the business case reads (questionnaires/definitions/ai-cx-agent-v2.yaml).
ASSUMED_RATE_KEY = "savings_resolution_rate"
VERIFIED_RATE_KEY = "verified_resolution_rate"
REPEAT_RATE_KEY = "repeat_contact_rate"
# The v2 commercial question on price asks its unit (per resolution, per contact, a
# platform fee), not an amount: without an analyst's price the yearly price is unknown.
PRICING_BASIS_KEY = "pricing_basis"

VERIFIED = "verified"
CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Rate:
    """A percentage figure a vendor gave: `percent` None when not given."""

    percent: Decimal | None
    verified: bool = False

    @property
    def share(self) -> Decimal | None:
        return None if self.percent is None else self.percent / HUNDRED


@dataclass(frozen=True)
class RoundFigures:
    yearly_contact_volume: int | None
    human_contact_cost: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class VendorFigures:
    yearly_price: Decimal | None  # the analyst's (Response.analyst_yearly_price)
    assumed_rate: Rate  # verification does not matter: it is the case's own assumption
    verified_rate: Rate
    repeat_rate: Rate


@dataclass(frozen=True)
class BusinessCase:
    currency: str | None
    yearly_price: Decimal | None
    # Contacts a year the case counts as handled without a person.
    contacts_saved_assumed: Decimal | None
    contacts_saved_verified: Decimal | None
    gross_assumed: Decimal | None  # N * a * C
    gross_verified: Decimal | None  # N * v * (1 - p) * C: the most the vendor may cost
    net_assumed: Decimal | None
    net_verified: Decimal | None
    net_verified_low: Decimal | None
    net_verified_high: Decimal | None
    assumed_only: bool | None  # None: not known (a figure is missing)
    rests_on_unverified: bool | None
    missing: tuple[str, ...]  # what could not be computed, and why, in words

    @property
    def break_even_price(self) -> Decimal | None:
        """The yearly price up to which the case pays on the verified figures as given."""
        return self.gross_verified


def rate_from_answer(value: Any, evidence_level: str | None) -> Rate:
    """A Rate from a percentage answer: a number from 0 to 100, or anything else
    (unanswered, "not measured", out of range) as not given."""
    percent = _decimal(value)
    if percent is None or not ZERO <= percent <= HUNDRED:
        return Rate(None)
    return Rate(percent, verified=evidence_level == VERIFIED)


def vendor_figures(
    answers: Mapping[str, tuple[Any, str | None]], analyst_yearly_price: Decimal | None
) -> VendorFigures:
    """The vendor's figures from its visible answers ({key: (value, evidence level)})
    and the analyst's price (v2's answers give no amount: see PRICING_BASIS_KEY)."""

    def rate(key: str) -> Rate:
        value, level = answers.get(key, (None, None))
        return rate_from_answer(value, level)

    return VendorFigures(
        yearly_price=analyst_yearly_price,
        assumed_rate=rate(ASSUMED_RATE_KEY),
        verified_rate=rate(VERIFIED_RATE_KEY),
        repeat_rate=rate(REPEAT_RATE_KEY),
    )


def business_case(round_figures: RoundFigures, vendor: VendorFigures) -> BusinessCase:
    """The vendor's business case under (a) its assumed rate, (b) its verified figures."""
    missing = _missing(round_figures, vendor)
    volume = (
        Decimal(round_figures.yearly_contact_volume)
        if round_figures.yearly_contact_volume is not None
        else None
    )
    cost, price = round_figures.human_contact_cost, vendor.yearly_price
    a = vendor.assumed_rate.share
    v, p = vendor.verified_rate.share, vendor.repeat_rate.share
    low_share, high_share = _verified_share_range(vendor)

    def saved(share: Decimal | None) -> Decimal | None:
        return None if volume is None or share is None else volume * share

    def gross(share: Decimal | None) -> Decimal | None:
        contacts = saved(share)
        return None if contacts is None or cost is None else contacts * cost

    def net(share: Decimal | None) -> Decimal | None:
        amount = gross(share)
        return None if amount is None or price is None else amount - price

    # As the vendor gave them; without either figure there is no point value, only the range.
    point_share = None if v is None or p is None else v * (ONE - p)
    net_a, net_b, net_low = net(a), net(point_share), net(low_share)
    return BusinessCase(
        currency=round_figures.currency,
        yearly_price=_cents(price),
        contacts_saved_assumed=_whole(saved(a)),
        contacts_saved_verified=_whole(saved(point_share)),
        gross_assumed=_cents(gross(a)),
        gross_verified=_cents(gross(point_share)),
        net_assumed=_cents(net_a),
        net_verified=_cents(net_b),
        net_verified_low=_cents(net_low),
        net_verified_high=_cents(net(high_share)),
        # With net_a known, the round's figures and the price are: a net_b still missing
        # means the vendor's own figures cannot show the case pays, so it does not under (b).
        assumed_only=None if net_a is None else net_a > 0 and not (net_b is not None and net_b > 0),
        rests_on_unverified=(
            None if net_b is None or net_low is None else net_b > 0 and net_low <= 0
        ),
        missing=missing,
    )


def _verified_share_range(vendor: VendorFigures) -> tuple[Decimal, Decimal | None]:
    """The lowest and highest v * (1 - p) the vendor's figures allow (see the docstring)."""
    v, p = vendor.verified_rate, vendor.repeat_rate
    if v.share is None:
        v_low, v_high = ZERO, vendor.assumed_rate.share
    elif v.verified:
        v_low, v_high = v.share, v.share
    else:
        v_low, v_high = ZERO, v.share
    if p.share is None:
        p_low, p_high = ZERO, ONE
    elif p.verified:
        p_low, p_high = p.share, p.share
    else:
        p_low, p_high = p.share, ONE
    low = v_low * (ONE - p_high)
    high = None if v_high is None else v_high * (ONE - p_low)
    return low, high


def _missing(round_figures: RoundFigures, vendor: VendorFigures) -> tuple[str, ...]:
    missing = []
    if round_figures.yearly_contact_volume is None:
        missing.append("The round has no yearly contact volume.")
    if round_figures.human_contact_cost is None:
        missing.append("The round has no cost of a contact handled by a person.")
    if vendor.yearly_price is None:
        missing.append(
            "The yearly price is unknown: the vendor's answers give the unit of its price, "
            "not an amount; an analyst can enter it on the round's page."
        )
    if vendor.assumed_rate.percent is None:
        missing.append("The vendor's business case states no resolution rate.")
    if vendor.verified_rate.percent is None:
        missing.append("The vendor gives no verified resolution rate.")
    if vendor.repeat_rate.percent is None:
        missing.append("The vendor gives no repeat-contact rate.")
    return tuple(missing)


def _decimal(value: Any) -> Decimal | None:
    """A finite number as Decimal (through its text, so 0.1 stays 0.1); else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _cents(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _whole(count: Decimal | None) -> Decimal | None:
    return None if count is None else count.quantize(ONE, rounding=ROUND_HALF_UP)
