-- Residents (in the register, not deleted, not deceased) as intervals by okrug and age band,
-- split at each birthday (the first of the birth month) because the band follows the age in
-- whole years on each date.
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

by_age as (

    -- One row per year of age the version spans: year of age n runs from the birthday in
    -- calendar year birth_year + n to the next one.
    select
        residents.patient_key,
        residents.okrug,
        residents.birth_year,
        residents.birth_month,
        residents.valid_from_date,
        residents.valid_until_date,
        unnest(generate_series(
            year(residents.valid_from_date) - 1,
            least(year(residents.valid_until_date), last_year.last_year)
        )) as birthday_year
    from residents
    cross join last_year

),

clipped as (

    select
        patient_key,
        okrug,
        birthday_year - birth_year as age,
        greatest(valid_from_date, make_date(birthday_year, birth_month, 1)) as from_date,
        least(valid_until_date, make_date(birthday_year + 1, birth_month, 1)) as until_date
    from by_age

)

select
    patient_key,
    okrug,
    {{ age_band_of('age') }} as age_band,
    from_date,
    until_date
from clipped
where from_date < until_date
