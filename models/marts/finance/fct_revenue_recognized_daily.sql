-- One row per (contract, product, calendar day (UTC), fiat credit type) with revenue recognized
-- that day (see the docs block revenue_recognition), in fiat: usage billed as overage or drawn
-- from a postpaid commit when consumed; prepaid commit consumption when drawn down; the unspent
-- rest of a prepaid commit segment as breakage when it expires; a postpaid true-up when due.
-- Credits are free: usage they cover recognizes nothing (shown apart, for reconciliation).
-- Usage counts at its rated fiat_amount; a balance in a custom credit type converts its
-- expired remainder or true-up through its contract's rate card.
with

rated_events as (
    select * from {{ ref('fct_rated_events_finalized') }}
    union all
    select * from {{ ref('fct_rated_events_draft') }}
),

ledger as (
    select * from {{ ref('fct_balance_ledger') }}
),

balances as (
    select * from {{ ref('dim_balances') }}
),

contracts as (
    select * from {{ ref('dim_contracts') }}
),

rate_card_credit_types as (
    select * from {{ ref('int_rate_card_credit_types') }}
),

rated_fiat_amounts as (
    -- rows published before fiat amounts existed were all fiat: their amount is their fiat amount
    select
        contract_id,
        product_id,
        event_timestamp,
        coverage,
        coalesce(fiat_credit_type_id, credit_type_id) as fiat_credit_type_id,
        coalesce(fiat_amount, amount) as fiat_amount
    from rated_events
),

usage_by_day as (
    select
        contract_id,
        product_id,
        cast({{ dbt.date_trunc('day', 'event_timestamp') }} as date) as recognized_on,
        fiat_credit_type_id as credit_type_id,
        sum(case when coverage = 'OVERAGE' then fiat_amount else 0 end) as overage_revenue,
        sum(case when coverage = 'POSTPAID_COMMIT' then fiat_amount else 0 end) as postpaid_commit_usage_revenue,
        sum(case when coverage = 'PREPAID_COMMIT' then fiat_amount else 0 end) as prepaid_commit_consumption_revenue,
        cast(0 as {{ money_type() }}) as prepaid_breakage_revenue,
        cast(0 as {{ money_type() }}) as postpaid_trueup_revenue,
        sum(case when coverage = 'CREDIT' then fiat_amount else 0 end) as credit_covered_usage
    from rated_fiat_amounts
    group by contract_id, product_id, {{ dbt.date_trunc('day', 'event_timestamp') }}, fiat_credit_type_id
),

balance_endings as (
    -- a prepaid segment's expired remainder is breakage; a postpaid true-up is revenue when
    -- due (only a true-up an invoice carries: an expired postpaid remainder is never billed)
    select
        ledger.contract_id,
        balances.invoice_product_id as product_id,
        ledger.entry_at,
        ledger.entry_type,
        contracts.credit_type_id as fiat_credit_type_id,
        -ledger.amount as ended_amount,
        rate_card_credit_types.fiat_per_credit
    from ledger
    inner join balances on ledger.balance_segment_id = balances.balance_segment_id
    inner join contracts on ledger.contract_id = contracts.contract_id
    left join rate_card_credit_types
        on contracts.rate_card_id = rate_card_credit_types.rate_card_id
        and ledger.credit_type_id = rate_card_credit_types.credit_type_id
    where (ledger.entry_type = 'EXPIRATION' and ledger.balance_type = 'PREPAID')
        or ledger.entry_type = 'TRUEUP'
),

balance_endings_in_fiat as (
    -- R(amount x fiat per credit), as a rated row's fiat_amount; a fiat balance (factor 1, or
    -- a card missing from rate_cards.jsonl, which has only its fiat type) keeps its amount
    select
        contract_id,
        product_id,
        entry_at,
        entry_type,
        fiat_credit_type_id,
        case
            when fiat_per_credit is null or fiat_per_credit = 1 then ended_amount
            else {{ decimal_multiply('ended_amount', 'fiat_per_credit') }}
        end as ended_fiat_amount
    from balance_endings
),

balance_endings_by_day as (
    select
        contract_id,
        product_id,
        cast({{ dbt.date_trunc('day', 'entry_at') }} as date) as recognized_on,
        fiat_credit_type_id as credit_type_id,
        cast(0 as {{ money_type() }}) as overage_revenue,
        cast(0 as {{ money_type() }}) as postpaid_commit_usage_revenue,
        cast(0 as {{ money_type() }}) as prepaid_commit_consumption_revenue,
        sum(case when entry_type = 'EXPIRATION' then ended_fiat_amount else 0 end) as prepaid_breakage_revenue,
        sum(case when entry_type = 'TRUEUP' then ended_fiat_amount else 0 end) as postpaid_trueup_revenue,
        cast(0 as {{ money_type() }}) as credit_covered_usage
    from balance_endings_in_fiat
    group by contract_id, product_id, {{ dbt.date_trunc('day', 'entry_at') }}, fiat_credit_type_id
),

daily as (
    select * from usage_by_day
    union all
    select * from balance_endings_by_day
),

final as (
    select
        daily.contract_id,
        contracts.customer_id,
        daily.product_id,
        daily.recognized_on,
        daily.credit_type_id,
        cast(sum(daily.overage_revenue) as {{ money_type() }}) as overage_revenue,
        cast(sum(daily.postpaid_commit_usage_revenue) as {{ money_type() }}) as postpaid_commit_usage_revenue,
        cast(sum(daily.prepaid_commit_consumption_revenue) as {{ money_type() }}) as prepaid_commit_consumption_revenue,
        cast(sum(daily.prepaid_breakage_revenue) as {{ money_type() }}) as prepaid_breakage_revenue,
        cast(sum(daily.postpaid_trueup_revenue) as {{ money_type() }}) as postpaid_trueup_revenue,
        cast(
            sum(
                daily.overage_revenue + daily.postpaid_commit_usage_revenue
                + daily.prepaid_commit_consumption_revenue + daily.prepaid_breakage_revenue
                + daily.postpaid_trueup_revenue
            ) as {{ money_type() }}
        ) as recognized_revenue,
        cast(sum(daily.credit_covered_usage) as {{ money_type() }}) as credit_covered_usage
    from daily
    inner join contracts on daily.contract_id = contracts.contract_id
    group by daily.contract_id, contracts.customer_id, daily.product_id, daily.recognized_on, daily.credit_type_id
    order by contracts.customer_id, daily.recognized_on, daily.contract_id, daily.product_id
)

select * from final
