-- Per (invoice, balance), what CREDIT and PREPAID_COMMIT rated events of the marts had covered
-- equals minus the CREDIT or COMMIT application line of fct_invoice_line_items, within 1e-6
-- (rules 4.10 and 5). Proves every covered cent reduces the invoice exactly once and no
-- application line lacks the rated events behind it. Postpaid coverage has no line, so it is
-- left out on both sides. Returns the pairs that differ or exist on one side only.
with

rated_events as (
    select * from {{ ref('fct_rated_events_draft') }}
    union all
    select * from {{ ref('fct_rated_events_finalized') }}
),

application_lines as (
    select * from {{ ref('fct_invoice_line_items') }}
    where line_type in ('CREDIT', 'COMMIT')
),

covered_totals as (
    select
        invoice_id,
        balance_id,
        sum(amount) as covered_amount,
        count(*) as rated_event_count
    from rated_events
    where coverage in ('CREDIT', 'PREPAID_COMMIT')
    group by invoice_id, balance_id
),

line_totals as (
    select
        invoice_id,
        balance_id,
        sum(amount) as line_amount,
        count(*) as line_count
    from application_lines
    group by invoice_id, balance_id
)

select
    coalesce(line_totals.invoice_id, covered_totals.invoice_id) as invoice_id,
    coalesce(line_totals.balance_id, covered_totals.balance_id) as balance_id,
    line_totals.line_count,
    covered_totals.rated_event_count,
    line_totals.line_amount,
    covered_totals.covered_amount
from line_totals
full outer join covered_totals
    on line_totals.invoice_id = covered_totals.invoice_id
    and line_totals.balance_id = covered_totals.balance_id
where line_totals.invoice_id is null
    or covered_totals.invoice_id is null
    or line_totals.line_count <> 1
    or abs(line_totals.line_amount + covered_totals.covered_amount) > 0.000001
