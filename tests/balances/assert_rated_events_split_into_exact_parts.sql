-- Every rated event's amount and quantity equal the sum of its covered parts plus overage
-- (SPEC 4.9: split parts add up exactly to the whole), and no rated event is lost or invented.
with

wholes as (
    select
        rated_event_id,
        quantity,
        amount
    from {{ ref('int_usage_rated') }}
),

parts as (
    select
        unsplit_rated_event_id,
        sum(quantity) as quantity,
        sum(amount) as amount
    from {{ ref('int_rated_events') }}
    group by unsplit_rated_event_id
)

select
    coalesce(wholes.rated_event_id, parts.unsplit_rated_event_id) as rated_event_id,
    wholes.quantity as whole_quantity,
    parts.quantity as parts_quantity,
    wholes.amount as whole_amount,
    parts.amount as parts_amount
from wholes
full outer join parts on wholes.rated_event_id = parts.unsplit_rated_event_id
where wholes.rated_event_id is null
    or parts.unsplit_rated_event_id is null
    or wholes.quantity <> parts.quantity
    or wholes.amount <> parts.amount
