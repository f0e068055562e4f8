-- One row per item of a rate card's `credit_type_conversions` (rules 3, 4.8): what one unit of a
-- custom credit type (a custom pricing unit) is worth in the card's fiat type. Checked by
-- tests/config/assert_credit_types_are_convertible.sql (positive, one per custom type).
with

rate_cards as (
    select * from {{ ref('stg_billing__rate_cards') }}
),

conversions as (
    select
        rate_card_id,
        line_number,
        {{ unnest_with_index('credit_type_conversions', 'conversion_json', 'conversion_index') }}
    from rate_cards
),

final as (
    select
        rate_card_id,
        cast(conversion_index as integer) as conversion_index,
        {{ json_text('conversion_json', '$.custom_credit_type_id') }} as custom_credit_type_id,
        {{ json_decimal('conversion_json', '$.fiat_per_custom_credit') }} as fiat_per_custom_credit,
        {{ json_text('conversion_json', '$.fiat_per_custom_credit') }} as fiat_per_custom_credit_text,
        line_number
    from conversions
)

select * from final
