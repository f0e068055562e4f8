-- fct_errored_events reports exactly the ERRORED outcomes received in the lookback window
-- (as_of - errored_events_lookback_days, as_of], with the same error code (rules 5): no error
-- goes unreported and nothing else (a duplicate, a not-billable event) is reported as one.
-- Returns each event on one side only or with differing codes.
with

errored_outcomes as (
    select * from {{ ref('fct_event_outcomes') }}
    where outcome = 'ERRORED'
        -- N days = N x 86,400 s exactly (rules 2)
        and received_at > {{ dbt.dateadd('second', -(int_var('errored_events_lookback_days') * 86400), as_of_timestamp()) }}
        and received_at <= {{ as_of_timestamp() }}
),

reported as (
    select * from {{ ref('fct_errored_events') }}
)

select
    coalesce(errored_outcomes.event_id, reported.event_id) as event_id,
    errored_outcomes.error_code as outcome_error_code,
    reported.error_code as reported_error_code,
    coalesce(errored_outcomes.received_at, reported.received_at) as received_at
from errored_outcomes
full outer join reported on errored_outcomes.event_id = reported.event_id
where errored_outcomes.event_id is null
    or reported.event_id is null
    or errored_outcomes.error_code is distinct from reported.error_code
