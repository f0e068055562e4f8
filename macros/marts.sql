{#- The column list shared by fct_rated_events_draft and fct_rated_events_finalized (rules 5),
    with the types their contracts enforce, and the run writing them: `relation` holds the
    rated events, `run` the run's one row of int_run_provenance (the caller refs both, so the
    graph shows them). -#}
{% macro rated_events_mart_columns(relation, run) %}
select
    {{ relation }}.rated_event_id,
    {{ relation }}.unsplit_rated_event_id,
    {{ relation }}.transaction_id,
    {{ relation }}.customer_id,
    {{ relation }}.contract_id,
    {{ relation }}.invoice_id,
    {{ relation }}.billing_period_start,
    {{ relation }}.billing_period_end,
    {{ relation }}.event_type,
    {{ relation }}.event_timestamp,
    {{ relation }}.received_at,
    {{ relation }}.billable_metric_id,
    {{ relation }}.product_id,
    {{ relation }}.component,
    cast({{ relation }}.tier_index as integer) as tier_index,
    cast({{ relation }}.quantity as decimal(38, 12)) as quantity,
    cast({{ relation }}.unit_price as decimal(38, 12)) as unit_price,
    cast({{ relation }}.amount as decimal(38, 12)) as amount,
    {{ relation }}.credit_type_id,
    cast({{ relation }}.fiat_amount as decimal(38, 12)) as fiat_amount,
    {{ relation }}.fiat_credit_type_id,
    {{ relation }}.coverage,
    {{ relation }}.balance_id,
    {{ relation }}.balance_segment_id,
    cast({{ relation }}.pricing_group_values as {{ json_type_name() }}) as pricing_group_values,
    cast({{ relation }}.presentation_group_values as {{ json_type_name() }}) as presentation_group_values,
    cast(coalesce({{ relation }}.properties, '{}') as {{ json_type_name() }}) as properties,
    {{ relation }}.status,
    case when {{ relation }}.status = 'FINALIZED' then {{ relation }}.finalized_at end as finalized_at,
    {{ relation }}.event_id,
    {{ relation }}.source_file,
    cast({{ relation }}.source_row as bigint) as source_row,
    -- finalized rows name the run that finalized them (written once, never rewritten); draft
    -- rows name none, so that building twice changes nothing
    case when {{ relation }}.status = 'FINALIZED' then run.run_as_of end as run_as_of,
    case when {{ relation }}.status = 'FINALIZED' then run.run_invocation_id end as run_invocation_id,
    case when {{ relation }}.status = 'FINALIZED' then run.run_config_hash end as run_config_hash
from {{ relation }}
cross join {{ run }} as run
{#- no sort here: int_rated_events is stored by customer and time, the order BI tools read in
    (docs block `rated_event_storage`) -#}
{% endmacro %}

{#- Whether a rated row with this component adds units to quantity totals: USAGE and
    ROUNDING_ADJUSTMENT rows do; a VOLUME re-price row (USAGE_REPRICE, ROUNDING_REPRICE) names
    units one of those rows already brought, so it adds an amount and no units. Every quantity
    total, unit cost and usage alert asks this. -#}
{% macro adds_units(component) -%}
    {{ component }} in ('USAGE', 'ROUNDING_ADJUSTMENT')
{%- endmacro %}

{#- Whether an alert's running value has reached its threshold: spend and usage alerts reach
    it from below (value >= threshold), a low-balance alert from above (remaining amount <=
    threshold). Arguments are SQL expressions. -#}
{% macro alert_reaches(value, alert_type='alert_type', threshold='threshold') -%}
    case when {{ alert_type }} = 'LOW_BALANCE' then {{ value }} <= {{ threshold }} else {{ value }} >= {{ threshold }} end
{%- endmacro %}

{#- fct_alert_triggers: the rated events (their parts, from the draft and finalized marts) of
    the customers in `watched_customers` (a relation with customer_id), as a subquery named
    `alias` with `columns`; `expressions` maps a column to the SQL that reads it, written over
    a mart aliased `rated`. Each step of the model reads the marts through it rather than
    through one CTE (docs block `pipelined_steps`). -#}
{% macro watched_rated_event_parts(draft, finalized, watched_customers, columns, expressions, alias) -%}
    (-- only the customers someone watches: without alerts this reads nothing
    {%- for mart, mart_alias in [(draft, 'draft_rated_events'), (finalized, 'finalized_rated_events')] %}
    select {% for column in columns %}{{ expressions.get(column, 'rated.' ~ column) | replace('rated.', mart_alias ~ '.') }}{{ ',' if not loop.last }}{% endfor %}
    from {{ mart }} as {{ mart_alias }}
    inner join {{ watched_customers }} on {{ mart_alias }}.customer_id = {{ watched_customers }}.customer_id
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    ) as {{ alias }}
{%- endmacro %}

{#- fct_alert_triggers: whether a spend or usage alert (`alert`: period_alerts) counts a rated
    event (`rated_event`: a relation with fiat_credit_type_id, product_id, component): spend
    counts every rated event in the contract's fiat type (custom pricing units converted),
    usage the product's rows that add units. -#}
{% macro alert_counts_rated_event(alert, rated_event) -%}
    (
        {{ alert }}.alert_type = 'SPEND_THRESHOLD_REACHED'
        and {{ rated_event }}.fiat_credit_type_id = {{ alert }}.fiat_credit_type_id
    ) or (
        {{ alert }}.alert_type = 'USAGE_THRESHOLD_REACHED'
        and {{ rated_event }}.product_id = {{ alert }}.product_id
        and {{ adds_units(rated_event ~ '.component') }}
    )
{%- endmacro %}
