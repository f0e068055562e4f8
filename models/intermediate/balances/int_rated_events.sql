-- One row per rated event after commits and credits (rules 4.9): every rated row of
-- int_rated_events_priced, or, when balance segments covered it, its parts from int_rated_events_split
-- (covered parts in segment rank order, OVERAGE last). `rated_event_id` of a part adds its
-- segment to the whole row's id. Invoices already recorded as finalized by an earlier run are
-- not here: they keep their recorded rows (rules 5), whatever the configuration says now, which
-- int_rated_events_with_history adds back for the models that need all history; this table
-- holds only what this run rates, so a daily run never copies history (docs block
-- `daily_refresh`).
-- One pass over the rated rows: the parts (covered rows only) and the segments are the small
-- sides of the joins, and the event's descriptive columns come with int_rated_events_priced, so no
-- history-sized table is joined to another here.
-- Stored, and stored in the order BI tools read the marts in (customer, then time): five
-- models read it (the two rated-event marts, the invoices' list, unit costs, and the history
-- view), and as a view it was computed once for each. The two rated-event marts are views
-- that filter it, so every rated row is still stored once (docs block `rated_event_storage`).
{{ config(materialized='table') }}
with

rated as (
    select * from {{ ref('int_rated_events_priced') }}
),

parts as (
    select * from {{ ref('int_rated_events_split') }}
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
            -- not covered, or covered in full by one segment: the whole row, with its id
            when parts.part_count is null or parts.part_count = 1 then rated.rated_event_id
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
        rated.event_type,
        rated.event_timestamp,
        rated.received_at,
        rated.billable_metric_id,
        rated.product_id,
        rated.component,
        rated.tier_index,
        -- a part's quantity and amount are never null (int_rated_events_split' tests)
        coalesce(parts.part_quantity, rated.quantity) as quantity,
        rated.unit_price,
        coalesce(parts.part_amount, rated.amount) as amount,
        rated.credit_type_id,
        -- a part's fiat amount is R(part amount x fiat_per_credit); a whole row keeps its own
        case
            when parts.part_amount is null then rated.fiat_amount
            when rated.fiat_per_credit = 1 then parts.part_amount
            else {{ decimal_multiply('parts.part_amount', 'rated.fiat_per_credit') }}
        end as fiat_amount,
        rated.fiat_credit_type_id,
        coalesce(segments.coverage, 'OVERAGE') as coverage,
        segments.balance_id,
        parts.segment_id as balance_segment_id,
        rated.pricing_group_values,
        rated.presentation_group_values,
        rated.properties,
        rated.status,
        rated.event_id,
        rated.source_file,
        rated.source_row
    from rated
    left join parts on rated.rated_event_id = parts.rated_event_id
    left join segments on parts.segment_id = segments.segment_id
    where rated.invoice_id not in (select recorded_invoices.invoice_id from recorded_invoices)
),

final as (
    select * from computed
    -- BI tools read by customer and time: the marts keep this order (docs block
    -- `rated_event_storage`)
    order by customer_id, event_timestamp, rated_event_id
)

select * from final
