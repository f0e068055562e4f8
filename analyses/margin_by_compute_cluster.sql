-- Who asks: engineering and finance, for capacity planning and pricing: GPU revenue, cost and
-- margin per compute cluster and GPU type per month (costs from the optional unit_costs.jsonl;
-- revenue less what credits cover, in the rate card's fiat type).
-- Run: .venv/bin/dbt show --profiles-dir . --select margin_by_compute_cluster --limit 100
with

rated_events as (
    select * from {{ ref('int_rated_events') }}
),

costs as (
    select * from {{ ref('int_rated_events_costed') }}
)

select
    cast({{ dbt.date_trunc('month', 'rated_events.event_timestamp') }} as date) as calendar_month,
    {{ json_value_text(json_object_field_last('rated_events.properties', "'cluster'")) }} as cluster,
    {{ json_value_text(json_object_field_last('rated_events.properties', "'gpu_type'")) }} as gpu_type,
    sum(case when rated_events.coverage = 'CREDIT' then 0 else rated_events.fiat_amount end) as revenue,
    sum(costs.cost) as cost,
    sum(case when rated_events.coverage = 'CREDIT' then 0 else rated_events.fiat_amount end)
    - coalesce(sum(costs.cost), 0) as margin
from rated_events
left join costs on rated_events.rated_event_id = costs.rated_event_id
where rated_events.product_id = 'prod_gpu_hours'
group by all
order by calendar_month, cluster, gpu_type
