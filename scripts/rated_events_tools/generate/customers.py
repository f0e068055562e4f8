"""Customers and their plans: contracts, overrides, commits and credits per archetype, unit
costs, and the whole configuration (`build_config`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from .catalog import (
    GPU_CREDITS,
    RC_ENTERPRISE,
    RC_GPU_CLOUD,
    RC_STANDARD,
    billable_metrics,
    products,
    rate_cards,
    rates,
)
from .files import CONFIG_FILES
from .timeline import Timeline, add_months, iso, month_floor, to_us

COMPANY_WORDS = (
    (
        "Acme",
        "Northwind",
        "Globex",
        "Initech",
        "Umbrella",
        "Hooli",
        "Stark",
        "Wayne",
        "Tyrell",
        "Cyberdyne",
        "Soylent",
        "Aperture",
        "Vandelay",
        "Oscorp",
        "Wonka",
    ),
    (
        "AI",
        "Robotics",
        "Labs",
        "Analytics",
        "Health",
        "Finance",
        "Media",
        "Logistics",
        "Security",
        "Bio",
    ),
)


@dataclass
class CustomerPlan:
    """What the event generator needs to know about one customer."""

    index: int
    customer_id: str
    slug: str
    aliases: list[str]
    archetype: int
    weight: int
    users: int
    workspaces: int
    window: tuple[datetime, datetime]  # normal events fall in [start, end)


@dataclass
class Config:
    """All configuration objects, plus the per-customer plan and targeted event windows."""

    objects: dict[str, list[dict]] = field(default_factory=dict)
    plans: list[CustomerPlan] = field(default_factory=list)
    # (kind, customer_id, instant lo, instant hi, received lo or None, received hi or None)
    targets: list[tuple[str, str, int, int, int | None, int | None]] = field(default_factory=list)

    def add(self, name: str, row: dict) -> None:
        self.objects.setdefault(name, []).append(row)


def contract(
    cid: str,
    customer: str,
    card: str,
    start: datetime,
    end: datetime | None,
    frequency: str = "MONTHLY",
    day: str = "FIRST_OF_MONTH",
    anchor: datetime | None = None,
    prioritization: str = "LOWEST_MULTIPLIER",
) -> dict:
    return {
        "id": cid,
        "customer_id": customer,
        "rate_card_id": card,
        "starting_at": iso(start),
        "ending_before": iso(end),
        "usage_statement_schedule": {
            "frequency": frequency,
            "day": day,
            "billing_anchor_date": iso(anchor),
        },
        "multiplier_override_prioritization": prioritization,
    }


def override(
    oid: str,
    contract_id: str,
    start: datetime,
    end: datetime | None,
    *,
    multiplier: object = None,
    overwrite_rate: dict | None = None,
    priority: int | None = None,
    product_id: str | None = None,
    product_tags: list[str] | None = None,
    groups: dict | None = None,
) -> dict:
    return {
        "id": oid,
        "contract_id": contract_id,
        "starting_at": iso(start),
        "ending_before": iso(end),
        "type": "OVERWRITE" if overwrite_rate is not None else "MULTIPLIER",
        "multiplier": multiplier,
        "overwrite_rate": overwrite_rate,
        "priority": priority,
        "override_specifiers": [
            {"product_id": product_id, "product_tags": product_tags, "pricing_group_values": groups}
        ],
    }


def segments(balance_id: str, start: datetime, count: int, months: int, amount: int) -> list[dict]:
    """`count` consecutive access segments of `months` months each."""
    return [
        {
            "id": f"{balance_id}_seg{k + 1:02d}",
            "amount": amount,
            "starting_at": iso(add_months(start, k * months)),
            "ending_before": iso(add_months(start, (k + 1) * months)),
        }
        for k in range(count)
    ]


def balance(
    bid: str,
    contract_id: str,
    name: str,
    product: str,
    items: list[dict],
    *,
    kind: str | None = None,
    invoices: list[dict] | None = None,
    product_ids: list[str] | None = None,
    product_tags: list[str] | None = None,
    priority: int | None = None,
    credit_type: str | None = None,
) -> dict:
    """A commit (`kind` PREPAID or POSTPAID) or, with kind None, a credit; its access amounts
    in `credit_type` (None: the fiat type of the contract's rate card)."""
    row: dict = {"id": bid, "contract_id": contract_id}
    if kind is not None:
        row["type"] = kind
    row.update(
        {
            "name": name,
            "product_id": product,
            "credit_type_id": credit_type,
            "access_schedule": {"schedule_items": items},
        }
    )
    if kind is not None:
        row["invoice_schedule"] = None if invoices is None else {"schedule_items": invoices}
    row.update(
        {
            "applicable_product_ids": product_ids,
            "applicable_product_tags": product_tags,
            "priority": priority,
        }
    )
    return row


def first_31st(start: datetime) -> datetime:
    """The first 31st of a month on or after `start`'s month."""
    month = month_floor(start)
    while (add_months(month, 1) - month).days != 31:
        month = add_months(month, 1)
    return month.replace(day=31)


def customer_names(count: int) -> list[tuple[str, str]]:
    """(name, slug) pairs, unique."""
    firsts, seconds = COMPANY_WORDS
    names = []
    for i in range(count):
        first = firsts[i % len(firsts)]
        second = seconds[(i // len(firsts) + i) % len(seconds)]
        suffix = "" if i < len(firsts) * len(seconds) else f" {i // (len(firsts) * len(seconds))}"
        name = f"{first} {second}{suffix}"
        names.append((name, name.lower().replace(" ", "-")))
    return names


@dataclass(frozen=True)
class Owner:
    """One customer being configured: ids and the scale of its balances."""

    cfg: Config
    tl: Timeline
    index: int
    unit: int  # a typical month of spend, in cents

    @property
    def num(self) -> str:
        return f"{self.index + 1:04d}"

    @property
    def customer_id(self) -> str:
        return f"cus_{self.num}"

    def contract_id(self, suffix: str = "a") -> str:
        return f"con_{self.num}_{suffix}"

    def target(
        self,
        kind: str,
        lo: datetime,
        hi: datetime,
        received: tuple[datetime, datetime] | None = None,
    ) -> None:
        rlo, rhi = (None, None) if received is None else (to_us(received[0]), to_us(received[1]))
        self.cfg.targets.append((kind, self.customer_id, to_us(lo), to_us(hi), rlo, rhi))


Window = tuple[datetime, datetime]


def monthly_with_credits(o: Owner) -> Window:
    """Monthly calendar billing, two credits and LOWEST_MULTIPLIER overrides."""
    tl, con = o.tl, o.contract_id()
    o.cfg.add("contracts", contract(con, o.customer_id, RC_STANDARD, tl.h0, None))
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_ai",
            con,
            add_months(tl.h0, 1),
            None,
            multiplier=0.9,
            priority=1,
            product_tags=["ai"],
        ),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_h100",
            con,
            tl.h0,
            tl.h_mid,
            multiplier="0.8",
            priority=2,
            product_id="prod_gpu_hours",
            groups={"gpu_type": "H100"},
        ),
    )
    onboarding, promo = f"cr_{o.num}_onboarding", f"cr_{o.num}_promo"
    o.cfg.add(
        "credits",
        balance(
            onboarding,
            con,
            "Onboarding credit",
            "prod_credit",
            segments(onboarding, tl.h0, 1, 2, o.unit),
        ),
    )
    o.cfg.add(
        "credits",
        balance(
            promo,
            con,
            "Inference promotion",
            "prod_credit",
            segments(promo, tl.h_mid, 1, 1, o.unit // 4),
            product_tags=["inference"],
            priority=0,
        ),
    )
    # Late in a closed month, received after that month finalized (end + 24h grace).
    for month in range(24):
        start = add_months(tl.h0, month)
        end = add_months(start, 1)
        if end + timedelta(days=8) <= tl.as_of:
            o.target(
                "finalized",
                start + timedelta(days=19),
                end - timedelta(hours=1),
                (end + timedelta(hours=25), end + timedelta(days=7)),
            )
    return tl.hist_start, tl.as_of


def quarterly_enterprise(o: Owner) -> Window:
    """Quarterly (every other one annual) enterprise contract with two prepaid commits."""
    tl, con = o.tl, o.contract_id()
    frequency = "ANNUAL" if (o.index // 8) % 2 else "QUARTERLY"
    o.cfg.add("contracts", contract(con, o.customer_id, RC_ENTERPRISE, tl.h0, None, frequency))
    ai, infra = f"pc_{o.num}_ai", f"pc_{o.num}_infra"
    o.cfg.add(
        "commits",
        balance(
            ai,
            con,
            "AI prepaid commitment",
            "prod_prepaid_commit",
            segments(ai, tl.h0, 12, 1, o.unit),
            kind="PREPAID",
            invoices=[
                {"amount": 3 * o.unit, "timestamp": iso(add_months(tl.h0, 3 * q))} for q in range(4)
            ],
            product_tags=["ai"],
            priority=1,
        ),
    )
    o.cfg.add(
        "commits",
        balance(
            infra,
            con,
            "Infrastructure prepay",
            "prod_prepaid_commit",
            segments(infra, tl.h0, 1, 3, o.unit),
            kind="PREPAID",
            invoices=[{"amount": o.unit, "timestamp": iso(tl.h0)}],
            product_ids=["prod_gpu_hours"],
            product_tags=["storage"],
            priority=2,
        ),
    )
    o.target("no_rate_model", tl.hist_start, tl.as_of)
    return tl.hist_start, tl.as_of


def anchored_15th(o: Owner) -> Window:
    """Nth-of-month billing on the 15th, starting a quarter into the history."""
    tl, con = o.tl, o.contract_id()
    start = tl.at(0.25)
    if start.day == 15:
        start += timedelta(days=1)
    o.cfg.add(
        "contracts",
        contract(
            con,
            o.customer_id,
            RC_STANDARD,
            start,
            None,
            day="CUSTOM_DATE",
            anchor=tl.h0.replace(day=15),
        ),
    )
    credit = f"cr_{o.num}_platform"
    o.cfg.add(
        "credits",
        balance(
            credit,
            con,
            "Platform credit",
            "prod_credit",
            segments(credit, start, 6, 1, o.unit // 10),
            product_ids=["prod_active_seats", "prod_api_requests"],
            product_tags=["storage"],
            priority=1,
        ),
    )
    o.target("no_contract", start - timedelta(days=20), start)
    return max(start, tl.hist_start), tl.as_of


def anchored_31st(o: Owner) -> Window:
    """Billing anchored on the 31st, a promotional OVERWRITE and a postpaid commit."""
    tl, con = o.tl, o.contract_id()
    o.cfg.add(
        "contracts",
        contract(
            con,
            o.customer_id,
            RC_ENTERPRISE,
            tl.h0,
            None,
            day="CUSTOM_DATE",
            anchor=first_31st(tl.h0),
        ),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_promo",
            con,
            add_months(tl.h0, 1),
            add_months(tl.h0, 3),
            overwrite_rate={
                "rate_type": "TIERED",
                "price": None,
                "tiers": [{"size": "50", "price": "1100"}, {"price": "900"}],
            },
            product_id="prod_llm_tokens",
            groups={"model": "atlas-large"},
        ),
    )
    postpaid = f"pc_{o.num}_postpaid"
    o.cfg.add(
        "commits",
        balance(
            postpaid,
            con,
            "Quarterly minimum spend",
            "prod_postpaid_commit",
            segments(postpaid, tl.h0, 4, 3, 4 * o.unit),
            kind="POSTPAID",
        ),
    )
    o.target("no_rate_model", tl.hist_start, tl.as_of)
    return tl.hist_start, tl.as_of


def weekly(o: Owner) -> Window:
    """Weekly statements from a mid-week contract start."""
    start = o.tl.h0 + timedelta(days=3 + (o.index // 8) % 7)
    o.cfg.add(
        "contracts",
        contract(
            o.contract_id(), o.customer_id, RC_STANDARD, start, None, "WEEKLY", "CONTRACT_START"
        ),
    )
    return max(start, o.tl.hist_start), o.tl.as_of


def overlapping(o: Owner) -> Window:
    """Two overlapping contracts: an enterprise pilot beside the standard contract."""
    tl = o.tl
    o.cfg.add("contracts", contract(o.contract_id("a"), o.customer_id, RC_STANDARD, tl.h0, None))
    o.cfg.add(
        "contracts",
        contract(
            o.contract_id("b"),
            o.customer_id,
            RC_ENTERPRISE,
            tl.at(0.4),
            tl.at(0.75),
            day="CONTRACT_START",
        ),
    )
    return tl.hist_start, tl.as_of


def churned(o: Owner) -> Window:
    """The contract ends mid-history (mid-period); an annual prepay expires unspent."""
    tl, con = o.tl, o.contract_id()
    end = tl.at(0.55)
    o.cfg.add("contracts", contract(con, o.customer_id, RC_STANDARD, tl.h0, end))
    annual = f"pc_{o.num}_annual"
    o.cfg.add(
        "commits",
        balance(
            annual,
            con,
            "Annual prepay",
            "prod_prepaid_commit",
            segments(annual, tl.h0, 1, 12, 6 * o.unit),
            kind="PREPAID",
            invoices=[{"amount": 6 * o.unit, "timestamp": iso(tl.h0)}],
            product_tags=["ai"],
            priority=1,
        ),
    )
    o.target("no_contract", end, tl.as_of)
    return tl.hist_start, end


def renewal(o: Owner) -> Window:
    """Standard until h_mid, then enterprise with EXPLICIT override prioritization."""
    tl, old, new = o.tl, o.contract_id("a"), o.contract_id("b")
    o.cfg.add("contracts", contract(old, o.customer_id, RC_STANDARD, tl.h0, tl.h_mid))
    o.cfg.add(
        "contracts",
        contract(new, o.customer_id, RC_ENTERPRISE, tl.h_mid, None, prioritization="EXPLICIT"),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_api",
            new,
            tl.h_mid,
            None,
            priority=1,
            overwrite_rate={"rate_type": "FLAT", "price": "0.02", "tiers": None},
            product_id="prod_api_requests",
        ),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_platform_1",
            new,
            tl.h_mid,
            None,
            multiplier="0.95",
            priority=1,
            product_tags=["platform"],
        ),
    )
    o.cfg.add(
        "overrides",
        override(
            f"ov_{o.num}_platform_2",
            new,
            tl.h_mid,
            None,
            multiplier=0.85,
            priority=2,
            product_tags=["platform"],
        ),
    )
    credit, commit = f"cr_{o.num}_renewal", f"pc_{o.num}_renewal"
    o.cfg.add(
        "credits",
        balance(
            credit,
            new,
            "Renewal credit",
            "prod_credit",
            segments(credit, tl.h_mid, 1, 2, o.unit // 2),
            priority=5,
        ),
    )
    o.cfg.add(
        "commits",
        balance(
            commit,
            new,
            "LLM prepay",
            "prod_prepaid_commit",
            segments(commit, tl.h_mid, 6, 1, o.unit // 2),
            kind="PREPAID",
            invoices=[{"amount": 3 * o.unit, "timestamp": iso(tl.h_mid)}],
            product_ids=["prod_llm_tokens"],
            priority=5,
        ),
    )
    return tl.hist_start, tl.as_of


def gpu_cloud(o: Owner) -> Window:
    """GPU cloud card (GPU hours move to GPU credits mid-period): prepaid GPU credits and a GPU
    credit beside a prepaid commit in cents, all on one monthly contract."""
    tl, con = o.tl, o.contract_id()
    o.cfg.add("contracts", contract(con, o.customer_id, RC_GPU_CLOUD, tl.h0, None))
    bundle, trial, prepay = f"pc_{o.num}_gpu", f"cr_{o.num}_gpu_trial", f"pc_{o.num}_platform"
    o.cfg.add(
        "commits",
        balance(
            bundle,
            con,
            "GPU credit bundle",
            "prod_prepaid_commit",
            segments(bundle, tl.h0, 12, 1, o.unit // 2),
            kind="PREPAID",
            # what the customer pays, in cents: 2 cents a credit (a bundle discount)
            invoices=[{"amount": 12 * o.unit, "timestamp": iso(tl.h0)}],
            product_ids=["prod_gpu_hours"],
            priority=1,
            credit_type=GPU_CREDITS,
        ),
    )
    o.cfg.add(
        "credits",
        balance(
            trial,
            con,
            "GPU trial credits",
            "prod_credit",
            segments(trial, tl.h_mid, 1, 2, o.unit // 10),
            priority=0,
            credit_type=GPU_CREDITS,
        ),
    )
    o.cfg.add(
        "commits",
        balance(
            prepay,
            con,
            "Platform prepay",
            "prod_prepaid_commit",
            segments(prepay, tl.h0, 4, 3, 2 * o.unit),
            kind="PREPAID",
            invoices=[
                {"amount": 2 * o.unit, "timestamp": iso(add_months(tl.h0, 3 * q))} for q in range(4)
            ],
            product_tags=["ai", "platform"],
            priority=2,
            credit_type="USD_CENTS",
        ),
    )
    return tl.hist_start, tl.as_of


# Customer i gets ARCHETYPES[i % 8]; each writes its contracts and balances and returns the
# window its normal events fall in.
ARCHETYPES: tuple[Callable[[Owner], Window], ...] = (
    monthly_with_credits,
    quarterly_enterprise,
    anchored_15th,
    anchored_31st,
    weekly,
    overlapping,
    churned,
    renewal,
)


GPU_CLOUD_SLOT = 9  # the first GPU cloud customer: the tenth (so 10 customers have one)


def add_customer(
    cfg: Config,
    tl: Timeline,
    rng: random.Random,
    index: int,
    seed: int,
    name: str,
    slug: str,
    unit: int,
) -> None:
    """One customer with its aliases, contracts, overrides, commits and credits."""
    owner = Owner(cfg, tl, index, unit)
    aliases = [slug, f"org_{(index * 2654435761 + seed) % 2**32:08x}"][: rng.choice((0, 1, 1, 2))]
    cfg.add("customers", {"id": owner.customer_id, "name": name, "ingest_aliases": aliases})
    archetype = index % len(ARCHETYPES)
    # every third quarterly-enterprise slot is a GPU cloud customer instead (1 customer in 24)
    shape = gpu_cloud if index % (3 * len(ARCHETYPES)) == GPU_CLOUD_SLOT else ARCHETYPES[archetype]
    window = shape(owner)
    weight = 0 if window[1] <= window[0] else rng.choice((1, 2, 3, 5, 8, 13, 21))
    cfg.plans.append(
        CustomerPlan(
            index,
            owner.customer_id,
            slug,
            aliases,
            archetype,
            weight,
            users=rng.randint(3, 150),
            workspaces=rng.randint(1, 4),
            window=window,
        )
    )


def unit_costs(tl: Timeline) -> list[dict]:
    """What a unit costs the platform (optional input unit_costs.jsonl, for margin reports):
    GPU hours by GPU type and cluster (power prices differ), LLM tokens by model, storage flat;
    GPU costs rise at mid-history."""

    def cost(product: str, values: dict, per_unit: str, start: datetime, end) -> dict:
        return {
            "product_id": product,
            "dimension_values": values,
            "cost_per_unit": per_unit,
            "starting_at": iso(start),
            "ending_before": iso(end),
        }

    rows = []
    gpu = {"H100": 180, "A100": 110, "L4": 25}
    clusters = {"c-iad-01": "1.00", "c-fra-02": "1.15", "c-bom-01": "0.85"}
    for gpu_type, base in gpu.items():
        for cluster, factor in clusters.items():
            before = Decimal(base) * Decimal(factor)
            after = before * Decimal("1.1")
            values = {"cluster": cluster, "gpu_type": gpu_type}
            rows.append(cost("prod_gpu_hours", values, str(before), tl.h0, tl.h_mid))
            rows.append(cost("prod_gpu_hours", values, str(after), tl.h_mid, None))
    for model, per_million in (
        ("atlas-small", "0.4"),
        ("atlas-large", "3.1"),
        ("nova-embed", "0.05"),
    ):
        rows.append(cost("prod_llm_tokens", {"model": model}, per_million, tl.h0, None))
    rows.append(cost("prod_llm_tokens", {}, "1.5", tl.h0, None))  # any other model
    rows.append(cost("prod_storage", {}, "0.8", tl.h0, None))
    return rows


def alerts(cfg: Config, unit: int) -> list[dict]:
    """Customers' spend alerts (optional input alerts.jsonl, never billing): every customer
    watches its spend per billing period and its balances running low; every third customer
    its LLM tokens, every fifth the spend of one of its own customers (an end_customer filter).
    Thresholds scale with `unit` (a typical month of spend), so some fire and some do not."""
    rows = []
    with_balances = {
        contract["customer_id"]
        for name in ("commits", "credits")
        for balance in cfg.objects.get(name, [])
        for contract in cfg.objects["contracts"]
        if contract["id"] == balance["contract_id"]
    }
    for plan in cfg.plans:
        customer_id = plan.customer_id
        base = {"customer_id": customer_id, "contract_id": None}
        rows.append(
            {
                **base,
                "id": f"al_{customer_id}_spend",
                "name": "Monthly spend above budget",
                "alert_type": "SPEND_THRESHOLD_REACHED",
                "threshold": 4 * unit,
            }
        )
        if customer_id in with_balances:
            rows.append(
                {
                    **base,
                    "id": f"al_{customer_id}_low_balance",
                    "name": "Commit or credit running low",
                    "alert_type": "LOW_BALANCE",
                    "threshold": unit // 4,
                }
            )
        if plan.index % 3 == 0:
            rows.append(
                {
                    **base,
                    "id": f"al_{customer_id}_tokens",
                    "name": "LLM tokens (millions)",
                    "alert_type": "USAGE_THRESHOLD_REACHED",
                    "product_id": "prod_llm_tokens",
                    "threshold": 50,
                }
            )
        if plan.index % 5 == 0:
            end_customer = f"{plan.slug}-client-1"
            rows.append(
                {
                    **base,
                    "id": f"al_{customer_id}_client_1",
                    "name": f"Spend of {end_customer}",
                    "alert_type": "SPEND_THRESHOLD_REACHED",
                    "threshold": unit // 2,
                    "property_filters": [{"name": "end_customer", "in_values": [end_customer]}],
                }
            )
    return rows


def build_config(tl: Timeline, customers: int, events: int, seed: int) -> Config:
    """Every configuration object, deterministic for (timeline, sizes, seed)."""
    rng = random.Random(seed)
    cfg = Config(objects={name: [] for name in CONFIG_FILES})
    cfg.objects["billable_metrics"] = billable_metrics()
    cfg.objects["products"] = products()
    cfg.objects["rate_cards"] = rate_cards()
    cfg.objects["rates"] = rates(tl)
    cfg.objects["unit_costs"] = unit_costs(tl)
    months = max(1.0, (tl.as_of - tl.hist_start).days / 30.4)
    # Balance amounts scale with volume so some balances run out and some expire unspent.
    unit = max(100, int(round(events / max(customers, 1) / months * 40, -2)))
    for index, (name, slug) in enumerate(customer_names(customers)):
        add_customer(cfg, tl, rng, index, seed, name, slug, unit)
    cfg.objects["alerts"] = alerts(cfg, unit)
    return cfg
