-- Register versions as local-date intervals [valid_from_date, valid_until_date): the
-- version a patient had at the end of each date. Versions superseded on the day they began
-- cover no date and are left out.
{{ config(
    materialized="incremental",
    incremental_strategy="append",
    pre_hook="{{ delete_changed_patients('patient_key') }}",
    post_hook="{{ record_patient_changes_consumed() }}",
) }}
-- depends_on: {{ ref('int_patient_changes') }}
with

versions as (

    select * from {{ ref('stg_register__patients') }}
    where {{ changed_patients_only('patient_key') }}

),

intervals as (

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
        valid_from_date,
        coalesce(valid_to_date, date '9999-12-31') as valid_until_date,
        covid_status != 'deceased' as is_resident,
        is_current,
        closed_by_delete
    from versions

)

select * from intervals
where valid_from_date < valid_until_date
