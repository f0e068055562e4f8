"""Hand-computed cases proving the reference rater (tests/python/reference) follows
docs/billing-rules.md.

Every expected value is worked out by hand in the test, with the arithmetic in a comment; the
reference is then trusted by the differential tests that compare it with the dbt marts.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import scenario as shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference.periods import add_months
from reference.rater import ConfigError, RatedRow, RatingResult, rate_folder
from reference.values import canonical_text, div_r12, loads_strict, parse_rfc3339, r12
from scenario import Scenario, event, parse_utc, write_raw

AS_OF = "2026-03-05T00:00:00Z"
JAN1 = "2026-01-01T00:00:00Z"
FEB1 = "2026-02-01T00:00:00Z"
D = Decimal


# ---------------------------------------------------------------------------------------------
# Scenario builders (Metronome-shaped objects, rules section 3)
# ---------------------------------------------------------------------------------------------


def customer(id_: str = "CUS1", aliases: list[str] | None = None) -> dict:
    return shared.customer(id_, ingest_aliases=aliases or [])


def metric(
    id_: str = "M1",
    aggregation_type: str = "SUM",
    key: str | None = "value",
    event_types: list[str] | None = None,
    filters: list[dict] | None = None,
) -> dict:
    return shared.metric(
        id_,
        event_types=event_types,
        aggregation=aggregation_type,
        key=None if aggregation_type == "COUNT" else key,
        filters=filters or [],
    )


def product(
    id_: str = "P1",
    metric_id: str = "M1",
    conversion: tuple[object, str] | None = None,
    rounding: tuple[int, str] | None = None,
    pricing_key: list[str] | None = None,
    presentation_key: list[str] | None = None,
    tags: list[str] | None = None,
    type_: str = "USAGE",
) -> dict:
    """`conversion` is (factor, operation) and `rounding` (places, method) here."""
    return shared.product(
        id_,
        metric_id,
        conversion=None if conversion is None else (conversion[1], conversion[0]),
        rounding=None if rounding is None else (rounding[1], rounding[0]),
        pricing_key=pricing_key,
        presentation_key=presentation_key,
        tags=tags or [],
        kind=type_,
    )


def rate_card(id_: str = "R1", conversions: dict[str, object] | None = None) -> dict:
    """`conversions` maps a custom credit type to its fiat_per_custom_credit."""
    items = [shared.conversion(t, f) for t, f in (conversions or {}).items()]
    return shared.rate_card(id_, conversions=items)


def rate(
    product_id: str = "P1",
    price: object = None,
    tiers: list[dict] | None = None,
    start: str = JAN1,
    end: str | None = None,
    entitled: bool = True,
    group_values: dict | None = None,
    card: str = "R1",
    credit_type_id: str | None = None,
    rate_type: str | None = None,
) -> dict:
    return shared.rate(
        card,
        product_id,
        start=start,
        end=end,
        price=price,
        tiers=tiers,
        entitled=entitled,
        group_values=group_values,
        credit_type_id=credit_type_id,
        rate_type=rate_type,
    )


def contract(
    id_: str = "C1",
    customer_id: str = "CUS1",
    start: str = JAN1,
    end: str | None = None,
    frequency: str = "MONTHLY",
    day: str = "FIRST_OF_MONTH",
    anchor: str | None = None,
    prioritization: str = "LOWEST_MULTIPLIER",
) -> dict:
    return shared.contract(
        id_,
        customer_id,
        "R1",
        start=start,
        end=end,
        frequency=frequency,
        day=day,
        anchor=anchor,
        prioritization=prioritization,
    )


def override(
    id_: str,
    type_: str,
    specifiers: list[dict],
    multiplier: object = None,
    overwrite: dict | None = None,
    priority: object = None,
    start: str = JAN1,
    end: str | None = None,
) -> dict:
    return {
        "id": id_,
        "contract_id": "C1",
        "starting_at": start,
        "ending_before": end,
        "type": type_,
        "multiplier": multiplier,
        "overwrite_rate": overwrite,
        "priority": priority,
        "override_specifiers": specifiers,
    }


def spec(product_id=None, tags=None, group_values=None) -> dict:
    return {"product_id": product_id, "product_tags": tags, "pricing_group_values": group_values}


def balance(
    id_: str,
    segments: list[tuple[str, object, str, str]],
    kind: str = "PREPAID",
    products: list[str] | None = None,
    tags: list[str] | None = None,
    priority: object = None,
    credit_type_id: str | None = None,
) -> dict:
    """A commit (kind PREPAID/POSTPAID) or credit (kind CREDIT) with (id, amount, start, end)."""
    items = [shared.schedule_item(*segment) for segment in segments]
    options = {
        "product_ids": products,
        "product_tags": tags,
        "priority": priority,
        "credit_type_id": credit_type_id,
    }
    if kind == "CREDIT":
        return shared.credit(id_, "C1", "P_" + id_, items, **options)
    return shared.commit(id_, "C1", "P_" + id_, items, kind=kind, **options)


def base(
    aggregation: str = "SUM",
    price: object = 1,
    tiers: list[dict] | None = None,
    rate_type: str | None = None,
    **product_kwargs,
) -> Scenario:
    """One customer (alias 'alias-1'), metric M1 on event type 'use', product P1, card R1 with one
    rate from Jan 1, monthly FIRST_OF_MONTH contract C1 from Jan 1."""
    return Scenario(
        customers=[customer("CUS1", ["alias-1"])],
        billable_metrics=[metric("M1", aggregation, event_types=["use"])],
        products=[product("P1", "M1", **product_kwargs)],
        rate_cards=[rate_card()],
        rates=[rate("P1", None if tiers else price, tiers, rate_type=rate_type)],
        contracts=[contract()],
    )


def use(tx: str, ts: str, props: dict | str | None = None, received: str | None = None, **kw):
    """A 'use' event of CUS1, received one second after its timestamp unless told."""
    received_at = received or parse_utc(ts) + timedelta(seconds=1)
    return event(
        tx,
        kw.get("customer", "CUS1"),
        kw.get("event_type", "use"),
        ts,
        props if props is not None else {},
        received_at,
    )


def run(tmp_path: Path, scenario: Scenario, as_of: str = AS_OF, **params) -> RatingResult:
    return rate_folder(write_raw(tmp_path / "raw", scenario), parse_utc(as_of), **params)


def outcome_of(result: RatingResult) -> dict[str, tuple[str, str | None]]:
    """transaction_id -> (outcome, error_code) (tests keep transaction ids unique)."""
    return {o.transaction_id: (o.outcome, o.error_code) for o in result.outcomes}


def rows_of(result: RatingResult, tx: str) -> list[RatedRow]:
    return [r for r in result.rated if r.transaction_id == tx]


def qa(rows: list[RatedRow]) -> list[tuple]:
    """(component, tier, quantity, unit_price, amount) per row, for compact assertions."""
    return [(r.component, r.tier_index, r.quantity, r.unit_price, r.amount) for r in rows]


def usage_lines(result: RatingResult) -> list:
    return [line for line in result.invoice_lines if line.line_type == "USAGE"]


def utc(text: str) -> datetime:
    return parse_utc(text)


# ---------------------------------------------------------------------------------------------
# Rules section 7: the worked example (pricing, drawdown, invoice)
# ---------------------------------------------------------------------------------------------

TOKEN_TIERS = [{"size": 10, "price": 200}, {"price": 100}]


def section7() -> Scenario:
    s = base(tiers=TOKEN_TIERS, conversion=(1_000_000, "DIVIDE"))
    s.commits = [balance("K1", [("K1-S1", 1500, JAN1, FEB1)])]
    s.add_events(
        [
            use("e1", "2026-01-05T00:00:00Z", {"value": 4_000_000}),
            use("e2", "2026-01-06T00:00:00Z", {"value": 8_000_000}),
            use("e3", "2026-01-07T00:00:00Z", {"value": 3_000_000}),
        ]
    )
    return s


def test_section7_pricing_drawdown_and_invoice(tmp_path):
    result = run(tmp_path, section7())
    assert {o.outcome for o in result.outcomes} == {"RATED"}
    # e1: Q 0 -> 4, all tier 1: 4 x 200 = 800, covered by K1 (1500 - 800 = 700 left).
    assert qa(rows_of(result, "e1")) == [("USAGE", 1, 4, 200, 800)]
    assert rows_of(result, "e1")[0].coverage == "PREPAID_COMMIT"
    # e2: Q 4 -> 12: tier 1 part 10 - 4 = 6 (1200), tier 2 part 12 - 10 = 2 (200).
    # The tier-1 row splits: K1 covers 700 -> quantity R(6 x 700 / 1200) = 3.5; overage 500 ->
    # R(6 x 1200 / 1200) - 3.5 = 2.5. The tier-2 row is overage.
    e2 = rows_of(result, "e2")
    assert qa(e2) == [
        ("USAGE", 1, D("3.5"), 200, 700),
        ("USAGE", 1, D("2.5"), 200, 500),
        ("USAGE", 2, 2, 100, 200),
    ]
    assert [(r.coverage, r.balance_id, r.balance_segment_id) for r in e2] == [
        ("PREPAID_COMMIT", "K1", "K1-S1"),
        ("OVERAGE", None, None),
        ("OVERAGE", None, None),
    ]
    # e3: Q 12 -> 15, all tier 2: 3 x 100 = 300, overage.
    assert qa(rows_of(result, "e3")) == [("USAGE", 2, 3, 100, 300)]
    assert rows_of(result, "e3")[0].coverage == "OVERAGE"
    # Rated rows add up to the USAGE line: 800 + 700 + 500 + 200 + 300 = 2500.
    assert sum(r.amount for r in result.rated) == 2500
    # Invoice: USAGE 15 units, 10 x 200 + 5 x 100 = 2500; COMMIT -1500; total 1000.
    lines = {line.line_type: line for line in result.invoice_lines}
    assert set(lines) == {"USAGE", "COMMIT"}
    assert (lines["USAGE"].quantity, lines["USAGE"].amount) == (15, 2500)
    assert (lines["COMMIT"].balance_id, lines["COMMIT"].amount) == ("K1", -1500)
    assert sum(line.amount for line in result.invoice_lines) == 1000
    # January ends Feb 1; + 24 h grace = Feb 2 <= as_of Mar 5: finalized.
    assert {r.status for r in result.rated} == {"FINALIZED"}
    assert {line.status for line in result.invoice_lines} == {"FINALIZED"}


def test_section7_rated_row_fields(tmp_path):
    s = section7()
    s.products[0]["pricing_group_key"] = ["region"]
    s.products[0]["presentation_group_key"] = ["user", "team"]
    props = '{"value": 4000000, "user": 7.50, "region": "eu"}'
    s.event_files["events-0000.parquet"][0] = use("e1", "2026-01-05T00:00:00+01:00", props)
    result = run(tmp_path, s)
    row = rows_of(result, "e1")[0]
    assert row.event_timestamp == utc("2026-01-04T23:00:00Z")  # +01:00 -> UTC
    assert row.received_at == utc("2026-01-05T00:00:01+01:00")
    assert (row.customer_id, row.contract_id, row.billable_metric_id) == ("CUS1", "C1", "M1")
    assert (row.billing_period_start, row.billing_period_end) == (utc(JAN1), utc(FEB1))
    assert row.credit_type_id == "USD_CENTS"
    assert row.pricing_group_values == (("region", "eu"),)
    # JSON number 7.50 reads canonically as "7.5"; a missing property is None.
    assert row.presentation_group_values == (("user", "7.5"), ("team", None))


# ---------------------------------------------------------------------------------------------
# Rules section 7b: volume tiers in a custom pricing unit
# ---------------------------------------------------------------------------------------------

GPU_TIERS = [{"size": 10, "price": 40}, {"size": 90, "price": 30}, {"price": 20}]


def section7b() -> Scenario:
    """Contract C2 on card R2 (USD_CENTS; GPU_CREDITS at 2.5 cents), P_GPU = SUM(gpu_seconds) /
    3,600 with a VOLUME rate in GPU_CREDITS, credit CR2 of 500 GPU_CREDITS for January."""
    s = Scenario(
        customers=[customer("CUS2")],
        billable_metrics=[metric("M_GPU", "SUM", key="gpu_seconds", event_types=["gpu"])],
        products=[product("P_GPU", "M_GPU", conversion=(3600, "DIVIDE"))],
        rate_cards=[rate_card("R2", {"GPU_CREDITS": "2.5"})],
        rates=[
            rate(
                "P_GPU",
                tiers=GPU_TIERS,
                card="R2",
                credit_type_id="GPU_CREDITS",
                rate_type="VOLUME",
            )
        ],
        contracts=[shared.contract("C2", "CUS2", "R2", start=JAN1)],
        credits=[
            shared.credit(
                "CR2",
                "C2",
                "P_GPU",
                [shared.schedule_item("CR2-S1", 500, JAN1, FEB1)],
                credit_type_id="GPU_CREDITS",
            )
        ],
    )
    s.add_events(
        [
            use(
                "g1",
                "2026-01-05T00:00:00Z",
                {"gpu_seconds": 18_000},
                customer="CUS2",
                event_type="gpu",
            ),
            use(
                "g2",
                "2026-01-06T00:00:00Z",
                {"gpu_seconds": 36_000},
                customer="CUS2",
                event_type="gpu",
            ),
            use(
                "g3",
                "2026-01-07T00:00:00Z",
                {"gpu_seconds": 324_000},
                customer="CUS2",
                event_type="gpu",
            ),
        ]
    )
    return s


def drawn(rows: list[RatedRow]) -> list[tuple]:
    """(component, tier, quantity, unit_price, amount, fiat_amount, coverage, balance_id)."""
    return [
        (
            r.component,
            r.tier_index,
            r.quantity,
            r.unit_price,
            r.amount,
            r.fiat_amount,
            r.coverage,
            r.balance_id,
        )
        for r in rows
    ]


def lines_of(result: RatingResult) -> list[tuple]:
    """(line_type, product or balance, credit type, quantity, amount, fiat_amount) per line, in
    the reference's line order (line type, product, balance)."""
    return [
        (
            x.line_type,
            x.product_id or x.balance_id,
            x.credit_type_id,
            x.quantity,
            x.amount,
            x.fiat_amount,
        )
        for x in result.invoice_lines
    ]


