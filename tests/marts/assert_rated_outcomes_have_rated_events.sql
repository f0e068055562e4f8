-- Every event with outcome RATED has at least one rated event in the marts, draft or
-- finalized (rules 4.4 outcome rule): an event is never called RATED without a billed row an
-- auditor can find. The finalized mart is read too because a period finalized by an earlier
-- run keeps its rows there only. Returns the RATED events without any rated event.
with

outcomes as (
    select * from {{ ref('fct_event_outcomes') }}
    where outcome = 'RATED'
),

rated_events as (
    select event_id from {{ ref('fct_rated_events_draft') }}
    union all
    select event_id from {{ ref('fct_rated_events_finalized') }}
)

-- an anti join: the rated events' ids are looked up as they are, not made distinct first
select
    outcomes.event_id,
    outcomes.transaction_id,
    outcomes.customer_id,
    outcomes.event_timestamp,
    outcomes.received_at,
    outcomes.rated_target_count
from outcomes
where not exists (
        select 1 from rated_events
        where rated_events.event_id = outcomes.event_id
    )
