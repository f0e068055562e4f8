-- One row per (customer, ingest alias) listed in customers.jsonl.
with

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

aliases as (
    select
        customer_id,
        {{ unnest('ingest_aliases') }} as alias_json
    from customers
),

final as (
    select
        customer_id,
        {{ json_value_text('alias_json') }} as ingest_alias
    from aliases
)

select * from final
