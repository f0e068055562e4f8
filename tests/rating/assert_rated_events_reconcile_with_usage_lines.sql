-- Per (invoice, product, pricing group values, credit type), the rated events add up to the
-- USAGE line computed independently from the period aggregate (rules 5): quantity (after
-- rounding; USAGE and ROUNDING_ADJUSTMENT rows only, as a REPRICE row's units are already
-- counted) and amount, within 1e-6 credit units. Proves that per-event deltas, rounding
-- adjustments, tier splits and VOLUME re-prices telescope to the period total priced through
-- the tiers, in every credit type.
with

rated_totals as (
    select
        invoice_id,
        product_id,
        pricing_group_values,
        credit_type_id,
        sum(case when component in ('USAGE', 'ROUNDING_ADJUSTMENT') then quantity else 0 end) as quantity,
        sum(amount) as amount
    from {{ ref('int_rated_events_priced') }}
    group by invoice_id, product_id, pricing_group_values, credit_type_id
),

lines as (
    select * from {{ ref('int_invoice_usage_lines') }}
)

select
    coalesce(lines.invoice_id, rated_totals.invoice_id) as invoice_id,
    coalesce(lines.product_id, rated_totals.product_id) as product_id,
    coalesce(lines.pricing_group_values, rated_totals.pricing_group_values) as pricing_group_values,
    coalesce(lines.credit_type_id, rated_totals.credit_type_id) as credit_type_id,
    lines.quantity as line_quantity,
    rated_totals.quantity as rated_quantity,
    lines.amount as line_amount,
    rated_totals.amount as rated_amount
from lines
full outer join rated_totals
    on lines.invoice_id = rated_totals.invoice_id
    and lines.product_id = rated_totals.product_id
    and lines.pricing_group_values = rated_totals.pricing_group_values
    and lines.credit_type_id = rated_totals.credit_type_id
where lines.invoice_id is null
    or rated_totals.invoice_id is null
    or abs(lines.quantity - rated_totals.quantity) > 0.000001
    or abs(lines.amount - rated_totals.amount) > 0.000001
