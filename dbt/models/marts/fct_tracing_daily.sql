with

contacts as (

    select * from {{ ref('int_contacts_traced') }}
    where index_episode_key is not null

),

episodes as (

    select * from {{ ref('int_case_episodes') }}

),

by_index_date as (

    select
        index_episode_start as date,
        index_okrug as okrug,
        count(distinct index_patient_key) as index_cases,
        count(*) as contacts,
        count(*) filter (where notified_within_24h) as notified_within_24h,
        median(hours_to_identify) as median_hours_to_identify,
        count(*) filter (where was_tested) as tested
    from contacts
    group by all

),

named_before as (

    -- Episodes whose patient was named as a contact identified before the episode began.
    select distinct episodes.episode_key
    from episodes
    inner join contacts
        on
            episodes.patient_key = contacts.contact_patient_key
            and episodes.episode_start > contacts.identified_date

),

episodes_named as (

    select
        episodes.episode_start as date,
        episodes.okrug,
        count(*) as episodes,
        count(named_before.episode_key) as previously_named
    from episodes
    left join named_before
        on episodes.episode_key = named_before.episode_key
    group by all

),

places as (

    {{ okrugs_and_unknown() }}

),

final as (

    select
        calendar.date,
        places.okrug,
        coalesce(by_index_date.index_cases, 0) as index_cases,
        coalesce(by_index_date.contacts, 0) as contacts,
        cast(round(by_index_date.contacts / by_index_date.index_cases, 2) as double)
            as contacts_per_case,
        cast(
            round(100.0 * by_index_date.notified_within_24h / by_index_date.contacts, 2)
            as double
        ) as contacts_notified_within_24h_pct,
        cast(round(by_index_date.median_hours_to_identify, 1) as double)
            as median_hours_to_identify,
        cast(round(100.0 * by_index_date.tested / by_index_date.contacts, 2) as double)
            as contacts_tested_pct,
        cast(
            round(100.0 * episodes_named.previously_named / episodes_named.episodes, 2)
            as double
        ) as cases_previously_named_as_contacts_pct
    from {{ ref('int_calendar') }} as calendar
    cross join places
    left join by_index_date
        on calendar.date = by_index_date.date and places.okrug = by_index_date.okrug
    left join episodes_named
        on calendar.date = episodes_named.date and places.okrug = episodes_named.okrug

)

select * from final
order by date, okrug
