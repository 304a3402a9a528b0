with

age_bands as (

    {{ age_band_rows() }}

),

episodes as (

    select * from {{ ref('int_case_episodes') }}

),

population as (

    select * from {{ ref('int_population_daily') }}

),

strata as (

    select
        okrugs.okrug,
        age_bands.age_band
    from {{ ref('okrugs') }} as okrugs
    cross join age_bands
    union all
    select
        'unknown' as okrug,
        'unknown' as age_band

),

grid as (

    select
        calendar.date,
        strata.okrug,
        strata.age_band
    from {{ ref('int_calendar') }} as calendar
    cross join strata

),

daily as (

    select
        episode_start as date,
        okrug,
        age_band,
        count(*) as new_cases
    from episodes
    group by all

),

counted as (

    select
        grid.date,
        grid.okrug,
        grid.age_band,
        coalesce(daily.new_cases, 0) as new_cases,
        coalesce(population.population, 0) as population
    from grid
    left join daily
        on
            grid.date = daily.date
            and grid.okrug = daily.okrug
            and grid.age_band = daily.age_band
    left join population
        on
            grid.date = population.date
            and grid.okrug = population.okrug
            and grid.age_band = population.age_band

),

rolled as (

    select
        *,
        sum(new_cases) over (
            partition by okrug, age_band order by date rows between 6 preceding and current row
        ) as cases_rolling_7d,
        sum(new_cases) over (
            partition by okrug, age_band
            order by date rows between unbounded preceding and current row
        ) as cumulative_cases
    from counted

),

final as (

    select
        date,
        okrug,
        age_band,
        new_cases,
        cast(cases_rolling_7d as bigint) as cases_rolling_7d,
        case
            when population > 0
                then cast(round(100000.0 * cases_rolling_7d / population, 2) as double)
        end as rate_rolling_7d_per_100k,
        cast(cumulative_cases as bigint) as cumulative_cases,
        population
    from rolled

)

select * from final
order by date, okrug, age_band
