"""Rates, overrides, tier arithmetic (graduated and volume) and credit types of rules 4.4 and
4.8."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .config import (
    DEFAULT_CREDIT_TYPE,
    Config,
    ConfigError,
    Contract,
    Override,
    Product,
    Rate,
    RateSpec,
    Specifier,
)
from .values import r12

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Tier:
    """A price band of the running converted quantity from lo to hi; None bounds are infinite.

    TIERED reads it as [lo, hi) (a boundary belongs to the upper tier), VOLUME as (lo, hi]."""

    index: int | None  # from 1 for TIERED and VOLUME, None for FLAT
    lo: Decimal | None
    hi: Decimal | None
    price: Decimal


@dataclass(frozen=True)
class EffectiveRate:
    """The list rate changed by the applicable override (rules 4.8), ready to price: its
    amounts are in `credit_type_id`, worth `fiat_per_credit` each in the card's fiat type."""

    rate_type: str  # FLAT | TIERED | VOLUME
    tiers: tuple[Tier, ...]
    credit_type_id: str
    fiat_credit_type_id: str = DEFAULT_CREDIT_TYPE
    fiat_per_credit: Decimal = Decimal(1)


def active_at(starting_at: datetime, ending_before: datetime | None, instant: datetime) -> bool:
    """Interval rule: active iff starting_at <= t < ending_before (null ending = open)."""
    return starting_at <= instant and (ending_before is None or instant < ending_before)


def group_values_match(named: tuple[tuple[str, str], ...], values: dict[str, str]) -> bool:
    """Rules 4.4 / 4.8: every key named equals the event's value (a missing property never does)."""
    return all(values.get(key) == text for key, text in named)


def select_rate(
    config: Config, contract: Contract, product: Product, values: dict[str, str], t: datetime
) -> Rate | None:
    """Rules 4.4: the effective rate of the contract's card whose pricing_group_values match,
    the one naming the most keys winning. The caller checks `entitled`."""
    candidates = [
        rate
        for rate in config.rates
        if rate.rate_card_id == contract.rate_card_id
        and rate.product_id == product.id
        and active_at(rate.starting_at, rate.ending_before, t)
        and (
            rate.pricing_group_values is None
            or group_values_match(rate.pricing_group_values, values)
        )
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (len(r.pricing_group_values or ()), -r.index))


def specifier_matches(spec: Specifier, product: Product, values: dict[str, str]) -> bool:
    """Rules 3 overrides: a specifier matches when all of its given fields match."""
    if spec.product_id is not None and spec.product_id != product.id:
        return False
    if spec.product_tags is not None and not (spec.product_tags & product.tags):
        return False
    named = spec.pricing_group_values
    return named is None or group_values_match(named, values)


def _priority_key(override: Override) -> tuple:
    """(priority ascending, null last; later starting_at; id)."""
    priority = override.priority
    later_first = -(override.starting_at - _EPOCH)
    return (priority is None, priority if priority is not None else 0, later_first, override.id)


def select_override(
    config: Config, contract: Contract, product: Product, values: dict[str, str], t: datetime
) -> Override | None:
    """Rules 4.8: one applicable OVERWRITE, otherwise one applicable MULTIPLIER, or None."""
    applicable = [
        o
        for o in config.overrides
        if o.contract_id == contract.id
        and active_at(o.starting_at, o.ending_before, t)
        and any(specifier_matches(s, product, values) for s in o.specifiers)
    ]
    overwrites = [o for o in applicable if o.type == "OVERWRITE"]
    if overwrites:
        return min(overwrites, key=_priority_key)
    multipliers = [o for o in applicable if o.type == "MULTIPLIER"]
    if not multipliers:
        return None
    if contract.multiplier_prioritization == "EXPLICIT":
        return min(multipliers, key=_priority_key)
    return min(
        multipliers,
        key=lambda o: (o.multiplier is None, o.multiplier or 0, *_priority_key(o)),
    )


