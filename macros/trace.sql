{#- One usage event from raw record to invoice, as one result set (SOX audits):
        dbt show --inline "{{ trace_transaction('k7-e2') }}" --limit 100
    One row per item, in order: the raw event(s) with that transaction_id, each copy's outcome,
    every rated event, the invoice line items they roll into, and the invoices. scripts/trace.py
    prints the same as tables. The id is quoted as a string literal, never run as SQL. -#}
{% macro trace_transaction(transaction_id) %}
{%- set id_literal = "'" ~ (transaction_id | string | replace("'", "''")) ~ "'" -%}
with

rated as (
    select * from {{ ref('fct_rated_events_finalized') }}
    where transaction_id = {{ id_literal }}
    union all
    select * from {{ ref('fct_rated_events_draft') }}
    where transaction_id = {{ id_literal }}
),

raw_events as (
    select
        1 as step,
        'raw event' as section,
        source_file || ':' || cast(source_row as varchar) as reference,
        'customer ' || coalesce(customer_ref, '-') || ', type ' || coalesce(event_type, '-')
        || ', timestamp ' || coalesce(timestamp_text, '-') || ', received '
        || cast(received_at as varchar) || ', properties ' || coalesce(properties_text, '-')
            as detail
    from {{ ref('stg_usage__events') }}
    where transaction_id = {{ id_literal }}
),

outcomes as (
    select
        2 as step,
        'outcome' as section,
        outcomes.event_id as reference,
        outcomes.outcome || case outcomes.outcome
            when 'DUPLICATE' then ' of ' || outcomes.duplicate_of_event_id
            when 'ERRORED' then ': ' || outcomes.error_code || ' - ' || coalesce(outcomes.error_detail, '')
            else ' (customer ' || coalesce(outcomes.customer_id, '-') || ')'
        end as detail
    from {{ ref('fct_event_outcomes') }} as outcomes
    where outcomes.transaction_id = {{ id_literal }}
),

rated_rows as (
    select
        3 as step,
        'rated event' as section,
        rated_event_id as reference,
        status || ' ' || product_id || ' ' || component
        || coalesce(' tier ' || cast(tier_index as varchar), '')
        || ': ' || cast(quantity as varchar) || ' x ' || cast(unit_price as varchar)
        || ' = ' || cast(amount as varchar) || ' ' || coverage
        || coalesce(' (' || balance_segment_id || ')', '') || ' on invoice ' || invoice_id as detail
    from rated
),

line_items as (
    select distinct
        4 as step,
        'invoice line item' as section,
        lines.invoice_line_item_id as reference,
        lines.line_type || ' ' || coalesce(lines.product_id, '-')
        || coalesce(' balance ' || lines.balance_id, '')
        || coalesce(' quantity ' || cast(lines.quantity as varchar), '')
        || ' amount ' || cast(lines.amount as varchar) || ' on invoice ' || lines.invoice_id as detail
    from {{ ref('fct_invoice_line_items') }} as lines
    inner join rated
        on lines.invoice_id = rated.invoice_id
        and (
            (
                lines.line_type = 'USAGE' and lines.product_id = rated.product_id
                and cast(lines.pricing_group_values as varchar)
                is not distinct from cast(rated.pricing_group_values as varchar)
            )
            or (
                lines.line_type in ('CREDIT', 'COMMIT') and lines.balance_id = rated.balance_id
                and rated.coverage in ('CREDIT', 'PREPAID_COMMIT')
            )
        )
),

invoices as (
    select
        5 as step,
        'invoice' as section,
        invoices.invoice_id as reference,
        invoices.status || coalesce(' finalized_at ' || cast(invoices.finalized_at as varchar), '')
        || ', period ' || cast(invoices.billing_period_start as varchar) || ' to '
        || cast(invoices.billing_period_end as varchar) || ', total '
        || cast(invoices.total as varchar) as detail
    from {{ ref('fct_invoices') }} as invoices
    where invoices.invoice_id in (select rated.invoice_id from rated)
),

trace as (
    select * from raw_events
    union all
    select * from outcomes
    union all
    select * from rated_rows
    union all
    select * from line_items
    union all
    select * from invoices
)

select * from trace
order by step, reference
{% endmacro %}
