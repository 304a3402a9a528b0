-- Residents per date, okrug and age band: the denominator of every rate.
with

residents as (

    select * from {{ ref('int_resident_intervals') }}

),

counts as (

    {{ daily_counts_from_intervals('residents', ['okrug', 'age_band']) }}

)

select
    date,
    okrug,
    age_band,
    covered as population
from counts
