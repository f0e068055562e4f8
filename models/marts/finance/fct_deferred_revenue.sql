-- One row per prepaid commit, as of as_of (see the docs block revenue_recognition): what its
-- finalized SCHEDULED invoices billed, what has been recognized (consumption drawn down by rated
-- events, breakage of expired segments), and the difference: deferred revenue when positive
-- (billed, not yet earned), unbilled revenue when negative (earned before its invoice).
-- Money is in the contract's fiat type: the purchase is billed in fiat, consumption counts at
-- the covered rated rows' fiat_amount and breakage converts through the rate card, exactly as
-- fct_revenue_recognized_daily recognizes them. A commit in a custom credit type also shows
-- what it holds, covered and lost in that type.
with

balances as (
    select * from {{ ref('dim_balances') }}
),

ledger as (
    select * from {{ ref('fct_balance_ledger') }}
),

line_items as (
    select * from {{ ref('fct_invoice_line_items') }}
),

rated_events as (
    select * from {{ ref('fct_rated_events_finalized') }}
    union all
    select * from {{ ref('fct_rated_events_draft') }}
),

contracts as (
    select * from {{ ref('dim_contracts') }}
),

rate_card_credit_types as (
    select * from {{ ref('int_rate_card_credit_types') }}
),

prepaid_commits as (
    select
        balance_id as commit_id,
        min(balance_name) as commit_name,
        min(contract_id) as contract_id,
        min(invoice_product_id) as product_id,
        min(credit_type_id) as commit_credit_type_id,
        sum(amount) as access_amount
    from balances
    where balance_type = 'PREPAID'
    group by balance_id
),

billed as (
    -- COMMIT_PURCHASE lines are in fiat whatever the commit's credit type
    select
        balance_id as commit_id,
        sum(coalesce(fiat_amount, amount)) as billed_amount
    from line_items
    where line_type = 'COMMIT_PURCHASE'
        and status = 'FINALIZED'
    group by balance_id
),

consumed as (
    -- in fiat: what the covered rated rows are worth (rows published before fiat amounts
    -- existed were all fiat)
    select
        balance_id as commit_id,
        sum(coalesce(fiat_amount, amount)) as consumption_recognized
    from rated_events
    where coverage = 'PREPAID_COMMIT'
    group by balance_id
),

ledger_totals as (
    -- in the commit's credit type
    select
        balance_id as commit_id,
        sum(case when entry_type = 'DRAWDOWN' then -amount else 0 end) as consumed_amount,
        sum(case when entry_type = 'EXPIRATION' then -amount else 0 end) as expired_amount
    from ledger
    where balance_type = 'PREPAID'
    group by balance_id
),

expirations_in_fiat as (
    -- each expired remainder R(amount x fiat per credit), as fct_revenue_recognized_daily
    select
        ledger.balance_id as commit_id,
        case
            when rate_card_credit_types.fiat_per_credit is null or rate_card_credit_types.fiat_per_credit = 1
                then -ledger.amount
            else {{ decimal_multiply('-ledger.amount', 'rate_card_credit_types.fiat_per_credit') }}
        end as expired_fiat_amount
    from ledger
    inner join contracts on ledger.contract_id = contracts.contract_id
    left join rate_card_credit_types
        on contracts.rate_card_id = rate_card_credit_types.rate_card_id
        and ledger.credit_type_id = rate_card_credit_types.credit_type_id
    where ledger.balance_type = 'PREPAID'
        and ledger.entry_type = 'EXPIRATION'
),

breakage as (
    select
        commit_id,
        sum(expired_fiat_amount) as breakage_recognized
    from expirations_in_fiat
    group by commit_id
),

final as (
    select
        prepaid_commits.commit_id,
        prepaid_commits.commit_name,
        prepaid_commits.contract_id,
        contracts.customer_id,
        prepaid_commits.product_id,
        contracts.credit_type_id,
        cast(coalesce(billed.billed_amount, 0) as {{ money_type() }}) as billed_amount,
        cast(coalesce(consumed.consumption_recognized, 0) as {{ money_type() }}) as consumption_recognized,
        cast(coalesce(breakage.breakage_recognized, 0) as {{ money_type() }}) as breakage_recognized,
        cast(
            coalesce(billed.billed_amount, 0)
            - coalesce(consumed.consumption_recognized, 0)
            - coalesce(breakage.breakage_recognized, 0)
            as {{ money_type() }}
        ) as deferred_revenue,
        prepaid_commits.commit_credit_type_id,
        cast(prepaid_commits.access_amount as {{ money_type() }}) as access_amount,
        cast(coalesce(ledger_totals.consumed_amount, 0) as {{ money_type() }}) as consumed_amount,
        cast(coalesce(ledger_totals.expired_amount, 0) as {{ money_type() }}) as expired_amount,
        {{ as_of_timestamp() }} as as_of
    from prepaid_commits
    inner join contracts on prepaid_commits.contract_id = contracts.contract_id
    left join billed on prepaid_commits.commit_id = billed.commit_id
    left join consumed on prepaid_commits.commit_id = consumed.commit_id
    left join ledger_totals on prepaid_commits.commit_id = ledger_totals.commit_id
    left join breakage on prepaid_commits.commit_id = breakage.commit_id
    order by contracts.customer_id, prepaid_commits.commit_id
)

select * from final
