-- One row: what earlier runs already decided for good, so that a daily run only touches open
-- periods and newly received events (incremental daily refresh; docs block `daily_refresh`).
-- Earlier runs' outcomes are kept when the last run read the same configuration and rating
-- settings and had an as_of no later than this one; then every event received by that as_of
-- already has its final outcome, and every period finalized by then is recorded.
with

provenance as (
    select * from {{ ref('int_run_provenance') }}
),

this_run as (
    select
        run_as_of,
        -- everything an outcome depends on besides the event itself: the configuration files
        -- and the settings that decide rejection, deduplication and finalization
        md5(
            run_config_hash
            || '|grace=' || '{{ int_var("invoice_grace_period_hours") }}'
            || '|dedupe=' || '{{ int_var("dedupe_window_days") }}'
            || '|backdate=' || '{{ int_var("max_backdate_days") }}'
            || '|future=' || '{{ int_var("max_future_hours") }}'
            || '|lookback=' || '{{ int_var("errored_events_lookback_days") }}'
            || '|raw=' || {{ string_literal(raw_input_folder()) }}
        ) as run_inputs_hash
    from provenance
),

recorded_outcomes as (
    select * from {{ ref('stg_recorded__event_outcomes') }}
),

latest_outcomes as (
    -- the outcomes of the last published run (none on a fresh warehouse: decide everything)
    select
        run_as_of,
        run_inputs_hash
    from recorded_outcomes
    where run_as_of = (select max(latest.run_as_of) from recorded_outcomes as latest)
),

last_run as (
    select
        max(run_as_of) as previous_as_of,
        max(run_inputs_hash) as previous_inputs_hash,
        count(distinct run_inputs_hash) as previous_inputs_hash_count
    from latest_outcomes
),

final as (
    select
        this_run.run_as_of,
        this_run.run_inputs_hash,
        last_run.previous_as_of,
        last_run.previous_inputs_hash,
        coalesce(
            {{ 'true' if var('daily_refresh') | string | lower in ('true', '1', 'yes') else 'false' }}
            and last_run.previous_as_of <= this_run.run_as_of
            and last_run.previous_inputs_hash_count = 1
            and last_run.previous_inputs_hash = this_run.run_inputs_hash,
            false
        ) as keeps_earlier_outcomes
    from this_run
    cross join last_run
)

select * from final
