-- One row per hospital stay of a COVID case episode: what was known at admission and how
-- the stay ended. Dates only as days from the episode start (and the admission week).
with

stays as (

    select * from {{ ref('int_covid_stays') }}
    where episode_key is not null

),

episodes as (

    select * from {{ ref('int_case_episodes') }}

),

stay_episodes as (

    select
        stays.*,
        episodes.episode_start,
        episodes.age_band,
        episodes.sex,
        episodes.okrug
    from stays
    inner join episodes on stays.episode_key = episodes.episode_key

),

ct_scans as (

    select
        encounter_id,
        arg_min(ct_grade, performed_at) as ct_grade_at_admission,
        max(ct_grade) as worst_ct_grade
    from {{ ref('stg_records__ct_reports') }}
    where is_valid and encounter_id is not null and ct_grade is not null
    group by encounter_id

),

home_spo2 as (

    select
        stay_episodes.encounter_id,
        arg_min(readings.value, readings.measured_at) as first_spo2,
        min(readings.value) as lowest_spo2
    from stay_episodes
    inner join {{ ref('stg_records__vital_signs') }} as readings
        on
            stay_episodes.patient_key = readings.patient_key
            and readings.vital_sign = 'spo2'
            and readings.is_valid
            and readings.measured_date
            between stay_episodes.episode_start and stay_episodes.admission_date
    group by stay_episodes.encounter_id

),

lab as (

    select
        stay_episodes.encounter_id,
        count(*) filter (where results.test_type = 'pcr') as pcr_tests,
        count(*) filter (where results.test_type = 'pcr' and results.is_positive)
            as pcr_positives,
        count(*) filter (where results.test_type = 'antibody') as antibody_tests,
        count(*) filter (where results.test_type = 'antibody' and results.is_positive)
            as antibody_positives
    from stay_episodes
    inner join {{ ref('int_lab_results_filtered') }} as results
        on
            stay_episodes.patient_key = results.patient_key
            and results.specimen_date
            between stay_episodes.episode_start - 14 and stay_episodes.admission_date
    group by stay_episodes.encounter_id

),

vaccination as (

    select
        stay_episodes.encounter_id,
        count(*) as doses,
        bool_or(doses.dose_number >= 2 or doses.vaccine_code = 'sputnik-light') as is_full
    from stay_episodes
    inner join {{ ref('stg_records__immunizations') }} as doses
        on
            stay_episodes.patient_key = doses.patient_key
            and doses.was_given
            and stay_episodes.admission_date > doses.occurred_date
    group by stay_episodes.encounter_id

),

deaths as (

    select * from {{ ref('int_deaths') }}

),

final as (

    select
        stay_episodes.patient_key,
        md5(stay_episodes.encounter_id) as stay_key,
        stay_episodes.age_band,
        stay_episodes.sex,
        stay_episodes.okrug,
        strftime(stay_episodes.admission_date, '%G-W%V') as admission_week,
        stay_episodes.admission_date - stay_episodes.episode_start as days_to_admission,
        ct_scans.ct_grade_at_admission,
        ct_scans.worst_ct_grade,
        home_spo2.first_spo2,
        home_spo2.lowest_spo2,
        coalesce(lab.pcr_tests, 0) as pcr_tests,
        coalesce(lab.pcr_positives, 0) as pcr_positives,
        coalesce(lab.antibody_tests, 0) as antibody_tests,
        coalesce(lab.antibody_positives, 0) as antibody_positives,
        case
            when vaccination.is_full then 'fully_vaccinated'
            when vaccination.doses > 0 then 'first_dose'
            else 'not_vaccinated'
        end as vaccination_status,
        stay_episodes.is_icu as icu,
        stay_episodes.discharge_date - stay_episodes.admission_date as length_of_stay_days,
        case
            when deaths.is_covid_death and deaths.episode_key = stay_episodes.episode_key
                then 'died_within_28d'
            when stay_episodes.discharge_date is null then 'in_hospital'
            when stay_episodes.discharge_disposition = 'exp' then 'died_later'
            when stay_episodes.discharge_disposition = 'other-hcf' then 'transferred'
            else 'discharged_home'
        end as outcome
    from stay_episodes
    left join ct_scans on stay_episodes.encounter_id = ct_scans.encounter_id
    left join home_spo2 on stay_episodes.encounter_id = home_spo2.encounter_id
    left join lab on stay_episodes.encounter_id = lab.encounter_id
    left join vaccination on stay_episodes.encounter_id = vaccination.encounter_id
    left join deaths on stay_episodes.patient_key = deaths.patient_key

)

select * from final
