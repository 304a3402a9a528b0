-- One death per patient, on the earliest date either system records it (register
-- "deceased since", or a hospital stay discharged "exp" on its end date); a COVID death
-- when it falls within 28 days of the start of the patient's latest episode before it.
with

register_deaths as (

    select
        patient_key,
        min(coalesce(status_since, valid_from_date)) as death_date
    from {{ ref('int_register_versions') }}
    where covid_status = 'deceased'
    group by patient_key

),

hospital_deaths as (

    select
        patient_key,
        min(end_date) as death_date
    from {{ ref('stg_records__encounters') }}
    where
        class_code = 'IMP'
        and took_place
        and discharge_disposition = 'exp'
        and end_date is not null
    group by patient_key

),

deaths as (

    select
        patient_key,
        min(death_date) as death_date,
        bool_or(source = 'register') as in_register,
        bool_or(source = 'hospital') as in_hospital_records
    from (
        select
            patient_key,
            death_date,
            'register' as source
        from register_deaths
        union all
        select
            patient_key,
            death_date,
            'hospital' as source
        from hospital_deaths
    ) as recorded_deaths
    group by patient_key

),

latest_episodes as (

    select
        deaths.patient_key,
        episodes.episode_key,
        episodes.episode_start,
        row_number() over (
            partition by deaths.patient_key order by episodes.episode_start desc
        ) as position
    from deaths
    inner join {{ ref('int_case_episodes') }} as episodes
        on
            deaths.patient_key = episodes.patient_key
            and deaths.death_date >= episodes.episode_start

),

final as (

    select
        deaths.patient_key,
        deaths.death_date,
        deaths.in_register,
        deaths.in_hospital_records,
        latest_episodes.episode_key,
        latest_episodes.episode_start,
        coalesce(deaths.death_date - latest_episodes.episode_start <= 28, false) as is_covid_death
    from deaths
    left join latest_episodes
        on deaths.patient_key = latest_episodes.patient_key and latest_episodes.position = 1

)

select * from final
