"""One scenario for what customers see of their spend: the spend alerts (test_alerts.py) and the
statement pages (test_statement.py), built twice on one warehouse (conftest's `customer_spend`).

January 2026 is finalized at both as_ofs (Feb 1 + 24 h grace); February is open. The first
build runs at FIRST_AS_OF, the second, a daily refresh of the same warehouse and raw folder, at
SECOND_AS_OF: the events received in between (Feb 11) arrive then. Every alert case has a
customer and contract of its own; amounts are units at a FLAT price of 1 credit unit (cent), so
the running values in the comments are the rated amounts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import scenario as shared
from dbt_runner import DbtRun, dbt_build
from scenario import Scenario, event

FIRST_AS_OF = "2026-02-10T00:00:00Z"
SECOND_AS_OF = "2026-02-12T00:00:00Z"
JAN, FEB, MAR = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"
LATE_RECEIPT = "2026-02-11T06:00:00Z"  # between the two builds
CARD = "rc"


def at(day: str, hour: int = 12) -> str:
    return f"2026-{day}T{hour:02d}:00:00Z"


def use(tx: str, customer: str, day: str, units, received: str | None = None, **props) -> dict:
    """A `use` event of `units` (p_units: 1 cent per unit), received when it happened."""
    stamp = at(day)
    return event(tx, customer, "use", stamp, {"units": units, **props}, received or stamp)


def level(tx: str, customer: str, day: str, value) -> dict:
    """A `level` event: p_level bills the LATEST level, so a lower level is a negative event."""
    stamp = at(day)
    return event(tx, customer, "level", stamp, {"level": value}, stamp)


def alert(alert_id: str, customer: str, alert_type: str, threshold, **fields) -> dict:
    return {
        "id": alert_id,
        "customer_id": customer,
        "contract_id": None,
        "alert_type": alert_type,
        "threshold": threshold,
        **fields,
    }


def monthly(contract_id: str, customer: str) -> dict:
    return shared.contract(contract_id, customer, CARD, start=JAN)


def catalog() -> Scenario:
    """Metrics, products and the one rate card every customer here uses."""
    return Scenario(
        billable_metrics=[
            shared.metric("m_units", event_types=["use"], key="units"),
            shared.metric("m_level", event_types=["level"], aggregation="LATEST", key="level"),
            shared.metric("m_tokens", event_types=["llm"], key="tokens"),
            shared.metric("m_gpu", event_types=["gpu"], key="gpu_seconds"),
            shared.metric("m_requests", event_types=["request"], aggregation="COUNT"),
        ],
        products=[
            shared.product("p_units", "m_units", name="Units"),
            shared.product("p_level", "m_level", name="Level"),
            shared.product(
                "p_tokens",
                "m_tokens",
                conversion=("DIVIDE", 1000),
                pricing_key=["model"],
                name="LLM tokens (thousands)",
            ),
            shared.product("p_gpu", "m_gpu", conversion=("DIVIDE", 3600), name="GPU hours"),
            shared.product("p_requests", "m_requests", name="API requests"),
            shared.product("p_commit", None, kind="FIXED", name="Prepaid commitment"),
            shared.product("p_credit", None, kind="FIXED", name="Credit"),
        ],
        rate_cards=[shared.rate_card(CARD, name="Standard")],
        rates=[
            shared.rate(CARD, "p_units", start=JAN, price=1),
            shared.rate(CARD, "p_level", start=JAN, price=1),
            shared.rate(CARD, "p_tokens", start=JAN, price=3),
            shared.rate(
                CARD, "p_gpu", start=JAN, tiers=[{"size": 10, "price": 250}, {"price": 200}]
            ),
            shared.rate(CARD, "p_requests", start=JAN, price=2),
        ],
    )


# ----------------------------------------------------------------------------- alert cases
def crossing() -> tuple[Scenario, list[dict]]:
    """Two contracts of one customer rate the same events: 60 then 70 (running 60, 130)."""
    s = Scenario(
        customers=[shared.customer("c_cross")],
        contracts=[monthly("k_cross_a", "c_cross"), monthly("k_cross_b", "c_cross")],
    )
    s.add_events([use("x1", "c_cross", "01-05", 60), use("x2", "c_cross", "01-06", 70)])
    return s, [
        # every contract of the customer: one trigger per contract, inside x2 (60 -> 130)
        alert("a_cross", "c_cross", "SPEND_THRESHOLD_REACHED", 100),
        # exactly on the threshold reaches it
        alert("a_exact", "c_cross", "SPEND_THRESHOLD_REACHED", "130", contract_id="k_cross_a"),
        # one unit more is never reached
        alert("a_never", "c_cross", "SPEND_THRESHOLD_REACHED", 131, contract_id="k_cross_b"),
    ]


def negative() -> tuple[Scenario, list[dict]]:
    """LATEST levels 50, 100, 40, 90: amounts 50, 50, -60, 50, running 50, 100, 40, 90."""
    s = Scenario(customers=[shared.customer("c_neg")], contracts=[monthly("k_neg", "c_neg")])
    s.add_events(
        [
            level("n1", "c_neg", "01-03", 50),
            level("n2", "c_neg", "01-04", 100),
            level("n3", "c_neg", "01-05", 40),
            level("n4", "c_neg", "01-06", 90),
        ]
    )
    return s, [
        # fired at n2; the period ends at 90, below it, and the trigger stands
        alert("a_neg_95", "c_neg", "SPEND_THRESHOLD_REACHED", 95),
        # reached at n2, moved back below at n3, reached again at n4: one trigger, at n2
        alert("a_neg_80", "c_neg", "SPEND_THRESHOLD_REACHED", 80),
        # the quantity (the level) exactly on 100 at n2
        alert("a_neg_usage", "c_neg", "USAGE_THRESHOLD_REACHED", 100, product_id="p_level"),
        alert("a_neg_never", "c_neg", "USAGE_THRESHOLD_REACHED", 100.5, product_id="p_level"),
    ]


def low_balance() -> tuple[Scenario, list[dict]]:
    """A credit of 100 in January and another in February, drawn before a prepaid commit of
    1000 for January. January: 50, 30, 40 (the credit covers 50, 30 and 20 of the 40, the
    commit the other 20); February: 40, 50 (the February credit covers both)."""
    s = Scenario(
        customers=[shared.customer("c_low")],
        contracts=[monthly("k_low", "c_low")],
        credits=[
            shared.credit(
                "cr_low",
                "k_low",
                "p_credit",
                [
                    shared.schedule_item("cr_low_jan", 100, JAN, FEB),
                    shared.schedule_item("cr_low_feb", 100, FEB, MAR),
                ],
            )
        ],
        commits=[
            shared.commit(
                "pc_low", "k_low", "p_commit", [shared.schedule_item("pc_low_jan", 1000, JAN, FEB)]
            )
        ],
    )
    s.add_events(
        [
            use("l1", "c_low", "01-10", 50),
            use("l2", "c_low", "01-11", 30),
            use("l3", "c_low", "01-12", 40),
            use("l4", "c_low", "02-03", 40),
            use("l5", "c_low", "02-04", 50),
        ]
    )
    return s, [
        # every balance: the January credit 100 -> 50 -> 20 at l2, the February one
        # 100 -> 60 -> 10 at l5 (inside the event); the commit stays at 980
        alert("a_low", "c_low", "LOW_BALANCE", 30),
        # the commit only: 1000 -> 980 at l3, whose other part the credit covered
        alert("a_low_commit", "c_low", "LOW_BALANCE", 990, balance_id="pc_low"),
        # spend counts l3 whole, across its two balance parts: 80 -> 120
        alert("a_low_spend", "c_low", "SPEND_THRESHOLD_REACHED", 100, contract_id="k_low"),
    ]


def filtered() -> tuple[Scenario, list[dict]]:
    """acme 40, globex 100, acme 50, no end customer 10, acme 30."""
    s = Scenario(
        customers=[shared.customer("c_filter")], contracts=[monthly("k_filter", "c_filter")]
    )
    s.add_events(
        [
            use("f1", "c_filter", "01-03", 40, end_customer="acme"),
            use("f2", "c_filter", "01-04", 100, end_customer="globex"),
            use("f3", "c_filter", "01-05", 50, end_customer="acme"),
            use("f4", "c_filter", "01-06", 10),
            use("f5", "c_filter", "01-07", 30, end_customer="acme"),
        ]
    )
    acme = [{"name": "end_customer", "in_values": ["acme"]}]
    return s, [
        # acme only: 40 -> 90 at f3 (every event would have reached 80 at f2)
        alert("a_acme", "c_filter", "SPEND_THRESHOLD_REACHED", 80, property_filters=acme),
        # all but acme (an absent key passes not_in_values): 100, then 110 at f4, exactly
        alert(
            "a_not_acme",
            "c_filter",
            "SPEND_THRESHOLD_REACHED",
            110,
            property_filters=[{"name": "end_customer", "not_in_values": ["acme"]}],
        ),
        # events without the key: 10 at f4
        alert(
            "a_no_key",
            "c_filter",
            "SPEND_THRESHOLD_REACHED",
            10,
            property_filters=[{"name": "end_customer", "exists": False}],
        ),
        # acme's units: 40, 90, 120 at f5, exactly
        alert(
            "a_acme_units",
            "c_filter",
            "USAGE_THRESHOLD_REACHED",
            120,
            product_id="p_units",
            property_filters=acme,
        ),
    ]


def late() -> tuple[Scenario, list[dict]]:
    """January 60 + 60; February 60 (Feb 5) + 60 (Feb 8). Received Feb 11, between the builds:
    60 timestamped Feb 3 (rated: February is open) and 60 timestamped Jan 15 (PERIOD_FINALIZED;
    rated, it would have moved January's trigger to itself)."""
    s = Scenario(customers=[shared.customer("c_late")], contracts=[monthly("k_late", "c_late")])
    s.add_events(
        [
            use("j1", "c_late", "01-10", 60),
            use("j2", "c_late", "01-20", 60),
            use("g1", "c_late", "02-05", 60),
            use("g2", "c_late", "02-08", 60),
            use("late_feb", "c_late", "02-03", 60, received=LATE_RECEIPT),
            use("late_jan", "c_late", "01-15", 60, received=LATE_RECEIPT),
        ]
    )
    # first build: January at j2, February at g2; second: February moves to g1 (late_feb
    # comes first), January stays at j2 (late_jan is not rated)
    return s, [alert("a_late", "c_late", "SPEND_THRESHOLD_REACHED", 100)]


def gpu_credits() -> tuple[Scenario, list[dict]]:
    """Built on its own (test_alerts.py), not in CASES: the statements' scenario stays fiat.
    A card in cents with GPU_CREDITS at 2.5 cents: units at 1 cent, GPU hours on a VOLUME
    ladder in GPU_CREDITS (10 at 40, 90 at 30, then 20; rules 7b), a GPU_CREDITS credit of 300.
    Fiat spend: v1 100 units (100), v2 5 hours (200 credits: 500 cents; running 600), v3 10 hours
    (USAGE 10 x 30 = 300 credits: 750, running 1350; USAGE_REPRICE 5 x (30 - 40) = -50 credits:
    -125, running 1225), v4 50 units (1275), v5 100 units (1375)."""
    s = Scenario(
        customers=[shared.customer("c_gpu")],
        contracts=[shared.contract("k_gpu", "c_gpu", "rc_gpu", start=JAN)],
        rate_cards=[
            shared.rate_card(
                "rc_gpu", name="GPU credits", conversions=[shared.conversion("GPU_CREDITS", "2.5")]
            )
        ],
        rates=[
            shared.rate("rc_gpu", "p_units", start=JAN, price=1),
            shared.rate(
                "rc_gpu",
                "p_gpu",
                start=JAN,
                tiers=[{"size": 10, "price": 40}, {"size": 90, "price": 30}, {"price": 20}],
                rate_type="VOLUME",
                credit_type_id="GPU_CREDITS",
            ),
        ],
        credits=[
            shared.credit(
                "cr_gpu",
                "k_gpu",
                "p_credit",
                [shared.schedule_item("cr_gpu_jan", 300, JAN, FEB)],
                credit_type_id="GPU_CREDITS",
            )
        ],
    )
    s.add_events(
        [
            use("v1", "c_gpu", "01-03", 100),
            event("v2", "c_gpu", "gpu", at("01-05"), {"gpu_seconds": 5 * 3600}, at("01-05")),
            event("v3", "c_gpu", "gpu", at("01-06"), {"gpu_seconds": 10 * 3600}, at("01-06")),
            use("v4", "c_gpu", "01-07", 50),
            use("v5", "c_gpu", "01-08", 100),
        ]
    )
    return s, [
        # GPU credits count at their fiat value: 600 -> 1350 at v3 (in cents alone: never)
        alert("a_gpu_spend", "c_gpu", "SPEND_THRESHOLD_REACHED", 1000),
        # the re-price's -125 counts: 1275 -> 1375 at v5, exactly (without it, 1400 at v4)
        alert("a_gpu_reprice", "c_gpu", "SPEND_THRESHOLD_REACHED", 1375),
        # GPU hours 5 -> 15 at v3; the re-price row's 5 earlier hours are no units, so 16 is
        # never reached
        alert("a_gpu_hours", "c_gpu", "USAGE_THRESHOLD_REACHED", 15, product_id="p_gpu"),
        alert("a_gpu_units", "c_gpu", "USAGE_THRESHOLD_REACHED", 16, product_id="p_gpu"),
        # the credit in GPU credits: 300 -> 100 at v2, in GPU_CREDITS
        alert("a_gpu_low", "c_gpu", "LOW_BALANCE", 150, balance_id="cr_gpu"),
    ]


# ----------------------------------------------------------------------------- statements
STATEMENT_CUSTOMER = "c_stmt"
USERS = ("u-ada", "u-bob", "u-cy", "u-dee")
END_CUSTOMERS = ("acme", "globex", "umbrella", None)


def statement_customer() -> tuple[Scenario, list[dict]]:
    """Initech: LLM tokens, GPU hours and API requests every day from Jan 1 to Feb 11, by user
    and end customer; a credit and a prepaid commit each month; alerts; and events that could
    not be billed (a bad value, a malformed event sent under the customer's alias, one late for
    finalized January)."""
    customer = STATEMENT_CUSTOMER
    s = Scenario(
        customers=[shared.customer(customer, name="Initech", ingest_aliases=["initech"])],
        contracts=[monthly("k_stmt", customer)],
        credits=[
            shared.credit(
                "cr_stmt",
                "k_stmt",
                "p_credit",
                [
                    shared.schedule_item("cr_stmt_jan", 3000, JAN, FEB),
                    shared.schedule_item("cr_stmt_feb", 3000, FEB, MAR),
                ],
                name="Welcome credit",
            )
        ],
        commits=[
            shared.commit(
                "pc_stmt",
                "k_stmt",
                "p_commit",
                [
                    shared.schedule_item("pc_stmt_jan", 5000, JAN, FEB),
                    shared.schedule_item("pc_stmt_feb", 5000, FEB, MAR),
                ],
                invoice_schedule={
                    "schedule_items": [
                        {"amount": 5000, "timestamp": JAN},
                        {"amount": 5000, "timestamp": FEB},
                    ]
                },
                name="Monthly prepaid commitment",
            )
        ],
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for day in range(42):  # Jan 1 .. Feb 11
        moment = start + timedelta(days=day)
        for slot in range(2):
            stamp = moment + timedelta(hours=9 + 6 * slot)
            props = {
                "tokens": 20000 + (day * 7919 + slot * 3301) % 30000,
                "model": ("atlas-large", "atlas-small")[(day + slot) % 2],
                "user_id": USERS[(day + slot) % 4],
            }
            end_customer = END_CUSTOMERS[(day * 2 + slot) % 4]
            if end_customer:
                props["end_customer"] = end_customer
            rows.append(stamped(f"tok-{day}-{slot}", customer, "llm", stamp, props))
        if day % 2 == 0:
            props = {"gpu_seconds": 1800 + (day * 131) % 3600, "user_id": USERS[day % 4]}
            if END_CUSTOMERS[day % 3]:
                props["end_customer"] = END_CUSTOMERS[day % 3]
            rows.append(stamped(f"gpu-{day}", customer, "gpu", moment + timedelta(hours=14), props))
        for request in range(3):
            rows.append(
                stamped(
                    f"req-{day}-{request}",
                    customer,
                    "request",
                    moment + timedelta(hours=10, minutes=10 * request),
                    {"user_id": USERS[request]},
                )
            )
    rows += [
        # INVALID_AGGREGATION_VALUE on Feb 3; MALFORMED_EVENT under the alias on Feb 4;
        # PERIOD_FINALIZED: January's, received after it finalized (second build)
        event("tok-bad-value", customer, "llm", at("02-03"), {"tokens": "lots"}, at("02-03")),
        event("tok-malformed", "initech", "llm", at("02-04"), "{not json", at("02-04")),
        event(
            "tok-late",
            customer,
            "llm",
            at("01-25"),
            {"tokens": 1000, "model": "atlas-small"},
            LATE_RECEIPT,
        ),
    ]
    s.add_events(rows, "events-stmt.parquet")
    acme = [{"name": "end_customer", "in_values": ["acme"]}]
    return s, [
        alert(
            "a_stmt_spend",
            customer,
            "SPEND_THRESHOLD_REACHED",
            6000,
            name="Monthly spend above $60",
        ),
        alert("a_stmt_low", customer, "LOW_BALANCE", 500, name="Balance below $5"),
        alert(
            "a_stmt_acme",
            customer,
            "SPEND_THRESHOLD_REACHED",
            1500,
            name="acme spend above $15",
            property_filters=acme,
        ),
        alert(
            "a_stmt_gpu",
            customer,
            "USAGE_THRESHOLD_REACHED",
            10,
            product_id="p_gpu",
            name="10 GPU hours",
        ),
    ]


def stamped(tx: str, customer: str, kind: str, moment: datetime, props: dict) -> dict:
    """An event received five minutes after it happened."""
    return event(
        tx,
        customer,
        kind,
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        props,
        moment + timedelta(minutes=5),
    )


CASES = (crossing, negative, low_balance, filtered, late, statement_customer)


def customer_spend_scenario(cases=CASES) -> tuple[Scenario, str]:
    """The whole scenario (or the catalog and the given cases) and its alerts.jsonl text."""
    whole = catalog()
    alerts: list[dict] = []
    for case in cases:
        part, part_alerts = case()
        whole.merge(part)
        alerts.extend(part_alerts)
    return whole, "".join(json.dumps(row) + "\n" for row in alerts)


@dataclass
class CustomerSpendBuilds:
    """The second build's warehouse (`run`) and what the first build published of the alert
    triggers (read before the second build changed the warehouse)."""

    run: DbtRun
    first_triggers: list[dict]


TRIGGERS_SQL = "select * from fct_alert_triggers order by alert_trigger_id"


def build_customer_spend(build_green) -> CustomerSpendBuilds:
    scenario, alerts = customer_spend_scenario()
    first = build_green(
        "customer_spend", scenario, FIRST_AS_OF, extra_files={"alerts.jsonl": alerts}
    )
    first_triggers = first.query_dicts(TRIGGERS_SQL)
    # the daily refresh: the same warehouse and raw folder, two days later
    root = first.db_path.parent
    second = dbt_build(root / "raw", root, SECOND_AS_OF)
    assert second.returncode == 0, f"second build failed:\n{second.output[-4000:]}"
    return CustomerSpendBuilds(second, first_triggers)
