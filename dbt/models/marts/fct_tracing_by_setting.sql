with

contacts as (

    select * from {{ ref('stg_tracing__contacts') }}

),

final as (

    select
        cast(date_trunc('week', exposure_date) as date) as week,
        setting,
        count(*) as contacts,
        count(*) filter (where outcome = 'became_case') as became_cases,
        cast(
            round(100.0 * count(*) filter (where outcome = 'became_case') / count(*), 2)
            as double
        ) as secondary_attack_rate_pct
    from contacts
    group by all

)

select * from final
order by week, setting
