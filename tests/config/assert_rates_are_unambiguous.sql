-- Two rates of one product on one rate card, in force at the same time, that could both match
-- one event while naming the same number of pricing group keys, leave the price undecided
-- (rules 3 and 4.4). Identical pricing group values are the plainest case of this.
{% set problems_sql %}
    with

    rates as (
        select * from {{ ref('stg_billing__rates') }}
    ),

    named_values as (
        select * from {{ ref('stg_billing__rate_pricing_group_values') }}
    ),

    overlapping_pairs as (
        select
            first_rate.rate_id as first_rate_id,
            second_rate.rate_id as second_rate_id,
            first_rate.line_number as first_line,
            second_rate.line_number as second_line,
            first_rate.rate_card_id,
            first_rate.product_id
        from rates as first_rate
        inner join rates as second_rate
            on first_rate.rate_card_id = second_rate.rate_card_id
            and first_rate.product_id = second_rate.product_id
            and first_rate.line_number < second_rate.line_number
            and first_rate.starting_at < coalesce(second_rate.ending_before, cast('9999-12-31' as timestamp))
            and second_rate.starting_at < coalesce(first_rate.ending_before, cast('9999-12-31' as timestamp))
        where first_rate.named_key_count = second_rate.named_key_count
    ),

    conflicting_pairs as (
        -- both name a key with different values: no event can match both
        select distinct
            first_values.rate_id as first_rate_id,
            second_values.rate_id as second_rate_id
        from named_values as first_values
        inner join named_values as second_values
            on first_values.pricing_group_key = second_values.pricing_group_key
            and first_values.value_text is distinct from second_values.value_text
    )

    select 'rates lines ' || cast(overlapping_pairs.first_line as {{ dbt.type_string() }}) || ' and '
        || cast(overlapping_pairs.second_line as {{ dbt.type_string() }}) || ' (' || overlapping_pairs.rate_card_id || '/'
        || overlapping_pairs.product_id
        || '): overlapping rates that can match the same event with the same number of pricing group keys'
        as problem
    from overlapping_pairs
    left join conflicting_pairs
        on overlapping_pairs.first_rate_id = conflicting_pairs.first_rate_id
        and overlapping_pairs.second_rate_id = conflicting_pairs.second_rate_id
    where conflicting_pairs.first_rate_id is null
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
