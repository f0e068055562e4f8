{#- One usage event from raw record to invoice, as one result set (SOX audits):
        dbt show --inline "{{ trace_transaction('k7-e2') }}" --limit 100
    One row per item, in order: the raw event(s) with that transaction_id, each copy's outcome,
    every rated event, the invoice line items they roll into, and the invoices. scripts/trace.py
    compiles this macro and prints its rows as tables. The id is quoted as a string literal,
    never run as SQL. Decimals read as plain text without trailing zeros, timestamps as RFC 3339
    UTC (trace_decimal_text, trace_timestamp_text). Every amount names its credit type, and a
    rated row's or line item's amount is followed by its fiat amount (rules 4.8), so a row
    priced in a custom pricing unit reads as both. -#}
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
        || {{ trace_timestamp_text('received_at') }} || ', properties ' || coalesce(properties_text, '-')
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
                || coalesce(' (' || original.source_file || ' row ' || cast(original.source_row as varchar) || ')', '')
            when 'ERRORED' then ': ' || outcomes.error_code || ' - ' || coalesce(outcomes.error_detail, '')
            else ' (customer ' || coalesce(outcomes.customer_id, '-') || ')'
        end as detail
    from {{ ref('fct_event_outcomes') }} as outcomes
    left join {{ ref('fct_event_outcomes') }} as original
        on outcomes.duplicate_of_event_id = original.event_id
    where outcomes.transaction_id = {{ id_literal }}
),

rated_rows as (
    select
        3 as step,
        'rated event' as section,
        rated_event_id as reference,
        status || ' ' || product_id || ' ' || component
        || coalesce(' tier ' || cast(tier_index as varchar), '')
        || ': ' || {{ trace_decimal_text('quantity') }} || ' x ' || {{ trace_decimal_text('unit_price') }}
        || ' = ' || {{ trace_decimal_text('amount') }} || ' ' || credit_type_id
        || ' (fiat ' || coalesce({{ trace_decimal_text('fiat_amount') }} || ' ' || fiat_credit_type_id, 'not recorded') || ')'
        || ', ' || coverage
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
        || coalesce(' quantity ' || {{ trace_decimal_text('lines.quantity') }}, '')
        || ' amount ' || {{ trace_decimal_text('lines.amount') }} || ' ' || coalesce(lines.credit_type_id, invoices.credit_type_id)
        || ' (fiat ' || {{ trace_decimal_text('coalesce(lines.fiat_amount, lines.amount)') }} || ' ' || invoices.credit_type_id || ')'
        || ' on invoice ' || lines.invoice_id as detail
    from {{ ref('fct_invoice_line_items') }} as lines
    inner join {{ ref('fct_invoices') }} as invoices on lines.invoice_id = invoices.invoice_id
    inner join rated
        on lines.invoice_id = rated.invoice_id
        and (
            (
                -- the USAGE line of the rated row's credit type (lines recorded before credit
                -- types existed were all in the rated rows' fiat type)
                lines.line_type = 'USAGE' and lines.product_id = rated.product_id
                and coalesce(lines.credit_type_id, rated.credit_type_id) = rated.credit_type_id
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
        invoices.status || coalesce(' finalized_at ' || {{ trace_timestamp_text('invoices.finalized_at') }}, '')
        || ', period ' || {{ trace_timestamp_text('invoices.billing_period_start') }} || ' to '
        || {{ trace_timestamp_text('invoices.billing_period_end') }} || ', total '
        || {{ trace_decimal_text('invoices.total') }} || ' ' || invoices.credit_type_id as detail
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


{#- A decimal as plain text without trailing zeros ('700.000000000000' -> '700', '0.5'); one body
    for DuckDB and Spark (regexp_replace reads alike in both). -#}
{% macro trace_decimal_text(value) %}
    {%- set text = 'cast(' ~ value ~ ' as ' ~ api.Column.translate_type('string') ~ ')' -%}
    case when {{ text }} like '%.%' then regexp_replace(regexp_replace({{ text }}, '0+$', ''), '[.]$', '') else {{ text }} end
{%- endmacro %}


{#- A timestamp (UTC) as RFC 3339 text: '2026-06-01T00:00:00Z', a fraction only when there is one. -#}
{% macro trace_timestamp_text(value) %}
    {{- return(adapter.dispatch('trace_timestamp_text', 'rated_events')(value)) -}}
{% endmacro %}

{% macro default__trace_timestamp_text(value) -%}
    regexp_replace(strftime({{ value }}, '%Y-%m-%dT%H:%M:%S.%f'), '[.]?0+$', '') || 'Z'
{%- endmacro %}

{% macro spark__trace_timestamp_text(value) -%}
    regexp_replace(date_format({{ value }}, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"), '[.]?0+$', '') || 'Z'
{%- endmacro %}