def test_section7b_volume_tiers_in_a_custom_pricing_unit(tmp_path):
    result = run(tmp_path, section7b(), as_of="2026-02-15T00:00:00Z")
    assert {o.outcome for o in result.outcomes} == {"RATED"}
    # Hours: 18,000 / 3,600 = 5; (18,000 + 36,000) / 3,600 = 15; + 324,000 / 3,600 = 105.
    # VOLUME ladder (a boundary total in the lower tier): (-inf, 10] at 40, (10, 100] at 30,
    # (100, inf) at 20.
    # g1: 0 -> 5, tier 1: USAGE 5 x 40 = 200 credits, fiat 200 x 2.5 = 500 cents; CR2 covers it
    # (C 0 -> 200: clamp(200, 0, 500) - 0 = 200; 300 left). No REPRICE (Q = 0).
    assert drawn(rows_of(result, "g1")) == [("USAGE", 1, 5, 40, 200, 500, "CREDIT", "CR2")]
    # g2: 5 -> 15, tier 2: USAGE 10 x 30 = 300 (fiat 750), C 200 -> 500: covers 300 (0 left);
    # USAGE_REPRICE 5 x (30 - 40) = -50 (fiat -125), C 500 -> 450: clamp(450) - clamp(500) = -50
    # covered, which gives 50 back (CR2 left 50).
    assert drawn(rows_of(result, "g2")) == [
        ("USAGE", 2, 10, 30, 300, 750, "CREDIT", "CR2"),
        ("USAGE_REPRICE", 2, 5, -10, -50, -125, "CREDIT", "CR2"),
    ]
    # g3: 15 -> 105, tier 3: USAGE 90 x 20 = 1,800, C 450 -> 2,250: covers 500 - 450 = 50; split
    # q 90, a 1,800: covered R(90 x 50 / 1800) = 2.5 (fiat 125), overage 90 - 2.5 = 87.5 with
    # 1,750 (fiat 4,375). USAGE_REPRICE 15 x (20 - 30) = -150 (fiat -375), C 2,250 -> 2,100:
    # clamp(2100, 0, 500) - clamp(2250, 0, 500) = 0, so it stays overage.
    assert drawn(rows_of(result, "g3")) == [
        ("USAGE", 3, D("2.5"), 20, 50, 125, "CREDIT", "CR2"),
        ("USAGE", 3, D("87.5"), 20, 1750, 4375, "OVERAGE", None),
        ("USAGE_REPRICE", 3, 15, -10, -150, -375, "OVERAGE", None),
    ]
    assert {(r.credit_type_id, r.fiat_credit_type_id) for r in result.rated} == {
        ("GPU_CREDITS", "USD_CENTS")
    }
    assert {r.balance_segment_id for r in result.rated if r.balance_id} == {"CR2-S1"}
    # Rated amounts: 200 + 300 - 50 + 50 + 1,750 - 150 = 2,100 credits; fiat
    # 500 + 750 - 125 + 125 + 4,375 - 375 = 5,250 cents.
    assert sum(r.amount for r in result.rated) == 2100
    assert sum(r.fiat_amount for r in result.rated) == 5250
    # Quantity totals count USAGE rows only: 5 + 10 + 2.5 + 87.5 = 105 (REPRICE 5 and 15 name
    # units already counted).
    assert sum(r.quantity for r in result.rated if r.component == "USAGE") == 105
    # Invoice: CREDIT CR2 -500 credits (fiat -500 x 2.5 = -1,250); USAGE P_GPU in GPU_CREDITS,
    # quantity 105, V(105) = 105 x 20 = 2,100 credits, fiat 5,250; total 5,250 - 1,250 = 4,000.
    assert lines_of(result) == [
        ("CREDIT", "CR2", "GPU_CREDITS", None, -500, -1250),
        ("USAGE", "P_GPU", "GPU_CREDITS", 105, 2100, 5250),
    ]
    (invoice,) = result.invoices
    assert (invoice.contract_id, invoice.credit_type_id, invoice.total) == ("C2", "USD_CENTS", 4000)
    # January ends Feb 1; + 24 h = Feb 2 <= as_of Feb 15: finalized.
    assert invoice.status == "FINALIZED"
    assert {r.status for r in result.rated} == {"FINALIZED"}


# ---------------------------------------------------------------------------------------------
# Value rules (rules section 8)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05T10:00:00Z", "2026-01-05T10:00:00+00:00"),
        ("2026-01-05t10:00:00z", "2026-01-05T10:00:00+00:00"),
        ("2026-01-05 10:00:00-02:30", "2026-01-05T12:30:00+00:00"),
        ("2026-01-05T10:00:00.123456789Z", "2026-01-05T10:00:00.123456+00:00"),  # truncated
        ("2026-01-05T10:00:00.9999999Z", "2026-01-05T10:00:00.999999+00:00"),  # not rounded
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00+00:00"),
        ("2026-01-05T10:00:00", None),  # no zone
        ("2026-02-30T00:00:00Z", None),
        ("0000-01-01T00:00:00Z", None),
        ("2026-12-31T23:59:60Z", None),  # leap second
        ("2026-01-05T10:00:00+24:00", None),
        (" 2026-01-05T10:00:00Z", None),
        ("2026-01-05T10:00:00Z ", None),
        ("2026-01-05T10:00:00Zx", None),
        ("2026-01-05", None),
        ("2026-1-05T10:00:00Z", None),
        ("2026-01-05T10:00:00.Z", None),
        ("", None),
    ],
)
def test_timestamp_parsing(text, expected):
    parsed = parse_rfc3339(text)
    assert (parsed.isoformat() if parsed else None) == expected


@pytest.mark.parametrize(
    ("json_text", "canonical"),
    [
        ("5", "5"),
        ("5.0", "5"),
        ("5e0", "5"),
        ("5E+2", "500"),
        ("-0.0", "0"),
        ("0.000120", "0.00012"),
        ("1.5e-3", "0.0015"),
        ("123456789012345678901234567890", "123456789012345678901234567890"),
        ('"5.0"', "5.0"),
        ("true", "true"),
        ("false", "false"),
    ],
)
def test_canonical_comparison_text(json_text, canonical):
    assert canonical_text(loads_strict(json_text)) == canonical


def test_storage_rounding_is_half_away_from_zero_and_exact_for_division():
    assert r12(D("0.0000000000005")) == D("0.000000000001")
    assert r12(D("-0.0000000000005")) == D("-0.000000000001")
    assert r12(D("0.00000000000049")) == 0
    # 2/3 = 0.6666...67 at 12 places; -2/3 the mirror image; 1/8 exact.
    assert div_r12(D(2), D(3)) == D("0.666666666667")
    assert div_r12(D(-2), D(3)) == D("-0.666666666667")
    assert div_r12(D("1"), D("8")) == D("0.125")
    # 5e-13 / 1 is exactly half a unit of the 12th place: rounds away from zero.
    assert div_r12(D("0.0000000000005"), D(1)) == D("0.000000000001")


def test_month_steps_count_from_the_anchor():
    from datetime import date

    # Jan 31 + 1 month -> Feb 28 (month lacks the 31st); + 2 months -> Mar 31, never cumulative.
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 31), 2) == date(2026, 3, 31)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 1, 31), -2) == date(2025, 11, 30)


# ---------------------------------------------------------------------------------------------
# Billing periods (rules 4.5)
# ---------------------------------------------------------------------------------------------


def periods_for(tmp_path: Path, contract_row: dict, timestamps: list[str]) -> list[tuple]:
    """(start, end) of the billing period each COUNT event falls in, as ISO text."""
    s = base("COUNT")
    s.contracts = [contract_row]
    s.rates = [rate("P1", 1, start="2020-01-01T00:00:00Z")]
    s.add_events([use(f"t{i}", ts) for i, ts in enumerate(timestamps)])
    result = run(tmp_path, s, as_of="2028-01-01T00:00:00Z")
    found = []
    for i in range(len(timestamps)):
        row = rows_of(result, f"t{i}")[0]
        found.append(
            (row.billing_period_start.isoformat()[:19], row.billing_period_end.isoformat()[:19])
        )
    return found


def test_custom_date_monthly_anchored_on_the_31st_across_february(tmp_path):
    # Boundaries: anchor 2025-10-31 + k months -> ..., Jan 31, Feb 28 (no 31st), Mar 31, Apr 30.
    # The contract starts Jan 15: the first period runs Jan 15 -> Jan 31.
    row = contract(start="2026-01-15T00:00:00Z", day="CUSTOM_DATE", anchor="2025-10-31")
    got = periods_for(
        tmp_path,
        row,
        [
            "2026-01-20T00:00:00Z",
            "2026-02-10T00:00:00Z",
            "2026-02-28T00:00:00Z",  # exactly on the boundary: the later period
            "2026-03-30T23:59:59Z",
            "2026-04-15T00:00:00Z",
        ],
    )
    assert got == [
        ("2026-01-15T00:00:00", "2026-01-31T00:00:00"),
        ("2026-01-31T00:00:00", "2026-02-28T00:00:00"),
        ("2026-02-28T00:00:00", "2026-03-31T00:00:00"),
        ("2026-02-28T00:00:00", "2026-03-31T00:00:00"),
        ("2026-03-31T00:00:00", "2026-04-30T00:00:00"),
    ]


def test_quarterly_first_of_month_uses_calendar_quarters(tmp_path):
    # Contract from Feb 10: first period Feb 10 -> Apr 1 (calendar quarter end), then Apr -> Jul.
    row = contract(start="2026-02-10T00:00:00Z", frequency="QUARTERLY")
    got = periods_for(tmp_path, row, ["2026-03-15T00:00:00Z", "2026-05-15T00:00:00Z"])
    assert got == [
        ("2026-02-10T00:00:00", "2026-04-01T00:00:00"),
        ("2026-04-01T00:00:00", "2026-07-01T00:00:00"),
    ]


