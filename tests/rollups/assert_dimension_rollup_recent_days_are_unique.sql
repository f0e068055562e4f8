-- rpt_spend_by_dimension_day has one row per (dimension_key, dimension_value, period_start,
-- credit_type_id), checked on the days since as_of - errored_events_lookback_days: the view
-- parses every rated event's properties once per key, so checking all history would cost a
-- daily run more than rating it (test_rollups.py checks the whole view against the marts).
-- The filter is on a grouping column, so it applies before the properties are parsed.
select
    dimension_key,
    dimension_value,
    period_start,
    credit_type_id,
    count(*) as row_count
from {{ ref('rpt_spend_by_dimension_day') }}
where period_start >= {{ dbt.dateadd('day', -int_var('errored_events_lookback_days'), as_of_timestamp()) }}
group by dimension_key, dimension_value, period_start, credit_type_id
having count(*) > 1
