"""The semantic layer (rules 5): MetricFlow semantic models and metrics over the rated events,
queried with `mf` (dbt-metricflow) against a warehouse built from the rollups scenario, and
compared with sums computed in Python from the marts' rows. Spend and its parts are fiat
(`fiat_amount`, per `fiat_credit_type_id`: GPU credits and cents add up, euro cents stay apart),
`credit_type_amount` is the amount per credit type, and quantity counts no re-price rows.

`mf` reads the semantic manifest from `<project>/target/semantic_manifest.json` and the profile
from DBT_PROFILES_DIR. So that it reads this test's manifest and warehouse, never the working
copy's target/, the build's folder doubles as the project folder: it holds the build's target/
and a link to dbt_project.yml; RATED_EVENTS_DB selects the warehouse (profiles.yml).
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from collections import defaultdict
from decimal import Decimal

import pytest
from dbt_runner import DBT, PROJECT_DIR, DbtRun
from test_rollups import (
    AS_OF,
    CARD_OF_CUSTOMER,
    FIAT_PER_CREDIT,
    configuration,
    events,
    mart_rows,
    property_text,
    truncate,
)

MF = DBT.parent / "mf"
CUSTOMER_NAMES = {"ru-a": "Alpha", "ru-b": "Beta", "ru-c": "Gamma", "ru-d": "Delta"}
METRICS = (
    "spend",
    "overage_spend",
    "covered_spend",
    "credit_and_prepaid_spend",
    "net_billed_spend",
    "quantity",
    "rated_events",
    "usage_events",
)
# in credit units of credit_type_id: asked for by credit type only
CREDIT_TYPE_METRICS = ("credit_type_amount",)


@pytest.fixture(scope="module")
def warehouse(build_green) -> DbtRun:
    scenario = configuration()
    scenario.add_events(events())
    # a whole build: only a build that passed its tests is published for readers
    run = build_green("semantic", scenario, AS_OF)
    (run.db_path.parent / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")
    return run


def mf(run: DbtRun, *args: str) -> subprocess.CompletedProcess:
    root = run.db_path.parent
    env = {
        **os.environ,
        "DBT_PROJECT_DIR": str(root),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "RATED_EVENTS_DB": str(run.db_path),
        "DBT_LOG_PATH": str(root / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(
        [str(MF), *args], cwd=root, env=env, capture_output=True, text=True, check=False
    )


def mf_csv(run: DbtRun, name: str, *args: str) -> list[dict]:
    out = run.db_path.parent / f"{name}.csv"
    completed = mf(run, "query", *args, "--csv", str(out), "--quiet")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


def measures(members: list[dict]) -> dict[str, Decimal]:
    spend = sum((r["fiat_amount"] for r in members), Decimal(0))
    credit_and_prepaid = sum(
        (r["fiat_amount"] for r in members if r["coverage"] in ("CREDIT", "PREPAID_COMMIT")),
        Decimal(0),
    )
    return {
        "spend": spend,
        "overage_spend": sum(
            (r["fiat_amount"] for r in members if r["coverage"] == "OVERAGE"), Decimal(0)
        ),
        "covered_spend": sum(
            (r["fiat_amount"] for r in members if r["coverage"] != "OVERAGE"), Decimal(0)
        ),
        "credit_and_prepaid_spend": credit_and_prepaid,
        "net_billed_spend": spend - credit_and_prepaid,
        # re-price rows name units their USAGE rows already counted
        "quantity": sum(
            (r["quantity"] for r in members if r["component"] in ("USAGE", "ROUNDING_ADJUSTMENT")),
            Decimal(0),
        ),
        "rated_events": Decimal(len(members)),
        "usage_events": Decimal(len({r["event_id"] for r in members})),
    }


def as_decimals(row: dict, names) -> dict[str, Decimal]:
    # mf prints decimals through Python floats; the scenario's amounts have few digits, so the
    # printed text is the exact decimal
    return {name: Decimal(row[name] or "0") for name in names}


def test_manifest_has_the_semantic_models_metrics_and_minute_spine(warehouse):
    target = warehouse.db_path.parent / "target"
    semantic = json.loads((target / "semantic_manifest.json").read_text())
    assert {m["name"] for m in semantic["semantic_models"]} == {
        "rated_events",
        "customers",
        "contracts",
        "products",
        "invoices",
    }
    assert {m["name"] for m in semantic["metrics"]} == set(METRICS + CREDIT_TYPE_METRICS)
    spines = semantic["project_configuration"]["time_spines"]
    assert {s["primary_column"]["time_granularity"] for s in spines} == {"minute", "day"}
    manifest = json.loads((target / "manifest.json").read_text())
    assert "semantic_model.rated_events.rated_events" in manifest["semantic_models"]
    assert manifest["metrics"]["metric.rated_events.net_billed_spend"]["type"] == "derived"


def test_mf_validates_the_configs_against_the_warehouse(warehouse):
    completed = mf(warehouse, "validate-configs")
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    # semantics, then semantic models, dimensions, entities, measures and metrics against the
    # warehouse: no errors, future errors or warnings
    counts = re.findall(r"\(ERRORS: (\d+), FUTURE_ERRORS: (\d+), WARNINGS: (\d+)\)", output)
    assert counts == [("0", "0", "0")] * 6, output[-3000:]


def test_every_metric_by_hour_and_customer_name(warehouse):
    rows = mf_csv(
        warehouse,
        "by_hour",
        "--metrics",
        ",".join(METRICS),
        "--group-by",
        "metric_time__hour,customer__customer_name",
    )
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in mart_rows(warehouse):
        hour = truncate(row["event_timestamp"], "hour")
        groups[(str(hour), CUSTOMER_NAMES[row["customer_id"]])].append(row)
    actual = {
        (row["metric_time__hour"], row["customer__customer_name"]): as_decimals(row, METRICS)
        for row in rows
    }
    assert actual == {key: measures(members) for key, members in groups.items()}
    assert len(actual) > 10


def test_finalized_spend_by_minute_property_and_product(warehouse):
    rows = mf_csv(
        warehouse,
        "by_minute",
        "--metrics",
        "spend,usage_events",
        "--group-by",
        "metric_time__minute,rated_event__region,rated_event__api_status,product",
        "--where",
        "{{ Dimension('rated_event__status') }} = 'FINALIZED'",
    )
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in mart_rows(warehouse):
        if row["status"] != "FINALIZED":
            continue
        key = (
            str(truncate(row["event_timestamp"], "minute")),
            property_text(row["properties"], "region") or "",
            property_text(row["properties"], "status") or "",
            row["product_id"],
        )
        groups[key].append(row)
    actual = {
        (
            row["metric_time__minute"],
            row["rated_event__region"],
            row["rated_event__api_status"],
            row["product"],
        ): as_decimals(row, ("spend", "usage_events"))
        for row in rows
    }
    wanted = {}
    for key, members in groups.items():
        totals = measures(members)
        wanted[key] = {"spend": totals["spend"], "usage_events": totals["usage_events"]}
    assert actual == wanted
    assert any(region for _, region, _, _ in actual) and any(status for _, _, status, _ in actual)


def test_net_billed_spend_is_what_the_invoices_bill(warehouse):
    # monthly contracts from the 1st: a calendar month is a billing period, so net billed spend
    # per (month, customer) equals the USAGE lines less the CREDIT and COMMIT lines, in fiat
    rows = mf_csv(
        warehouse,
        "by_month",
        "--metrics",
        "net_billed_spend",
        "--group-by",
        "metric_time__month,customer",
    )
    invoiced = warehouse.query(
        """
        select strftime(invoices.billing_period_start, '%Y-%m-%d %H:%M:%S'), invoices.customer_id,
            sum(lines.fiat_amount)
        from fct_invoice_line_items as lines
        inner join fct_invoices as invoices on lines.invoice_id = invoices.invoice_id
        where lines.line_type in ('USAGE', 'CREDIT', 'COMMIT')
        group by all
        """
    )
    actual = {
        (row["metric_time__month"], row["customer"]): Decimal(row["net_billed_spend"])
        for row in rows
    }
    assert actual == {(month, customer): amount for month, customer, amount in invoiced}


def test_semantic_layer_equals_the_rollup_macro(warehouse):
    # the same cut both ways: spend by hour and customer, all rated events
    from test_rollups import compile_inline, compiled_text, macro_call, result_map

    sql = compiled_text(compile_inline(warehouse, macro_call("hour", ["customer_id"])))
    macro = result_map(warehouse, sql, "hour", ["customer_id"])
    # the macro's values: credit type, fiat amount and parts, amounts, quantity, counts
    picked = (1, 2, 3, 7, 8, 9)
    rows = mf_csv(
        warehouse,
        "versus_macro",
        "--metrics",
        "spend,overage_spend,covered_spend,quantity,rated_events,usage_events",
        "--group-by",
        "metric_time__hour,customer",
    )
    names = ("spend", "overage_spend", "covered_spend", "quantity", "rated_events", "usage_events")
    semantic = {
        (row["metric_time__hour"], row["customer"]): tuple(as_decimals(row, names).values())
        for row in rows
    }
    assert semantic == {
        (str(hour), customer): tuple(Decimal(values[index]) for index in picked)
        for (hour, customer, _), values in macro.items()
    }
    assert len(semantic) > 10


def test_spend_is_fiat_per_fiat_type_and_amounts_per_credit_type(warehouse):
    rows = mf_csv(
        warehouse,
        "by_credit_type",
        "--metrics",
        "spend,credit_type_amount,quantity",
        "--group-by",
        "customer,rated_event__fiat_credit_type_id,rated_event__credit_type_id",
    )
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in mart_rows(warehouse):
        groups[(row["customer_id"], row["fiat_credit_type_id"], row["credit_type_id"])].append(row)
    actual = {
        (
            row["customer"],
            row["rated_event__fiat_credit_type_id"],
            row["rated_event__credit_type_id"],
        ): as_decimals(row, ("spend", "credit_type_amount", "quantity"))
        for row in rows
    }
    wanted = {}
    for (customer, fiat, credit), members in groups.items():
        amount = sum((r["amount"] for r in members), Decimal(0))
        # oracle of the fiat spend: the scenario's conversion of the amount (each row rounded
        # on its own, far below what mf prints)
        factor = FIAT_PER_CREDIT[(CARD_OF_CUSTOMER[customer], credit)]
        assert abs(measures(members)["spend"] - amount * factor) <= Decimal("0.000001")
        wanted[(customer, fiat, credit)] = {
            "spend": amount * factor,
            "credit_type_amount": amount,
            "quantity": measures(members)["quantity"],
        }
    assert actual == wanted
    assert ("ru-c", "USD_CENTS", "GPU_CREDITS") in actual
    assert ("ru-d", "EUR_CENTS", "EUR_CENTS") in actual
    # GPU credits and cents of one customer add up in fiat: one spend per fiat type
    by_fiat = mf_csv(
        warehouse,
        "by_fiat_type",
        "--metrics",
        "spend",
        "--group-by",
        "customer,rated_event__fiat_credit_type_id",
    )
    spend = {
        (row["customer"], row["rated_event__fiat_credit_type_id"]): Decimal(row["spend"])
        for row in by_fiat
    }
    assert spend[("ru-c", "USD_CENTS")] == sum(
        value["spend"] for key, value in wanted.items() if key[:2] == ("ru-c", "USD_CENTS")
    )
    assert {fiat for _, fiat in spend} == {"USD_CENTS", "EUR_CENTS"}
