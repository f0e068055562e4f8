-- Per (invoice, product, pricing group values, credit type), the rated events of the marts
-- (fct_rated_events_draft ∪ fct_rated_events_finalized) add up to the USAGE line item of
-- fct_invoice_line_items, in amount and quantity (USAGE and ROUNDING_ADJUSTMENT rows: a REPRICE
-- row re-prices units already counted), within 1e-6 (rules 5). Proves what a customer
-- sees on the invoice is exactly the sum of the rated events an auditor can trace. Returns the
-- groups that differ or exist on one side only.
with

rated_events as (
    select * from {{ ref('fct_rated_events_draft') }}
    union all
    select * from {{ ref('fct_rated_events_finalized') }}
),

usage_lines as (
    select * from {{ ref('fct_invoice_line_items') }}
    where line_type = 'USAGE'
),

rated_totals as (
    select
        invoice_id,
        product_id,
        -- JSON compared as its text: both sides are written by the same canonical serializer
        cast(pricing_group_values as {{ dbt.type_string() }}) as pricing_group_values,
        credit_type_id,
        sum(amount) as amount,
        sum(case when component in ('USAGE', 'ROUNDING_ADJUSTMENT') then quantity else 0 end) as quantity,
        count(*) as rated_event_count
    from rated_events
    group by invoice_id, product_id, cast(pricing_group_values as {{ dbt.type_string() }}), credit_type_id
),

line_totals as (
    select
        invoice_id,
        product_id,
        cast(pricing_group_values as {{ dbt.type_string() }}) as pricing_group_values,
        credit_type_id,
        sum(amount) as amount,
        sum(quantity) as quantity,
        count(*) as line_count
    from usage_lines
    group by invoice_id, product_id, cast(pricing_group_values as {{ dbt.type_string() }}), credit_type_id
)

select
    coalesce(line_totals.invoice_id, rated_totals.invoice_id) as invoice_id,
    coalesce(line_totals.product_id, rated_totals.product_id) as product_id,
    coalesce(line_totals.pricing_group_values, rated_totals.pricing_group_values) as pricing_group_values,
    coalesce(line_totals.credit_type_id, rated_totals.credit_type_id) as credit_type_id,
    line_totals.line_count,
    rated_totals.rated_event_count,
    line_totals.amount as line_amount,
    rated_totals.amount as rated_amount,
    line_totals.quantity as line_quantity,
    rated_totals.quantity as rated_quantity
from line_totals
full outer join rated_totals
    on line_totals.invoice_id = rated_totals.invoice_id
    and line_totals.product_id = rated_totals.product_id
    and line_totals.pricing_group_values = rated_totals.pricing_group_values
    and line_totals.credit_type_id = rated_totals.credit_type_id
where line_totals.invoice_id is null
    or rated_totals.invoice_id is null
    or line_totals.line_count <> 1
    or abs(line_totals.amount - rated_totals.amount) > 0.000001
    or abs(line_totals.quantity - rated_totals.quantity) > 0.000001
