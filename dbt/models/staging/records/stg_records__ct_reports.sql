with

source as (

    select * from {{ source('records', 'ct_reports') }}

),

renamed as (

    select
        report_id,
        patient_key,
        status as report_status,
        is_retracted,
        ct_code,
        ct_grade,
        performed_at,
        performed_date,
        encounter_id,
        not is_retracted
        and coalesce(status, '') not in ('cancelled', 'entered-in-error') as is_valid

    from source

)

select * from renamed
