-- Every invoice's total is the sum of its line items' fiat_amount (in the rate card's fiat type,
-- whatever credit type each line is in) and line_item_count their number (an invoice without
-- lines totals 0), and every line item belongs to an invoice (rules 5). Proves the invoice
-- header never drifts from its lines. Tolerance 1e-6 credit units. Returns the
-- invoices that disagree and the line items' invoices that do not exist.
with

invoices as (
    select * from {{ ref('fct_invoices') }}
),

line_items as (
    select * from {{ ref('fct_invoice_line_items') }}
),

line_totals as (
    select
        invoice_id,
        -- lines published before fiat_amount existed are all fiat: their amount is their fiat amount
        sum(coalesce(fiat_amount, amount)) as line_total,
        count(*) as line_count
    from line_items
    group by invoice_id
)

select
    coalesce(invoices.invoice_id, line_totals.invoice_id) as invoice_id,
    invoices.total,
    invoices.line_item_count,
    line_totals.line_total,
    line_totals.line_count
from invoices
full outer join line_totals on invoices.invoice_id = line_totals.invoice_id
where invoices.invoice_id is null
    or invoices.total is null
    or abs(invoices.total - coalesce(line_totals.line_total, 0)) > 0.000001
    or invoices.line_item_count is distinct from coalesce(line_totals.line_count, 0)
