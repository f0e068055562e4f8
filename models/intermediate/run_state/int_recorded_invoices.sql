-- One row per invoice whose finalized rated events an earlier run recorded (rules 5): the
-- periods this run does not rate again. Read once per run from the recorded history (one column),
-- for int_rated_events and int_rated_events_covered.
with

recorded as (
    select * from {{ ref('int_recorded_rated_events') }}
),

final as (
    select distinct invoice_id
    from recorded
    where invoice_id is not null
)

select * from final
