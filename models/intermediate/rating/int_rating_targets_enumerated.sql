-- One row per (matched event, billable metric, active contract, USAGE product of the metric)
-- (rules 4.4), with the billing period the event falls in (rules 4.5) and the event's pricing and
-- presentation group values for the product, and the event's ordering key (timestamp,
-- transaction id, receipt) so that no later step joins the events again for it. A metric that no USAGE product uses yields one
-- row with a null product_id (it is NO_RATE on that contract).
-- Read only by int_rating_targets_rate_chosen: a view on DuckDB (docs block `pipelined_steps`).
{{ config(materialized=pipelined_step()) }}

with

matched as (
    select * from {{ ref('int_usage_events_metric_matched') }}
),

events as (
    select * from {{ ref('int_usage_events_customer_resolved') }}
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

products as (
    select * from {{ ref('stg_billing__products') }}
    where product_type = 'USAGE'
),

periods as (
    select * from {{ ref('int_contract_billing_periods') }}
),

event_properties as (
    select * from {{ ref('int_usage_events_properties_parsed') }}
),

on_contracts as (
    select
        matched.event_id,
        matched.billable_metric_id,
        matched.has_valid_aggregation_value,
        events.customer_id,
        events.transaction_id,
        events.event_timestamp,
        events.received_at,
        contracts.contract_id,
        contracts.rate_card_id
    from matched
    inner join events on matched.event_id = events.event_id
    inner join contracts
        on events.customer_id = contracts.customer_id
        and events.event_timestamp >= contracts.starting_at
        and (contracts.ending_before is null or events.event_timestamp < contracts.ending_before)
),

with_products as (
    select
        on_contracts.*,
        products.product_id,
        coalesce(products.pricing_group_key, {{ empty_text_list() }}) as pricing_group_key,
        coalesce(products.presentation_group_key, {{ empty_text_list() }}) as presentation_group_key
    from on_contracts
    left join products on on_contracts.billable_metric_id = products.billable_metric_id
),

final as (
    -- group values: a JSON object of the product's keys, in key order, with the event's values
    -- (a missing property is a null value, rules 4.4)
    select
        with_products.event_id,
        with_products.billable_metric_id,
        with_products.contract_id,
        with_products.product_id,
        with_products.rate_card_id,
        with_products.customer_id,
        with_products.transaction_id,
        with_products.event_timestamp,
        with_products.received_at,
        with_products.has_valid_aggregation_value,
        {{ group_values_json('with_products.pricing_group_key', 'event_properties.property_values') }}
            as pricing_group_values,
        {{ group_values_json('with_products.presentation_group_key', 'event_properties.property_values') }}
            as presentation_group_values,
        periods.invoice_id,
        periods.billing_period_start,
        periods.billing_period_end,
        periods.finalized_at,
        periods.is_finalized
    from with_products
    inner join event_properties on with_products.event_id = event_properties.event_id
    inner join periods
        on with_products.contract_id = periods.contract_id
        and with_products.event_timestamp >= periods.billing_period_start
        and with_products.event_timestamp < periods.billing_period_end
)

select * from final