def test_quarterly_custom_date_steps_three_months_from_the_anchor(tmp_path):
    # Anchor Nov 30 2025: boundaries Nov 30, Feb 28 (no 30th), May 30, Aug 30.
    row = contract(frequency="QUARTERLY", day="CUSTOM_DATE", anchor="2025-11-30")
    got = periods_for(tmp_path, row, ["2026-01-10T00:00:00Z", "2026-03-01T00:00:00Z"])
    assert got == [
        ("2026-01-01T00:00:00", "2026-02-28T00:00:00"),
        ("2026-02-28T00:00:00", "2026-05-30T00:00:00"),
    ]


def test_annual_contract_start_anchors_on_the_start_date_at_midnight(tmp_path):
    # Starts 2025-06-15 10:00: boundaries on June 15 00:00 each year; first period from 10:00.
    row = contract(start="2025-06-15T10:00:00Z", frequency="ANNUAL", day="CONTRACT_START")
    got = periods_for(tmp_path, row, ["2026-01-10T00:00:00Z", "2026-07-01T00:00:00Z"])
    assert got == [
        ("2025-06-15T10:00:00", "2026-06-15T00:00:00"),
        ("2026-06-15T00:00:00", "2027-06-15T00:00:00"),
    ]


def test_annual_first_of_month_is_calendar_years_and_contract_end_cuts_the_last(tmp_path):
    row = contract(start="2025-03-01T00:00:00Z", end="2026-08-01T00:00:00Z", frequency="ANNUAL")
    got = periods_for(tmp_path, row, ["2025-12-31T23:00:00Z", "2026-03-01T00:00:00Z"])
    assert got == [
        ("2025-03-01T00:00:00", "2026-01-01T00:00:00"),
        ("2026-01-01T00:00:00", "2026-08-01T00:00:00"),
    ]


def test_weekly_periods(tmp_path):
    # CUSTOM_DATE anchor Mon Jan 5: Jan 1 -> Jan 5, then 7-day periods Jan 12 -> Jan 19 ...
    custom = contract(frequency="WEEKLY", day="CUSTOM_DATE", anchor="2026-01-05")
    assert periods_for(
        tmp_path / "a", custom, ["2026-01-03T00:00:00Z", "2026-01-14T00:00:00Z"]
    ) == [
        ("2026-01-01T00:00:00", "2026-01-05T00:00:00"),
        ("2026-01-12T00:00:00", "2026-01-19T00:00:00"),
    ]
    # FIRST_OF_MONTH weekly: 7 days from the contract start date (Jan 1 12:00 -> Jan 1 00:00).
    first = contract(start="2026-01-01T12:00:00Z", frequency="WEEKLY")
    assert periods_for(tmp_path / "b", first, ["2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z"]) == [
        ("2026-01-01T12:00:00", "2026-01-08T00:00:00"),
        ("2026-01-08T00:00:00", "2026-01-15T00:00:00"),
    ]


# ---------------------------------------------------------------------------------------------
# Aggregations (rules 4.6), conversion and rounding (rules 4.7)
# ---------------------------------------------------------------------------------------------


def test_max_attributes_increases_only_and_zero_rows_stay_rated(tmp_path):
    s = base("MAX", price=2)
    values = [5, 3, 8, 8, "7.5"]
    s.add_events(
        [use(f"m{i}", f"2026-01-0{i + 1}T00:00:00Z", {"value": v}) for i, v in enumerate(values)]
    )
    result = run(tmp_path, s)
    # Running max 5, 5, 8, 8, 8 -> quantities 5, 0, 3, 0, 0 (x 2 cents).
    expected = [(5, 10), (0, 0), (3, 6), (0, 0), (0, 0)]
    got = [(r.quantity, r.amount) for i in range(5) for r in rows_of(result, f"m{i}")]
    assert got == expected
    assert all(outcome == ("RATED", None) for outcome in outcome_of(result).values())
    assert [r.tier_index for r in result.rated] == [None] * 5  # FLAT


def test_max_first_negative_value_gives_negative_quantity(tmp_path):
    s = base("MAX", price=2)
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": -3}),
            use("b", "2026-01-03T00:00:00Z", {"value": -5}),
            use("c", "2026-01-04T00:00:00Z", {"value": 1}),
        ]
    )
    result = run(tmp_path, s)
    # A_0 = 0; A = -3, -3, 1 -> quantities -3, 0, 4; amounts -6, 0, 8.
    assert [(r.quantity, r.amount) for r in result.rated] == [(-3, -6), (0, 0), (4, 8)]


def test_unique_counts_canonical_texts_once(tmp_path):
    s = base("UNIQUE", price=10)
    values = ["a", "b", "a", 5, "5", 5.0, "5.0"]
    s.add_events(
        [use(f"u{i}", f"2026-01-0{i + 1}T00:00:00Z", {"value": v}) for i, v in enumerate(values)]
    )
    result = run(tmp_path, s)
    # Texts a, b, a, 5, 5, 5, 5.0 -> distinct count 1, 2, 2, 3, 3, 3, 4 -> 1, 1, 0, 1, 0, 0, 1.
    assert [r.quantity for r in result.rated] == [1, 1, 0, 1, 0, 0, 1]
    assert usage_lines(result)[0].quantity == 4


def test_latest_can_give_negative_quantities(tmp_path):
    s = base("LATEST", price=2)
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": 10}),
            use("b", "2026-01-03T00:00:00Z", {"value": 4}),
            use("c", "2026-01-04T00:00:00Z", {"value": "7"}),
        ]
    )
    result = run(tmp_path, s)
    # A = 10, 4, 7 -> quantities 10, -6, 3 -> amounts 20, -12, 6; period total 7 -> 14.
    assert [(r.quantity, r.amount) for r in result.rated] == [(10, 20), (-6, -12), (3, 6)]
    assert (usage_lines(result)[0].quantity, usage_lines(result)[0].amount) == (7, 14)


def test_count_and_ordering_key_decides_attribution_not_arrival(tmp_path):
    s = base("LATEST", price=1)
    # b is received first but its timestamp is later: the running order is a (ts Jan 2), b.
    s.add_events(
        [
            use("b", "2026-01-03T00:00:00Z", {"value": 4}, received="2026-01-03T00:00:01Z"),
            use("a", "2026-01-02T00:00:00Z", {"value": 10}, received="2026-01-05T00:00:00Z"),
        ]
    )
    result = run(tmp_path, s)
    assert [(r.transaction_id, r.quantity) for r in result.rated] == [("a", 10), ("b", -6)]


def test_divide_by_three_adds_up_exactly(tmp_path):
    s = base("COUNT", price=3, conversion=(3, "DIVIDE"))
    s.add_events([use(f"d{i}", f"2026-01-0{i + 1}T00:00:00Z") for i in range(3)])
    result = run(tmp_path, s)
    # Converted running totals R(1/3) = 0.333333333333, R(2/3) = 0.666666666667, 1.
    # Quantities: 0.333333333333, 0.333333333334, 0.333333333333 (sum exactly 1).
    quantities = [r.quantity for r in result.rated]
    assert quantities == [D("0.333333333333"), D("0.333333333334"), D("0.333333333333")]
    assert sum(quantities) == 1
    # Amounts R(q x 3): 0.999999999999, 1.000000000002, 0.999999999999 (sum 3).
    assert [r.amount for r in result.rated] == [
        D("0.999999999999"),
        D("1.000000000002"),
        D("0.999999999999"),
    ]
    assert (usage_lines(result)[0].quantity, usage_lines(result)[0].amount) == (1, 3)


def test_multiply_conversion(tmp_path):
    s = base("SUM", price=1, conversion=("0.001", "MULTIPLY"))
    s.add_events([use("x", "2026-01-02T00:00:00Z", {"value": "1234.5"})])
    result = run(tmp_path, s)
    # 1234.5 x 0.001 = 1.2345
    assert qa(result.rated) == [("USAGE", None, D("1.2345"), 1, D("1.2345"))]


@pytest.mark.parametrize(
    ("method", "values", "adjustment"),
    [
        # 1.2 + 0.5 = 1.7 -> up 2 (+0.3), down 1 (-0.7), half-up 2 (+0.3)
        ("ROUND_UP", ["1.2", "0.5"], D("0.3")),
        ("ROUND_DOWN", ["1.2", "0.5"], D("-0.7")),
        ("ROUND_HALF_UP", ["1.2", "0.5"], D("0.3")),
        # 2.5 -> half-up 3 (+0.5); -2.5 -> half away from zero -3 (-0.5)
        ("ROUND_HALF_UP", ["2", "0.5"], D("0.5")),
        ("ROUND_HALF_UP", ["-2", "-0.5"], D("-0.5")),
        # -1.2 -> up (towards +inf) -1 (+0.2); down (towards -inf) -2 (-0.8)
        ("ROUND_UP", ["-1", "-0.2"], D("0.2")),
        ("ROUND_DOWN", ["-1", "-0.2"], D("-0.8")),
        # Already on the grid: no adjustment row.
        ("ROUND_UP", ["1.5", "0.5"], None),
    ],
)
def test_rounding_adjustment_on_the_period_total(tmp_path, method, values, adjustment):
    s = base("SUM", price=10, rounding=(0, method))
    s.add_events(
        [use(f"r{i}", f"2026-01-0{i + 2}T00:00:00Z", {"value": v}) for i, v in enumerate(values)]
    )
    result = run(tmp_path, s)
    usage = [r for r in result.rated if r.component == "USAGE"]
    assert [r.quantity for r in usage] == [D(v) for v in values]  # never rounded per event
    adjustments = [r for r in result.rated if r.component == "ROUNDING_ADJUSTMENT"]
    if adjustment is None:
        assert adjustments == []
        return
    # One row on the period's last event (r1), priced at 10 cents.
    assert [(r.transaction_id, r.quantity, r.amount) for r in adjustments] == [
        ("r1", adjustment, adjustment * 10)
    ]
    total = sum(D(v) for v in values) + adjustment
    line = usage_lines(result)[0]
    assert (line.quantity, line.amount) == (total, total * 10)
    assert sum(r.amount for r in result.rated) == line.amount


def test_rounding_adjustment_crosses_a_tier_boundary(tmp_path):
    # Tiers: [-inf, 9.8) at 200, [9.8, inf) at 100. T = 9.6 -> ROUND_UP to 10:
    # 0.2 in tier 1 (9.6 -> 9.8) = 40, and 0.2 in tier 2 (9.8 -> 10) = 20.
    tiers = [{"size": "9.8", "price": 200}, {"price": 100}]
    s = base("SUM", tiers=tiers, rounding=(0, "ROUND_UP"))
    s.add_events([use("a", "2026-01-02T00:00:00Z", {"value": "9.6"})])
    result = run(tmp_path, s)
    assert qa(result.rated) == [
        ("USAGE", 1, D("9.6"), 200, 1920),
        ("ROUNDING_ADJUSTMENT", 1, D("0.2"), 200, 40),
        ("ROUNDING_ADJUSTMENT", 2, D("0.2"), 100, 20),
    ]
    # Line: 9.8 x 200 + 0.2 x 100 = 1980 = 1920 + 40 + 20.
    assert (usage_lines(result)[0].quantity, usage_lines(result)[0].amount) == (10, 1980)


def test_rounding_adjustment_uses_the_rate_in_force_at_the_last_event(tmp_path):
    s = base("SUM", rounding=(0, "ROUND_UP"))
    s.rates = [
        rate("P1", 10, end="2026-01-15T00:00:00Z"),
        rate("P1", 30, start="2026-01-15T00:00:00Z"),
    ]
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": "0.5"}),
            use("b", "2026-01-20T00:00:00Z", {"value": "0.2"}),
        ]
    )
    result = run(tmp_path, s)
    # a: 0.5 x 10 = 5; b: 0.2 x 30 = 6; T = 0.7 -> 1, adjustment 0.3 x 30 = 9 on b.
    assert [(r.transaction_id, r.component, r.amount) for r in result.rated] == [
        ("a", "USAGE", 5),
        ("b", "USAGE", 6),
        ("b", "ROUNDING_ADJUSTMENT", 9),
    ]
    # Line priced per stretch: 0 -> 0.5 at 10 (5), 0.5 -> 0.7 at 30 (6), delta at 30 (9) = 20.
    assert (usage_lines(result)[0].quantity, usage_lines(result)[0].amount) == (1, 20)


