"""Commits and credits end to end (rules 4.9-4.10, 7): drawdown, split rated events, ledger,
postpaid true-up. Expected values are computed by hand in the comments."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
import scenario as shared
from scenario import Scenario, event

AS_OF = "2026-03-10T00:00:00Z"


def schedule(segment_id: str, amount, start: str, end: str) -> dict:
    return shared.schedule_item(segment_id, amount, start, end)


def base(prefix: str, tiers=None, price=None) -> Scenario:
    """A customer, a SUM-of-tokens metric divided by 1,000,000 and a monthly contract."""
    return Scenario(
        customers=[shared.customer(f"{prefix}-cus", name=prefix)],
        billable_metrics=[
            shared.metric(f"{prefix}-m", event_types=[f"{prefix}-llm"], key="tokens", name="tokens")
        ],
        products=[
            shared.product(
                f"{prefix}-p",
                f"{prefix}-m",
                conversion=("DIVIDE", 1000000),
                tags=["ai"],
                name="tokens",
            )
        ],
        rate_cards=[shared.rate_card(f"{prefix}-rc", name=prefix)],
        rates=[
            shared.rate(
                f"{prefix}-rc",
                f"{prefix}-p",
                start="2026-01-01T00:00:00Z",
                price=price,
                tiers=tiers,
            )
        ],
        contracts=[
            shared.contract(
                f"{prefix}-ct", f"{prefix}-cus", f"{prefix}-rc", start="2026-01-01T00:00:00Z"
            )
        ],
    )


def commit(
    prefix: str,
    commit_id: str,
    kind: str,
    segments: list[dict],
    priority=None,
    product_ids=None,
    product_tags=None,
) -> dict:
    return shared.commit(
        commit_id,
        f"{prefix}-ct",
        f"{prefix}-p",
        segments,
        kind=kind,
        priority=priority,
        product_ids=product_ids,
        product_tags=product_tags,
    )


def tokens(prefix: str, tx: str, day: int, amount: int, month: int = 1) -> dict:
    stamp = f"2026-{month:02d}-{day:02d}T00:00:00Z"
    return event(
        f"{prefix}-{tx}",
        f"{prefix}-cus",
        f"{prefix}-llm",
        stamp,
        {"tokens": amount},
        stamp.replace("00:00:00Z", "00:00:05Z"),
    )


def spec_section_7() -> Scenario:
    scenario = base("k7", tiers=[{"size": 10, "price": 200}, {"price": 100}])
    scenario.commits.append(
        commit(
            "k7",
            "K1",
            "PREPAID",
            [schedule("K1-jan", 1500, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")],
        )
    )
    scenario.add_events(
        [
            tokens("k7", "e1", 5, 4_000_000),
            tokens("k7", "e2", 6, 8_000_000),
            tokens("k7", "e3", 7, 3_000_000),
        ]
    )
    return scenario


def credit_before_prepaid() -> Scenario:
    # same priority: the credit (cost basis 0) draws first, then the prepaid commit
    scenario = base("cp", price=100)
    scenario.commits.append(
        commit(
            "cp",
            "cp-prepaid",
            "PREPAID",
            [schedule("cp-prepaid-s", 500, "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")],
        )
    )
    scenario.credits.append(
        {
            "id": "cp-credit",
            "contract_id": "cp-ct",
            "name": "credit",
            "product_id": "cp-p",
            "access_schedule": {
                "schedule_items": [
                    schedule("cp-credit-s", 150, "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")
                ]
            },
            "applicable_product_ids": None,
            "applicable_product_tags": ["ai"],
            "priority": None,
        }
    )
    # 2 units x 100 = 200 and 3 units x 100 = 300
    scenario.add_events([tokens("cp", "a", 3, 2_000_000), tokens("cp", "b", 4, 3_000_000)])
    return scenario


def postpaid_trueup() -> Scenario:
    # a postpaid commit of 1,000 for January covers 300 of usage: true-up 700 on January's invoice
    scenario = base("pp", price=100)
    scenario.commits.append(
        commit(
            "pp",
            "pp-post",
            "POSTPAID",
            [schedule("pp-post-jan", 1000, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")],
        )
    )
    scenario.add_events([tokens("pp", "a", 10, 3_000_000)])
    return scenario


def expiring_prepaid() -> Scenario:
    # a prepaid segment of 1,000 for January, 250 used (2.5 units x 100): 750 expires Feb 1
    scenario = base("ex", price=100)
    scenario.commits.append(
        commit(
            "ex",
            "ex-pre",
            "PREPAID",
            [schedule("ex-pre-jan", 1000, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")],
        )
    )
    scenario.add_events([tokens("ex", "a", 10, 2_500_000), tokens("ex", "zero", 11, 0)])
    return scenario


HUGE_TOKENS = "12345678901234567890.123456"  # exact as a string: 12,345,678,901,234.56789... units
HUGE_PRICE = 6480000000000


def huge_split() -> Scenario:
    # one rated event of about 8 * 10^25 credit units (near the DECIMAL(38, 12) limit) split by a
    # credit and a prepaid commit: q * S_k overflows 128-bit scaled integers, so the split
    # quantities need the wide long division of int_rated_events_split
    scenario = base("hg", price=HUGE_PRICE)
    scenario.commits.append(
        commit(
            "hg",
            "hg-prepaid",
            "PREPAID",
            [schedule("hg-prepaid-s", 987654321, "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")],
            priority=2,
        )
    )
    scenario.credits.append(
        {
            "id": "hg-credit",
            "contract_id": "hg-ct",
            "name": "credit",
            "product_id": "hg-p",
            "access_schedule": {
                "schedule_items": [
                    schedule("hg-credit-s", 1234.5, "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")
                ]
            },
            "applicable_product_ids": None,
            "applicable_product_tags": None,
            "priority": 1,
        }
    )
    huge = tokens("hg", "a", 3, 0)
    huge["properties"] = huge["properties"].replace("0", f'"{HUGE_TOKENS}"')
    scenario.add_events([huge])
    return scenario


@pytest.fixture(scope="module")
def build(build_green):
    scenario = Scenario()
    for part in (
        spec_section_7(),
        credit_before_prepaid(),
        postpaid_trueup(),
        expiring_prepaid(),
        huge_split(),
    ):
        scenario.merge(part)
    return build_green("balances", scenario, AS_OF)


def rated(run, transaction_id: str) -> list[tuple]:
    return run.query(
        """
        select tier_index, quantity, amount, coverage, balance_segment_id
        from int_rated_events where transaction_id = ?
        order by component, tier_index, coverage = 'OVERAGE', balance_segment_id
        """,
        [transaction_id],
        workspace=True,
    )


D = Decimal


def test_spec_section_7_e1_is_covered_by_k1(build):
    # 4 units in tier 1 at 200 = 800, all inside K1's 1,500
    assert rated(build, "k7-e1") == [(1, D(4), D(800), "PREPAID_COMMIT", "K1-jan")]


def test_spec_section_7_e2_splits_into_three_rated_events(build):
    # tier 1: 6 units = 1,200; K1 has 700 left: 700 covered (qty 6*700/1200 = 3.5), 500 overage
    # (qty 2.5); tier 2: 2 units at 100 = 200, overage
    assert rated(build, "k7-e2") == [
        (1, D("3.5"), D(700), "PREPAID_COMMIT", "K1-jan"),
        (1, D("2.5"), D(500), "OVERAGE", None),
        (2, D(2), D(200), "OVERAGE", None),
    ]


def test_spec_section_7_e3_is_overage(build):
    assert rated(build, "k7-e3") == [(2, D(3), D(300), "OVERAGE", None)]


def test_spec_section_7_ledger(build):
    # 1,500 granted, 800 + 700 drawn on January's invoice, nothing left to expire
    rows = build.query(
        "select entry_type, amount, running_balance from fct_balance_ledger "
        "where balance_segment_id = 'K1-jan' order by entry_sequence"
    )
    assert rows == [("SEGMENT_START", D(1500), D(1500)), ("DRAWDOWN", D(-1500), D(0))]


def test_credit_draws_before_prepaid_at_equal_priority(build):
    # a: 200 -> credit covers 150, prepaid 50; b: 300 -> prepaid (450 left) covers it all
    assert rated(build, "cp-a") == [
        (None, D("1.5"), D(150), "CREDIT", "cp-credit-s"),
        (None, D("0.5"), D(50), "PREPAID_COMMIT", "cp-prepaid-s"),
    ]
    assert rated(build, "cp-b") == [(None, D(3), D(300), "PREPAID_COMMIT", "cp-prepaid-s")]


def test_postpaid_trueup_lands_on_the_invoice_holding_its_end(build):
    # due at Feb 1 (segment end): January's period [Jan 1, Feb 1) holds it (start < t <= end)
    rows = build.query(
        "select trueup_amount, due_at, billing_period_start from int_postpaid_trueups "
        "where segment_id = 'pp-post-jan'",
        workspace=True,
    )
    assert [(amount, str(due), str(start)) for amount, due, start in rows] == [
        (D(700), "2026-02-01 00:00:00", "2026-01-01 00:00:00")
    ]
    ledger = build.query(
        "select entry_type, amount, running_balance from fct_balance_ledger "
        "where balance_segment_id = 'pp-post-jan' order by entry_sequence"
    )
    assert ledger == [
        ("SEGMENT_START", D(1000), D(1000)),
        ("DRAWDOWN", D(-300), D(700)),
        ("TRUEUP", D(-700), D(0)),
    ]


def test_unspent_prepaid_expires_and_zero_rows_stay_overage(build):
    ledger = build.query(
        "select entry_type, amount, running_balance from fct_balance_ledger "
        "where balance_segment_id = 'ex-pre-jan' order by entry_sequence"
    )
    assert ledger == [
        ("SEGMENT_START", D(1000), D(1000)),
        ("DRAWDOWN", D(-250), D(750)),
        ("EXPIRATION", D(-750), D(0)),
    ]
    # a zero-amount rated event is OVERAGE with no balance (rules 4.9)
    assert rated(build, "ex-zero") == [(None, D(0), D(0), "OVERAGE", None)]


def r12(value: Fraction) -> Decimal:
    """R of rules 8: half away from zero to 12 places, computed on exact fractions."""
    scaled = abs(value) * 10**12
    whole = scaled.numerator // scaled.denominator
    if (scaled - whole) * 2 >= 1:
        whole += 1
    return Decimal(whole if value >= 0 else -whole).scaleb(-12)


def test_huge_rated_event_splits_exactly(build):
    quantity = Fraction(Decimal(HUGE_TOKENS)) / 1_000_000  # 12 decimals: R changes nothing
    amount = quantity * HUGE_PRICE
    credit, prepaid = Fraction(12345, 10), Fraction(987654321)
    through_credit = r12(quantity * credit / amount)
    through_prepaid = r12(quantity * (credit + prepaid) / amount)
    assert rated(build, "hg-a") == [
        (None, through_credit, D("1234.5"), "CREDIT", "hg-credit-s"),
        (None, through_prepaid - through_credit, D(987654321), "PREPAID_COMMIT", "hg-prepaid-s"),
        (
            None,
            Decimal(HUGE_TOKENS).scaleb(-6) - through_prepaid,
            r12(amount - credit - prepaid),
            "OVERAGE",
            None,
        ),
    ]
