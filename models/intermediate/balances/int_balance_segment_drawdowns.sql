-- One row per (balance segment, usage invoice) on which the segment covered rated events: the
-- amount it covered there (negative when give-backs outweigh coverage). Feeds the ledger's
-- DRAWDOWN entries and the invoices' CREDIT / COMMIT application lines (rules 5).
with

rated_events as (
    select * from {{ ref('int_rated_events_with_history') }}
    where balance_segment_id is not null
),

final as (
    select
        balance_segment_id as segment_id,
        balance_id,
        contract_id,
        invoice_id,
        min(billing_period_start) as billing_period_start,
        min(billing_period_end) as billing_period_end,
        sum(amount) as covered_amount,
        count(*) as rated_event_count
    from rated_events
    group by balance_segment_id, balance_id, contract_id, invoice_id
)

select * from final