# ---------------------------------------------------------------------------------------------
# Tiers (rules 4.8)
# ---------------------------------------------------------------------------------------------


def test_one_event_crossing_a_tier_boundary_and_zero_rows_on_the_boundary(tmp_path):
    s = base("MAX", tiers=[{"size": 10, "price": 200}, {"size": 5, "price": 100}, {"price": 50}])
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": 7}),
            use("b", "2026-01-03T00:00:00Z", {"value": 10}),  # Q = 10: on the boundary
            use("c", "2026-01-04T00:00:00Z", {"value": 9}),  # no raise: zero row
            use("d", "2026-01-05T00:00:00Z", {"value": 20}),  # crosses tiers 2 and 3
        ]
    )
    result = run(tmp_path, s)
    assert qa(rows_of(result, "a")) == [("USAGE", 1, 7, 200, 1400)]
    assert qa(rows_of(result, "b")) == [("USAGE", 1, 3, 200, 600)]
    # Running total 10 is on the tier 1/2 boundary: the zero row belongs to the upper tier.
    assert qa(rows_of(result, "c")) == [("USAGE", 2, 0, 100, 0)]
    # Q 10 -> 20: tier 2 [10, 15) gets 5 (500), tier 3 [15, inf) gets 5 (250).
    assert qa(rows_of(result, "d")) == [("USAGE", 2, 5, 100, 500), ("USAGE", 3, 5, 50, 250)]
    # Line: 10 x 200 + 5 x 100 + 5 x 50 = 2750.
    assert usage_lines(result)[0].amount == 2750 == sum(r.amount for r in result.rated)


def test_negative_latest_moves_back_down_through_tiers(tmp_path):
    s = base("LATEST", tiers=[{"size": 10, "price": 200}, {"price": 100}])
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": 12}),
            use("b", "2026-01-03T00:00:00Z", {"value": -1}),
        ]
    )
    result = run(tmp_path, s)
    # a: 0 -> 12: 10 in tier 1 (2000), 2 in tier 2 (200).
    # b: 12 -> -1: tier 1 part clamp(-1) - clamp(12) = -1 - 10 = -11 (-2200); tier 2 = 10 - 12 = -2.
    assert qa(rows_of(result, "b")) == [("USAGE", 1, -11, 200, -2200), ("USAGE", 2, -2, 100, -200)]
    assert usage_lines(result)[0].amount == -200  # -1 x 200


def test_tier_position_counts_the_whole_period_across_a_rate_change(tmp_path):
    s = base("SUM")
    s.rates = [
        rate("P1", tiers=[{"size": 10, "price": 200}, {"price": 100}], end="2026-01-15T00:00:00Z"),
        rate("P1", tiers=[{"size": 10, "price": 20}, {"price": 10}], start="2026-01-15T00:00:00Z"),
    ]
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": 8}),
            use("b", "2026-01-20T00:00:00Z", {"value": 4}),
        ]
    )
    result = run(tmp_path, s)
    # a: 8 x 200 = 1600. b (new rate, Q 8 -> 12): 2 x 20 + 2 x 10 = 60.
    assert qa(rows_of(result, "b")) == [("USAGE", 1, 2, 20, 40), ("USAGE", 2, 2, 10, 20)]
    assert usage_lines(result)[0].amount == 1660


def test_pricing_group_values_split_units_and_pick_the_most_specific_rate(tmp_path):
    s = base("SUM", pricing_key=["region"], tiers=[{"size": 10, "price": 5}, {"price": 1}])
    s.rates.append(rate("P1", 7, group_values={"region": "eu"}))
    s.add_events(
        [
            use("us1", "2026-01-02T00:00:00Z", {"value": 8, "region": "us"}),
            use("eu1", "2026-01-03T00:00:00Z", {"value": 8, "region": "eu"}),
            use("us2", "2026-01-04T00:00:00Z", {"value": 4, "region": "us"}),
        ]
    )
    result = run(tmp_path, s)
    # eu matches the general tiered rate (0 keys) and the eu FLAT rate (1 key): eu wins, 8 x 7.
    assert qa(rows_of(result, "eu1")) == [("USAGE", None, 8, 7, 56)]
    # us runs its own unit: 8 then 8 -> 12: 2 x 5 + 2 x 1 = 12.
    assert qa(rows_of(result, "us2")) == [("USAGE", 1, 2, 5, 10), ("USAGE", 2, 2, 1, 2)]
    lines = {line.pricing_group_values: line for line in usage_lines(result)}
    assert lines[(("region", "us"),)].amount == 10 * 5 + 2 * 1
    assert lines[(("region", "eu"),)].amount == 56


# ---------------------------------------------------------------------------------------------
# Ingest, dedupe and outcomes (rules 4.1-4.4, 6)
# ---------------------------------------------------------------------------------------------


def test_dedupe_chain_and_window(tmp_path):
    s = base("COUNT")
    s.contracts = [contract(start="2025-01-01T00:00:00Z")]
    s.rates = [rate("P1", 1, start="2025-01-01T00:00:00Z")]
    days = ["2025-10-01", "2025-10-21", "2025-11-10", "2025-11-30", "2026-01-09"]
    # Resends every 20 days stay duplicates (each compared with the one before it); the last,
    # 40 days after its predecessor (> 34), is kept and rated again.
    rows = [
        event("T", "CUS1", "use", f"{d}T00:00:00Z", {"n": i}, f"{d}T00:00:00Z")
        for i, d in enumerate(days)
    ]
    # Exactly 34 days after the previous copy is still a duplicate; 34 days + 1 s is kept.
    rows += [
        event("W", "CUS1", "use", "2026-01-01T00:00:00Z", {}, "2026-01-01T00:00:00Z"),
        event("W", "CUS1", "use", "2026-02-04T00:00:00Z", {}, "2026-02-04T00:00:00Z"),
        event("X", "CUS1", "use", "2026-01-01T00:00:00Z", {}, "2026-01-01T00:00:00Z"),
        event("X", "CUS1", "use", "2026-02-04T00:00:01Z", {}, "2026-02-04T00:00:01Z"),
    ]
    s.add_events(rows)
    result = run(tmp_path, s)
    got = [o.outcome for o in result.outcomes]
    assert got == ["RATED", "DUPLICATE", "DUPLICATE", "DUPLICATE", "RATED"] + [
        "RATED",
        "DUPLICATE",
        "RATED",
        "RATED",
    ]


def test_dedupe_tie_order_and_rejected_copies(tmp_path):
    s = base("COUNT")
    same = "2026-01-10T00:00:00Z"
    s.add_events(
        [
            # Same received_at: the earlier timestamp is the kept copy, the other is a duplicate.
            event("T", "CUS1", "use", "2026-01-09T12:00:00Z", {"k": 2}, same),
            event("T", "CUS1", "use", "2026-01-09T06:00:00Z", {"k": 1}, same),
            # A malformed copy takes no part: the corrected resend is not a duplicate of it.
            event("U", "CUS1", "use", "not a time", {}, "2026-01-10T00:00:00Z"),
            event("U", "CUS1", "use", "2026-01-10T00:00:00Z", {}, "2026-01-10T00:00:05Z"),
        ]
    )
    result = run(tmp_path, s)
    assert [(o.transaction_id, o.outcome, o.error_code) for o in result.outcomes] == [
        ("T", "DUPLICATE", None),
        ("T", "RATED", None),
        ("U", "ERRORED", "MALFORMED_EVENT"),
        ("U", "RATED", None),
    ]
    assert rows_of(result, "T")[0].event_timestamp == utc("2026-01-09T06:00:00Z")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ((None, "CUS1", "use", "2026-01-05T00:00:00Z", "{}"), "MALFORMED_EVENT"),
        (("", "CUS1", "use", "2026-01-05T00:00:00Z", "{}"), "MALFORMED_EVENT"),
        (("t", "  ", "use", "2026-01-05T00:00:00Z", "{}"), "MALFORMED_EVENT"),
        (("t", "CUS1", None, "2026-01-05T00:00:00Z", "{}"), "MALFORMED_EVENT"),
        (("t", "CUS1", "use", None, "{}"), "MALFORMED_EVENT"),
        (("t", "CUS1", "use", "2026-01-05T00:00:00", "{}"), "MALFORMED_EVENT"),
        (("t", "CUS1", "use", "2026-01-05T00:00:00Z", "[1]"), "MALFORMED_EVENT"),
        (("t", "CUS1", "use", "2026-01-05T00:00:00Z", "null"), "MALFORMED_EVENT"),
        (("t", "CUS1", "use", "2026-01-05T00:00:00Z", '"x"'), "MALFORMED_EVENT"),
        (("t", "CUS1", "use", "2026-01-05T00:00:00Z", '{"value": NaN}'), "MALFORMED_EVENT"),
        (("t", "CUS1", "use", "2026-01-05T00:00:00Z", "{value: 1}"), "MALFORMED_EVENT"),
        (("t", "CUS1", "use", "2026-01-05T00:00:00Z", ""), "MALFORMED_EVENT"),
        # received 2026-01-05T00:00:00Z below: 24 h + 1 s ahead is too far, 24 h is fine.
        (("t", "CUS1", "use", "2026-01-06T00:00:01Z", "{}"), "TIMESTAMP_IN_FUTURE"),
        (("t", "CUS1", "use", "2026-01-06T00:00:00Z", "{}"), None),
        # 34 days + 1 s before receipt is too old; exactly 34 days is fine.
        (("t", "CUS1", "use", "2025-12-01T23:59:59Z", "{}"), "TIMESTAMP_TOO_OLD"),
        (("t", "CUS1", "use", "2025-12-02T00:00:00Z", "{}"), "NO_ACTIVE_CONTRACT"),
        # Malformed beats future: a bad properties text with a future timestamp.
        (("t", "CUS1", "use", "2026-02-06T00:00:00Z", "[]"), "MALFORMED_EVENT"),
        (("t", "nobody", "use", "2026-01-05T00:00:00Z", "{}"), "CUSTOMER_NOT_FOUND"),
        # Unknown customer even if the event matches no metric (step 2 comes first).
        (("t", "nobody", "other", "2026-01-05T00:00:00Z", "{}"), "CUSTOMER_NOT_FOUND"),
        (("t", "alias-1", "use", "2026-01-05T00:00:00Z", "{}"), None),
        (("t", "CUS1", "use", "2026-01-05T00:00:00Z", None), None),  # null properties = {}
    ],
)
def test_validation_and_customer_codes(tmp_path, fields, code):
    s = base("COUNT")
    tx, cust, etype, ts, props = fields
    s.add_events([event(tx, cust, etype, ts, props, "2026-01-05T00:00:00Z")])
    result = run(tmp_path, s)
    (only,) = result.outcomes
    if code is None:
        assert (only.outcome, only.error_code) == ("RATED", None)
    else:
        assert (only.outcome, only.error_code) == ("ERRORED", code)


