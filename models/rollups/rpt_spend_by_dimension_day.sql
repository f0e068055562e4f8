-- noqa: disable=LT02
-- One row per (event property key of var rollup_dimensions, its value, UTC day, fiat credit
-- type) with rated events, draft and finalized together: one long view for every dimension, so a
-- new key is a var change, not a new model. A row's value is null where events lack the key.
-- The same sums as spend_rollup('day', [{'property': key}]) per key, but the
-- marts are read and each event's properties checked for repeated keys once for all keys, not
-- once per key (with 11 keys a spend_rollup per key made each evaluation of the view ~8x slower).
{%- set dimension_keys = var('rollup_dimensions') %}
{%- if not dimension_keys %}
    {{ exceptions.raise_compiler_error('var rollup_dimensions must list at least one property key') }}
{%- endif %}
{#- amounts in credit units only where a group holds one credit type (fiat spend always adds up) -#}
{%- set single_credit_type = 'min(dimension_values.credit_type_id) = max(dimension_values.credit_type_id)' %}
{%- set credit_type_of_amounts = 'case when ' ~ single_credit_type ~ ' then min(dimension_values.credit_type_id) end' %}
with

draft_rated_events as (
    select * from {{ ref('fct_rated_events_draft') }}
),

finalized_rated_events as (
    select * from {{ ref('fct_rated_events_finalized') }}
),

rated_events as (
    select
        draft_rated_events.event_timestamp,
        draft_rated_events.component,
        draft_rated_events.credit_type_id,
        draft_rated_events.amount,
        -- rows recorded before the marts had fiat amounts read null there, and were all fiat
        coalesce(draft_rated_events.fiat_credit_type_id, draft_rated_events.credit_type_id) as fiat_credit_type_id,
        coalesce(draft_rated_events.fiat_amount, draft_rated_events.amount) as fiat_amount,
        draft_rated_events.quantity,
        draft_rated_events.coverage,
        draft_rated_events.event_id,
        draft_rated_events.properties
    from draft_rated_events
    union all
    select
        finalized_rated_events.event_timestamp,
        finalized_rated_events.component,
        finalized_rated_events.credit_type_id,
        finalized_rated_events.amount,
        -- rows recorded before the marts had fiat amounts read null there, and were all fiat
        coalesce(finalized_rated_events.fiat_credit_type_id, finalized_rated_events.credit_type_id) as fiat_credit_type_id,
        coalesce(finalized_rated_events.fiat_amount, finalized_rated_events.amount) as fiat_amount,
        finalized_rated_events.quantity,
        finalized_rated_events.coverage,
        finalized_rated_events.event_id,
        finalized_rated_events.properties
    from finalized_rated_events
),

flagged as (
    select
        rated_events.*,
        coalesce({{ has_duplicate_json_keys('rated_events.properties') }}, false) as has_duplicate_property_keys
    from rated_events
),

dimension_json_values as (
    -- every key's JSON value extracted once per rated event, read as text in the next step:
    -- the text reads its argument several times, and Spark would extract the value again for
    -- each read if both were one expression (sem_rated_events is shaped the same way)
    select
        {{ dbt.date_trunc('day', 'flagged.event_timestamp') }} as period_start,
        flagged.component,
        flagged.credit_type_id,
        flagged.amount,
        flagged.fiat_credit_type_id,
        flagged.fiat_amount,
        flagged.quantity,
        flagged.coverage,
        flagged.event_id,
        {%- for dimension_key in dimension_keys %}
        {{ json_object_value('flagged.properties', dimension_key, 'flagged.has_duplicate_property_keys') }}
            as {{ 'dimension_' ~ loop.index }}_json{{ ',' if not loop.last }}
        {%- endfor %}
    from flagged
),

dimension_values as (
    -- every key's comparison text (rules 8)
    select
        period_start,
        component,
        credit_type_id,
        amount,
        fiat_credit_type_id,
        fiat_amount,
        quantity,
        coverage,
        event_id,
        {%- for dimension_key in dimension_keys %}
        {{ json_value_text('dimension_' ~ loop.index ~ '_json') }}
            as {{ 'dimension_' ~ loop.index }}_value{{ ',' if not loop.last }}
        {%- endfor %}
    from dimension_json_values
),

final as (
    {%- for dimension_key in dimension_keys %}
    select
        {{ rollup_string_literal(dimension_key) }} as dimension_key,
        dimension_values.{{ 'dimension_' ~ loop.index }}_value as dimension_value,
        dimension_values.period_start,
        dimension_values.fiat_credit_type_id,
        {{ credit_type_of_amounts }} as credit_type_id,
        cast(sum(dimension_values.fiat_amount) as {{ money_type() }}) as fiat_amount,
        cast(coalesce(sum(case when dimension_values.coverage = 'OVERAGE' then dimension_values.fiat_amount end), 0)
            as {{ money_type() }}) as fiat_overage_amount,
        cast(coalesce(sum(case when dimension_values.coverage <> 'OVERAGE' then dimension_values.fiat_amount end), 0)
            as {{ money_type() }}) as fiat_covered_amount,
        cast(case when {{ single_credit_type }} then sum(dimension_values.amount) end as {{ money_type() }}) as amount,
        cast(case when {{ single_credit_type }} then
            coalesce(sum(case when dimension_values.coverage = 'OVERAGE' then dimension_values.amount end), 0)
        end as {{ money_type() }}) as overage_amount,
        cast(case when {{ single_credit_type }} then
            coalesce(sum(case when dimension_values.coverage <> 'OVERAGE' then dimension_values.amount end), 0)
        end as {{ money_type() }}) as covered_amount,
        -- a re-price row's quantity names units its USAGE or ROUNDING_ADJUSTMENT row already counts
        cast(coalesce(sum(
            case when {{ adds_units('dimension_values.component') }} then dimension_values.quantity end
        ), 0) as {{ money_type() }}) as quantity,
        count(*) as rated_event_count,
        count(distinct dimension_values.event_id) as usage_event_count
    from dimension_values
    group by 1, 2, 3, 4
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
