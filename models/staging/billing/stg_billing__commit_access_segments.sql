-- One row per access-schedule segment of a commit: the amount available in [starting_at, ending_before).
with

commits as (
    select * from {{ ref('stg_billing__commits') }}
),

segments as (
    select
        commit_id,
        {{ unnest_with_index('access_schedule_items', 'segment_json', 'segment_index') }}
    from commits
),

final as (
    select
        commit_id,
        cast(segment_index as integer) as segment_index,
        {{ json_text('segment_json', '$.id') }} as segment_id,
        {{ json_decimal('segment_json', '$.amount') }} as amount,
        {{ json_timestamp('segment_json', '$.starting_at') }} as starting_at,
        {{ json_timestamp('segment_json', '$.ending_before') }} as ending_before
    from segments
)

select * from final
