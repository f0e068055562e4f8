-- One row per raw event row (duplicates and bad rows included): renamed, cast and parsed.
-- Parsing never fails: an unparseable timestamp or properties text becomes a flag.
-- The pre-hook stops the build naming any events file whose columns break the contract.
{{ config(materialized='view', pre_hook="{{ assert_event_files_match_contract() }}") }}

with

source_events as (
    select * from {{ source('usage', 'events') }}
),

renamed as (
    select
        'events/' || {{ file_basename('filename') }} as source_file,
        cast(file_row_number as bigint) as source_row,
        transaction_id,
        customer_id as customer_ref,
        event_type,
        {{ adapter.quote('timestamp') }} as timestamp_text,  -- noqa: RF06
        properties as properties_text,
        cast(received_at as timestamp) as received_at
    from source_events
),

timestamp_parts as (
    select
        renamed.*,
        {{ rfc3339_parts('renamed.timestamp_text') }} as timestamp_parts
    from renamed
),

parsed as (
    select
        -- the row's address, readable and unique by construction (docs/decisions.md, "Event ids")
        source_file || ':' || cast(source_row as {{ dbt.type_string() }}) as event_id,
        source_file,
        source_row,
        transaction_id,
        customer_ref,
        event_type,
        timestamp_text,
        {{ rfc3339_parts_to_utc('timestamp_parts') }} as event_timestamp,
        properties_text,
        -- a null properties column is an empty object (rules 8)
        properties_text is null or {{ is_json_object('properties_text') }} as has_object_properties,
        received_at,
        {{ is_blank('transaction_id') }} as is_missing_transaction_id,
        {{ is_blank('customer_ref') }} as is_missing_customer_ref,
        {{ is_blank('event_type') }} as is_missing_event_type
    from timestamp_parts
)

select * from parsed
