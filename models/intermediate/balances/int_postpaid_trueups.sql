-- One row per postpaid commit segment whose true-up is due by as_of (rules 4.10): the unspent
-- remainder (segment amount - all it covered, if positive) is billed as a POSTPAID_TRUEUP line
-- at t = the earlier of the segment's and the contract's ending_before, on the usage invoice of
-- the period with start < t <= end. When no period of the contract holds t (a segment that
-- ended before its contract began), `invoice_id` is null: nothing is billed and the ledger
-- records the remainder as expired.
with

segments as (
    select * from {{ ref('int_balance_segments') }}
    where balance_type = 'POSTPAID'
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

drawdowns as (
    select * from {{ ref('int_balance_segment_drawdowns') }}
),

periods as (
    select * from {{ ref('int_contract_billing_periods') }}
),

covered as (
    select
        segment_id,
        sum(covered_amount) as covered_amount
    from drawdowns
    group by segment_id
),

due as (
    select
        segments.segment_id,
        segments.balance_id,
        segments.contract_id,
        segments.invoice_product_id,
        segments.amount,
        coalesce(covered.covered_amount, 0) as covered_amount,
        case
            when contracts.ending_before is not null and contracts.ending_before < segments.ending_before
                then contracts.ending_before
            else segments.ending_before
        end as due_at
    from segments
    inner join contracts on segments.contract_id = contracts.contract_id
    left join covered on segments.segment_id = covered.segment_id
),

final as (
    select
        due.segment_id,
        due.balance_id,
        due.contract_id,
        due.invoice_product_id,
        due.amount as segment_amount,
        due.covered_amount,
        due.amount - due.covered_amount as trueup_amount,
        due.due_at,
        periods.invoice_id,
        periods.billing_period_start,
        periods.billing_period_end
    from due
    left join periods
        on due.contract_id = periods.contract_id
        and due.due_at > periods.billing_period_start
        and due.due_at <= periods.billing_period_end
    where due.due_at <= {{ as_of_timestamp() }}
        and due.amount - due.covered_amount > 0
)

select * from final
