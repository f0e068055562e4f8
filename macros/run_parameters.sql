{#- The run's moment in time (rules section 2): var `as_of`, else the moment the run started.
    Parsed here, in Jinja, by the same RFC 3339 rules as event timestamps, so a malformed
    value stops the run instead of silently rating against a null. -#}
{% macro as_of_timestamp() %}
    {{- return("cast('" ~ as_of_text() ~ "' as timestamp)") -}}
{% endmacro %}

{% macro as_of_text() %}
    {#- read only when executing: dbt re-renders every model then, and a value read while
        parsing would tie the saved parse to it (a build at another as_of would parse the
        project again instead of reusing it) -#}
    {%- if not execute -%}
        {{- return('1970-01-01 00:00:00.000000') -}}
    {%- endif -%}
    {%- set raw_value = as_of_given() -%}
    {%- if raw_value == '' -%}
        {{- return(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f')) -}}
    {%- endif -%}
    {%- set pattern = '^(\\d{4})-(\\d{2})-(\\d{2})[Tt ](\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$' -%}
    {%- set match = modules.re.match(pattern, raw_value) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error("as_of is not an RFC 3339 timestamp with a zone: '" ~ raw_value ~ "' (write it like 2026-06-01T00:00:00Z). Nothing was built or published.") }}
    {%- endif -%}
    {%- set fraction = ((match.group(7) or '.')[1:] ~ '000000')[:6] -%}
    {%- set local = modules.datetime.datetime(
        match.group(1) | int, match.group(2) | int, match.group(3) | int,
        match.group(4) | int, match.group(5) | int, match.group(6) | int, fraction | int) -%}
    {%- set zone = match.group(8) -%}
    {%- if zone in ('Z', 'z') -%}
        {%- set offset_minutes = 0 -%}
    {%- else -%}
        {%- if zone[1:3] | int > 23 or zone[4:6] | int > 59 -%}
            {{ exceptions.raise_compiler_error("as_of has an impossible offset: '" ~ raw_value ~ "'. Nothing was built or published.") }}
        {%- endif -%}
        {%- set offset_minutes = (zone[1:3] | int) * 60 + (zone[4:6] | int) -%}
        {%- if zone[0] == '-' -%}{%- set offset_minutes = -offset_minutes -%}{%- endif -%}
    {%- endif -%}
    {%- set utc = local - modules.datetime.timedelta(minutes=offset_minutes) -%}
    {{- return(utc.strftime('%Y-%m-%d %H:%M:%S.%f')) -}}
{% endmacro %}

{#- The as_of the run was given, as written: var `as_of` (the command line wins), else
    RATED_EVENTS_AS_OF; '' when neither is set. Call it only when executing (see as_of_text). -#}
{% macro as_of_given() %}
    {%- set raw_value = var('as_of', env_var('RATED_EVENTS_AS_OF', '')) | string | trim -%}
    {{- return('' if raw_value in ('', 'None', 'none') else raw_value) -}}
{% endmacro %}

{#- Integer vars, validated once: a typo in a var must fail, not rate with a null. -#}
{% macro int_var(name) %}
    {%- set value = var(name) | string | trim -%}
    {%- if not modules.re.match('^[0-9]+$', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a non-negative integer, got '" ~ value ~ "'") }}
    {%- endif -%}
    {{- return(value | int) -}}
{% endmacro %}
