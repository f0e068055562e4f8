-- One row per line of customers.jsonl.
with

source_customers as (
    {{ jsonl_objects(source('billing', 'customers'), 'customers.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.id') }} as customer_id,
        {{ json_text('json', '$.name') }} as customer_name,
        {{ json_list('json', '$.ingest_aliases') }} as ingest_aliases,
        line_number
    from source_customers
)

select * from parsed
