-- Custom credit types can be turned into fiat (rules 3, 4.8): every conversion of a rate card
-- has a positive fiat_per_custom_credit and names its custom type once; a rate in a custom
-- credit type has a conversion on its rate card, and a commit or credit in one a conversion on
-- the rate card of its contract. The card's own fiat type, named explicitly, needs none.
{% set problems_sql %}
    select 'rate_cards ' || coalesce(conversions.rate_card_id, '?') || ': conversion of '
        || coalesce(conversions.custom_credit_type_id, '?') || ': fiat_per_custom_credit '
        || coalesce(conversions.fiat_per_custom_credit_text, 'missing') || ' is not positive' as problem
    from {{ ref('stg_billing__rate_card_credit_type_conversions') }} as conversions
    where conversions.fiat_per_custom_credit is null or conversions.fiat_per_custom_credit <= 0

    union all
    select 'rate_cards ' || coalesce(rate_card_id, '?') || ': custom credit type '
        || coalesce(custom_credit_type_id, '?') || ' is converted '
        || cast(count(*) as {{ dbt.type_string() }}) || ' times' as problem
    from {{ ref('stg_billing__rate_card_credit_type_conversions') }}
    group by rate_card_id, custom_credit_type_id
    having count(*) > 1

    union all
    select 'rates line ' || cast(rates.line_number as {{ dbt.type_string() }}) || ' (' || coalesce(rates.rate_card_id, '?')
        || '/' || coalesce(rates.product_id, '?') || '): credit type ' || rates.credit_type_id
        || ' has no conversion on rate card ' || coalesce(rates.rate_card_id, '?') as problem
    from {{ ref('stg_billing__rates') }} as rates
    left join {{ ref('stg_billing__rate_cards') }} as rate_cards on rates.rate_card_id = rate_cards.rate_card_id
    left join {{ ref('stg_billing__rate_card_credit_type_conversions') }} as conversions
        on rates.rate_card_id = conversions.rate_card_id
        and rates.credit_type_id = conversions.custom_credit_type_id
    where rates.credit_type_id is not null
        and rates.credit_type_id <> coalesce(rate_cards.fiat_credit_type_id, 'USD_CENTS')
        and conversions.rate_card_id is null

    union all
    select balances.balance_kind || ' ' || coalesce(balances.balance_id, '?') || ': credit type '
        || balances.credit_type_id || ' has no conversion on rate card ' || coalesce(contracts.rate_card_id, '?')
        || ' of contract ' || coalesce(balances.contract_id, '?') as problem
    from (
        select 'commits' as balance_kind, commit_id as balance_id, contract_id, credit_type_id
        from {{ ref('stg_billing__commits') }}
        union all
        select 'credits' as balance_kind, credit_id as balance_id, contract_id, credit_type_id
        from {{ ref('stg_billing__credits') }}
    ) as balances
    left join {{ ref('stg_billing__contracts') }} as contracts on balances.contract_id = contracts.contract_id
    left join {{ ref('stg_billing__rate_cards') }} as rate_cards on contracts.rate_card_id = rate_cards.rate_card_id
    left join {{ ref('stg_billing__rate_card_credit_type_conversions') }} as conversions
        on contracts.rate_card_id = conversions.rate_card_id
        and balances.credit_type_id = conversions.custom_credit_type_id
    where balances.credit_type_id is not null
        and balances.credit_type_id <> coalesce(rate_cards.fiat_credit_type_id, 'USD_CENTS')
        and conversions.rate_card_id is null
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
