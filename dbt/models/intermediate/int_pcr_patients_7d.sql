-- For each date d and okrug (and the whole city, okrug 'all'): distinct patients with a PCR
-- collected in d-6..d, and those with a positive one.
-- A test day d puts its patient in the windows ending d..d+6. Of those, it adds only the
-- windows the patient's previous test day (d') has not already covered, from
-- max(d, d' + 7) on, so each patient counts once per window: a running sum of +1/-1
-- changes then gives the distinct counts without a count(distinct) over 7 x patient-days.
with

pcr_patient_days as (

    select
        patient_key,
        okrug,
        specimen_date,
        bool_or(is_positive) as is_positive
    from {{ ref('int_lab_results_located') }}
    where test_type = 'pcr'
    group by all

),

area_days as (

    select
        patient_key,
        okrug as area,
        specimen_date,
        is_positive
    from pcr_patient_days
    union all
    select
        patient_key,
        'all' as area,
        specimen_date,
        bool_or(is_positive) as is_positive
    from pcr_patient_days
    group by patient_key, specimen_date

),

test_days as (

    select
        patient_key,
        area,
        specimen_date,
        'tested' as measure
    from area_days
    union all
    select
        patient_key,
        area,
        specimen_date,
        'positive' as measure
    from area_days
    where is_positive

),

spans as (

    select
        area,
        measure,
        specimen_date + 6 as last_window,
        greatest(
            specimen_date,
            lag(specimen_date) over (
                partition by patient_key, area, measure order by specimen_date
            ) + 7
        ) as first_window
    from test_days

),

changes as (

    select
        area,
        measure,
        first_window as window_end,
        1 as change
    from spans
    union all
    select
        area,
        measure,
        last_window + 1 as window_end,
        -1 as change
    from spans

),

daily_changes as (

    select
        area,
        window_end,
        coalesce(sum(change) filter (where measure = 'tested'), 0) as tested,
        coalesce(sum(change) filter (where measure = 'positive'), 0) as positive
    from changes
    group by area, window_end

),

area_dates as (

    select
        area,
        cast(unnest(generate_series(min(window_end), max(window_end), interval 1 day)) as date)
            as window_end
    from daily_changes
    group by area

),

running as (

    select
        area_dates.area,
        area_dates.window_end,
        sum(coalesce(daily_changes.tested, 0)) over area_so_far as patients_tested,
        sum(coalesce(daily_changes.positive, 0)) over area_so_far as patients_positive
    from area_dates
    left join daily_changes
        on
            area_dates.area = daily_changes.area
            and area_dates.window_end = daily_changes.window_end
    window area_so_far as (
        partition by area_dates.area order by area_dates.window_end
        rows between unbounded preceding and current row
    )

)

select
    window_end,
    area as okrug,
    cast(patients_tested as bigint) as patients_tested,
    cast(patients_positive as bigint) as patients_positive
from running
where patients_tested > 0
