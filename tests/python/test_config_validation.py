"""Bad configuration fails `dbt build` with a message naming the offending row (rules 3);
a good configuration passes. Each case breaks one thing in an otherwise valid folder."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
import scenario as shared
from dbt_runner import dbt_build
from scenario import Scenario, write_raw

AS_OF = "2026-03-01T00:00:00Z"
# each test builds a folder of its own: pytest-xdist spreads them over its workers
INDEPENDENT_TESTS = True


def valid_scenario() -> Scenario:
    jan1, feb1 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
    return Scenario(
        customers=[
            shared.customer("cust-a", name="A", ingest_aliases=["alias-a"]),
            shared.customer("cust-b", name="B"),
        ],
        billable_metrics=[
            shared.metric(
                "m-tokens",
                event_types=["llm"],
                key="tokens",
                group_keys=[["model"]],
                name="Tokens",
            ),
        ],
        products=[
            shared.product(
                "p-tokens",
                "m-tokens",
                conversion=("DIVIDE", 1000000),
                pricing_key=["model"],
                tags=["ai"],
                name="Tokens",
            ),
        ],
        rate_cards=[
            shared.rate_card(
                "rc-1", name="Card", conversions=[shared.conversion("GPU_CREDITS", "2.5")]
            )
        ],
        rates=[
            shared.rate("rc-1", "p-tokens", start=jan1, end=feb1, price=100),
            shared.rate(
                "rc-1", "p-tokens", start=feb1, tiers=[{"size": 10, "price": 200}, {"price": 100}]
            ),
            shared.rate("rc-1", "p-tokens", start=jan1, price=50, group_values={"model": "small"}),
            shared.rate(
                "rc-1",
                "p-tokens",
                start=jan1,
                tiers=[{"size": 10, "price": 2}, {"price": 1}],
                rate_type="VOLUME",
                group_values={"model": "gpu"},
                credit_type_id="GPU_CREDITS",
            ),
        ],
        contracts=[
            shared.contract(
                "ct-1", "cust-a", "rc-1", start=jan1, prioritization="LOWEST_MULTIPLIER"
            ),
        ],
        overrides=[
            {
                "id": "ov-1",
                "contract_id": "ct-1",
                "starting_at": jan1,
                "ending_before": None,
                "type": "MULTIPLIER",
                "multiplier": 0.9,
                "overwrite_rate": None,
                "priority": 1,
                "override_specifiers": [{"product_tags": ["ai"]}],
            },
        ],
        commits=[
            shared.commit(
                "k-1",
                "ct-1",
                "p-tokens",
                [shared.schedule_item("k-1-s1", 1500, jan1, feb1)],
                invoice_schedule={"schedule_items": [{"amount": 1500, "timestamp": jan1}]},
                name="Commit",
            ),
        ],
        credits=[
            shared.credit(
                "cr-1",
                "ct-1",
                "p-tokens",
                [shared.schedule_item("cr-1-s1", 100, jan1, "2026-03-01T00:00:00Z")],
                product_ids=["p-tokens"],
                priority=0,
                name="Credit",
                credit_type_id="GPU_CREDITS",
            ),
        ],
    )


def _set(collection: str, index: int, **changes) -> Callable[[Scenario], None]:
    def mutate(scenario: Scenario) -> None:
        getattr(scenario, collection)[index].update(changes)

    return mutate


def _append(collection: str, row: dict | Callable[[Scenario], dict]) -> Callable[[Scenario], None]:
    def mutate(scenario: Scenario) -> None:
        value = row(scenario) if callable(row) else row
        getattr(scenario, collection).append(copy.deepcopy(value))

    return mutate


BROKEN: list[tuple[str, Callable[[Scenario], None], str]] = [
    (
        "duplicate customer id",
        _append("customers", {"id": "cust-b", "name": "B2"}),
        "duplicate id cust-b",
    ),
    ("duplicate product id", _append("products", lambda s: s.products[0]), "duplicate id p-tokens"),
    (
        "missing contract id",
        _set("contracts", 0, id=None),
        "stg_billing__contracts line 1: missing id",
    ),
    (
        "rate with price and tiers",
        _set("rates", 1, price=5),
        "rates line 2 (rc-1/p-tokens): has both",
    ),
    (
        "rate with neither",
        _set("rates", 0, price=None),
        "rates line 1 (rc-1/p-tokens): has neither",
    ),
    (
        "tiers out of order",
        _set("rates", 1, tiers=[{"price": 1}, {"size": 5, "price": 2}]),
        "rates line 2 tier 1: tiers out of order",
    ),
    (
        "overlapping rates",
        _append("rates", lambda s: dict(s.rates[2], starting_at="2026-01-15T00:00:00Z")),
        "rates lines 3 and 5 (rc-1/p-tokens): overlapping rates",
    ),
    (
        "rate naming a key outside the product's pricing key",
        _set("rates", 2, pricing_group_values={"region": "eu"}),
        "names region",
    ),
    (
        "rate to unknown product",
        _set("rates", 0, product_id="p-nope"),
        "product_id p-nope not found",
    ),
    (
        "contract to unknown rate card",
        _set("contracts", 0, rate_card_id="rc-nope"),
        "rate_card_id rc-nope not found",
    ),
    (
        "contract to unknown customer",
        _set("contracts", 0, customer_id="cust-nope"),
        "customer_id cust-nope not found",
    ),
    (
        "alias listed twice",
        _set("customers", 1, ingest_aliases=["alias-a"]),
        "ingest alias alias-a is listed by customers cust-a, cust-b",
    ),
    (
        "override without specifiers",
        _set("overrides", 0, override_specifiers=[]),
        "overrides ov-1: an override needs at least one specifier",
    ),
    (
        "unparseable contract start",
        _set("contracts", 0, starting_at="2026-01-01"),
        "contracts ct-1: starting_at is missing or not RFC 3339",
    ),
    (
        "unknown aggregation type",
        _set("billable_metrics", 0, aggregation_type="AVG"),
        "billable_metrics m-tokens: aggregation_type must be",
    ),
    (
        "entitled not a boolean",
        _set("rates", 0, entitled="maybe"),
        "rates line 1: entitled must be true or false",
    ),
    (
        "priority not a number",
        _set("overrides", 0, priority="high"),
        "overrides ov-1: priority is not a number",
    ),
    (
        "decimal places not an integer",
        _set(
            "products",
            0,
            quantity_rounding={"decimal_places": "two", "rounding_method": "ROUND_UP"},
        ),
        "products p-tokens: quantity_rounding.decimal_places must be an integer from 0 to 12",
    ),
    (
        "overwrite tiers out of order",
        _set(
            "overrides",
            0,
            type="OVERWRITE",
            multiplier=None,
            overwrite_rate={
                "rate_type": "TIERED",
                "tiers": [{"price": 1}, {"size": 2, "price": 2}],
            },
        ),
        "overrides ov-1 tier 1: overwrite tiers out of order",
    ),
    (
        "VOLUME rate without tiers",
        _set("rates", 0, rate_type="VOLUME", price=None, tiers=[]),
        "rates line 1 (rc-1/p-tokens): VOLUME rate without tiers",
    ),
    (
        "VOLUME overwrite without tiers",
        _set(
            "overrides",
            0,
            type="OVERWRITE",
            multiplier=None,
            overwrite_rate={"rate_type": "VOLUME", "tiers": []},
        ),
        "overrides ov-1: OVERWRITE with a VOLUME rate needs tiers",
    ),
    (
        "rate in a custom credit type without a conversion",
        _set("rates", 0, credit_type_id="COMPUTE_UNITS"),
        "rates line 1 (rc-1/p-tokens): credit type COMPUTE_UNITS has no conversion on rate card"
        " rc-1",
    ),
    (
        "credit in a custom credit type without a conversion",
        _set("credits", 0, credit_type_id="COMPUTE_UNITS"),
        "credits cr-1: credit type COMPUTE_UNITS has no conversion on rate card rc-1 of contract"
        " ct-1",
    ),
    (
        "conversion that is not positive",
        _set("rate_cards", 0, credit_type_conversions=[shared.conversion("GPU_CREDITS", 0)]),
        "rate_cards rc-1: conversion of GPU_CREDITS: fiat_per_custom_credit 0 is not positive",
    ),
    (
        "custom type converted twice",
        _set(
            "rate_cards",
            0,
            credit_type_conversions=[
                shared.conversion("GPU_CREDITS", "2.5"),
                shared.conversion("GPU_CREDITS", 3),
            ],
        ),
        "rate_cards rc-1: custom credit type GPU_CREDITS is converted 2 times",
    ),
    (
        "duplicate segment id",
        _set(
            "credits",
            0,
            access_schedule={
                "schedule_items": [
                    {
                        "id": "k-1-s1",
                        "amount": 1,
                        "starting_at": "2026-01-01T00:00:00Z",
                        "ending_before": "2026-02-01T00:00:00Z",
                    }
                ]
            },
        ),
        "balance segment id k-1-s1",
    ),
]


def build_config(tmp_path, scenario: Scenario):
    write_raw(tmp_path / "raw", scenario)
    return dbt_build(tmp_path / "raw", tmp_path, AS_OF, select="path:models/staging")


def test_valid_configuration_passes(tmp_path):
    run = build_config(tmp_path, valid_scenario())
    assert run.returncode == 0, run.output[-3000:]


@pytest.mark.parametrize(
    "mutate, message", [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_configuration_fails_naming_the_row(tmp_path, mutate, message):
    scenario = valid_scenario()
    mutate(scenario)
    run = build_config(tmp_path, scenario)
    assert run.returncode != 0
    assert "bad configuration" in run.output
    assert message in run.output, run.output[-3000:]
