with

source as (

    select * from {{ source('records', 'conditions') }}

),

renamed as (

    select
        condition_id,
        patient_key,
        is_retracted,
        icd10_code,
        clinical_status,
        verification_status,
        onset_at,
        recorded_at,
        onset_date,
        recorded_date,
        encounter_id,
        not is_retracted
        and coalesce(verification_status, '') not in ('refuted', 'entered-in-error') as is_asserted,
        version_at as condition_version_at

    from source

)

select * from renamed
