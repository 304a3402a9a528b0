-- No immunity count exceeds the residents it is counted among.
{{ config(meta={"dagster": {"ref": {"name": "fct_immunity_daily"}}}) }}

select
    immunity.date,
    immunity.okrug,
    immunity.age_band
from {{ ref('fct_immunity_daily') }} as immunity
left join {{ ref('int_population_daily') }} as population
    on
        immunity.date = population.date
        and immunity.okrug = population.okrug
        and immunity.age_band = population.age_band
where
    greatest(
        immunity.vaccinated_first_dose,
        immunity.fully_vaccinated,
        immunity.recovered,
        immunity.antibody_positive
    ) > coalesce(population.population, 0)
    or immunity.fully_vaccinated > immunity.vaccinated_first_dose
