-- One row: the run writing the marts, so that every finalized row and invoice can name the run
-- that finalized it (rules 5, auditors): its as_of, dbt's invocation_id, and a hash of the
-- configuration it read (every configuration file's lines, in file and line order).
with

config_lines as (
    select * from {{ ref('stg_billing__configuration_lines') }}
),

file_hashes as (
    -- one hash per file, so that the run hash does not depend on how files are read together
    select
        config_file,
        md5({{ dbt.listagg('line_text', "'\n'", 'order by line_number') }}) as file_hash
    from config_lines
    group by config_file
),

publications as (
    select * from {{ ref('stg_recorded__publications') }}
),

latest_publication as (
    -- what the published warehouse held when this build started: the publish step refuses
    -- to publish over anything newer
    select max(publication_id) as based_on_publication_id
    from publications
    where published_at = (select max(latest.published_at) from publications as latest)
),

final as (
    select
        {{ as_of_timestamp() }} as run_as_of,
        '{{ invocation_id }}' as run_invocation_id,
        coalesce(
            md5({{ dbt.listagg("config_file || ':' || file_hash", "'\n'", 'order by config_file') }}),
            md5('')
        ) as run_config_hash,
        (select latest_publication.based_on_publication_id from latest_publication) as based_on_publication_id
    from file_hashes
)

select * from final
