with

source as (

    select * from {{ source('records', 'encounters') }}

),

renamed as (

    select
        encounter_id,
        patient_key,
        status as encounter_status,
        is_retracted,
        class_code,
        is_icu,
        started_at,
        ended_at,
        start_date,
        end_date,
        discharge_disposition,
        not is_retracted
        and status not in ('planned', 'cancelled', 'entered-in-error') as took_place,
        version_at as encounter_version_at,
        _delivery_date as delivery_date

    from source

)

select * from renamed
