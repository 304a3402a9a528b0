with

age_bands as (

    {{ age_band_rows() }}

),

residents as (

    select * from {{ ref('int_resident_intervals') }}

),

immune as (

    select * from {{ ref('int_immunity_intervals') }}

),

resident_immune as (

    -- Each immunity interval cut to the resident intervals it overlaps: residents only, in
    -- the okrug and age band they had on each date.
    select
        immune.measure,
        residents.okrug,
        residents.age_band,
        greatest(immune.from_date, residents.from_date) as from_date,
        least(immune.until_date, residents.until_date) as until_date
    from immune
    inner join residents
        on
            immune.patient_key = residents.patient_key
            and immune.from_date < residents.until_date
            and immune.until_date > residents.from_date

),

counts as (

    {{ daily_counts_from_intervals('resident_immune', ['measure', 'okrug', 'age_band']) }}

),

daily as (

    select
        date,
        okrug,
        age_band,
        sum(covered) filter (where measure = 'first_dose') as vaccinated_first_dose,
        sum(covered) filter (where measure = 'fully_vaccinated') as fully_vaccinated,
        sum(covered) filter (where measure = 'recovered') as recovered,
        sum(covered) filter (where measure = 'antibody_positive') as antibody_positive,
        sum(covered) filter (where measure = 'coverage') as covered
    from counts
    group by all

),

grid as (

    select
        calendar.date,
        okrugs.okrug,
        age_bands.age_band
    from {{ ref('int_calendar') }} as calendar
    cross join {{ ref('okrugs') }} as okrugs
    cross join age_bands

),

final as (

    select
        grid.date,
        grid.okrug,
        grid.age_band,
        cast(coalesce(daily.vaccinated_first_dose, 0) as bigint) as vaccinated_first_dose,
        cast(coalesce(daily.fully_vaccinated, 0) as bigint) as fully_vaccinated,
        cast(coalesce(daily.recovered, 0) as bigint) as recovered,
        cast(coalesce(daily.antibody_positive, 0) as bigint) as antibody_positive,
        case
            when population.population > 0
                then cast(round(
                        100.0 * coalesce(daily.covered, 0) / population.population, 2
                    ) as double)
        end as coverage_pct
    from grid
    left join daily
        on
            grid.date = daily.date
            and grid.okrug = daily.okrug
            and grid.age_band = daily.age_band
    left join {{ ref('int_population_daily') }} as population
        on
            grid.date = population.date
            and grid.okrug = population.okrug
            and grid.age_band = population.age_band

)

select * from final
order by date, okrug, age_band
