with

source as (

    select * from {{ source('register', 'patients') }}

),

renamed as (

    select
        patient_key,
        event_id,
        sex,
        birth_year,
        birth_month,
        okrug,
        covid_status,
        contact_status,
        immune_status,
        status_since,
        valid_from,
        valid_to,
        valid_from_date,
        valid_to_date,
        is_current,
        closed_by_delete,
        _delivery_date as delivery_date

    from source

)

select * from renamed