def test_not_billable_and_metric_filters(tmp_path):
    s = base("SUM")
    s.billable_metrics[0]["property_filters"] = [
        {"name": "region", "exists": None, "in_values": ["eu", 5], "not_in_values": None},
        {"name": "tier", "exists": False, "in_values": None, "not_in_values": None},
        {"name": "env", "exists": None, "in_values": None, "not_in_values": ["test"]},
    ]
    s.add_events(
        [
            use("ok1", "2026-01-02T00:00:00Z", {"value": 1, "region": "eu"}),
            use("str5e0", "2026-01-02T00:00:01Z", {"value": 1, "region": "5.0e0", "env": "p"}),
            use("ok3", "2026-01-02T00:00:02Z", {"value": 1, "region": 5.0, "tier": None}),
            use("no1", "2026-01-02T00:00:03Z", {"value": 1, "region": "us"}),
            use("no2", "2026-01-02T00:00:04Z", {"value": 1}),  # in_values fails when absent
            use("no3", "2026-01-02T00:00:05Z", {"value": 1, "region": "eu", "tier": "x"}),
            use("no4", "2026-01-02T00:00:06Z", {"value": 1, "region": "eu", "env": "test"}),
            use("no5", "2026-01-02T00:00:07Z", {"value": 1, "region": "eu"}, event_type="x"),
            use("str5", "2026-01-02T00:00:08Z", {"value": 1, "region": "5"}),
        ]
    )
    got = outcome_of(run(tmp_path, s))
    # "5.0e0" is a string (not the number 5); 5.0 (number) reads "5" = the filter's 5; "5" too.
    assert got == {
        "ok1": ("RATED", None),
        "str5e0": ("NOT_BILLABLE", None),
        "ok3": ("RATED", None),
        "no1": ("NOT_BILLABLE", None),
        "no2": ("NOT_BILLABLE", None),
        "no3": ("NOT_BILLABLE", None),
        "no4": ("NOT_BILLABLE", None),
        "no5": ("NOT_BILLABLE", None),
        "str5": ("RATED", None),
    }


def test_no_active_contract_no_rate_and_invalid_value(tmp_path):
    s = base("SUM")
    s.contracts = [contract(start="2026-01-10T00:00:00Z", end="2026-02-10T00:00:00Z")]
    s.billable_metrics.append(metric("M_ORPHAN", "COUNT", event_types=["orphan"]))
    s.products.append(product("P_NE", "M_NE"))
    s.billable_metrics.append(metric("M_NE", "COUNT", event_types=["ne"]))
    s.rates.append(rate("P_NE", 5))
    s.rates.append(rate("P_NE", 5, group_values={"plan": "free"}, entitled=False))
    s.add_events(
        [
            use("before", "2026-01-05T00:00:00Z", {"value": 1}),
            use("after", "2026-02-10T00:00:00Z", {"value": 1}),  # ending_before is exclusive
            use("orphan", "2026-01-15T00:00:00Z", {}, event_type="orphan"),
            use("ne_free", "2026-01-15T00:00:00Z", {"plan": "free"}, event_type="ne"),
            use("ne_paid", "2026-01-15T00:00:00Z", {"plan": "paid"}, event_type="ne"),
            use("missing", "2026-01-15T00:00:00Z", {}),
            use("text", "2026-01-15T00:00:00Z", {"value": "abc"}),
            use("exp", "2026-01-15T00:00:00Z", {"value": "1e3"}),
            use("bool", "2026-01-15T00:00:00Z", {"value": True}),
            use("huge", "2026-01-15T00:00:00Z", {"value": "1" + "0" * 26}),
            use("big_ok", "2026-01-15T00:00:00Z", {"value": "9" * 26}),
            use("spaced", "2026-01-20T00:00:00Z", {"value": " 1"}),
        ]
    )
    got = outcome_of(run(tmp_path, s))
    assert got == {
        "before": ("ERRORED", "NO_ACTIVE_CONTRACT"),
        "after": ("ERRORED", "NO_ACTIVE_CONTRACT"),
        "orphan": ("ERRORED", "NO_RATE"),  # a matched metric no USAGE product uses
        "ne_free": ("ERRORED", "NO_RATE"),  # the most specific rate is not entitled
        "ne_paid": ("RATED", None),
        "missing": ("ERRORED", "INVALID_AGGREGATION_VALUE"),
        "text": ("ERRORED", "INVALID_AGGREGATION_VALUE"),
        "exp": ("ERRORED", "INVALID_AGGREGATION_VALUE"),  # strings must be plain decimals
        "bool": ("ERRORED", "INVALID_AGGREGATION_VALUE"),
        "huge": ("ERRORED", "INVALID_AGGREGATION_VALUE"),  # |v| must be below 10^26
        "big_ok": ("RATED", None),
        "spaced": ("ERRORED", "INVALID_AGGREGATION_VALUE"),
    }


def test_outcome_rule_rated_wins_and_first_code_otherwise(tmp_path):
    s = base("SUM")
    # Metric M2 (COUNT on the same events) has product P2 without any rate on R1.
    s.billable_metrics.append(metric("M2", "COUNT", event_types=["use"]))
    s.products.append(product("P2", "M2"))
    s.add_events(
        [
            use("one_ok", "2026-01-02T00:00:00Z", {"value": 1}),  # P1 rated, P2 NO_RATE
            use("both_bad", "2026-01-02T00:00:01Z", {"value": "x"}),  # NO_RATE < INVALID
        ]
    )
    result = run(tmp_path, s)
    assert outcome_of(result) == {
        "one_ok": ("RATED", None),
        "both_bad": ("ERRORED", "NO_RATE"),
    }
    assert [r.product_id for r in result.rated] == ["P1"]


def test_invalid_value_fails_only_its_unit_and_is_not_counted(tmp_path):
    s = base("SUM", price=1)
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": 5}),
            use("bad", "2026-01-03T00:00:00Z", {"value": "five"}),
            use("b", "2026-01-04T00:00:00Z", {"value": 2}),
        ]
    )
    result = run(tmp_path, s)
    assert [(r.transaction_id, r.quantity) for r in result.rated] == [("a", 5), ("b", 2)]
    assert outcome_of(result)["bad"] == ("ERRORED", "INVALID_AGGREGATION_VALUE")


def test_events_received_after_as_of_do_not_exist(tmp_path):
    s = base("COUNT")
    s.add_events(
        [
            use("now", "2026-03-04T00:00:00Z", received="2026-03-05T00:00:00Z"),  # = as_of
            use("later", "2026-03-04T00:00:00Z", received="2026-03-05T00:00:00.000001Z"),
        ]
    )
    result = run(tmp_path, s)
    assert [o.transaction_id for o in result.outcomes] == ["now"]
    assert [r.transaction_id for r in result.rated] == ["now"]


def test_outcome_rows_name_their_source_file_and_row(tmp_path):
    s = base("COUNT")
    s.add_events([use("b0", "2026-01-02T00:00:00Z")], "events-0001.parquet")
    s.add_events([use("a0", "2026-01-02T00:00:00Z"), use("a1", "2026-01-03T00:00:00Z")])
    result = run(tmp_path, s)
    assert [(o.source_file, o.source_row, o.transaction_id) for o in result.outcomes] == [
        ("events/events-0000.parquet", 0, "a0"),
        ("events/events-0000.parquet", 1, "a1"),
        ("events/events-0001.parquet", 0, "b0"),
    ]


def test_every_active_contract_and_every_product_is_rated(tmp_path):
    s = base("COUNT", price=2)
    s.contracts.append(contract("C2"))
    s.products.append(product("P1b", "M1"))
    s.rates.append(rate("P1b", 3))
    s.add_events([use("e", "2026-01-02T00:00:00Z")])
    result = run(tmp_path, s)
    got = sorted((r.contract_id, r.product_id, r.amount) for r in result.rated)
    assert got == [("C1", "P1", 2), ("C1", "P1b", 3), ("C2", "P1", 2), ("C2", "P1b", 3)]


def test_customer_id_beats_another_customers_alias(tmp_path):
    s = base("COUNT")
    s.customers = [customer("CUS1", ["shared"]), customer("shared", [])]
    s.contracts.append(contract("C2", customer_id="shared"))
    s.add_events([use("e", "2026-01-02T00:00:00Z", customer="shared")])
    result = run(tmp_path, s)
    # "shared" is CUS1's alias and the id of customer "shared": the id wins (contract C2).
    assert [(r.customer_id, r.contract_id) for r in result.rated] == [("shared", "C2")]


def test_unique_needs_the_key_and_non_usage_products_are_not_rated(tmp_path):
    s = base("UNIQUE")
    s.billable_metrics.append(metric("M_FIXED", "COUNT", event_types=["fixed"]))
    s.products.append(product("P_FIXED", "M_FIXED", type_="FIXED"))
    s.rates.append(rate("P_FIXED", 5))
    s.add_events(
        [
            use("no_key", "2026-01-02T00:00:00Z", {"other": 1}),
            use("text_ok", "2026-01-02T00:00:01Z", {"value": "not a number"}),
            use("fixed", "2026-01-02T00:00:02Z", {}, event_type="fixed"),
        ]
    )
    assert outcome_of(run(tmp_path, s)) == {
        "no_key": ("ERRORED", "INVALID_AGGREGATION_VALUE"),
        "text_ok": ("RATED", None),  # UNIQUE only needs the key present
        "fixed": ("ERRORED", "NO_RATE"),  # only a non-USAGE product uses the metric
    }


# ---------------------------------------------------------------------------------------------
# Finalization (rules 5, PERIOD_FINALIZED)
# ---------------------------------------------------------------------------------------------


def test_period_finalized(tmp_path):
    s = base("SUM", price=1, rounding=(0, "ROUND_UP"))
    s.add_events(
        [
            use("in", "2026-01-20T00:00:00Z", {"value": "1.5"}, received="2026-02-01T23:59:59Z"),
            # January finalizes at Feb 1 + 24 h = Feb 2 00:00; received then: too late.
            use("late", "2026-01-31T00:00:00Z", {"value": 7}, received="2026-02-02T00:00:00Z"),
            use("march", "2026-03-01T00:00:00Z", {"value": "0.25"}),
        ]
    )
    result = run(tmp_path, s)
    assert outcome_of(result) == {
        "in": ("RATED", None),
        "late": ("ERRORED", "PERIOD_FINALIZED"),
        "march": ("RATED", None),
    }
    # January total counts only "in": 1.5 -> 2 (adjustment 0.5); March is draft: 0.25 -> 1.
    assert [(r.transaction_id, r.component, r.quantity, r.status) for r in result.rated] == [
        ("in", "USAGE", D("1.5"), "FINALIZED"),
        ("in", "ROUNDING_ADJUSTMENT", D("0.5"), "FINALIZED"),
        ("march", "USAGE", D("0.25"), "DRAFT"),
        ("march", "ROUNDING_ADJUSTMENT", D("0.75"), "DRAFT"),
    ]
    # Before Feb 2 the January period is still a draft and counts the late event too.
    early = run(tmp_path / "early", s, as_of="2026-02-02T00:00:00Z", invoice_grace_period_hours=25)
    assert outcome_of(early)["late"] == ("RATED", None)
    assert {r.status for r in early.rated} == {"DRAFT"}


def test_period_finalized_only_fails_the_finalized_target(tmp_path):
    s = base("COUNT")
    # C2 bills weekly: its period Jan 26 -> Feb 2 is not finalized until Feb 3.
    s.contracts.append(contract("C2", frequency="WEEKLY", day="CUSTOM_DATE", anchor="2026-01-05"))
    s.add_events([use("late", "2026-01-31T00:00:00Z", received="2026-02-02T12:00:00Z")])
    result = run(tmp_path, s, as_of="2026-02-02T12:00:00Z")
    assert outcome_of(result)["late"] == ("RATED", None)
    assert [r.contract_id for r in result.rated] == ["C2"]


# ---------------------------------------------------------------------------------------------
# Overrides (rules 4.8)
# ---------------------------------------------------------------------------------------------


def override_scenario(overrides: list[dict], prioritization: str = "LOWEST_MULTIPLIER") -> Scenario:
    s = base("SUM", price=10, pricing_key=["region", "model"], tags=["ai"])
    s.contracts = [contract(prioritization=prioritization)]
    s.overrides = overrides
    s.add_events(
        [
            use("eu_big", "2026-01-02T00:00:00Z", {"value": 1, "region": "eu", "model": "big"}),
            use("us_big", "2026-01-02T00:00:01Z", {"value": 1, "region": "us", "model": "big"}),
        ]
    )
    return s


def unit_prices(result: RatingResult) -> dict[str, list]:
    return {
        o.transaction_id: [r.unit_price for r in rows_of(result, o.transaction_id)]
        for o in result.outcomes
    }


