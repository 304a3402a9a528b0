with

source as (

    select * from {{ source('records', 'vital_signs') }}

),

renamed as (

    select
        observation_id,
        patient_key,
        status as observation_status,
        is_retracted,
        loinc_code,
        vital_sign,
        value,
        unit,
        measured_at,
        measured_date,
        encounter_id,
        not is_retracted
        and coalesce(status, '') not in ('cancelled', 'entered-in-error') as is_valid

    from source

)

select * from renamed
