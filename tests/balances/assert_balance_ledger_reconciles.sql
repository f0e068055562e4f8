-- The ledger agrees with the rated events: per segment, DRAWDOWN entries equal minus what the
-- segment covered; the running balance never goes below zero; a segment that has ended
-- (and whose true-up, if postpaid, is due) ends at zero. Tolerance 1e-6 credit units.
with

ledger as (
    select * from {{ ref('fct_balance_ledger') }}
),

segments as (
    select * from {{ ref('int_balance_segments') }}
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

covered as (
    select
        balance_segment_id,
        sum(amount) as covered_amount
    from {{ ref('int_rated_events_with_history') }}
    where balance_segment_id is not null
    group by balance_segment_id
),

per_segment as (
    select
        segments.segment_id,
        -coalesce(sum(ledger.amount) filter (where ledger.entry_type = 'DRAWDOWN'), 0) as drawn_down,
        coalesce(max(covered.covered_amount), 0) as covered_amount,
        min(ledger.running_balance) as lowest_balance,
        max_by(ledger.running_balance, ledger.entry_sequence) as final_balance,
        max(
            case
                -- a postpaid true-up is due at the earlier of segment and contract end (rules 4.10);
                -- prepaid and credit segments expire at their own end
                when segments.balance_type = 'POSTPAID'
                    and contracts.ending_before is not null and contracts.ending_before < segments.ending_before
                    then contracts.ending_before
                else segments.ending_before
            end
        ) <= {{ as_of_timestamp() }} as is_closed
    from segments
    inner join contracts on segments.contract_id = contracts.contract_id
    left join ledger on segments.segment_id = ledger.balance_segment_id
    left join covered on segments.segment_id = covered.balance_segment_id
    group by segments.segment_id
)

select *
from per_segment
where abs(drawn_down - covered_amount) > 0.000001
    or lowest_balance < -0.000001
    or (is_closed and abs(final_balance) > 0.000001)
