-- One row per balance segment (an access-schedule segment of a prepaid or postpaid commit or a
-- credit, rules 4.9): its window and rank, what it has covered so far, what expired or was
-- trued up, what remains, and its status as of as_of.
with

segments as (
    select * from {{ ref('int_balance_segments') }}
),

rated_events as (
    select * from {{ ref('int_rated_events_with_history') }}
),

ledger as (
    select * from {{ ref('fct_balance_ledger') }}
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

commits as (
    select * from {{ ref('stg_billing__commits') }}
),

credits as (
    select * from {{ ref('stg_billing__credits') }}
),

balance_names as (
    select
        commit_id as balance_id,
        commit_name as balance_name
    from commits
    union all
    select
        credit_id as balance_id,
        credit_name as balance_name
    from credits
),

covered as (
    -- every rated event received by as_of, draft and finalized: coverage so far
    select
        balance_segment_id,
        sum(amount) as covered_amount,
        count(*) as covered_rated_event_count
    from rated_events
    where balance_segment_id is not null
    group by balance_segment_id
),

closings as (
    -- ledger amounts are signed changes of the balance: closing entries are negative
    select
        balance_segment_id,
        -coalesce(sum(amount) filter (where entry_type = 'EXPIRATION'), 0) as expired_amount,
        -coalesce(sum(amount) filter (where entry_type = 'TRUEUP'), 0) as trued_up_amount,
        count(*) filter (where entry_type = 'EXPIRATION') > 0 as has_expiration,
        count(*) filter (where entry_type = 'TRUEUP') > 0 as has_trueup
    from ledger
    group by balance_segment_id
),

amounts as (
    select
        segments.*,
        coalesce(covered.covered_amount, 0) as covered_amount,
        coalesce(covered.covered_rated_event_count, 0) as covered_rated_event_count,
        coalesce(closings.expired_amount, 0) as expired_amount,
        coalesce(closings.trued_up_amount, 0) as trued_up_amount,
        coalesce(closings.has_expiration, false) as has_expiration,
        coalesce(closings.has_trueup, false) as has_trueup
    from segments
    left join covered on segments.segment_id = covered.balance_segment_id
    left join closings on segments.segment_id = closings.balance_segment_id
),

final as (
    select
        amounts.segment_id as balance_segment_id,
        amounts.balance_id,
        balance_names.balance_name,
        amounts.balance_type,
        amounts.coverage,
        amounts.contract_id,
        contracts.customer_id,
        amounts.invoice_product_id,
        cast(amounts.amount as decimal(38, 12)) as amount,
        amounts.credit_type_id,
        amounts.starting_at,
        amounts.ending_before,
        cast(amounts.priority as decimal(38, 12)) as priority,
        amounts.applies_to_every_product,
        cast(amounts.applicable_product_count as integer) as applicable_product_count,
        cast(amounts.segment_rank as integer) as segment_rank,
        cast(amounts.covered_amount as decimal(38, 12)) as covered_amount,
        cast(amounts.covered_rated_event_count as integer) as covered_rated_event_count,
        cast(amounts.expired_amount as decimal(38, 12)) as expired_amount,
        cast(amounts.trued_up_amount as decimal(38, 12)) as trued_up_amount,
        cast(
            amounts.amount - amounts.covered_amount - amounts.expired_amount - amounts.trued_up_amount
            as decimal(38, 12)
        ) as remaining_amount,
        amounts.starting_at <= {{ as_of_timestamp() }} as has_started,
        -- closing entries decide first: a trued-up or expired segment is closed whatever it covered
        case
            when amounts.has_trueup then 'TRUED_UP'
            when amounts.has_expiration then 'EXPIRED'
            when amounts.amount - amounts.covered_amount <= 0 then 'EXHAUSTED'
            when amounts.ending_before is null or amounts.ending_before > {{ as_of_timestamp() }} then 'OPEN'
            else 'EXPIRED'
        end as status,
        {{ as_of_timestamp() }} as status_as_of
    from amounts
    left join contracts on amounts.contract_id = contracts.contract_id
    left join balance_names on amounts.balance_id = balance_names.balance_id
    order by contracts.customer_id, amounts.contract_id, amounts.segment_rank
)

select * from final