def test_overwrite_beats_multiplier_even_with_a_better_priority(tmp_path):
    s = override_scenario(
        [
            override("MUL", "MULTIPLIER", [spec(product_id="P1")], multiplier="0.5", priority=1),
            override(
                "OVW",
                "OVERWRITE",
                [spec(product_id="P1")],
                priority=9,
                overwrite={"rate_type": "FLAT", "price": 3, "tiers": None},
            ),
        ]
    )
    assert unit_prices(run(tmp_path, s)) == {"eu_big": [3], "us_big": [3]}


def test_overwrite_can_replace_flat_with_tiers_and_priority_picks_one(tmp_path):
    tiers = {
        "rate_type": "TIERED",
        "price": None,
        "tiers": [{"size": "0.5", "price": 8}, {"price": 4}],
    }
    s = override_scenario(
        [
            override("O-B", "OVERWRITE", [spec(tags=["ai"])], overwrite=tiers, priority=1),
            override(
                "O-A",
                "OVERWRITE",
                [spec(tags=["ai"])],
                priority=2,
                overwrite={"rate_type": "FLAT", "price": 1, "tiers": None},
            ),
        ]
    )
    result = run(tmp_path, s)
    # Priority 1 wins: 1 unit over tiers 0.5 at 8 and 0.5 at 4 = 6 per region unit.
    assert qa(rows_of(result, "eu_big")) == [
        ("USAGE", 1, D("0.5"), 8, 4),
        ("USAGE", 2, D("0.5"), 4, 2),
    ]


def test_lowest_multiplier_vs_explicit(tmp_path):
    overrides = [
        override("LOW", "MULTIPLIER", [spec(product_id="P1")], multiplier="0.8", priority=5),
        override("PRI", "MULTIPLIER", [spec(product_id="P1")], multiplier="0.9", priority=1),
    ]
    # LOWEST_MULTIPLIER: 0.8 wins (10 x 0.8 = 8); EXPLICIT: priority 1 wins (10 x 0.9 = 9).
    low = run(tmp_path / "low", override_scenario(overrides))
    assert unit_prices(low) == {"eu_big": [8], "us_big": [8]}
    explicit = run(tmp_path / "explicit", override_scenario(overrides, "EXPLICIT"))
    assert unit_prices(explicit) == {"eu_big": [9], "us_big": [9]}


def test_override_tie_breaks_null_priority_last_then_later_start(tmp_path):
    overrides = [
        override("A", "MULTIPLIER", [spec(product_id="P1")], multiplier=2, priority=None),
        override("B", "MULTIPLIER", [spec(product_id="P1")], multiplier=3, priority=4),
        override(
            "C",
            "MULTIPLIER",
            [spec(product_id="P1")],
            multiplier=5,
            priority=4,
            start="2026-01-01T12:00:00Z",
        ),
    ]
    # EXPLICIT: priority 4 beats null; between B and C the later start (C) wins: 10 x 5 = 50.
    result = run(tmp_path, override_scenario(overrides, "EXPLICIT"))
    assert unit_prices(result) == {"eu_big": [50], "us_big": [50]}


def test_specifiers_by_tags_and_pricing_group_values(tmp_path):
    overrides = [
        # A subset of the pricing key: region only.
        override("EU", "MULTIPLIER", [spec(group_values={"region": "eu"})], multiplier="0.5"),
        # All given fields must match: wrong tag, so this specifier never matches...
        override("NO", "MULTIPLIER", [spec(product_id="P1", tags=["other"])], multiplier="0.1"),
        # ...and a specifier list matches when any specifier does.
        override(
            "ANY",
            "OVERWRITE",
            [spec(tags=["zzz"]), spec(group_values={"region": "us", "model": "big"})],
            overwrite={"rate_type": "FLAT", "price": 7, "tiers": None},
        ),
    ]
    result = run(tmp_path, override_scenario(overrides))
    assert unit_prices(result) == {"eu_big": [5], "us_big": [7]}


def test_override_window_and_multiplier_rounding(tmp_path):
    s = base("SUM", price="0.000000000003")
    s.overrides = [
        override(
            "M",
            "MULTIPLIER",
            [spec(product_id="P1")],
            multiplier="0.5",
            start="2026-01-10T00:00:00Z",
            end="2026-01-20T00:00:00Z",
        ),
    ]
    s.add_events(
        [
            use("before", "2026-01-09T23:59:59Z", {"value": 1}),
            use("inside", "2026-01-10T00:00:00Z", {"value": 1}),
            use("after", "2026-01-20T00:00:00Z", {"value": 1}),
        ]
    )
    result = run(tmp_path, s)
    # 0.000000000003 x 0.5 = 0.0000000000015 -> R -> 0.000000000002 (half away from zero).
    assert [r.unit_price for r in result.rated] == [
        D("0.000000000003"),
        D("0.000000000002"),
        D("0.000000000003"),
    ]


# ---------------------------------------------------------------------------------------------
# Drawdown (rules 4.9) and invoice effect (rules 4.10)
# ---------------------------------------------------------------------------------------------


def test_credit_before_prepaid_and_rank_order(tmp_path):
    s = base("SUM", price=1, tags=["compute"])
    s.commits = [balance("PRE", [("PRE-1", 50, JAN1, FEB1)])]
    s.credits = [
        balance("CR-ALL", [("CR-ALL-1", 30, JAN1, FEB1)], kind="CREDIT"),
        balance("CR-TAG", [("CR-TAG-1", 20, JAN1, FEB1)], kind="CREDIT", tags=["compute"]),
    ]
    s.add_events([use("a", "2026-01-02T00:00:00Z", {"value": 120})])
    result = run(tmp_path, s)
    # Rank: credits before commits; among credits the tag list (1 product) before "every
    # product". So 120 = 20 (CR-TAG) + 30 (CR-ALL) + 50 (PRE) + 20 overage.
    assert [(r.balance_segment_id, r.coverage, r.quantity, r.amount) for r in result.rated] == [
        ("CR-TAG-1", "CREDIT", 20, 20),
        ("CR-ALL-1", "CREDIT", 30, 30),
        ("PRE-1", "PREPAID_COMMIT", 50, 50),
        (None, "OVERAGE", 20, 20),
    ]
    lines = sorted((line.line_type, line.balance_id, line.amount) for line in result.invoice_lines)
    assert lines == [
        ("COMMIT", "PRE", -50),
        ("CREDIT", "CR-ALL", -30),
        ("CREDIT", "CR-TAG", -20),
        ("USAGE", None, 120),
    ]


def test_split_quantities_telescope(tmp_path):
    s = base("SUM", price=3)
    s.credits = [balance("CR", [("CR-1", 1, JAN1, FEB1)], kind="CREDIT")]
    s.add_events([use("a", "2026-01-02T00:00:00Z", {"value": 1})])
    result = run(tmp_path, s)
    # Row q = 1, a = 3. Credit covers 1 -> R(1 x 1 / 3) = 0.333333333333; overage gets
    # R(1 x 3 / 3) - 0.333333333333 = 0.666666666667.
    assert [(r.coverage, r.quantity, r.amount) for r in result.rated] == [
        ("CREDIT", D("0.333333333333"), 1),
        ("OVERAGE", D("0.666666666667"), 2),
    ]


def test_negative_amounts_give_back_to_the_segment(tmp_path):
    s = base("LATEST", price=1)
    s.commits = [balance("PRE", [("PRE-1", 100, JAN1, FEB1)])]
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": 120}),
            use("b", "2026-01-03T00:00:00Z", {"value": 90}),
            use("c", "2026-01-04T00:00:00Z", {"value": 60}),
        ]
    )
    result = run(tmp_path, s)
    # C runs 0 -> 120 -> 90 -> 60 against S = 100:
    # a covers clamp(120) - 0 = 100 (20 overage); b: clamp(90) - clamp(120) = -10 (-20 overage);
    # c: clamp(60) - clamp(90) = -30 (the segment gets 30 back).
    got = [(r.transaction_id, r.coverage, r.amount) for r in result.rated]
    assert got == [
        ("a", "PREPAID_COMMIT", 100),
        ("a", "OVERAGE", 20),
        ("b", "PREPAID_COMMIT", -10),
        ("b", "OVERAGE", -20),
        ("c", "PREPAID_COMMIT", -30),
    ]
    # b: q = -30, a = -30: covered part R(-30 x -10 / -30) = -10, overage -30 - (-10) = -20.
    assert [r.quantity for r in rows_of(result, "b")] == [-10, -20]


def test_drawdown_respects_segment_windows_and_products(tmp_path):
    s = base("SUM", price=1)
    s.products.append(product("P2", "M1"))
    s.rates.append(rate("P2", 2))
    s.commits = [
        balance(
            "PRE",
            [
                ("PRE-JAN", 10, JAN1, "2026-01-15T00:00:00Z"),
                ("PRE-LATE", 10, "2026-01-15T00:00:00Z", "2026-03-01T00:00:00Z"),
            ],
            products=["P2"],
        ),
    ]
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": 4}),  # P1 4, P2 8
            use("b", "2026-02-20T00:00:00Z", {"value": 4}),  # P1 4, P2 8
        ]
    )
    result = run(tmp_path, s)
    got = [(r.transaction_id, r.product_id, r.balance_segment_id, r.amount) for r in result.rated]
    # P1 is never applicable; PRE-JAN covers 8 of a's P2 row; PRE-LATE 8 of b's (across periods).
    assert got == [
        ("a", "P1", None, 4),
        ("a", "P2", "PRE-JAN", 8),
        ("b", "P1", None, 4),
        ("b", "P2", "PRE-LATE", 8),
    ]


def test_postpaid_trueup(tmp_path):
    s = base("SUM", price=1)
    s.commits = [
        balance("POST", [("POST-1", 100, JAN1, FEB1)], kind="POSTPAID"),
    ]
    s.add_events([use("a", "2026-01-02T00:00:00Z", {"value": 30})])
    result = run(tmp_path, s)
    # Postpaid coverage has no application line; remainder 100 - 30 = 70 billed on January
    # (due t = Feb 1: the period with start < t <= end).
    assert result.rated[0].coverage == "POSTPAID_COMMIT"
    lines = sorted(
        (line.line_type, line.amount, line.billing_period_start) for line in result.invoice_lines
    )
    assert lines == [("POSTPAID_TRUEUP", 70, utc(JAN1)), ("USAGE", 30, utc(JAN1))]
    # Not due yet before Feb 1.
    early = run(tmp_path / "early", s, as_of="2026-01-31T23:59:59Z")
    assert [line.line_type for line in early.invoice_lines] == ["USAGE"]


# ---------------------------------------------------------------------------------------------
# Properties that must hold for any input (hypothesis)
# ---------------------------------------------------------------------------------------------

