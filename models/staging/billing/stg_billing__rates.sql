-- One row per line of rates.jsonl. Rates carry no id of their own: `rate_id` is derived from
-- what identifies a rate (card, product, start, pricing group values), `line_number` names it.
with

source_rates as (
    {{ jsonl_objects(source('billing', 'rates'), 'rates.jsonl') }}
),

parsed as (
    select
        {{ json_text('json', '$.rate_card_id') }} as rate_card_id,
        {{ json_text('json', '$.product_id') }} as product_id,
        {{ json_text('json', '$.starting_at') }} as starting_at_text,
        {{ json_timestamp('json', '$.starting_at') }} as starting_at,
        {{ json_timestamp('json', '$.ending_before') }} as ending_before,
        {{ json_value('json', '$.ending_before') }} is not null as has_ending_before,
        coalesce({{ try_cast(json_text('json', '$.entitled'), 'boolean') }}, true) as is_entitled,
        {{ json_text('json', '$.entitled') }} as entitled_text,
        upper({{ json_text('json', '$.rate_type') }}) as rate_type,
        {{ json_decimal('json', '$.price') }} as price,
        {{ json_value('json', '$.price') }} is not null as has_price,
        {{ json_value('json', '$.tiers') }} is not null as has_tiers,
        {{ json_list('json', '$.tiers') }} as tiers,
        {{ json_value('json', '$.pricing_group_values') }} as pricing_group_values,
        {{ json_text('json', '$.credit_type_id') }} as credit_type_id,
        line_number
    from source_rates
),

final as (
    select
        {{ hash_id(['rate_card_id', 'product_id', 'starting_at_text', 'pricing_group_values']) }} as rate_id,
        rate_card_id,
        product_id,
        starting_at,
        ending_before,
        has_ending_before,
        is_entitled,
        entitled_text,
        rate_type,
        price,
        has_price,
        has_tiers,
        tiers,
        pricing_group_values,
        -- how specific the rate is: the number of pricing group keys it names (rules 4.4)
        coalesce({{ list_length(json_keys('pricing_group_values')) }}, 0) as named_key_count,
        credit_type_id,
        line_number
    from parsed
)

select * from final
