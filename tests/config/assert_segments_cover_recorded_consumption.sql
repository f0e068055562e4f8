-- A balance segment's configured amount is not below what its finalized rows have already
-- consumed as recorded (rules 5): finalized history cannot be taken back by a configuration
-- change, so such a change is bad configuration, named here.
{% set problems_sql %}
    select 'balance segment ' || segments.segment_id || ' of ' || segments.balance_id
        || ': amount ' || cast(segments.amount as {{ dbt.type_string() }})
        || ' is below the ' || cast(sum(recorded.amount) as {{ dbt.type_string() }})
        || ' its finalized invoices already consumed' as problem
    from {{ ref('int_balance_segments') }} as segments
    inner join {{ ref('int_recorded_rated_events') }} as recorded
        on segments.segment_id = recorded.balance_segment_id
    group by segments.segment_id, segments.balance_id, segments.amount
    having sum(recorded.amount) > segments.amount
    union all
    select 'balance segment ' || recorded.balance_segment_id
        || ' has finalized rows but is no longer configured' as problem
    from {{ ref('int_recorded_rated_events') }} as recorded
    left join {{ ref('int_balance_segments') }} as segments
        on recorded.balance_segment_id = segments.segment_id
    where recorded.balance_segment_id is not null
        and segments.segment_id is null
    group by recorded.balance_segment_id
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
