-- One row per case episode: the path from first test to outcome.
with

episodes as (

    select * from {{ ref('int_case_episodes') }}

),

first_tests as (

    -- The first PCR or antigen test in the 14 days up to the episode start (maybe negative).
    select
        episodes.episode_key,
        min(results.specimen_date) as first_test_date
    from episodes
    inner join {{ ref('int_lab_results_filtered') }} as results
        on
            episodes.patient_key = results.patient_key
            and results.test_type in ('pcr', 'antigen')
            and results.specimen_date between episodes.episode_start - 14 and episodes.episode_start
    group by episodes.episode_key

),

diagnoses as (

    select
        episodes.episode_key,
        min(coalesce(conditions.recorded_date, conditions.onset_date)) as diagnosis_date
    from episodes
    inner join {{ ref('stg_records__conditions') }} as conditions
        on
            episodes.patient_key = conditions.patient_key
            and conditions.icd10_code in ('U07.1', 'U07.2')
            and conditions.is_asserted
            and coalesce(conditions.recorded_date, conditions.onset_date)
            between episodes.episode_start - 14 and episodes.episode_start + 28
    group by episodes.episode_key

),

monitoring as (

    select
        episodes.episode_key,
        min(encounters.start_date) as home_monitoring_start
    from episodes
    inner join {{ ref('stg_records__encounters') }} as encounters
        on
            episodes.patient_key = encounters.patient_key
            and encounters.class_code = 'VR'
            and encounters.took_place
            and encounters.start_date between episodes.episode_start and episodes.episode_start + 28
    group by episodes.episode_key

),

stays as (

    select
        episode_key,
        min(admission_date) as admission_date,
        bool_or(is_icu) as was_in_icu,
        arg_min(discharge_date, started_at) as discharge_date,
        arg_min(discharge_disposition, started_at) as discharge_disposition,
        bool_or(discharge_date is null) as still_in_hospital
    from {{ ref('int_covid_stays') }}
    where episode_key is not null
    group by episode_key

),

deaths as (

    select * from {{ ref('int_deaths') }}
    where is_covid_death

),

final as (

    select
        episodes.episode_key,
        episodes.patient_key,
        episodes.episode_number,
        episodes.episode_start,
        episodes.sex,
        episodes.age_band,
        episodes.okrug,
        first_tests.first_test_date,
        diagnoses.diagnosis_date,
        monitoring.home_monitoring_start,
        stays.admission_date,
        coalesce(stays.was_in_icu, false) as was_in_icu,
        stays.discharge_date,
        deaths.death_date,
        case
            when deaths.patient_key is not null then 'died_within_28d'
            when stays.still_in_hospital then 'in_hospital'
            when stays.discharge_disposition = 'other-hcf' then 'transferred'
            when stays.admission_date is not null then 'discharged_home'
            else 'not_hospitalised'
        end as outcome,
        diagnoses.diagnosis_date - episodes.episode_start as days_to_diagnosis,
        stays.admission_date - episodes.episode_start as days_to_admission,
        stays.discharge_date - stays.admission_date as days_in_hospital,
        deaths.death_date - episodes.episode_start as days_to_death
    from episodes
    left join first_tests on episodes.episode_key = first_tests.episode_key
    left join diagnoses on episodes.episode_key = diagnoses.episode_key
    left join monitoring on episodes.episode_key = monitoring.episode_key
    left join stays on episodes.episode_key = stays.episode_key
    left join deaths on episodes.episode_key = deaths.episode_key

)

select * from final
order by episode_start, episode_key
