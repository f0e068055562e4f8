-- One row per rated event after commits and credits (SPEC 4.9): every rated row of
-- int_usage_rated, or, when balance segments covered it in part or several covered it, its
-- parts from int_rated_event_parts (covered parts in segment rank order, OVERAGE last).
-- `rated_event_id` of a part adds its segment to the whole row's id. Invoices already
-- recorded as finalized by an earlier run are not here: they keep their recorded rows (SPEC 5),
-- whatever the configuration says now, which int_rated_events_with_history adds back for the
-- models that need all history; this table holds only what this run rates, so a daily run
-- never copies history (docs block `daily_refresh`).
with

rated as (
    select * from {{ ref('int_usage_rated') }}
),

parts as (
    select * from {{ ref('int_rated_event_parts') }}
),

events as (
    -- the event's descriptive columns, carried from here on (not through the balance steps)
    select * from {{ ref('int_usage_events_customer_resolved') }}
),

segments as (
    select * from {{ ref('int_balance_segments') }}
),

recorded_invoices as (
    select * from {{ ref('int_recorded_invoices') }}
),

computed as (
    select
        case
            when parts.part_count = 1 then rated.rated_event_id
            else {{ hash_id(['rated.rated_event_id', "coalesce(parts.segment_id, 'OVERAGE')"]) }}
        end as rated_event_id,
        rated.rated_event_id as unsplit_rated_event_id,
        rated.transaction_id,
        rated.customer_id,
        rated.contract_id,
        rated.invoice_id,
        rated.billing_period_start,
        rated.billing_period_end,
        rated.finalized_at,
        rated.is_finalized,
        events.event_type,
        rated.event_timestamp,
        rated.received_at,
        rated.billable_metric_id,
        rated.product_id,
        rated.component,
        rated.tier_index,
        -- a single part's running quantity is the whole quantity already
        parts.part_quantity as quantity,
        rated.unit_price,
        parts.part_amount as amount,
        rated.credit_type_id,
        coalesce(segments.coverage, 'OVERAGE') as coverage,
        segments.balance_id,
        parts.segment_id as balance_segment_id,
        rated.pricing_group_values,
        rated.presentation_group_values,
        events.properties_text as properties,
        rated.status,
        rated.event_id,
        events.source_file,
        events.source_row
    from parts
    inner join rated on parts.rated_event_id = rated.rated_event_id
    inner join events on rated.event_id = events.event_id
    left join segments on parts.segment_id = segments.segment_id
    where rated.invoice_id not in (select recorded_invoices.invoice_id from recorded_invoices)
),

final as (
    select * from computed
)

select * from final