def build_tiers(spec: RateSpec, multiplier: Decimal | None) -> tuple[Tier, ...]:
    """Price bands of a rate (TIERED and VOLUME share the bounds: each tier's size is added to
    the previous bound); a multiplier scales every price (R-rounded, rules 8)."""

    def price(value: Decimal | None) -> Decimal:
        base = value if value is not None else Decimal(0)
        return r12(base * multiplier) if multiplier is not None else r12(base)

    if spec.rate_type not in ("TIERED", "VOLUME"):
        return (Tier(index=None, lo=None, hi=None, price=price(spec.price)),)
    tiers: list[Tier] = []
    lo: Decimal | None = None
    last = len(spec.tiers) - 1
    for i, item in enumerate(spec.tiers):
        open_end = i == last or item.size is None
        hi = None if open_end else (item.size if lo is None else lo + item.size)
        tiers.append(Tier(index=i + 1, lo=lo, hi=hi, price=price(item.price)))
        if open_end:
            break
        lo = hi
    return tuple(tiers)


def effective_rate(
    config: Config, contract: Contract, rate: Rate, override: Override | None
) -> EffectiveRate:
    """Rules 4.8: OVERWRITE replaces the rate; MULTIPLIER multiplies its prices.

    credit_type_id = the list rate's (an override keeps it), else the card's fiat type (USD_CENTS
    without a card); fiat_per_credit = 1 for the fiat type, else the card's conversion.
    """
    spec, multiplier = rate.spec, None
    if override is not None and override.type == "OVERWRITE" and override.overwrite_rate:
        spec = override.overwrite_rate
    elif override is not None and override.type == "MULTIPLIER":
        multiplier = override.multiplier
    card = config.card(contract.rate_card_id)
    credit_type = rate.credit_type_id or card.fiat_credit_type_id
    factor = card.fiat_per_credit(credit_type)
    if factor is None:  # load_config refuses such a rate; never price it silently
        raise ConfigError(f"no conversion of {credit_type!r} on rate card {card.id!r}")
    return EffectiveRate(
        rate_type=spec.rate_type if spec.rate_type in ("TIERED", "VOLUME") else "FLAT",
        tiers=build_tiers(spec, multiplier),
        credit_type_id=credit_type,
        fiat_credit_type_id=card.fiat_credit_type_id,
        fiat_per_credit=factor,
    )


def clamp(x: Decimal, lo: Decimal | None, hi: Decimal | None) -> Decimal:
    """x limited to [lo, hi]; None bounds are infinite."""
    if lo is not None and x < lo:
        return lo
    if hi is not None and x > hi:
        return hi
    return x


def tier_parts(rate: EffectiveRate, q_from: Decimal, q_to: Decimal) -> list[tuple[Tier, Decimal]]:
    """Rules 4.8 graduated tiers: part_t = clamp(Q', lo_t, hi_t) - clamp(Q, lo_t, hi_t), non-zero
    parts only, in tier order. FLAT is the single band (-inf, +inf)."""
    parts = []
    for tier in rate.tiers:
        part = clamp(q_to, tier.lo, tier.hi) - clamp(q_from, tier.lo, tier.hi)
        if part != 0:
            parts.append((tier, part))
    return parts


def tier_holding(rate: EffectiveRate, q: Decimal) -> Tier:
    """Rules 4.8: the tier holding the running total q (a boundary belongs to the upper tier)."""
    for tier in rate.tiers:
        if (tier.lo is None or tier.lo <= q) and (tier.hi is None or q < tier.hi):
            return tier
    return rate.tiers[-1]


def volume_tier(rate: EffectiveRate, q: Decimal) -> Tier:
    """Rules 4.8 VOLUME: the tier holding the period total q, tier t holding (lo_t, hi_t]: a
    total on a boundary belongs to the lower tier, and tier 1 holds every total <= its hi."""
    for tier in rate.tiers:
        if tier.hi is None or q <= tier.hi:
            return tier
    return rate.tiers[-1]


def volume_cost(rate: EffectiveRate, q: Decimal) -> Decimal:
    """Rules 4.8 VOLUME: V(q) = q x p(q), R-rounded (rules 8)."""
    return r12(q * volume_tier(rate, q).price)


def to_fiat(amount: Decimal, fiat_per_credit: Decimal) -> Decimal:
    """Rules 4.8 / 8: fiat_amount = R(amount x fiat_per_custom_credit) (factor 1 for fiat)."""
    return r12(amount * fiat_per_credit)