_values = st.lists(
    st.decimals(min_value=-50, max_value=200, places=3, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=8,
)
_tiers = st.lists(
    st.tuples(
        st.decimals(min_value="0.5", max_value=40, places=1),
        st.decimals(min_value=0, max_value=300, places=2),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    aggregation=st.sampled_from(["SUM", "MAX", "LATEST", "UNIQUE", "COUNT"]),
    values=_values,
    tiers=_tiers,
    last_price=st.decimals(min_value=0, max_value=300, places=2),
    conversion=st.sampled_from([None, (3, "DIVIDE"), ("0.5", "MULTIPLY")]),
    rounding=st.sampled_from([None, (0, "ROUND_UP"), (1, "ROUND_DOWN"), (0, "ROUND_HALF_UP")]),
    commit=st.sampled_from([None, 0, 150, 2000]),
)
def test_rated_rows_reconcile_with_period_aggregates(
    aggregation, values, tiers, last_price, conversion, rounding, commit
):
    tier_list = [{"size": str(size), "price": str(price)} for size, price in tiers]
    tier_list.append({"price": str(last_price)})
    s = base(aggregation, tiers=tier_list, conversion=conversion, rounding=rounding)
    if commit is not None:
        s.commits = [balance("K", [("K-1", commit, JAN1, "2026-01-04T00:00:00Z")])]
    s.add_events(
        [
            use(f"v{i}", f"2026-01-02T00:{i:02d}:00Z", {"value": str(v)})
            for i, v in enumerate(values)
        ]
    )
    with tempfile.TemporaryDirectory() as folder:
        result = run(Path(folder), s)
    assert {o.outcome for o in result.outcomes} == {"RATED"}
    (line,) = usage_lines(result)
    # Rules 5: rated amounts add up to the USAGE line (tolerance 1e-6); quantities exactly.
    assert abs(sum(r.amount for r in result.rated) - line.amount) <= D("1e-6")
    assert sum(r.quantity for r in result.rated) == line.quantity
    # Rules 4.9: a segment covers between 0 and its amount; covered lines mirror coverage.
    covered = sum(r.amount for r in result.rated if r.balance_id is not None)
    assert 0 <= covered <= (commit or 0)
    applied = sum(x.amount for x in result.invoice_lines if x.line_type == "COMMIT")
    assert applied == -covered
    # Rows of one event in one tier keep the tier's price; amounts are never rounded per event
    # beyond R (12 places).
    for row in result.rated:
        assert row.amount == r12(row.amount) and row.quantity == r12(row.quantity)


def test_priority_beats_balance_kind(tmp_path):
    s = base("SUM", price=1)
    s.commits = [balance("PRE", [("PRE-1", 10, JAN1, FEB1)], priority=1)]
    s.credits = [balance("CR", [("CR-1", 10, JAN1, FEB1)], kind="CREDIT")]
    s.add_events([use("a", "2026-01-02T00:00:00Z", {"value": 15})])
    result = run(tmp_path, s)
    # Priority 1 ranks before the credit's null priority: PRE covers 10, then CR covers 5.
    assert [(r.balance_id, r.amount) for r in result.rated] == [("PRE", 10), ("CR", 5)]


def test_trueup_due_at_the_earlier_contract_end(tmp_path):
    s = base("SUM", price=1)
    s.contracts = [contract(end="2026-01-20T00:00:00Z")]
    s.commits = [balance("POST", [("POST-1", 100, JAN1, "2026-06-01T00:00:00Z")], kind="POSTPAID")]
    s.add_events([use("a", "2026-01-02T00:00:00Z", {"value": 30})])
    # Due t = Jan 20 (the contract ends first): on the last period Jan 1 -> Jan 20, 100 - 30.
    result = run(tmp_path, s, as_of="2026-01-20T00:00:00Z")
    (trueup,) = [x for x in result.invoice_lines if x.line_type == "POSTPAID_TRUEUP"]
    assert (trueup.amount, trueup.billing_period_end, trueup.status) == (
        70,
        utc("2026-01-20T00:00:00Z"),
        "DRAFT",  # finalizes at Jan 21 00:00
    )
    assert trueup.product_id == "P_POST"


# ---------------------------------------------------------------------------------------------
# VOLUME tiers (rules 4.7, 4.8) and credit types (rules 3, 4.8-4.10, 5)
# ---------------------------------------------------------------------------------------------


def volume_base(aggregation: str = "SUM", tiers: list[dict] | None = None, **kwargs) -> Scenario:
    """`base` with a VOLUME rate; the default ladder is rules 4.8's: 10 at 40, 90 at 30, then 20
    ((-inf, 10] at 40, (10, 100] at 30, (100, inf) at 20)."""
    return base(aggregation, tiers=tiers or GPU_TIERS, rate_type="VOLUME", **kwargs)


def uses(values: list[object], day: int = 2) -> list[dict]:
    """Events v0, v1, ... of `value` one minute apart on January `day`."""
    return [
        use(f"v{i}", f"2026-01-{day:02d}T00:{i:02d}:00Z", {"value": v})
        for i, v in enumerate(values)
    ]


def test_volume_boundary_totals_belong_to_the_lower_tier(tmp_path):
    s = volume_base()
    s.add_events(uses([10, 0, 90, 1]))
    result = run(tmp_path, s)
    assert qa(result.rated) == [
        # 0 -> 10: 10 is on the boundary, so tier 1: USAGE 10 x 40 = 400 (no REPRICE: Q = 0).
        ("USAGE", 1, 10, 40, 400),
        # 10 -> 10, a zero move: one row of 0 in the tier holding 10 (tier 1, the lower one).
        ("USAGE", 1, 0, 40, 0),
        # 10 -> 100, tier 2 (100 on the boundary): USAGE 90 x 30 = 2,700; REPRICE 10 x (30 - 40).
        ("USAGE", 2, 90, 30, 2700),
        ("USAGE_REPRICE", 2, 10, -10, -100),
        # 100 -> 101, tier 3: USAGE 1 x 20 = 20; REPRICE 100 x (20 - 30) = -1,000.
        ("USAGE", 3, 1, 20, 20),
        ("USAGE_REPRICE", 3, 100, -10, -1000),
    ]
    # Line: quantity 10 + 0 + 90 + 1 = 101 (REPRICE rows add none), V(101) = 101 x 20 = 2,020
    # = 400 + 0 + 2,700 - 100 + 20 - 1,000.
    assert lines_of(result) == [("USAGE", "P1", "USD_CENTS", 101, 2020, 2020)]
    # Fiat rows: fiat_amount = amount.
    assert all(r.fiat_amount == r.amount for r in result.rated)


def test_volume_crossing_up_and_down_and_negative_totals(tmp_path):
    s = volume_base("LATEST")
    s.add_events(uses([50, 5, 120, 8, -5]))
    result = run(tmp_path, s)
    assert qa(result.rated) == [
        # 0 -> 50, tier 2: USAGE 50 x 30 = 1,500.
        ("USAGE", 2, 50, 30, 1500),
        # 50 -> 5 (down to tier 1): USAGE -45 x 40 = -1,800; REPRICE 50 x (40 - 30) = +500;
        # -1,300 = V(5) - V(50) = 200 - 1,500.
        ("USAGE", 1, -45, 40, -1800),
        ("USAGE_REPRICE", 1, 50, 10, 500),
        # 5 -> 120 (up to tier 3): USAGE 115 x 20 = 2,300; REPRICE 5 x (20 - 40) = -100;
        # 2,200 = 2,400 - 200.
        ("USAGE", 3, 115, 20, 2300),
        ("USAGE_REPRICE", 3, 5, -20, -100),
        # 120 -> 8: USAGE -112 x 40 = -4,480; REPRICE 120 x (40 - 20) = 2,400; -2,080 = 320 - 2,400.
        ("USAGE", 1, -112, 40, -4480),
        ("USAGE_REPRICE", 1, 120, 20, 2400),
        # 8 -> -5, a negative total stays in tier 1: USAGE -13 x 40 = -520; REPRICE 8 x (40 - 40)
        # = 0 is not written.
        ("USAGE", 1, -13, 40, -520),
    ]
    # Line: quantity -5, V(-5) = -5 x 40 = -200 = 1,500 - 1,300 + 2,200 - 2,080 - 520.
    assert lines_of(result) == [("USAGE", "P1", "USD_CENTS", -5, -200, -200)]


def test_volume_zero_move_on_a_max_gets_one_row(tmp_path):
    s = volume_base("MAX")
    s.add_events(uses([12, 7]))
    result = run(tmp_path, s)
    # 0 -> 12, tier 2: USAGE 12 x 30 = 360. 7 does not raise the maximum: 12 -> 12, one USAGE row
    # of 0 in tier 2 at 30, no REPRICE (p(12) - p(12) = 0).
    assert qa(result.rated) == [("USAGE", 2, 12, 30, 360), ("USAGE", 2, 0, 30, 0)]
    assert outcome_of(result)["v1"] == ("RATED", None)


@pytest.mark.parametrize(
    ("method", "values", "expected", "line"),
    [
        (
            # 0 -> 60, tier 2: 60 x 30 = 1,800. 60 -> 100.4, tier 3: USAGE 40.4 x 20 = 808;
            # REPRICE 60 x (20 - 30) = -600. ROUND_DOWN 100.4 -> 100 (tier 2, the boundary):
            # ROUNDING_ADJUSTMENT -0.4 x 30 = -12; ROUNDING_REPRICE 100.4 x (30 - 20) = 1,004.
            "ROUND_DOWN",
            [60, "40.4"],
            [
                ("USAGE", 2, 60, 30, 1800),
                ("USAGE", 3, D("40.4"), 20, 808),
                ("USAGE_REPRICE", 3, 60, -10, -600),
                ("ROUNDING_ADJUSTMENT", 2, D("-0.4"), 30, -12),
                ("ROUNDING_REPRICE", 2, D("100.4"), 10, 1004),
            ],
            # V(100) = 100 x 30 = 3,000 = 1,800 + 808 - 600 - 12 + 1,004.
            (100, 3000),
        ),
        (
            # 0 -> 5, tier 1: 5 x 40 = 200. 5 -> 99.5, tier 2: USAGE 94.5 x 30 = 2,835; REPRICE
            # 5 x (30 - 40) = -50. ROUND_UP 99.5 -> 100 stays in tier 2 (the boundary belongs to
            # the lower tier): ROUNDING_ADJUSTMENT 0.5 x 30 = 15, no ROUNDING_REPRICE.
            "ROUND_UP",
            [5, "94.5"],
            [
                ("USAGE", 1, 5, 40, 200),
                ("USAGE", 2, D("94.5"), 30, 2835),
                ("USAGE_REPRICE", 2, 5, -10, -50),
                ("ROUNDING_ADJUSTMENT", 2, D("0.5"), 30, 15),
            ],
            # V(100) = 3,000 = 200 + 2,835 - 50 + 15.
            (100, 3000),
        ),
    ],
)
def test_volume_rounding_adjustment_and_reprice(tmp_path, method, values, expected, line):
    s = volume_base(rounding=(0, method))
    s.add_events(uses(values))
    result = run(tmp_path, s)
    assert qa(result.rated) == expected
    # The rounding rows hang on the period's last event (v1).
    assert {r.transaction_id for r in result.rated if "ROUNDING" in r.component} == {"v1"}
    # The line's quantity is the rounded total (USAGE and ROUNDING_ADJUSTMENT rows only).
    assert lines_of(result) == [("USAGE", "P1", "USD_CENTS", *line, line[1])]


def test_volume_with_a_multiplier_then_a_volume_overwrite(tmp_path):
    ladder = [{"size": 2, "price": 8}, {"price": 5}]
    s = volume_base(tiers=ladder)
    s.overrides = [
        override(
            "MUL",
            "MULTIPLIER",
            [spec(product_id="P1")],
            multiplier="1.5",
            end="2026-01-15T00:00:00Z",
        ),
        override(
            "OVW",
            "OVERWRITE",
            [spec(product_id="P1")],
            start="2026-01-15T00:00:00Z",
            overwrite={
                "rate_type": "VOLUME",
                "price": None,
                "tiers": [{"size": 4, "price": 6}, {"price": 3}],
            },
        ),
    ]
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": 2}),
            use("b", "2026-01-03T00:00:00Z", {"value": 1}),
            use("c", "2026-01-20T00:00:00Z", {"value": 2}),
        ]
    )
    result = run(tmp_path, s)
    # Before Jan 15 the multiplier scales every tier: (-inf, 2] at 8 x 1.5 = 12, then 5 x 1.5 = 7.5.
    # a: 0 -> 2, tier 1 (boundary): USAGE 2 x 12 = 24.
    assert qa(rows_of(result, "a")) == [("USAGE", 1, 2, 12, 24)]
    # b: 2 -> 3, tier 2: USAGE 1 x 7.5 = 7.5; REPRICE 2 x (7.5 - 12) = -9.
    assert qa(rows_of(result, "b")) == [
        ("USAGE", 2, 1, D("7.5"), D("7.5")),
        ("USAGE_REPRICE", 2, 2, D("-4.5"), -9),
    ]
    # From Jan 15 the OVERWRITE ladder (-inf, 4] at 6, then 3 re-prices the earlier units from
    # its own p(3) = 6 (not the 7.5 they were billed at): c: 3 -> 5, tier 2: USAGE 2 x 3 = 6;
    # REPRICE 3 x (3 - 6) = -9.
    assert qa(rows_of(result, "c")) == [("USAGE", 2, 2, 3, 6), ("USAGE_REPRICE", 2, 3, -3, -9)]
    # Line per stretch: V_mul(3) - V_mul(0) = 3 x 7.5 = 22.5, plus V_ovw(5) - V_ovw(3) = 15 - 18
    # = -3: 19.5 = 24 + 7.5 - 9 + 6 - 9; quantity 5.
    assert lines_of(result) == [("USAGE", "P1", "USD_CENTS", 5, D("19.5"), D("19.5"))]


