{#- Bad configuration fails the build loudly, naming the offending rows (rules 3).
    `problems_sql` selects one text column `problem` per offending row; when any exist, the
    test raises an error whose message lists them (a plain failing count would not say which). -#}
{% macro assert_no_config_problems(problems_sql) %}
with

problems as (
    {{ problems_sql }}
),

summary as (
    select
        count(*) as problem_count,
        {{ ordered_text_agg('problem', "'; '") }} as problem_list
    from problems
)

select problem_count
from summary
-- in the filter, not the select list: dbt wraps the test in count(*), which prunes columns
where problem_count > 0
    and {{ raise_error("'bad configuration: ' || problem_list") }} is null
{% endmacro %}

{% macro raise_error(message) %}
    {{- return(adapter.dispatch('raise_error', 'rated_events')(message)) -}}
{% endmacro %}

{% macro default__raise_error(message) %}
    error({{ message }})
{% endmacro %}

{% macro spark__raise_error(message) %}
    raise_error({{ message }})
{% endmacro %}
