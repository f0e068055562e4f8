-- One row per event with outcome ERRORED received in (as_of - errored_events_lookback_days,
-- as_of] (rules 5): its error code (the first in rules 6 order) and a readable detail naming the
-- field, customer, metric, product or period at fault.
-- This run's rows of fct_errored_events, like fct_event_outcomes (docs block `daily_refresh`):
-- a daily run that keeps earlier outcomes writes the errored events received since the
-- previous published run, and publishing drops the rows that left the lookback window;
-- otherwise every row is written again and replaces the published ones.
{%- set lookback_start = dbt.dateadd('day', -int_var('errored_events_lookback_days'), as_of_timestamp()) %}
with

outcomes as (
    select * from {{ ref('int_event_outcomes_this_run') }}
),

final as (
    select
        event_id,
        source_file,
        source_row,
        transaction_id,
        customer_ref,
        customer_id,
        event_type,
        event_timestamp,
        received_at,
        error_code,
        error_detail
    from outcomes
    where outcome = 'ERRORED'
        and received_at > {{ lookback_start }}
        and received_at <= {{ as_of_timestamp() }}
    order by received_at, source_file, source_row
)

select * from final
