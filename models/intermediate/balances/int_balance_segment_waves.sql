-- One row per balance segment with its drawdown wave (SPEC 4.9 implementation note): 1 + the
-- highest wave among higher-ranked segments of the contract whose window and products overlap
-- its own. Segments of one wave never share a rated row, so each wave is drawn in one
-- set-based pass. Computed by relaxing `max_drawdown_waves` + 1 times: a wave above the maximum
-- fails the build (tests/balances/assert_drawdown_waves_within_limit.sql) naming the contract.
{% set max_waves = int_var('max_drawdown_waves') %}
with

segments as (
    select * from {{ ref('int_balance_segments') }}
),

segment_products as (
    select * from {{ ref('int_balance_segment_products') }}
),

segment_overlaps as (
    -- (higher-ranked segment, lower-ranked segment) pairs that could pay for one rated row
    select distinct
        higher.segment_id as higher_segment_id,
        lower.segment_id as lower_segment_id
    from segments as higher
    inner join segments as lower
        on higher.contract_id = lower.contract_id
        and higher.segment_rank < lower.segment_rank
        and higher.starting_at < lower.ending_before
        and lower.starting_at < higher.ending_before
    inner join segment_products as higher_products on higher.segment_id = higher_products.segment_id
    inner join segment_products as lower_products
        on lower.segment_id = lower_products.segment_id
        and higher_products.product_id = lower_products.product_id
),

waves_0 as (
    select
        segment_id,
        1 as wave
    from segments
),

{% for step in range(1, max_waves + 2) %}
waves_{{ step }} as (
    select
        segments.segment_id,
        1 + coalesce(max(previous.wave), 0) as wave
    from segments
    left join segment_overlaps on segments.segment_id = segment_overlaps.lower_segment_id
    left join waves_{{ step - 1 }} as previous on segment_overlaps.higher_segment_id = previous.segment_id
    group by segments.segment_id
),
{% endfor %}

final as (
    select
        segments.segment_id,
        segments.contract_id,
        segments.segment_rank,
        waves.wave
    from segments
    inner join waves_{{ max_waves + 1 }} as waves on segments.segment_id = waves.segment_id
)

select * from final
