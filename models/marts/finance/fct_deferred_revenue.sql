-- One row per prepaid commit, as of as_of (see the docs block revenue_recognition): what its
-- finalized SCHEDULED invoices billed, what has been recognized (consumption drawn down by rated
-- events, breakage of expired segments), and the difference: deferred revenue when positive
-- (billed, not yet earned), unbilled revenue when negative (earned before its invoice).
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

contracts as (
    select * from {{ ref('dim_contracts') }}
),

prepaid_commits as (
    select
        balance_id as commit_id,
        min(balance_name) as commit_name,
        min(contract_id) as contract_id,
        min(invoice_product_id) as product_id,
        sum(amount) as access_amount
    from balances
    where balance_type = 'PREPAID'
    group by balance_id
),

billed as (
    select
        balance_id as commit_id,
        sum(amount) as billed_amount
    from line_items
    where line_type = 'COMMIT_PURCHASE'
        and status = 'FINALIZED'
    group by balance_id
),

recognized as (
    select
        balance_id as commit_id,
        sum(case when entry_type = 'DRAWDOWN' then -amount else 0 end) as consumption_recognized,
        sum(case when entry_type = 'EXPIRATION' then -amount else 0 end) as breakage_recognized
    from ledger
    where balance_type = 'PREPAID'
    group by balance_id
),

final as (
    select
        prepaid_commits.commit_id,
        prepaid_commits.commit_name,
        prepaid_commits.contract_id,
        contracts.customer_id,
        prepaid_commits.product_id,
        contracts.credit_type_id,
        cast(prepaid_commits.access_amount as {{ money_type() }}) as access_amount,
        cast(coalesce(billed.billed_amount, 0) as {{ money_type() }}) as billed_amount,
        cast(coalesce(recognized.consumption_recognized, 0) as {{ money_type() }}) as consumption_recognized,
        cast(coalesce(recognized.breakage_recognized, 0) as {{ money_type() }}) as breakage_recognized,
        cast(
            coalesce(billed.billed_amount, 0)
            - coalesce(recognized.consumption_recognized, 0)
            - coalesce(recognized.breakage_recognized, 0)
            as {{ money_type() }}
        ) as deferred_revenue,
        {{ as_of_timestamp() }} as as_of
    from prepaid_commits
    inner join contracts on prepaid_commits.contract_id = contracts.contract_id
    left join billed on prepaid_commits.commit_id = billed.commit_id
    left join recognized on prepaid_commits.commit_id = recognized.commit_id
    order by contracts.customer_id, prepaid_commits.commit_id
)

select * from final
