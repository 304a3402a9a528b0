-- Index-case/contact pairs with setting and outcome, for transmission models. Days are
-- counted from the index case's episode start.
with

contacts as (

    select * from {{ ref('int_contacts_traced') }}
    where index_episode_key is not null

),

episodes as (

    select * from {{ ref('int_case_episodes') }}

),

final as (

    select
        contacts.index_patient_key,
        contacts.contact_patient_key,
        episodes.age_band as index_age_band,
        episodes.sex as index_sex,
        contacts.index_okrug as okrug,
        strftime(contacts.exposure_date, '%G-W%V') as exposure_week,
        contacts.setting,
        contacts.exposure_date - contacts.index_episode_start as exposure_day,
        contacts.identified_date - contacts.index_episode_start as identified_day,
        contacts.notified_within_24h,
        contacts.test_result,
        contacts.outcome
    from contacts
    inner join episodes on contacts.index_episode_key = episodes.episode_key

)

select * from final
