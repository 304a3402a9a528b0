-- Per patient and measure, the dates on which they count as immune, as merged intervals
-- [from_date, until_date): first dose, fully vaccinated (dose 2, or one dose of
-- sputnik-light), recovered (28 to 180 days after an episode start), antibody positive
-- (a positive antibody result in the 180 days up to the date), and coverage (fully
-- vaccinated or recovered).
{{ config(
    materialized="incremental",
    incremental_strategy="append",
    pre_hook="{{ delete_changed_patients('patient_key') }}",
    post_hook="{{ record_patient_changes_consumed() }}",
) }}
-- depends_on: {{ ref('int_patient_changes') }}
with

doses as (

    select * from {{ ref('stg_records__immunizations') }}
    where was_given and {{ changed_patients_only('patient_key') }}

),

vaccinated as (

    select
        patient_key,
        'first_dose' as measure,
        min(occurred_date) as from_date,
        date '9999-12-31' as until_date
    from doses
    group by patient_key

    union all

    select
        patient_key,
        'fully_vaccinated' as measure,
        min(occurred_date) as from_date,
        date '9999-12-31' as until_date
    from doses
    where dose_number >= 2 or vaccine_code = 'sputnik-light'
    group by patient_key

),

recovered as (

    select
        patient_key,
        'recovered' as measure,
        episode_start + 28 as from_date,
        episode_start + 181 as until_date
    from {{ ref('int_case_episodes') }}
    where {{ changed_patients_only('patient_key') }}

),

antibodies as (

    select
        patient_key,
        'antibody_positive' as measure,
        specimen_date as from_date,
        specimen_date + 181 as until_date
    from {{ ref('int_lab_results_filtered') }}
    where test_type = 'antibody' and is_positive and {{ changed_patients_only('patient_key') }}

),

covered as (

    select
        patient_key,
        'coverage' as measure,
        from_date,
        until_date
    from vaccinated
    where measure = 'fully_vaccinated'
    union all
    select
        patient_key,
        'coverage' as measure,
        from_date,
        until_date
    from recovered

),

all_intervals as (

    select * from vaccinated
    union all
    select * from recovered
    union all
    select * from antibodies
    union all
    select * from covered

),

merged as (

    {{ merge_intervals('all_intervals', ['patient_key', 'measure']) }}

)

select * from merged
