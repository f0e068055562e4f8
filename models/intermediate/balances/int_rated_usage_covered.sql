-- One row per (rated event, balance segment that covered part of it) (SPEC 4.9). Wave by wave,
-- each segment draws down the still-uncovered amounts of the rated events it can pay for
-- (timestamp in its window, product applicable), in the rated events' order, until spent:
-- with C the segment's running uncovered amount before a rated event and C' after it, it
-- covers clamp(C', 0, amount) - clamp(C, 0, amount). Negative amounts give back.
{% set max_waves = int_var('max_drawdown_waves') %}
with

rated as (
    select * from {{ ref('int_usage_rated') }}
),

segments as (
    select * from {{ ref('int_balance_segments') }}
),

segment_products as (
    select * from {{ ref('int_balance_segment_products') }}
),

waves as (
    select * from {{ ref('int_balance_segment_waves') }}
),

eligible as (
    -- each rated event can meet at most one segment per wave
    select
        rated.rated_event_id,
        rated.amount,
        rated.event_timestamp,
        rated.transaction_id,
        rated.received_at,
        rated.product_id,
        case rated.component when 'USAGE' then 1 else 2 end as component_order,
        rated.tier_index,
        segments.segment_id,
        segments.amount as segment_amount,
        waves.wave
    from rated
    inner join segments
        on rated.contract_id = segments.contract_id
        and rated.event_timestamp >= segments.starting_at
        and rated.event_timestamp < segments.ending_before
    inner join segment_products
        on segments.segment_id = segment_products.segment_id
        and rated.product_id = segment_products.product_id
    inner join waves on segments.segment_id = waves.segment_id
    -- rows with amount 0 stay OVERAGE with no balance
    where rated.amount <> 0
),

uncovered_0 as (
    select distinct
        rated_event_id,
        amount as uncovered
    from eligible
),

{% for wave in range(1, max_waves + 1) %}
running_{{ wave }} as (
    select
        eligible.rated_event_id,
        eligible.segment_id,
        eligible.segment_amount,
        uncovered.uncovered,
        sum(uncovered.uncovered) over (
            partition by eligible.segment_id
            order by
                eligible.event_timestamp, eligible.transaction_id, eligible.received_at,
                eligible.product_id, eligible.component_order, eligible.tier_index
            rows between unbounded preceding and current row
        ) as running_after
    from eligible
    inner join uncovered_{{ wave - 1 }} as uncovered on eligible.rated_event_id = uncovered.rated_event_id
    where eligible.wave = {{ wave }}
),

covered_{{ wave }} as (
    select
        rated_event_id,
        segment_id,
        {{ clamp('running_after', '0', 'segment_amount') }}
        - {{ clamp('running_after - uncovered', '0', 'segment_amount') }} as covered_amount
    from running_{{ wave }}
),

uncovered_{{ wave }} as (
    select
        uncovered.rated_event_id,
        uncovered.uncovered - coalesce(covered.covered_amount, 0) as uncovered
    from uncovered_{{ wave - 1 }} as uncovered
    left join covered_{{ wave }} as covered on uncovered.rated_event_id = covered.rated_event_id
),

{% endfor %}

all_covered as (
    {% for wave in range(1, max_waves + 1) %}
    select
        rated_event_id,
        segment_id,
        covered_amount
    from covered_{{ wave }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        all_covered.rated_event_id,
        all_covered.segment_id,
        all_covered.covered_amount
    from all_covered
    where all_covered.covered_amount <> 0
)

select * from final
