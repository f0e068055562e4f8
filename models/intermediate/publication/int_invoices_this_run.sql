-- One row per invoice (rules 5): a USAGE invoice for every billing period of a contract that
-- has started by as_of, plus any later period already holding rated events, and a SCHEDULED
-- invoice per prepaid commit invoice-schedule item. The total is the sum of its line items'
-- fiat_amount, in the rate card's fiat type (0 for an invoice without lines).
-- This run's rows of fct_invoices: every draft invoice and the invoices it finalizes. Finalized
-- invoices are written once and then kept as recorded (rules 5: a finalized invoice never
-- changes, even when configuration does); publishing replaces the published draft invoices
-- with these rows (macros/publication.sql).
with

periods as (
    select * from {{ ref('int_contract_billing_periods') }}
),

scheduled as (
    select * from {{ ref('int_scheduled_invoices') }}
),

line_items as (
    select * from {{ ref('int_invoice_line_items_this_run') }}
),

rated_invoices as (
    select distinct invoice_id from {{ ref('int_rated_events') }}
),

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

rate_cards as (
    select * from {{ ref('stg_billing__rate_cards') }}
),

run as (
    select * from {{ ref('int_run_provenance') }}
),

line_totals as (
    select
        invoice_id,
        sum(fiat_amount) as total,
        count(*) as line_item_count
    from line_items
    group by invoice_id
),

usage_invoices as (
    select
        periods.invoice_id,
        'USAGE' as invoice_type,
        periods.contract_id,
        periods.billing_period_start,
        periods.billing_period_end,
        cast(null as {{ dbt.type_string() }}) as commit_id,
        cast(null as timestamp) as scheduled_at,
        case when periods.is_finalized then 'FINALIZED' else 'DRAFT' end as status,
        periods.finalized_at
    from periods
    left join rated_invoices on periods.invoice_id = rated_invoices.invoice_id
    where periods.billing_period_start <= {{ as_of_timestamp() }}
        or rated_invoices.invoice_id is not null
),

scheduled_invoices as (
    select
        invoice_id,
        'SCHEDULED' as invoice_type,
        contract_id,
        cast(null as timestamp) as billing_period_start,
        cast(null as timestamp) as billing_period_end,
        commit_id,
        scheduled_at,
        status,
        scheduled_at as finalized_at
    from scheduled
),

invoices as (
    select * from usage_invoices
    union all
    select * from scheduled_invoices
),

final as (
    select
        invoices.invoice_id,
        invoices.invoice_type,
        invoices.contract_id,
        contracts.customer_id,
        invoices.billing_period_start,
        invoices.billing_period_end,
        invoices.commit_id,
        invoices.scheduled_at,
        invoices.status,
        invoices.finalized_at,
        rate_cards.fiat_credit_type_id as credit_type_id,
        cast(coalesce(line_totals.total, 0) as decimal(38, 12)) as total,
        cast(coalesce(line_totals.line_item_count, 0) as integer) as line_item_count,
        -- the run that finalized it; none for a draft (building twice changes nothing)
        case when invoices.status = 'FINALIZED' then run.run_as_of end as run_as_of,
        case when invoices.status = 'FINALIZED' then run.run_invocation_id end as run_invocation_id,
        case when invoices.status = 'FINALIZED' then run.run_config_hash end as run_config_hash
    from invoices
    cross join run
    inner join contracts on invoices.contract_id = contracts.contract_id
    inner join rate_cards on contracts.rate_card_id = rate_cards.rate_card_id
    left join line_totals on invoices.invoice_id = line_totals.invoice_id
    order by contracts.customer_id, invoices.billing_period_start, invoices.scheduled_at
)

select * from final
-- whole invoices: those already recorded as finalized stay as they are
where final.status <> 'FINALIZED'
    or final.invoice_id not in (
        select recorded.invoice_id from {{ ref('stg_recorded__invoices') }} as recorded
        where recorded.status = 'FINALIZED'
    )
