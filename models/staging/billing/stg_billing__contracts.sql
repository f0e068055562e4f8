-- One row per line of contracts.jsonl.
with

source_contracts as (
    {{ jsonl_objects(source('billing', 'contracts'), 'contracts.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.id') }} as contract_id,
        {{ json_text('json', '$.customer_id') }} as customer_id,
        {{ json_text('json', '$.rate_card_id') }} as rate_card_id,
        {{ json_timestamp('json', '$.starting_at') }} as starting_at,
        {{ json_timestamp('json', '$.ending_before') }} as ending_before,
        {{ json_value('json', '$.ending_before') }} is not null as has_ending_before,
        upper({{ json_text('json', '$.usage_statement_schedule.frequency') }}) as schedule_frequency,
        upper(coalesce({{ json_text('json', '$.usage_statement_schedule.day') }}, 'FIRST_OF_MONTH')) as schedule_day,
        {{ json_timestamp('json', '$.usage_statement_schedule.billing_anchor_date') }} as billing_anchor_at,
        {{ json_text('json', '$.usage_statement_schedule.billing_anchor_date') }} as billing_anchor_text,
        upper(coalesce({{ json_text('json', '$.multiplier_override_prioritization') }}, 'LOWEST_MULTIPLIER'))
            as multiplier_override_prioritization,
        line_number
    from source_contracts
)

select * from parsed