def test_rate_changing_credit_type_mid_period(tmp_path):
    s = base("SUM", rounding=(0, "ROUND_UP"))
    s.rate_cards = [rate_card("R1", {"GPU_CREDITS": "2.5"})]
    s.rates = [
        # Naming the card's fiat type explicitly is fiat: no conversion needed.
        rate("P1", 10, end="2026-01-15T00:00:00Z", credit_type_id="USD_CENTS"),
        rate("P1", 4, start="2026-01-15T00:00:00Z", credit_type_id="GPU_CREDITS"),
    ]
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": "1.5"}),
            use("b", "2026-01-20T00:00:00Z", {"value": 2}),
        ]
    )
    result = run(tmp_path, s)
    got = [
        (r.transaction_id, r.component, r.credit_type_id, r.quantity, r.amount, r.fiat_amount)
        for r in result.rated
    ]
    assert got == [
        # a: 0 -> 1.5 at 10 cents: 15, fiat 15.
        ("a", "USAGE", "USD_CENTS", D("1.5"), 15, 15),
        # b: 1.5 -> 3.5 at 4 GPU_CREDITS: 8 credits, fiat 8 x 2.5 = 20 cents.
        ("b", "USAGE", "GPU_CREDITS", 2, 8, 20),
        # ROUND_UP 3.5 -> 4 on the last event, at its terms: 0.5 x 4 = 2 credits, fiat 5.
        ("b", "ROUNDING_ADJUSTMENT", "GPU_CREDITS", D("0.5"), 2, 5),
    ]
    assert {r.fiat_credit_type_id for r in result.rated} == {"USD_CENTS"}
    # One USAGE line per credit type, with the quantity rated in it: cents 1.5 (15, fiat 15);
    # credits 2 + 0.5 = 2.5 (the rounding delta goes with the last event), 8 + 2 = 10, fiat 25.
    assert lines_of(result) == [
        ("USAGE", "P1", "GPU_CREDITS", D("2.5"), 10, 25),
        ("USAGE", "P1", "USD_CENTS", D("1.5"), 15, 15),
    ]
    # Invoice total = sum of the lines' fiat_amount = 25 + 15 = 40 cents.
    assert [(i.credit_type_id, i.total) for i in result.invoices] == [("USD_CENTS", 40)]


def test_fiat_and_custom_balances_on_one_contract(tmp_path):
    s = base("SUM", price=10)
    s.rate_cards = [rate_card("R1", {"GPU_CREDITS": "2.5"})]
    s.products.append(product("P2", "M1"))
    s.rates.append(rate("P2", 4, credit_type_id="GPU_CREDITS"))
    s.credits = [
        balance("CR", [("CR-1", 6, JAN1, FEB1)], kind="CREDIT", credit_type_id="GPU_CREDITS")
    ]
    s.commits = [balance("PRE", [("PRE-1", 25, JAN1, FEB1)])]  # null credit type: fiat
    s.add_events(
        [
            use("a", "2026-01-02T00:00:00Z", {"value": 2}),  # P1 2 x 10 = 20 c, P2 2 x 4 = 8 GPU
            use("b", "2026-01-03T00:00:00Z", {"value": 1}),  # P1 10 c, P2 4 GPU
        ]
    )
    result = run(tmp_path, s)
    got = [
        (r.transaction_id, r.product_id, r.credit_type_id, r.quantity, r.amount, r.fiat_amount)
        + (r.coverage, r.balance_id)
        for r in result.rated
    ]
    # Rank: CR (credit) before PRE (prepaid), but each pays only rows of its own credit type.
    # a/P1 20 c: PRE covers 20 (C 0 -> 20; 5 left). a/P2 8 GPU: CR covers clamp(8, 0, 6) = 6
    # (quantity R(2 x 6 / 8) = 1.5, fiat 15), 2 overage (quantity 0.5, fiat 5).
    # b/P1 10 c: PRE covers clamp(30, 0, 25) - 20 = 5 (quantity R(1 x 5 / 10) = 0.5), overage 5
    # (quantity 0.5). b/P2 4 GPU: CR is spent (C 8 -> 12, both above 6): overage, fiat 10.
    assert got == [
        ("a", "P1", "USD_CENTS", 2, 20, 20, "PREPAID_COMMIT", "PRE"),
        ("a", "P2", "GPU_CREDITS", D("1.5"), 6, 15, "CREDIT", "CR"),
        ("a", "P2", "GPU_CREDITS", D("0.5"), 2, 5, "OVERAGE", None),
        ("b", "P1", "USD_CENTS", D("0.5"), 5, 5, "PREPAID_COMMIT", "PRE"),
        ("b", "P1", "USD_CENTS", D("0.5"), 5, 5, "OVERAGE", None),
        ("b", "P2", "GPU_CREDITS", 1, 4, 10, "OVERAGE", None),
    ]
    # Lines: COMMIT PRE -25 c; CREDIT CR -6 GPU (fiat -15); USAGE P1 3 units 30 c; USAGE P2
    # 3 units 12 GPU (fiat 30). Total 30 + 30 - 15 - 25 = 20 cents (= the overage fiat 5 + 5 + 10).
    assert lines_of(result) == [
        ("COMMIT", "PRE", "USD_CENTS", None, -25, -25),
        ("CREDIT", "CR", "GPU_CREDITS", None, -6, -15),
        ("USAGE", "P1", "USD_CENTS", 3, 30, 30),
        ("USAGE", "P2", "GPU_CREDITS", 3, 12, 30),
    ]
    assert [i.total for i in result.invoices] == [20]


def test_postpaid_trueup_in_a_custom_credit_type(tmp_path):
    s = base("SUM", price=10)
    s.rate_cards = [rate_card("R1", {"GPU_CREDITS": "0.5"})]
    s.rates = [rate("P1", 4, credit_type_id="GPU_CREDITS")]
    s.commits = [
        balance(
            "POST",
            [("POST-1", 100, JAN1, FEB1)],
            kind="POSTPAID",
            credit_type_id="GPU_CREDITS",
        )
    ]
    s.add_events([use("a", "2026-01-02T00:00:00Z", {"value": 5})])
    result = run(tmp_path, s)
    # 5 x 4 = 20 GPU covered by POST (fiat 20 x 0.5 = 10); true-up 100 - 20 = 80 GPU, fiat 40.
    # Postpaid coverage has no line: total = 10 + 40 = 50 cents.
    assert drawn(result.rated) == [("USAGE", None, 5, 4, 20, 10, "POSTPAID_COMMIT", "POST")]
    assert lines_of(result) == [
        ("POSTPAID_TRUEUP", "P_POST", "GPU_CREDITS", None, 80, 40),
        ("USAGE", "P1", "GPU_CREDITS", 5, 20, 10),
    ]
    assert [i.total for i in result.invoices] == [50]


def test_fiat_amount_is_rounded_half_away_from_zero(tmp_path):
    s = base("SUM")
    s.rate_cards = [rate_card("R1", {"TOKENS": "0.000000000003"})]
    s.rates = [rate("P1", "0.5", credit_type_id="TOKENS")]
    s.add_events(uses([1, -2]))
    result = run(tmp_path, s)
    # 1 x 0.5 = 0.5 tokens -> 0.5 x 0.000000000003 = 0.0000000000015 -> R -> 0.000000000002;
    # -2 x 0.5 = -1 token -> -0.000000000003 exactly.
    assert [(r.amount, r.fiat_amount) for r in result.rated] == [
        (D("0.5"), D("0.000000000002")),
        (-1, D("-0.000000000003")),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # A rate in a custom type its card does not convert.
        (lambda s: s.rates[0].update(credit_type_id="GPU_CREDITS"), "rates.jsonl row 1"),
        # VOLUME and TIERED rates need tiers.
        (lambda s: s.rates[0].update(rate_type="VOLUME", price=None), "rates.jsonl row 1"),
        (lambda s: s.rates[0].update(rate_type="TIERED", price=None), "rates.jsonl row 1"),
        # A credit (or commit) in a custom type without a conversion on its contract's card.
        (
            lambda s: s.credits.append(
                balance("CR", [("CR-1", 5, JAN1, FEB1)], kind="CREDIT", credit_type_id="GPU")
            ),
            "credits.jsonl id 'CR'",
        ),
        (
            lambda s: s.commits.append(
                balance("PRE", [("PRE-1", 5, JAN1, FEB1)], credit_type_id="EUR_CENTS")
            ),
            "commits.jsonl id 'PRE'",
        ),
        # Conversions must be positive and given once per custom type.
        (
            lambda s: s.rate_cards[0].update(rate_card("R1", {"GPU": 0})),
            "rate_cards.jsonl id 'R1'",
        ),
        (
            lambda s: s.rate_cards[0]["credit_type_conversions"].extend(
                [shared.conversion("GPU", 1), shared.conversion("GPU", 2)]
            ),
            "rate_cards.jsonl id 'R1'",
        ),
        # An OVERWRITE to VOLUME without tiers.
        (
            lambda s: s.overrides.append(
                override(
                    "OVW",
                    "OVERWRITE",
                    [spec(product_id="P1")],
                    overwrite={"rate_type": "VOLUME", "price": None, "tiers": None},
                )
            ),
            "overrides.jsonl id 'OVW'",
        ),
    ],
)
def test_bad_pricing_configuration_is_refused_naming_the_row(tmp_path, change, message):
    s = base("SUM", price=1)
    change(s)
    s.add_events(uses([1]))
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        run(tmp_path, s)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    aggregation=st.sampled_from(["SUM", "MAX", "LATEST", "COUNT"]),
    values=_values,
    tiers=_tiers,
    last_price=st.decimals(min_value=0, max_value=300, places=2),
    rounding=st.sampled_from([None, (0, "ROUND_UP"), (1, "ROUND_DOWN"), (0, "ROUND_HALF_UP")]),
    factor=st.sampled_from(["1", "2.5", "0.003"]),
)
def test_volume_rows_add_up_to_the_volume_cost_of_the_period(
    aggregation, values, tiers, last_price, rounding, factor
):
    tier_list = [{"size": str(size), "price": str(price)} for size, price in tiers]
    tier_list.append({"price": str(last_price)})
    s = volume_base(aggregation, tiers=tier_list, rounding=rounding)
    s.rate_cards = [rate_card("R1", {"CU": factor})]
    s.rates[0]["credit_type_id"] = "CU"
    s.add_events(uses([str(v) for v in values]))
    with tempfile.TemporaryDirectory() as folder:
        result = run(Path(folder), s)
    (line,) = usage_lines(result)
    # One ladder all period: the rows add up to V(T) = T x p(T) of the rounded total T, the
    # line's amount (within 1e-6), and USAGE + ROUNDING_ADJUSTMENT quantities to T exactly.
    total = line.quantity
    bounds, lo = [], D(0)
    for size, price in tiers:
        lo += size
        bounds.append((lo, price))
    price = next((p for hi, p in bounds if total <= hi), last_price)
    assert abs(sum(r.amount for r in result.rated) - total * price) <= D("1e-6")
    assert abs(line.amount - total * price) <= D("1e-6")
    counted = ("USAGE", "ROUNDING_ADJUSTMENT")
    assert sum(r.quantity for r in result.rated if r.component in counted) == total
    # Every row's fiat amount is R(amount x factor); REPRICE rows never have amount 0.
    for row in result.rated:
        assert row.fiat_amount == r12(row.amount * D(factor))
        assert row.component.endswith("REPRICE") is False or row.amount != 0
