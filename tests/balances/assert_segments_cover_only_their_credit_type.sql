-- No balance segment covers a rated event of another credit type (rules 4.9): a GPU_CREDITS
-- credit never pays for a row priced in cents, nor a commit in cents for a GPU_CREDITS row.
-- Checks the rows this run rates (recorded rows were checked by the run that rated them).
-- Returns the covered rows whose credit type differs from their segment's.
select
    rated_events.rated_event_id,
    rated_events.credit_type_id,
    segments.segment_id,
    segments.credit_type_id as segment_credit_type_id
from {{ ref('int_rated_events') }} as rated_events
inner join {{ ref('int_balance_segments') }} as segments
    on rated_events.balance_segment_id = segments.segment_id
where rated_events.credit_type_id <> segments.credit_type_id
