-- More overlapping balance segments in a chain than `max_drawdown_waves` passes can draw down
-- (rules 4.9): fail the build naming the contract; raise the var to allow more.
{% set problems_sql %}
    select
        'contract ' || contract_id || ' needs more than ' || cast({{ int_var('max_drawdown_waves') }} as {{ dbt.type_string() }})
        || ' drawdown waves (overlapping balance segments); raise var max_drawdown_waves' as problem
    from {{ ref('int_balance_segment_waves') }}
    where wave > {{ int_var('max_drawdown_waves') }}
    group by contract_id
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
