-- One row per rated event before commits and credits (rules 4.3-4.8): everything the marts
-- need about a priced unit of usage. Rated events of one usage event are ordered by
-- (product_id, component, tier_index), components in the order USAGE, USAGE_REPRICE,
-- ROUNDING_ADJUSTMENT, ROUNDING_REPRICE. Amounts are in the rate's credit type; fiat_amount is
-- R(amount x fiat_per_credit) in the rate card's fiat type (docs block `credit_types`).
-- `rated_event_id` is derived from content (transaction, receipt, contract, product,
-- component, tier), so the same inputs always give the same ids. The event's descriptive
-- columns (type, properties, source row) ride along from the join with the event here, so
-- int_rated_events need not join the history again; the balance steps never read them.
with

tiered as (
    select * from {{ ref('int_quantity_movements_tiered') }}
),

targets as (
    select * from {{ ref('int_rating_targets_rate_chosen') }}
    where target_status = 'RATED'
),

events as (
    select * from {{ ref('int_usage_events_customer_resolved') }}
),

joined as (
    select
        events.transaction_id,
        targets.customer_id,
        tiered.contract_id,
        targets.invoice_id,
        targets.billing_period_start,
        targets.billing_period_end,
        targets.finalized_at,
        targets.is_finalized,
        events.event_type,
        events.event_timestamp,
        events.received_at,
        tiered.billable_metric_id,
        tiered.product_id,
        tiered.component,
        tiered.tier_index,
        tiered.quantity,
        tiered.unit_price,
        {{ decimal_multiply('tiered.quantity', 'tiered.unit_price') }} as amount,
        tiered.credit_type_id,
        tiered.fiat_credit_type_id,
        tiered.fiat_per_credit,
        targets.pricing_group_values,
        targets.presentation_group_values,
        events.properties_text as properties,
        tiered.pricing_id,
        tiered.event_id,
        events.source_file,
        events.source_row
    from tiered
    inner join targets
        on tiered.event_id = targets.event_id
        and tiered.contract_id = targets.contract_id
        and tiered.product_id = targets.product_id
    inner join events on tiered.event_id = events.event_id
),

final as (
    select
        {{ hash_id(['transaction_id', 'received_at', 'contract_id', 'product_id', 'component', 'tier_index']) }}
            as rated_event_id,
        joined.*,
        -- a fiat row's fiat amount is its amount; a custom type's is converted by R (rules 8)
        case
            when joined.fiat_per_credit = 1 then joined.amount
            else {{ decimal_multiply('joined.amount', 'joined.fiat_per_credit') }}
        end as fiat_amount,
        case when is_finalized then 'FINALIZED' else 'DRAFT' end as status
    from joined
)

select * from final
