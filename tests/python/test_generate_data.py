"""scripts/generate_data.py (rated_events_tools.generate): the raw input contract, valid
configuration, every bad-event kind, determinism, and the intended outcome of each tagged event
(checked by the reference rater)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dbt_runner import DbtRun, dbt_build
from rated_events_tools import generate as gen
from rated_events_tools.generate import folder as gen_folder
from scenario import CONFIG_FILES, EVENT_SCHEMA

AS_OF = datetime(2026, 6, 15, tzinfo=UTC)
EVENTS = 2000

REQUIRED = {
    "customers": {"id", "name", "ingest_aliases"},
    "billable_metrics": {
        "id",
        "name",
        "event_type_filter",
        "property_filters",
        "aggregation_type",
        "aggregation_key",
        "group_keys",
    },
    "products": {
        "id",
        "name",
        "type",
        "billable_metric_id",
        "quantity_conversion",
        "quantity_rounding",
        "pricing_group_key",
        "presentation_group_key",
        "tags",
    },
    "rate_cards": {"id", "name", "fiat_credit_type_id", "credit_type_conversions"},
    "rates": {
        "rate_card_id",
        "product_id",
        "starting_at",
        "ending_before",
        "entitled",
        "rate_type",
        "price",
        "tiers",
        "pricing_group_values",
        "credit_type_id",
    },
    "contracts": {
        "id",
        "customer_id",
        "rate_card_id",
        "starting_at",
        "ending_before",
        "usage_statement_schedule",
        "multiplier_override_prioritization",
    },
    "overrides": {
        "id",
        "contract_id",
        "starting_at",
        "ending_before",
        "type",
        "multiplier",
        "overwrite_rate",
        "priority",
        "override_specifiers",
    },
    "commits": {
        "id",
        "contract_id",
        "type",
        "name",
        "product_id",
        "credit_type_id",
        "access_schedule",
        "invoice_schedule",
        "applicable_product_ids",
        "applicable_product_tags",
        "priority",
    },
    "credits": {
        "id",
        "contract_id",
        "name",
        "product_id",
        "credit_type_id",
        "access_schedule",
        "applicable_product_ids",
        "applicable_product_tags",
        "priority",
    },
}

# transaction_id tag -> (outcome, error code) the event was generated to have.
INTENDED = {
    "malformed": ("ERRORED", "MALFORMED_EVENT"),
    "future": ("ERRORED", "TIMESTAMP_IN_FUTURE"),
    "too-old": ("ERRORED", "TIMESTAMP_TOO_OLD"),
    "no-customer": ("ERRORED", "CUSTOMER_NOT_FOUND"),
    "no-contract": ("ERRORED", "NO_ACTIVE_CONTRACT"),
    "no-rate": ("ERRORED", "NO_RATE"),
    "bad-value": ("ERRORED", "INVALID_AGGREGATION_VALUE"),
    "finalized": ("ERRORED", "PERIOD_FINALIZED"),
}


def run(out: Path, events: int = EVENTS, seed: int = 42, customers: int = 50) -> Path:
    argv = [
        "--events",
        str(events),
        "--customers",
        str(customers),
        "--seed",
        str(seed),
        "--out",
        str(out),
        "--as-of",
        "2026-06-15T00:00:00Z",
    ]
    assert gen.main(argv) == 0
    return out


def read_jsonl(folder: Path, name: str) -> list[dict]:
    lines = (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def tag(transaction_id: str | None) -> str | None:
    """'no-rate-00ab12cd34' -> 'no-rate'; untagged (blank or null ids) -> None."""
    if not transaction_id or "-" not in transaction_id:
        return None
    return transaction_id.rsplit("-", 1)[0]


RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)")


def ts(text: str | None) -> datetime | None:
    """RFC 3339 (rules 8) -> aware datetime; fractions beyond microseconds are truncated."""
    if text is None:
        return None
    match = RFC3339.fullmatch(text)
    assert match, text
    date, clock, fraction, zone = match.groups()
    zone = "+00:00" if zone in "Zz" else zone
    return datetime.fromisoformat(f"{date}T{clock}.{(fraction or '0')[:6]:0<6}{zone}")


def folder_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory.mktemp("raw"))


@pytest.fixture(scope="module")
def config(raw: Path) -> dict[str, list[dict]]:
    return {name: read_jsonl(raw, name) for name in CONFIG_FILES}


@pytest.fixture(scope="module")
def events(raw: Path) -> list[dict]:
    return pq.read_table(raw / "events").to_pylist()


def test_layout_and_schema(raw: Path) -> None:
    for name in CONFIG_FILES:
        assert (raw / f"{name}.jsonl").is_file(), name
    files = sorted((raw / "events").iterdir())
    assert [f.name for f in files] == ["events-00000.parquet", "events-00001.parquet"]
    for file in files:
        assert pq.read_schema(file).remove_metadata() == EVENT_SCHEMA


@pytest.mark.parametrize("count", [0, 1, 2, 37, 1500])
def test_requested_event_count(tmp_path: Path, count: int) -> None:
    run(tmp_path, events=count)
    files = sorted((tmp_path / "events").glob("*.parquet"))
    assert len(files) == (2 if count >= 2 else 1)
    assert sum(pq.read_metadata(f).num_rows for f in files) == count


def test_rerun_replaces_old_event_files(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "stale.parquet").write_bytes(b"old")
    run(tmp_path, events=10)
    assert not (tmp_path / "events" / "stale.parquet").exists()


def test_config_lines_have_required_fields_and_unique_ids(config: dict[str, list[dict]]) -> None:
    for name, rows in config.items():
        assert rows, name
        for row in rows:
            assert REQUIRED[name] <= row.keys(), (name, row)
        if name != "rates":
            ids = [row["id"] for row in rows]
            assert len(ids) == len(set(ids)), name
    segment_ids = [
        item["id"]
        for name in ("commits", "credits")
        for row in config[name]
        for item in row["access_schedule"]["schedule_items"]
    ]
    assert len(segment_ids) == len(set(segment_ids))


def test_config_references_resolve(config: dict[str, list[dict]]) -> None:
    ids = {name: {row["id"] for row in rows} for name, rows in config.items() if name != "rates"}
    tags = {t for p in config["products"] for t in p["tags"]}
    for metric in (p["billable_metric_id"] for p in config["products"]):
        assert metric is None or metric in ids["billable_metrics"]
    for rate in config["rates"]:
        assert rate["rate_card_id"] in ids["rate_cards"] and rate["product_id"] in ids["products"]
    for contract in config["contracts"]:
        assert contract["customer_id"] in ids["customers"]
        assert contract["rate_card_id"] in ids["rate_cards"]
    for override in config["overrides"]:
        assert override["contract_id"] in ids["contracts"]
        assert override["override_specifiers"], override["id"]
        for spec in override["override_specifiers"]:
            assert spec["product_id"] is None or spec["product_id"] in ids["products"]
            assert set(spec["product_tags"] or []) <= tags
    for balance in config["commits"] + config["credits"]:
        assert balance["contract_id"] in ids["contracts"]
        assert balance["product_id"] in ids["products"]
        assert set(balance["applicable_product_ids"] or []) <= ids["products"]
        assert set(balance["applicable_product_tags"] or []) <= tags


def test_aliases_belong_to_one_customer(config: dict[str, list[dict]]) -> None:
    aliases = [a for c in config["customers"] for a in c["ingest_aliases"]]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & {c["id"] for c in config["customers"]}
    assert any(len(c["ingest_aliases"]) == 2 for c in config["customers"])
    assert any(not c["ingest_aliases"] for c in config["customers"])


def test_rates_are_valid(config: dict[str, list[dict]]) -> None:
    for rate in config["rates"]:
        if rate["rate_type"] == "FLAT":
            assert rate["price"] is not None and rate["tiers"] is None
        else:
            assert rate["rate_type"] in ("TIERED", "VOLUME") and rate["price"] is None
            sizes = [float(t["size"]) for t in rate["tiers"][:-1]]
            assert sizes == sorted(sizes) and all(s > 0 for s in sizes)
            assert "size" not in rate["tiers"][-1]
        start, end = ts(rate["starting_at"]), ts(rate["ending_before"])
        assert end is None or start < end


def custom_types(config: dict[str, list[dict]]) -> dict[str, set[str]]:
    """Rate card id -> the custom credit types it converts."""
    return {
        card["id"]: {c["custom_credit_type_id"] for c in card["credit_type_conversions"]}
        for card in config["rate_cards"]
    }


def test_custom_credit_types_have_a_conversion(config: dict[str, list[dict]]) -> None:
    converts = custom_types(config)
    fiat = {card["id"]: card["fiat_credit_type_id"] for card in config["rate_cards"]}
    card_of = {c["id"]: c["rate_card_id"] for c in config["contracts"]}
    typed = [(r["rate_card_id"], r["credit_type_id"]) for r in config["rates"]] + [
        (card_of[b["contract_id"]], b["credit_type_id"])
        for b in config["commits"] + config["credits"]
    ]
    for card, credit_type in typed:
        assert credit_type in (None, fiat[card]) or credit_type in converts[card], (
            card,
            credit_type,
        )
    for card in config["rate_cards"]:
        for conversion in card["credit_type_conversions"]:
            assert float(conversion["fiat_per_custom_credit"]) > 0, card


def test_volume_rates_and_custom_pricing_units_are_a_minority(
    config: dict[str, list[dict]],
) -> None:
    """Some products have VOLUME rates; one contract in 24 prices GPU hours in GPU credits (from
    mid-month: one period in two credit types) and holds GPU-credit balances beside a cent one."""
    usage = {p["id"] for p in config["products"] if p["type"] == "USAGE"}
    volume = {r["product_id"] for r in config["rates"] if r["rate_type"] == "VOLUME"}
    assert volume and len(volume) < len(usage), volume
    converts = custom_types(config)
    custom = [c for c in config["contracts"] if converts[c["rate_card_id"]]]
    assert 0 < len(custom) <= len(config["contracts"]) // 10, len(custom)
    switches = [
        (a, b)
        for a in config["rates"]
        for b in config["rates"]
        if (a["rate_card_id"], a["product_id"], a["pricing_group_values"])
        == (b["rate_card_id"], b["product_id"], b["pricing_group_values"])
        and a["ending_before"] == b["starting_at"]
        and a["credit_type_id"] != b["credit_type_id"]
    ]
    assert switches and all(ts(b["starting_at"]).day != 1 for _, b in switches), switches
    assert any(b["rate_type"] == "VOLUME" and b["credit_type_id"] for _, b in switches)
    for contract in custom:
        types = {
            b["credit_type_id"] in converts[contract["rate_card_id"]]
            for b in config["commits"] + config["credits"]
            if b["contract_id"] == contract["id"]
        }
        assert types == {True, False}, contract["id"]


def could_both_match(a: dict, b: dict) -> bool:
    """Two rates of one product in force at once, naming as many keys, that one event fits."""
    ga, gb = a["pricing_group_values"] or {}, b["pricing_group_values"] or {}
    far = datetime.max.replace(tzinfo=UTC)
    overlap = ts(a["starting_at"]) < (ts(b["ending_before"]) or far) and ts(b["starting_at"]) < (
        ts(a["ending_before"]) or far
    )
    agree = all(ga[k] == gb[k] for k in ga.keys() & gb.keys())
    return overlap and len(ga) == len(gb) and agree


def test_no_two_rates_compete(config: dict[str, list[dict]]) -> None:
    rates = config["rates"]
    for i, a in enumerate(rates):
        for b in rates[i + 1 :]:
            same = (a["rate_card_id"], a["product_id"]) == (b["rate_card_id"], b["product_id"])
            assert not (same and could_both_match(a, b)), (a, b)


def test_config_edge_cases_present(config: dict[str, list[dict]]) -> None:
    schedules = Counter(
        (c["usage_statement_schedule"]["frequency"], c["usage_statement_schedule"]["day"])
        for c in config["contracts"]
    )
    assert {
        ("MONTHLY", "FIRST_OF_MONTH"),
        ("QUARTERLY", "FIRST_OF_MONTH"),
        ("MONTHLY", "CUSTOM_DATE"),
        ("WEEKLY", "CONTRACT_START"),
    } <= schedules.keys()
    schedules_of = [c["usage_statement_schedule"] for c in config["contracts"]]
    anchors = {ts(s["billing_anchor_date"]).day for s in schedules_of if s["day"] == "CUSTOM_DATE"}
    assert anchors == {15, 31}
    per_customer = Counter(c["customer_id"] for c in config["contracts"])
    assert max(per_customer.values()) == 2
    assert any(c["ending_before"] for c in config["contracts"])
    assert {o["type"] for o in config["overrides"]} == {"MULTIPLIER", "OVERWRITE"}
    assert {c["type"] for c in config["commits"]} == {"PREPAID", "POSTPAID"}
    assert any(not r["entitled"] for r in config["rates"])
    assert any(r["pricing_group_values"] is None for r in config["rates"])


def test_every_bad_kind_is_present(events: list[dict]) -> None:
    tags = Counter(tag(e["transaction_id"]) for e in events)
    for kind in [*INTENDED, "dup", "late", "odd-ts", "after-as-of", "evt"]:
        assert tags[kind] > 0, kind
    bad = sum(tags[k] for k in INTENDED) + tags[None]
    assert 0.01 <= bad / len(events) <= 0.04
    properties = {e["properties"] for e in events if tag(e["transaction_id"]) == "malformed"}
    assert {"[1]", "null", "{bad", "NaN"} <= properties
    stamps = {e["timestamp"] for e in events}
    assert {"2026-02-30T00:00:00Z", "yesterday", None} <= stamps
    assert any(e["transaction_id"] is None for e in events)


def test_arrival_times(events: list[dict]) -> None:
    for event in events:
        kind, received = tag(event["transaction_id"]), event["received_at"]
        assert (received > AS_OF) == (kind == "after-as-of"), event
        if kind in ("evt", "late", "odd-ts"):
            lag = received - ts(event["timestamp"])
            assert timedelta(0) <= lag < timedelta(hours=23), event
    received = [e["received_at"] for e in events]
    assert received == sorted(received)


def test_duplicates_are_exact_resends(events: list[dict]) -> None:
    by_id: dict[str, list[dict]] = {}
    for event in events:
        if event["transaction_id"]:
            by_id.setdefault(event["transaction_id"], []).append(event)
    repeated = {k: v for k, v in by_id.items() if len(v) > 1}
    assert repeated and all(tag(k) == "dup" for k in repeated)
    for first, second in repeated.values():
        assert {**first, "received_at": None} == {**second, "received_at": None}
        assert timedelta(0) < second["received_at"] - first["received_at"] <= timedelta(days=34)


def test_intended_outcomes_match_reference_rater(raw: Path) -> None:
    from reference.rater import rate_folder

    outcomes = rate_folder(raw, AS_OF).outcomes
    seen = Counter()
    for row in outcomes:
        kind = tag(row.transaction_id)
        got = (row.outcome, row.error_code)
        seen[kind] += 1
        if kind is None:
            assert got == ("ERRORED", "MALFORMED_EVENT")
        elif kind in INTENDED:
            assert got == INTENDED[kind], row
        else:
            assert row.outcome in ("RATED", "NOT_BILLABLE", "DUPLICATE"), row
    assert Counter((o.outcome, tag(o.transaction_id)) for o in outcomes)[("DUPLICATE", "dup")]
    assert seen.keys() >= set(INTENDED)


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    first = folder_digest(run(tmp_path / "a", events=500))
    assert first == folder_digest(run(tmp_path / "b", events=500))
    other = folder_digest(run(tmp_path / "c", events=500, seed=7))
    assert other["events/events-00000.parquet"] != first["events/events-00000.parquet"]


def test_large_sizes_build_in_a_scratch_database_with_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # beyond IN_MEMORY_EVENTS the events are built in a database file (spilling to disk): the
    # files must not change, and the scratch database must be gone afterwards
    in_memory = folder_digest(run(tmp_path / "memory", events=500))
    monkeypatch.setattr(gen_folder, "IN_MEMORY_EVENTS", 100)
    assert folder_digest(run(tmp_path / "scratch", events=500)) == in_memory
    assert sorted(path.name for path in tmp_path.iterdir()) == ["memory", "scratch"]


def test_cli_parsing() -> None:
    args = gen.parse_args(["--events", "1e6", "--as-of", "2026-01-01T00:00:00+02:00"])
    assert args.events == 1_000_000 and args.customers == 50 and args.months == 6
    assert args.as_of == datetime(2025, 12, 31, 22, tzinfo=UTC)
    with pytest.raises(SystemExit):
        gen.parse_args(["--events", "1.5"])
    with pytest.raises(SystemExit):
        gen.parse_args(["--as-of", "2026-01-01T00:00:00"])


def test_add_day_appends_the_next_day(tmp_path: Path) -> None:
    folder = run(tmp_path / "raw", events=3000)
    source = pq.read_table(folder / "events").to_pylist()
    window = [row for row in source if AS_OF - timedelta(days=1) < row["received_at"] <= AS_OF]
    target, rows = gen.add_day(folder, AS_OF)
    assert target == folder / "events" / "day-20260616.parquet" and rows == len(window) > 0
    added = pq.read_table(target).to_pylist()
    assert [row["transaction_id"] for row in added] == [
        f"d20260616-{row['transaction_id']}" for row in window
    ]
    assert [row["received_at"] for row in added] == [
        row["received_at"] + timedelta(days=1) for row in window
    ]
    for before, after in zip(window, added, strict=True):
        if before["timestamp"] and RFC3339.fullmatch(before["timestamp"]):
            try:
                moved = ts(before["timestamp"])
            except ValueError:  # an impossible date stays as it is
                continue
            assert ts(after["timestamp"]) == moved + timedelta(days=1)
    # the same folder and as_of give the same file again
    first = hashlib.sha256(target.read_bytes()).hexdigest()
    gen.add_day(folder, AS_OF)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == first


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """What `make run` does, on a small generated folder: a green, warning-free `dbt build`."""
    root = tmp_path_factory.mktemp("generated_build")
    raw = run(root / "raw", events=3000, customers=10)
    built = dbt_build(raw, root, "2026-06-15T00:00:00Z")
    assert built.returncode == 0, built.output[-4000:]
    assert "WARN=0 " in built.output and "[WARNING]" not in built.output, built.output[-4000:]
    return built


RATED = """
select contract_id, component, credit_type_id, coverage, amount, fiat_amount
from (
    select * from fct_rated_events_finalized
    union all by name
    select * from fct_rated_events_draft
)
"""


def test_build_rates_volume_tiers_and_custom_pricing_units(built: DbtRun) -> None:
    components = dict(built.query(f"select component, count(*) from ({RATED}) group by 1"))
    assert components.get("USAGE_REPRICE", 0) > 0, components
    # GPU credits are worth 2.5 cents (fiat amounts rounded to 12 places, as amounts are)
    custom = built.query_dicts(
        f"select coverage, count(*) as n, count(*) filter (where fiat_amount <> "
        f"round(amount * 2.5, 12)) as off from ({RATED}) where credit_type_id = 'GPU_CREDITS' "
        "group by 1"
    )
    coverages = {row["coverage"]: row["n"] for row in custom}
    assert {"PREPAID_COMMIT", "CREDIT", "OVERAGE"} <= coverages.keys(), coverages
    assert not any(row["off"] for row in custom), custom


def test_build_draws_custom_and_fiat_balances_of_one_contract(built: DbtRun) -> None:
    drawn = built.query(
        "select contract_id, count(distinct credit_type_id) from fct_balance_ledger "
        "where entry_type = 'DRAWDOWN' group by 1 having count(distinct credit_type_id) = 2"
    )
    assert drawn, "no contract drew down balances in two credit types"
    lines = built.query(
        "select count(distinct l.credit_type_id) from fct_invoice_line_items as l "
        "inner join fct_invoices as i on l.invoice_id = i.invoice_id "
        "where l.product_id = 'prod_gpu_hours' group by l.invoice_id order by 1 desc limit 1"
    )
    assert lines == [(2,)], "no invoice has GPU hours in cents and in GPU credits"
