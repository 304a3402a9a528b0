-- Every COVID stay is admitted once in fct_hospital_daily, and no bed is occupied by more
-- stays than were ever admitted.
{{ config(meta={"dagster": {"ref": {"name": "fct_hospital_daily"}}}) }}

with

mart as (

    select
        sum(admissions) as admissions,
        max(occupied_beds) as busiest_day
    from {{ ref('fct_hospital_daily') }}

),

stays as (

    select count(*) as stays from {{ ref('int_covid_stays') }}

)

select
    mart.admissions,
    mart.busiest_day,
    stays.stays
from mart
cross join stays
where mart.admissions != stays.stays or mart.busiest_day > stays.stays
