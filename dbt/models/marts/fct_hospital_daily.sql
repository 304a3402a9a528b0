with

stays as (

    select * from {{ ref('int_covid_stays') }}

),

as_of as (

    select max(date) as as_of_date from {{ ref('int_calendar') }}

),

bed_days as (

    -- A stay occupies a bed from its start up to but not including its end; an open stay
    -- up to the as-of date.
    select
        stays.patient_key,
        stays.is_icu,
        cast(
            unnest(generate_series(
                stays.admission_date,
                coalesce(stays.discharge_date - 1, as_of.as_of_date),
                interval 1 day
            )) as date
        ) as date
    from stays
    cross join as_of

),

events as (

    select
        patient_key,
        admission_date as date,
        'admission' as measure
    from stays
    union all
    select
        patient_key,
        discharge_date as date,
        'discharge' as measure
    from stays
    where discharge_date is not null
    union all
    select
        patient_key,
        date,
        'occupied_bed' as measure
    from bed_days
    union all
    select
        patient_key,
        date,
        'icu_bed' as measure
    from bed_days
    where is_icu
    union all
    select
        patient_key,
        death_date as date,
        'death' as measure
    from {{ ref('int_deaths') }}
    where is_covid_death
    union all
    select
        patient_key,
        start_date as date,
        'ambulance' as measure
    from {{ ref('stg_records__encounters') }}
    where class_code = 'EMER' and took_place

),

located as (

    select
        events.date,
        events.measure,
        coalesce(version.okrug, 'unknown') as okrug
    from events
    {{ join_register_version('version', 'events.patient_key', 'events.date') }}

),

daily as (

    select
        date,
        okrug,
        count(*) filter (where measure = 'admission') as admissions,
        count(*) filter (where measure = 'occupied_bed') as occupied_beds,
        count(*) filter (where measure = 'icu_bed') as icu_occupied,
        count(*) filter (where measure = 'discharge') as discharges,
        count(*) filter (where measure = 'death') as deaths_28d,
        count(*) filter (where measure = 'ambulance') as ambulance_callouts
    from located
    group by date, okrug

),

places as (

    {{ okrugs_and_unknown() }}

),

final as (

    select
        calendar.date,
        places.okrug,
        coalesce(daily.admissions, 0) as admissions,
        coalesce(daily.occupied_beds, 0) as occupied_beds,
        coalesce(daily.icu_occupied, 0) as icu_occupied,
        coalesce(daily.discharges, 0) as discharges,
        coalesce(daily.deaths_28d, 0) as deaths_28d,
        coalesce(daily.ambulance_callouts, 0) as ambulance_callouts
    from {{ ref('int_calendar') }} as calendar
    cross join places
    left join daily
        on calendar.date = daily.date and places.okrug = daily.okrug

)

select * from final
order by date, okrug
