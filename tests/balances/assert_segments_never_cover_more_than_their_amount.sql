-- Per balance segment, what it covered in total lies between 0 and its amount (rules 4.9 clamp).
with

covered as (
    select
        balance_segment_id,
        sum(amount) as covered_amount
    from {{ ref('int_rated_events_with_history') }}
    where balance_segment_id is not null
    group by balance_segment_id
)

select
    segments.segment_id,
    segments.amount,
    covered.covered_amount
from covered
inner join {{ ref('int_balance_segments') }} as segments on covered.balance_segment_id = segments.segment_id
where covered.covered_amount > segments.amount + 0.000001
    or covered.covered_amount < -0.000001
