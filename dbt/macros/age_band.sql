{#- Age in whole years on a date, from the year and month of birth: silver keeps no day of
    birth (the birth date stays in bronze), so a birth date is taken as the first of its
    month, as OpenSAFELY does. A person turns a year older on the first of the birth month. -#}
{% macro age_on(birth_year, birth_month, on_date) -%}
    (year({{ on_date }}) - {{ birth_year }}
        - case when month({{ on_date }}) < {{ birth_month }} then 1 else 0 end)
{%- endmacro %}


{#- The age band of an age in whole years, from the one definition of the bands (the
    `age_bands` var: label and lowest age, youngest first). No age (no register row): unknown.
    An age below the youngest band's (a record dated before the birth) is in the youngest. -#}
{% macro age_band_of(age) -%}
    case
        when {{ age }} is null then 'unknown'
    {%- for band, lowest in (var('age_bands') | reverse) %}
        when {{ age }} >= {{ lowest }} then '{{ band }}'
    {%- endfor %}
        else '{{ var("age_bands")[0][0] }}'
    end
{%- endmacro %}


{#- The age band on a date of a person born in that year and month. -#}
{% macro age_band(birth_year, birth_month, on_date) -%}
    {{ age_band_of(age_on(birth_year, birth_month, on_date)) }}
{%- endmacro %}


{#- The bands as rows (age_band, min_age): the grid of every mart by age band. -#}
{% macro age_band_rows() -%}
    {%- set rows = [] -%}
    {%- for band, lowest in var('age_bands') -%}
        {%- do rows.append("('" ~ band ~ "', " ~ lowest ~ ")") -%}
    {%- endfor -%}
    select
        bands.age_band,
        bands.min_age
    from (values {{ rows | join(', ') }}) as bands (age_band, min_age)
{%- endmacro %}
