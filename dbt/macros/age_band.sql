{#- Age band on a date from the birth year: silver keeps the year only (no birth date past
    bronze), so the age is the one reached in that calendar year. No register row: unknown. -#}
{% macro age_band(birth_year, on_date) -%}
    case
        when {{ birth_year }} is null then 'unknown'
        when year({{ on_date }}) - {{ birth_year }} < 18 then '0-17'
        when year({{ on_date }}) - {{ birth_year }} < 46 then '18-45'
        when year({{ on_date }}) - {{ birth_year }} < 66 then '46-65'
        when year({{ on_date }}) - {{ birth_year }} < 80 then '66-79'
        else '80+'
    end
{%- endmacro %}
