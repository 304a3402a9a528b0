with

source as (

    select * from {{ source('tracing', 'contacts') }}

),

renamed as (

    select
        contact_id,
        investigation_id,
        index_patient_key,
        contact_patient_key,
        setting,
        exposure_date,
        identified_at,
        notified_at,
        cast(timezone('{{ var("local_timezone") }}', identified_at) as date) as identified_date,
        quarantine_start,
        quarantine_end,
        test_result,
        outcome,
        version_at as contact_version_at

    from source

)

select * from renamed
