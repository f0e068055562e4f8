-- One row per invoice line item (rules 5): on usage invoices, USAGE lines per (product, pricing
-- group values, credit type) computed from period aggregates, one negative CREDIT or COMMIT
-- application line per (invoice, balance) equal to minus what its segments covered there, in
-- the balance's credit type (postpaid coverage has no line), and POSTPAID_TRUEUP lines; on
-- SCHEDULED invoices, one COMMIT_PURCHASE line per prepaid commit invoice-schedule item (rules
-- 4.10), in fiat. Every line's fiat_amount is R(amount x fiat_per_credit) of its credit type on
-- the contract's rate card (docs block `credit_types`).
-- This run's rows of fct_invoice_line_items: the lines of every draft invoice and of the
-- invoices it finalizes. Finalized line items are written once and then kept as recorded
-- (rules 5); publishing replaces the published draft lines with these rows.
with

periods as (
    select * from {{ ref('int_contract_billing_periods') }}
),

usage_lines as (
    select * from {{ ref('int_invoice_usage_lines') }}
),

drawdowns as (
    select * from {{ ref('int_balance_segment_drawdowns') }}
),

segments as (
    select * from {{ ref('int_balance_segments') }}
),

trueups as (
    select * from {{ ref('int_postpaid_trueups') }}
),

scheduled as (
    select * from {{ ref('int_scheduled_invoices') }}
),

card_credit_types as (
    select * from {{ ref('int_rate_card_credit_types') }}
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

run as (
    select * from {{ ref('int_run_provenance') }}
),

usage as (
    select
        usage_lines.invoice_id,
        'USAGE' as line_type,
        usage_lines.product_id,
        usage_lines.pricing_group_values,
        cast(null as {{ dbt.type_string() }}) as balance_id,
        usage_lines.quantity,
        usage_lines.amount,
        usage_lines.credit_type_id
    from usage_lines
),

applications as (
    select
        drawdowns.invoice_id,
        case segments.balance_type when 'CREDIT' then 'CREDIT' else 'COMMIT' end as line_type,
        min(segments.invoice_product_id) as product_id,
        cast(null as {{ dbt.type_string() }}) as pricing_group_values,
        drawdowns.balance_id,
        cast(null as decimal(38, 12)) as quantity,
        -sum(drawdowns.covered_amount) as amount,
        -- a balance is in one credit type: its segments'
        min(segments.credit_type_id) as credit_type_id
    from drawdowns
    inner join segments on drawdowns.segment_id = segments.segment_id
    where segments.balance_type in ('CREDIT', 'PREPAID')
    group by drawdowns.invoice_id, segments.balance_type, drawdowns.balance_id
),

postpaid_trueups as (
    select
        trueups.invoice_id,
        'POSTPAID_TRUEUP' as line_type,
        min(trueups.invoice_product_id) as product_id,
        cast(null as {{ dbt.type_string() }}) as pricing_group_values,
        trueups.balance_id,
        cast(null as decimal(38, 12)) as quantity,
        sum(trueups.trueup_amount) as amount,
        min(segments.credit_type_id) as credit_type_id
    from trueups
    inner join segments on trueups.segment_id = segments.segment_id
    where trueups.invoice_id is not null
    group by trueups.invoice_id, trueups.balance_id
),

commit_purchases as (
    select
        scheduled.invoice_id,
        'COMMIT_PURCHASE' as line_type,
        scheduled.product_id,
        cast(null as {{ dbt.type_string() }}) as pricing_group_values,
        scheduled.commit_id as balance_id,
        cast(null as decimal(38, 12)) as quantity,
        scheduled.amount,
        scheduled.credit_type_id
    from scheduled
),

usage_invoice_lines as (
    select * from usage
    union all
    select * from applications
    union all
    select * from postpaid_trueups
),

all_lines as (
    select
        usage_invoice_lines.*,
        'USAGE' as invoice_type,
        periods.contract_id,
        periods.billing_period_start,
        periods.billing_period_end,
        case when periods.is_finalized then 'FINALIZED' else 'DRAFT' end as status
    from usage_invoice_lines
    inner join periods on usage_invoice_lines.invoice_id = periods.invoice_id
    union all
    select
        commit_purchases.*,
        'SCHEDULED' as invoice_type,
        scheduled.contract_id,
        cast(null as timestamp) as billing_period_start,
        cast(null as timestamp) as billing_period_end,
        scheduled.status
    from commit_purchases
    inner join scheduled on commit_purchases.invoice_id = scheduled.invoice_id
),

final as (
    select
        case
            -- a USAGE line in a custom credit type names it; fiat lines keep the ids they always had
            when all_lines.line_type = 'USAGE' and not card_credit_types.is_fiat
                then {{ hash_id(['all_lines.invoice_id', 'all_lines.line_type', 'all_lines.product_id',
                    'all_lines.pricing_group_values', 'all_lines.balance_id', 'all_lines.credit_type_id']) }}
            else {{ hash_id(['all_lines.invoice_id', 'all_lines.line_type', 'all_lines.product_id',
                'all_lines.pricing_group_values', 'all_lines.balance_id']) }}
        end as invoice_line_item_id,
        all_lines.invoice_id,
        all_lines.invoice_type,
        all_lines.contract_id,
        contracts.customer_id,
        all_lines.billing_period_start,
        all_lines.billing_period_end,
        all_lines.line_type,
        all_lines.product_id,
        cast(all_lines.pricing_group_values as {{ json_type_name() }}) as pricing_group_values,
        all_lines.balance_id,
        cast(all_lines.quantity as decimal(38, 12)) as quantity,
        cast(all_lines.amount as decimal(38, 12)) as amount,
        all_lines.credit_type_id,
        cast(
            case
                when card_credit_types.fiat_per_credit = 1 then all_lines.amount
                else {{ decimal_multiply('all_lines.amount', 'card_credit_types.fiat_per_credit') }}
            end as decimal(38, 12)
        ) as fiat_amount,
        all_lines.status,
        -- the run that finalized it; none for a draft (building twice changes nothing)
        case when all_lines.status = 'FINALIZED' then run.run_as_of end as run_as_of,
        case when all_lines.status = 'FINALIZED' then run.run_invocation_id end as run_invocation_id,
        case when all_lines.status = 'FINALIZED' then run.run_config_hash end as run_config_hash
    from all_lines
    cross join run
    inner join contracts on all_lines.contract_id = contracts.contract_id
    -- every credit type a line can be in converts on the contract's rate card (the build fails
    -- otherwise: assert_credit_types_are_convertible)
    left join card_credit_types
        on contracts.rate_card_id = card_credit_types.rate_card_id
        and all_lines.credit_type_id = card_credit_types.credit_type_id
    order by contracts.customer_id, all_lines.invoice_id, all_lines.line_type, all_lines.product_id
)

select * from final
-- whole invoices: those already recorded as finalized stay as they are
where final.status <> 'FINALIZED'
    or final.invoice_id not in (
        select recorded.invoice_id from {{ ref('stg_recorded__invoices') }} as recorded
        where recorded.status = 'FINALIZED'
    )
