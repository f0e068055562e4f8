-- Who asks: finance, at month-end close: revenue recognized per calendar month, customer and
-- kind, even for contracts billed on the 15th (a billing period spans two months; revenue is
-- recognized per day, see the docs block revenue_recognition).
-- Run: .venv/bin/dbt show --profiles-dir . --select revenue_by_calendar_month --limit 100
with

daily as (
    select * from {{ ref('fct_revenue_recognized_daily') }}
)

select
    cast({{ dbt.date_trunc('month', 'recognized_on') }} as date) as calendar_month,
    customer_id,
    credit_type_id,
    sum(overage_revenue) as overage_revenue,
    sum(postpaid_commit_usage_revenue) as postpaid_commit_usage_revenue,
    sum(prepaid_commit_consumption_revenue) as prepaid_commit_consumption_revenue,
    sum(prepaid_breakage_revenue) as prepaid_breakage_revenue,
    sum(postpaid_trueup_revenue) as postpaid_trueup_revenue,
    sum(recognized_revenue) as recognized_revenue
from daily
group by {{ dbt.date_trunc('month', 'recognized_on') }}, customer_id, credit_type_id
order by calendar_month, customer_id
