with

source as (

    select * from {{ source('records', 'immunizations') }}

),

renamed as (

    select
        immunization_id,
        patient_key,
        status as immunization_status,
        is_retracted,
        vaccine_code,
        dose_number,
        occurred_at,
        occurred_date,
        not is_retracted and status = 'completed' as was_given

    from source

)

select * from renamed
