{#- Left join the register version a patient had at the end of a local date (their okrug,
    sex, birth year then); no match means not (yet, or no longer) in the register. -#}
{% macro join_register_version(alias, patient_key, on_date) -%}
    left join {{ ref('int_register_versions') }} as {{ alias }}
        on
            {{ patient_key }} = {{ alias }}.patient_key
            and {{ on_date }} >= {{ alias }}.valid_from_date
            and {{ on_date }} < {{ alias }}.valid_until_date
{%- endmacro %}
