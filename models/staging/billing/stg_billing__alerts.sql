-- One row per line of the optional alerts.jsonl: a spend, usage or low-balance alert a customer
-- asked for (docs block `alert_triggers`). Never read by billing. Without the file: no rows.
{%- set alerts_source = source('billing', 'alerts') %}
with

source_alerts as (
    {{ optional_jsonl_objects(alerts_source, 'alerts.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.id') }} as alert_id,
        {{ json_text('json', '$.name') }} as alert_name,
        {{ json_text('json', '$.customer_id') }} as customer_id,
        {{ json_text('json', '$.contract_id') }} as contract_id,
        upper({{ json_text('json', '$.alert_type') }}) as alert_type,
        {{ json_text('json', '$.product_id') }} as product_id,
        {{ json_text('json', '$.balance_id') }} as balance_id,
        {{ json_decimal('json', '$.threshold') }} as threshold,
        {{ json_text('json', '$.threshold') }} as threshold_text,
        {{ json_value('json', '$.property_filters') }} is not null as has_property_filters,
        {{ json_list('json', '$.property_filters') }} as property_filters,
        line_number
    from source_alerts
)

select * from parsed
