-- Residents (in the register, not deleted, not deceased) as intervals by okrug and age band,
-- split at each 1 January because the age band follows the calendar year.
{{ config(
    materialized="incremental",
    incremental_strategy="append",
    pre_hook="{{ delete_changed_patients('patient_key', calendar_last_year()) }}",
    post_hook="{{ record_patient_changes_consumed(calendar_last_year()) }}",
) }}
-- depends_on: {{ ref('int_patient_changes') }}
with

residents as (

    select * from {{ ref('int_register_versions') }}
    where is_resident and {{ changed_patients_only('patient_key', calendar_last_year()) }}

),

last_year as (

    select year(max(date)) as last_year from {{ ref('int_calendar') }}

),

by_year as (

    select
        residents.patient_key,
        residents.okrug,
        residents.birth_year,
        residents.valid_from_date,
        residents.valid_until_date,
        unnest(generate_series(
            year(residents.valid_from_date),
            least(year(residents.valid_until_date), last_year.last_year)
        )) as calendar_year
    from residents
    cross join last_year

),

clipped as (

    select
        patient_key,
        okrug,
        birth_year,
        greatest(valid_from_date, make_date(calendar_year, 1, 1)) as from_date,
        least(valid_until_date, make_date(calendar_year + 1, 1, 1)) as until_date
    from by_year

)

select
    patient_key,
    okrug,
    {{ age_band('birth_year', 'from_date') }} as age_band,
    from_date,
    until_date
from clipped
where from_date < until_date
