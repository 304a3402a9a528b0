with

source as (

    select * from {{ source('lab', 'lab_results') }}

),

renamed as (

    select
        result_id,
        patient_key,
        accession_key,
        status as result_status,
        is_retracted,
        loinc_code,
        test_type,
        result_code,
        result_value,
        result_unit,
        is_positive,
        collected_at,
        issued_at,
        specimen_date,
        lab_id,
        version_at as result_version_at,
        _delivery_date as delivery_date

    from source

)

select * from renamed
