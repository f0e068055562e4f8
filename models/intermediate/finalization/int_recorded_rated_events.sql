-- One row per rated event already written to fct_rated_events_finalized by an earlier run
-- (SPEC 5): finalized history as recorded, in int_rated_events' columns. Later runs take these rows as they are, whatever
-- the configuration says now, and open periods draw balances down from what they consumed.
-- Read without a ref (see recorded_relation); empty on a fresh warehouse. A view, so that a
-- daily run never copies history: it leaves out the rows this very run appends to the mart
-- (their run_invocation_id is this run's), so every model and test of the run sees the same
-- history, before or after the append.
{{ config(materialized='view') }}
-- The Jinja branch picks one of two CTEs, so the layout follows the branch.
-- noqa: disable=LT02
{%- set recorded = recorded_relation('fct_rated_events_finalized') %}
with

{% if recorded is none %}
recorded as (
    -- nothing recorded yet: the same columns, no rows
    select
        cast(null as {{ dbt.type_string() }}) as rated_event_id,
        cast(null as {{ dbt.type_string() }}) as unsplit_rated_event_id,
        cast(null as {{ dbt.type_string() }}) as transaction_id,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_string() }}) as contract_id,
        cast(null as {{ dbt.type_string() }}) as invoice_id,
        cast(null as timestamp) as billing_period_start,
        cast(null as timestamp) as billing_period_end,
        cast(null as timestamp) as finalized_at,
        cast(null as boolean) as is_finalized,
        cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as timestamp) as event_timestamp,
        cast(null as timestamp) as received_at,
        cast(null as {{ dbt.type_string() }}) as billable_metric_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        cast(null as {{ dbt.type_string() }}) as component,
        cast(null as integer) as tier_index,
        cast(null as {{ money_type() }}) as quantity,
        cast(null as {{ money_type() }}) as unit_price,
        cast(null as {{ money_type() }}) as amount,
        cast(null as {{ dbt.type_string() }}) as credit_type_id,
        cast(null as {{ dbt.type_string() }}) as coverage,
        cast(null as {{ dbt.type_string() }}) as balance_id,
        cast(null as {{ dbt.type_string() }}) as balance_segment_id,
        cast(null as {{ dbt.type_string() }}) as pricing_group_values,
        cast(null as {{ dbt.type_string() }}) as presentation_group_values,
        cast(null as {{ dbt.type_string() }}) as properties,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as bigint) as source_row
    where 1 = 0
),
{% else %}
recorded as (
    select
        rated_event_id,
        unsplit_rated_event_id,
        transaction_id,
        customer_id,
        contract_id,
        invoice_id,
        billing_period_start,
        billing_period_end,
        finalized_at,
        true as is_finalized,
        event_type,
        event_timestamp,
        received_at,
        billable_metric_id,
        product_id,
        component,
        tier_index,
        quantity,
        unit_price,
        amount,
        credit_type_id,
        coverage,
        balance_id,
        balance_segment_id,
        cast(pricing_group_values as {{ dbt.type_string() }}) as pricing_group_values,
        cast(presentation_group_values as {{ dbt.type_string() }}) as presentation_group_values,
        cast(properties as {{ dbt.type_string() }}) as properties,
        status,
        event_id,
        source_file,
        source_row
    from {{ recorded }}
    where run_invocation_id <> '{{ invocation_id }}'
),
{% endif %}

final as (
    select * from recorded
)

select * from final
