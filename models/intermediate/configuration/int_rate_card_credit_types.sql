-- One row per (rate card, credit type it can price in) (rules 4.8): the card's fiat type, worth
-- 1, and every custom credit type its conversions list, worth fiat_per_custom_credit each.
-- Naming the card's fiat type as a custom type changes nothing: it stays fiat, worth 1.
-- Rated rows, balances and line items read their fiat_amount factor here.
with

rate_cards as (
    select * from {{ ref('stg_billing__rate_cards') }}
),

conversions as (
    select * from {{ ref('stg_billing__rate_card_credit_type_conversions') }}
),

fiat_types as (
    select
        rate_card_id,
        fiat_credit_type_id as credit_type_id,
        fiat_credit_type_id,
        cast(1 as decimal(38, 12)) as fiat_per_credit,
        true as is_fiat
    from rate_cards
),

first_conversions as (
    -- a type converted twice fails the build (assert_credit_types_are_convertible); the first
    -- keeps this model's key unique meanwhile
    select
        conversions.rate_card_id,
        conversions.custom_credit_type_id,
        conversions.fiat_per_custom_credit,
        rate_cards.fiat_credit_type_id,
        row_number() over (
            partition by conversions.rate_card_id, conversions.custom_credit_type_id
            order by conversions.conversion_index
        ) as conversion_order
    from conversions
    inner join rate_cards on conversions.rate_card_id = rate_cards.rate_card_id
    where conversions.custom_credit_type_id is not null
        and conversions.custom_credit_type_id <> rate_cards.fiat_credit_type_id
),

custom_types as (
    select
        rate_card_id,
        custom_credit_type_id as credit_type_id,
        fiat_credit_type_id,
        fiat_per_custom_credit as fiat_per_credit,
        false as is_fiat
    from first_conversions
    where conversion_order = 1
),

final as (
    select * from fiat_types
    union all
    select * from custom_types
)

select * from final
