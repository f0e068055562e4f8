-- One row per invoice (rules 5): a USAGE invoice for every billing period of a contract that
-- has started by as_of, plus any later period already holding rated events, and a SCHEDULED
-- invoice per prepaid commit invoice-schedule item. Finalized invoices are history, kept as
-- recorded; draft invoices are replaced by every run.
-- A view in the build (the published rows it keeps beside this run's rows, exactly what the
-- build tests); a table in the warehouse readers open, where publishing deletes the rows this
-- run replaces and appends this run's rows (docs block `write_audit_publish`).
{{ config(materialized='view') }}
with

recorded as (
    select * from {{ ref('stg_recorded__invoices') }}
    where {{ recorded_rows_kept('fct_invoices', ref('int_run_settlement')) }}
),

this_run as (
    select * from {{ ref('int_invoices_this_run') }}
),

final as (
    {{ select_contract_columns('fct_invoices', 'recorded') }}
    union all
    {{ select_contract_columns('fct_invoices', 'this_run') }}
)

select * from final
