-- One row per rated event already written to fct_rated_events_finalized by an earlier run
-- (rules 5): finalized history as published, in int_rated_events' columns. Later runs take these rows as they are, whatever
-- the configuration says now, and open periods draw balances down from what they consumed.
-- A view over the published table: history is read, never copied.
{{ config(materialized='view') }}
with

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
        fiat_amount,
        fiat_credit_type_id,
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
    from {{ ref('stg_recorded__rated_events_finalized') }}
),

final as (
    select * from recorded
)

select * from final
