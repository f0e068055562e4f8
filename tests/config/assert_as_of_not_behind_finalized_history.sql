-- as_of never moves behind recorded finalized history (docs/decisions.md, "Daily refresh"): a
-- period recorded as finalized was closed by an as_of at or after its finalized_at, so a run
-- whose as_of is earlier would see it open again and rate it as a draft beside its append-only
-- finalized rows. Such a run fails here, naming the invoices, before anything reads the
-- settlement. The filter on finalized_at comes first, so the recorded history is barely read.
{% set problems_sql %}
    select 'as_of ' || cast(settlement.run_as_of as {{ dbt.type_string() }})
        || ' is before the finalization of invoice ' || recorded.invoice_id
        || ' (finalized_at ' || cast(recorded.finalized_at as {{ dbt.type_string() }})
        || '), already recorded as finalized: run with an as_of at or after it' as problem
    from {{ ref('int_recorded_rated_events') }} as recorded
    cross join {{ ref('int_run_settlement') }} as settlement
    where recorded.finalized_at > settlement.run_as_of
    group by recorded.invoice_id, recorded.finalized_at, settlement.run_as_of
{% endset %}
{{ assert_no_config_problems(problems_sql) }}
