-- One row per line of rate_cards.jsonl.
with

source_rate_cards as (
    {{ jsonl_objects(source('billing', 'rate_cards'), 'rate_cards.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.id') }} as rate_card_id,
        {{ json_text('json', '$.name') }} as rate_card_name,
        coalesce({{ json_text('json', '$.fiat_credit_type_id') }}, 'USD_CENTS') as fiat_credit_type_id,
        {{ json_list('json', '$.credit_type_conversions') }} as credit_type_conversions,
        line_number
    from source_rate_cards
)

select * from parsed
