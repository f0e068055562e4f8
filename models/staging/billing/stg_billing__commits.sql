-- One row per line of commits.jsonl.
with

source_commits as (
    {{ jsonl_objects(source('billing', 'commits'), 'commits.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.id') }} as commit_id,
        {{ json_text('json', '$.contract_id') }} as contract_id,
        upper({{ json_text('json', '$.type') }}) as commit_type,
        {{ json_text('json', '$.name') }} as commit_name,
        {{ json_text('json', '$.product_id') }} as product_id,
        -- the unit of its access-schedule amounts; null = its contract's rate card's fiat type
        {{ json_text('json', '$.credit_type_id') }} as credit_type_id,
        {{ json_list('json', '$.access_schedule.schedule_items') }} as access_schedule_items,
        {{ json_list('json', '$.invoice_schedule.schedule_items') }} as invoice_schedule_items,
        {{ json_value('json', '$.applicable_product_ids') }} is not null as has_applicable_product_ids,
        {{ list_transform(json_list('json', '$.applicable_product_ids'), 'v -> ' ~ json_value_text('v')) }}
            as applicable_product_ids,
        {{ json_value('json', '$.applicable_product_tags') }} is not null as has_applicable_product_tags,
        {{ list_transform(json_list('json', '$.applicable_product_tags'), 'v -> ' ~ json_value_text('v')) }}
            as applicable_product_tags,
        {{ try_cast(json_text('json', '$.priority'), 'decimal(38, 12)') }} as priority,
        {{ json_text('json', '$.priority') }} as priority_text,
        line_number
    from source_commits
)

select * from parsed
