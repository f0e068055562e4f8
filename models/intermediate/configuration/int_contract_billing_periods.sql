-- One row per usage statement period of a contract (rules 4.5), from the contract's start up to
-- the period holding as_of + max_future_hours (no event can be later) or the contract's end.
-- Boundaries fall at 00:00 UTC, counted from the anchor each time (Jan 31 -> Feb 28 -> Mar 31);
-- the first period starts at the contract's starting_at and the last ends at its ending_before.
with

contracts as (
    select * from {{ ref('stg_billing__contracts') }}
),

schedules as (
    select
        contract_id,
        starting_at,
        ending_before,
        schedule_frequency,
        schedule_day,
        case schedule_frequency when 'MONTHLY' then 1 when 'QUARTERLY' then 3 when 'ANNUAL' then 12 end
            as step_months,
        case
            when schedule_day = 'CUSTOM_DATE' then cast(billing_anchor_at as date)
            when schedule_day = 'CONTRACT_START' or schedule_frequency = 'WEEKLY' then cast(starting_at as date)
            when schedule_frequency = 'MONTHLY' then cast({{ dbt.date_trunc('month', 'starting_at') }} as date)
            -- calendar quarters and years both step from January 1st
            else cast({{ dbt.date_trunc('year', 'starting_at') }} as date)
        end as anchor_date,
        {{ dbt.dateadd('hour', int_var('max_future_hours'), as_of_timestamp()) }} as horizon_at
    from contracts
),

step_ranges as (
    -- a generous range of step numbers k around the contract; boundaries outside are cut below
    select
        schedules.*,
        case
            when step_months is null
                then {{ integer_divide(dbt.datediff('anchor_date', 'starting_at', 'day'), 7) }} - 2
            else {{ integer_divide(dbt.datediff('anchor_date', 'starting_at', 'month'), 'step_months') }} - 2
        end as first_step,
        case
            when step_months is null
                then {{ integer_divide(dbt.datediff('anchor_date', 'least(coalesce(ending_before, horizon_at), horizon_at)', 'day'), 7) }} + 2
            else {{ integer_divide(dbt.datediff('anchor_date', 'least(coalesce(ending_before, horizon_at), horizon_at)', 'month'), 'step_months') }} + 2
        end as last_step
    from schedules
),

steps as (
    select
        step_ranges.*,
        {{ unnest(integer_range('first_step', 'last_step')) }} as step_number
    from step_ranges
),

boundaries as (
    select
        contract_id,
        starting_at,
        ending_before,
        horizon_at,
        step_number,
        cast(
            case
                when step_months is null then {{ dbt.dateadd('day', 'step_number * 7', 'anchor_date') }}
                else {{ dbt.dateadd('month', 'step_number * step_months', 'anchor_date') }}
            end as timestamp
        ) as boundary_at,
        cast(
            case
                when step_months is null then {{ dbt.dateadd('day', '(step_number + 1) * 7', 'anchor_date') }}
                else {{ dbt.dateadd('month', '(step_number + 1) * step_months', 'anchor_date') }}
            end as timestamp
        ) as next_boundary_at
    from steps
),

periods as (
    select
        contract_id,
        greatest(boundary_at, starting_at) as billing_period_start,
        case
            when ending_before is not null and ending_before < next_boundary_at then ending_before
            else next_boundary_at
        end as billing_period_end,
        horizon_at
    from boundaries
    where next_boundary_at > starting_at
        and (ending_before is null or boundary_at < ending_before)
),

final as (
    select
        {{ hash_id(["'USAGE'", 'contract_id', 'billing_period_start']) }} as invoice_id,
        contract_id,
        billing_period_start,
        billing_period_end,
        {{ dbt.dateadd('hour', int_var('invoice_grace_period_hours'), 'billing_period_end') }} as finalized_at,
        {{ as_of_timestamp() }}
        >= {{ dbt.dateadd('hour', int_var('invoice_grace_period_hours'), 'billing_period_end') }} as is_finalized
    from periods
    where billing_period_start <= horizon_at
)

select * from final
