-- COVID stays: hospital stays (IMP) of a patient with a case episode starting in
-- [stay start - 14 days, stay start + 2 days], or with U07.1/U07.2 recorded in the stay.
with

stays as (

    select * from {{ ref('stg_records__encounters') }}
    where class_code = 'IMP' and took_place

),

covid_diagnoses as (

    select distinct encounter_id
    from {{ ref('stg_records__conditions') }}
    where icd10_code in ('U07.1', 'U07.2') and is_asserted and encounter_id is not null

),

episodes as (

    select * from {{ ref('int_case_episodes') }}

),

linked_episodes as (

    select
        stays.encounter_id,
        episodes.episode_key,
        episodes.episode_start,
        row_number() over (
            partition by stays.encounter_id order by episodes.episode_start desc
        ) as position
    from stays
    inner join episodes
        on
            stays.patient_key = episodes.patient_key
            and episodes.episode_start between stays.start_date - 14 and stays.start_date + 2

),

final as (

    select
        stays.encounter_id,
        stays.patient_key,
        stays.is_icu,
        stays.started_at,
        stays.ended_at,
        stays.start_date as admission_date,
        stays.end_date as discharge_date,
        stays.discharge_disposition,
        linked_episodes.episode_key,
        linked_episodes.episode_start,
        covid_diagnoses.encounter_id is not null as has_covid_diagnosis
    from stays
    left join linked_episodes
        on stays.encounter_id = linked_episodes.encounter_id and linked_episodes.position = 1
    left join covid_diagnoses
        on stays.encounter_id = covid_diagnoses.encounter_id
    where linked_episodes.encounter_id is not null or covid_diagnoses.encounter_id is not null

)

select * from final
