-- One row per balance ledger entry of a commit or credit segment (rules 5): SEGMENT_START (the
-- segment's amount), one DRAWDOWN per invoice it covered, and at its end either EXPIRATION of
-- an unspent prepaid or credit remainder or TRUEUP of an unspent postpaid remainder, with the
-- running balance after each entry, in the segment's credit type. Closed segments end at zero.
with

segments as (
    select * from {{ ref('int_balance_segments') }}
),

drawdowns as (
    select * from {{ ref('int_balance_segment_drawdowns') }}
),

trueups as (
    select * from {{ ref('int_postpaid_trueups') }}
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

covered_totals as (
    select
        segment_id,
        sum(covered_amount) as covered_amount
    from drawdowns
    group by segment_id
),

segment_starts as (
    select
        segment_id,
        'SEGMENT_START' as entry_type,
        1 as entry_order,
        starting_at as entry_at,
        cast(null as {{ dbt.type_string() }}) as invoice_id,
        amount
    from segments
),

segment_drawdowns as (
    select
        drawdowns.segment_id,
        'DRAWDOWN' as entry_type,
        2 as entry_order,
        -- recorded when the invoice's period (or the segment, if earlier) ends
        least(drawdowns.billing_period_end, segments.ending_before) as entry_at,
        drawdowns.invoice_id,
        -drawdowns.covered_amount as amount
    from drawdowns
    inner join segments on drawdowns.segment_id = segments.segment_id
),

expirations as (
    select
        segments.segment_id,
        'EXPIRATION' as entry_type,
        3 as entry_order,
        segments.ending_before as entry_at,
        cast(null as {{ dbt.type_string() }}) as invoice_id,
        -(segments.amount - coalesce(covered_totals.covered_amount, 0)) as amount
    from segments
    left join covered_totals on segments.segment_id = covered_totals.segment_id
    where segments.balance_type in ('PREPAID', 'CREDIT')
        and segments.ending_before <= {{ as_of_timestamp() }}
        and segments.amount - coalesce(covered_totals.covered_amount, 0) > 0
    union all
    -- a postpaid remainder that no invoice of the contract can carry expires instead
    select
        segment_id,
        'EXPIRATION' as entry_type,
        3 as entry_order,
        due_at as entry_at,
        cast(null as {{ dbt.type_string() }}) as invoice_id,
        -trueup_amount as amount
    from trueups
    where invoice_id is null
),

segment_trueups as (
    select
        segment_id,
        'TRUEUP' as entry_type,
        3 as entry_order,
        due_at as entry_at,
        invoice_id,
        -trueup_amount as amount
    from trueups
    where invoice_id is not null
),

entries as (
    select * from segment_starts
    union all
    select * from segment_drawdowns
    union all
    select * from expirations
    union all
    select * from segment_trueups
),

final as (
    select
        {{ hash_id(['entries.segment_id', 'entries.entry_type', 'entries.invoice_id']) }} as ledger_entry_id,
        entries.segment_id as balance_segment_id,
        segments.balance_id,
        segments.balance_type,
        segments.contract_id,
        contracts.customer_id,
        entries.entry_type,
        entries.entry_at,
        entries.invoice_id,
        -- every entry is in the segment's credit type (rules 5)
        segments.credit_type_id,
        cast(entries.amount as decimal(38, 12)) as amount,
        cast(sum(entries.amount) over (
            partition by entries.segment_id
            order by entries.entry_order, entries.entry_at, entries.invoice_id
            rows between unbounded preceding and current row
        ) as decimal(38, 12)) as running_balance,
        cast(row_number() over (
            partition by entries.segment_id
            order by entries.entry_order, entries.entry_at, entries.invoice_id
        ) as integer) as entry_sequence
    from entries
    inner join segments on entries.segment_id = segments.segment_id
    inner join contracts on segments.contract_id = contracts.contract_id
)

select * from final
