"""The configuration every customer shares: billable metrics, products, rate cards and list
rates (the AI and cloud platform of the story)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .timeline import Timeline, add_months, iso

RC_STANDARD = "rc_standard"
RC_ENTERPRISE = "rc_enterprise"
# GPU-heavy customers: GPU hours priced in a custom pricing unit (GPU credits) on VOLUME tiers
RC_GPU_CLOUD = "rc_gpu_cloud"
GPU_CREDITS = "GPU_CREDITS"
FIAT_PER_GPU_CREDIT = "2.5"  # USD cents per GPU credit


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


def billable_metrics() -> list[dict]:
    def metric(
        mid: str,
        name: str,
        types: list[str],
        agg: str,
        key: str | None,
        filters: list[dict],
        groups: list[list[str]],
    ) -> dict:
        return {
            "id": mid,
            "name": name,
            "event_type_filter": {"in_values": types},
            "property_filters": filters,
            "aggregation_type": agg,
            "aggregation_key": key,
            "group_keys": groups,
        }

    def prop_filter(
        name: str,
        exists: bool | None = None,
        in_values: list[str] | None = None,
        not_in_values: list[str] | None = None,
    ) -> dict:
        return {
            "name": name,
            "exists": exists,
            "in_values": in_values,
            "not_in_values": not_in_values,
        }

    return [
        metric(
            "m_llm_tokens",
            "LLM tokens",
            ["llm_inference"],
            "SUM",
            "tokens",
            [],
            [["model", "region"], ["workspace"]],
        ),
        metric(
            "m_gpu_seconds",
            "GPU seconds",
            ["gpu_job"],
            "SUM",
            "gpu_seconds",
            [],
            [["cluster", "gpu_type"], ["workspace"]],
        ),
        metric(
            "m_api_requests",
            "API requests",
            ["api_request"],
            "COUNT",
            None,
            [prop_filter("status", in_values=["ok", "client_error"])],
            [["endpoint"], ["workspace"]],
        ),
        metric(
            "m_storage_gb",
            "Peak storage (GB)",
            ["storage_snapshot"],
            "MAX",
            "gb",
            [],
            [["region"], ["bucket"]],
        ),
        metric(
            "m_active_seats",
            "Active seats",
            ["seat_activity"],
            "UNIQUE",
            "user_id",
            [
                prop_filter("user_id", exists=True),
                prop_filter("role", not_in_values=["service_account"]),
            ],
            [["workspace"]],
        ),
    ]


def products() -> list[dict]:
    def usage(
        pid: str,
        name: str,
        metric: str,
        conversion: dict | None,
        rounding: dict | None,
        pricing: list[str] | None,
        presentation: list[str] | None,
        tags: list[str],
    ) -> dict:
        return {
            "id": pid,
            "name": name,
            "type": "USAGE",
            "billable_metric_id": metric,
            "quantity_conversion": conversion,
            "quantity_rounding": rounding,
            "pricing_group_key": pricing,
            "presentation_group_key": presentation,
            "tags": tags,
        }

    def fixed(pid: str, name: str) -> dict:
        return {
            "id": pid,
            "name": name,
            "type": "FIXED",
            "billable_metric_id": None,
            "quantity_conversion": None,
            "quantity_rounding": None,
            "pricing_group_key": None,
            "presentation_group_key": None,
            "tags": [],
        }

    return [
        usage(
            "prod_llm_tokens",
            "LLM tokens (per million)",
            "m_llm_tokens",
            {"conversion_factor": 1000000, "operation": "DIVIDE"},
            None,
            ["model", "region"],
            ["workspace"],
            ["ai", "inference"],
        ),
        usage(
            "prod_gpu_hours",
            "GPU hours",
            "m_gpu_seconds",
            {"conversion_factor": "3600", "operation": "DIVIDE"},
            {"decimal_places": 2, "rounding_method": "ROUND_UP"},
            ["cluster", "gpu_type"],
            ["workspace"],
            ["ai", "compute"],
        ),
        usage(
            "prod_api_requests",
            "API requests",
            "m_api_requests",
            None,
            None,
            None,
            ["endpoint"],
            ["platform"],
        ),
        usage(
            "prod_storage",
            "Storage (peak GB)",
            "m_storage_gb",
            None,
            None,
            ["region"],
            ["bucket"],
            ["platform", "storage"],
        ),
        usage(
            "prod_active_seats",
            "Active seats",
            "m_active_seats",
            None,
            None,
            None,
            ["workspace"],
            ["seats"],
        ),
        fixed("prod_prepaid_commit", "Prepaid commitment"),
        fixed("prod_postpaid_commit", "Postpaid commitment"),
        fixed("prod_credit", "Promotional credit"),
        fixed("prod_support", "Premium support"),
    ]


def rate_cards() -> list[dict]:
    return [
        {
            "id": RC_STANDARD,
            "name": "Standard (pay as you go)",
            "fiat_credit_type_id": "USD_CENTS",
            "credit_type_conversions": [],
        },
        {
            "id": RC_ENTERPRISE,
            "name": "Enterprise",
            "fiat_credit_type_id": "USD_CENTS",
            "credit_type_conversions": [],
        },
        {
            "id": RC_GPU_CLOUD,
            "name": "GPU cloud (GPU credits)",
            "fiat_credit_type_id": "USD_CENTS",
            "credit_type_conversions": [
                {
                    "custom_credit_type_id": GPU_CREDITS,
                    "fiat_per_custom_credit": FIAT_PER_GPU_CREDIT,
                }
            ],
        },
    ]


def rate(
    card: str,
    product: str,
    start: datetime,
    end: datetime | None,
    *,
    price: object = None,
    tiers: list[dict] | None = None,
    groups: dict | None = None,
    entitled: bool = True,
    volume: bool = False,
    credit_type: str | None = None,
) -> dict:
    """One rate row: FLAT when `price` is given, TIERED (VOLUME with `volume`) when `tiers` is;
    prices in `credit_type` (None: the card's fiat type)."""
    tiered = "VOLUME" if volume else "TIERED"
    return {
        "rate_card_id": card,
        "product_id": product,
        "starting_at": iso(start),
        "ending_before": iso(end),
        "entitled": entitled,
        "rate_type": tiered if tiers is not None else "FLAT",
        "price": price,
        "tiers": tiers,
        "pricing_group_values": groups,
        "credit_type_id": credit_type,
    }


def gpu_credits_from(tl: Timeline) -> datetime:
    """When GPU hours on the GPU cloud card move to GPU credits: mid-month, so monthly periods
    hold rows in both credit types."""
    return tl.h_mid + timedelta(days=14)


def rates(tl: Timeline) -> list[dict]:
    """List prices in USD cents (GPU cloud's GPU hours in GPU credits from gpu_credits_from).
    Prices change at h_mid (old ending_before = new starting_at)."""
    since, mid = add_months(tl.h0, -12), tl.h_mid
    large_tiers = [
        {"size": "10", "price": "1500"},
        {"size": 100, "price": "1200"},
        {"price": "1000"},
    ]
    return [
        # Standard: a generic fallback for every model, a tiered price for atlas-large, a
        # data-residency premium (2 keys) and a model the standard card is not entitled to.
        rate(RC_STANDARD, "prod_llm_tokens", since, mid, price="250"),
        rate(RC_STANDARD, "prod_llm_tokens", mid, None, price=200),
        rate(
            RC_STANDARD,
            "prod_llm_tokens",
            since,
            None,
            tiers=large_tiers,
            groups={"model": "atlas-large"},
        ),
        rate(
            RC_STANDARD,
            "prod_llm_tokens",
            since,
            None,
            price="1800",
            groups={"model": "atlas-large", "region": "eu-west-1"},
        ),
        rate(
            RC_STANDARD,
            "prod_llm_tokens",
            since,
            None,
            price="3000",
            groups={"model": "orion-vision"},
            entitled=False,
        ),
        rate(RC_STANDARD, "prod_gpu_hours", since, None, price="450", groups={"gpu_type": "H100"}),
        rate(RC_STANDARD, "prod_gpu_hours", since, None, price="300", groups={"gpu_type": "A100"}),
        rate(RC_STANDARD, "prod_gpu_hours", since, None, price="80", groups={"gpu_type": "L4"}),
        rate(
            RC_STANDARD,
            "prod_gpu_hours",
            since,
            None,
            price="400",
            groups={"cluster": "c-bom-01", "gpu_type": "H100"},
        ),
        rate(RC_STANDARD, "prod_api_requests", since, mid, price="0.05"),
        rate(RC_STANDARD, "prod_api_requests", mid, None, price="0.04"),
        rate(RC_STANDARD, "prod_storage", since, None, price=2.5),
        rate(RC_STANDARD, "prod_active_seats", since, None, price="2000"),
        # Enterprise: model-specific prices only (no fallback: an unknown model has no rate).
        rate(
            RC_ENTERPRISE,
            "prod_llm_tokens",
            since,
            None,
            tiers=[{"size": 50, "price": 1300}, {"price": "1100"}],
            groups={"model": "atlas-large"},
        ),
        rate(
            RC_ENTERPRISE,
            "prod_llm_tokens",
            since,
            None,
            price="150",
            groups={"model": "atlas-small"},
        ),
        rate(
            RC_ENTERPRISE, "prod_llm_tokens", since, mid, price="10", groups={"model": "nova-embed"}
        ),
        rate(
            RC_ENTERPRISE, "prod_llm_tokens", mid, None, price="8", groups={"model": "nova-embed"}
        ),
        rate(
            RC_ENTERPRISE,
            "prod_gpu_hours",
            since,
            None,
            tiers=[
                {"size": "100", "price": "350"},
                {"size": "1000", "price": "300"},
                {"price": "260"},
            ],
        ),
        rate(
            RC_ENTERPRISE,
            "prod_api_requests",
            since,
            None,
            tiers=[{"size": "100000", "price": "0.03"}, {"price": "0.01"}],
        ),
        rate(RC_ENTERPRISE, "prod_storage", since, None, price="2.0"),
        # seats on volume tiers: the period's seat count prices every seat
        rate(
            RC_ENTERPRISE,
            "prod_active_seats",
            since,
            None,
            tiers=[{"size": 5, "price": 1500}, {"size": "15", "price": "1300"}, {"price": 1100}],
            volume=True,
        ),
        *gpu_cloud_rates(tl, since),
    ]


def gpu_cloud_rates(tl: Timeline, since: datetime) -> list[dict]:
    """GPU cloud: GPU hours tiered in cents, then on VOLUME tiers in GPU credits (a change of
    credit type mid-period); everything else in cents, seats on VOLUME tiers."""
    switch = gpu_credits_from(tl)
    return [
        rate(
            RC_GPU_CLOUD,
            "prod_gpu_hours",
            since,
            switch,
            tiers=[{"size": "100", "price": "380"}, {"price": "320"}],
        ),
        rate(
            RC_GPU_CLOUD,
            "prod_gpu_hours",
            switch,
            None,
            tiers=[{"size": 2, "price": "150"}, {"size": "18", "price": "130"}, {"price": "110"}],
            volume=True,
            credit_type=GPU_CREDITS,
        ),
        rate(RC_GPU_CLOUD, "prod_llm_tokens", since, None, price="180"),
        rate(RC_GPU_CLOUD, "prod_api_requests", since, None, price="0.04"),
        rate(RC_GPU_CLOUD, "prod_storage", since, None, price="2.2"),
        rate(
            RC_GPU_CLOUD,
            "prod_active_seats",
            since,
            None,
            tiers=[{"size": "5", "price": 1800}, {"price": "1600"}],
            volume=True,
        ),
    ]
