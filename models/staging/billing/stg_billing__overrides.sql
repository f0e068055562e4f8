-- One row per line of overrides.jsonl.
with

source_overrides as (
    {{ jsonl_objects(source('billing', 'overrides'), 'overrides.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.id') }} as override_id,
        {{ json_text('json', '$.contract_id') }} as contract_id,
        {{ json_timestamp('json', '$.starting_at') }} as starting_at,
        {{ json_timestamp('json', '$.ending_before') }} as ending_before,
        {{ json_value('json', '$.ending_before') }} is not null as has_ending_before,
        upper({{ json_text('json', '$.type') }}) as override_type,
        {{ json_decimal('json', '$.multiplier') }} as multiplier,
        upper({{ json_text('json', '$.overwrite_rate.rate_type') }}) as overwrite_rate_type,
        {{ json_decimal('json', '$.overwrite_rate.price') }} as overwrite_price,
        {{ json_list('json', '$.overwrite_rate.tiers') }} as overwrite_tiers,
        {{ try_cast(json_text('json', '$.priority'), 'decimal(38, 12)') }} as priority,
        {{ json_text('json', '$.priority') }} as priority_text,
        {{ json_list('json', '$.override_specifiers') }} as override_specifiers,
        line_number
    from source_overrides
)

select * from parsed
