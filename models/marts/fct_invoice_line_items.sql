-- One row per invoice line item (rules 5): USAGE, CREDIT, COMMIT and POSTPAID_TRUEUP lines on
-- usage invoices, COMMIT_PURCHASE lines on SCHEDULED invoices. Lines of finalized invoices are
-- history, kept as recorded; draft lines are replaced by every run.
-- A view in the build (the published rows it keeps beside this run's rows, exactly what the
-- build tests); a table in the warehouse readers open, where publishing deletes the rows this
-- run replaces and appends this run's rows (docs block `write_audit_publish`).
{{ config(materialized='view') }}
with

recorded as (
    select * from {{ ref('stg_recorded__invoice_line_items') }}
    where {{ recorded_rows_kept('fct_invoice_line_items', ref('int_run_settlement')) }}
),

this_run as (
    select * from {{ ref('int_invoice_line_items_this_run') }}
),

final as (
    {{ select_contract_columns('fct_invoice_line_items', 'recorded') }}
    union all
    {{ select_contract_columns('fct_invoice_line_items', 'this_run') }}
)

select * from final
