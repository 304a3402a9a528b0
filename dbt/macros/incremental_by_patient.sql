{#- Intermediate models kept up to date per patient. A build deletes the rows of the patients
    int_patient_changes lists since the model's own last build and inserts them again,
    recomputed from all of their silver rows; everyone's rows when the change log says
    "everything" (a null patient), when the model has no recorded build, or when `year_of`
    (a query for a year the rows are cut at) differs from the recorded one.

    In the model:
        {{ config(materialized="incremental", incremental_strategy="append",
                  pre_hook="{{ delete_changed_patients('patient_key') }}",
                  post_hook="{{ record_patient_changes_consumed() }}") }}
        -- depends_on: {{ ref('int_patient_changes') }}
        ... where {{ changed_patients_only('patient_key') }} on each input ...

    The state table lives in `main` (created by on-run-start); each build appends one row per
    model, so concurrent models never update the same row. -#}

{% macro patient_changes_state() -%}
    main.epilake_incremental_state
{%- endmacro %}


{% macro create_patient_changes_state() -%}
    create table if not exists {{ patient_changes_state() }} (
        model varchar not null,
        changes_until timestamp with time zone,
        cut_year integer,
        recorded_at timestamp with time zone not null default current_timestamp
    )
{%- endmacro %}


{% macro _last_recorded(column) -%}
    (
        select {{ column }} from {{ patient_changes_state() }}
        where model = '{{ this.identifier }}'
        order by recorded_at desc
        limit 1
    )
{%- endmacro %}


{#- True when this build recomputes every patient (see above); false when only the changed. -#}
{% macro rebuilds_everyone(year_of=none) -%}
    {%- if not is_incremental() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set year_changed = (
        "or " ~ _last_recorded("cut_year") ~ " is distinct from (" ~ year_of ~ ")"
    ) if year_of else "" -%}
    {%- set decision -%}
        select
            {{ _last_recorded('changes_until') }} is null
            or exists (
                select 1 from {{ ref('int_patient_changes') }}
                where
                    patient_key is null
                    and changed_by > {{ _last_recorded('changes_until') }}
            )
            {{ year_changed }}
    {%- endset -%}
    {{ return(run_query(decision).columns[0].values()[0]) }}
{%- endmacro %}


{#- A filter for an input of the model: all rows on a full build, else the changed patients'
    (and, with or_null, the rows without a patient: they have no key to be listed by). -#}
{% macro changed_patients_only(column, year_of=none, or_null=false) -%}
    {%- if rebuilds_everyone(year_of) -%}
        true
    {%- else -%}
        ({{ column }} in (
            select patient_key from {{ ref('int_patient_changes') }}
            where changed_by > {{ _last_recorded('changes_until') }}
        ){% if or_null %} or {{ column }} is null{% endif %})
    {%- endif -%}
{%- endmacro %}


{#- pre_hook: remove the rows the build is about to insert again. -#}
{% macro delete_changed_patients(column, year_of=none, or_null=false) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ changed_patients_only(column, year_of, or_null) }}
    {%- endif -%}
{%- endmacro %}


{#- post_hook: the changes this build has taken in (and the year its rows are cut at). -#}
{% macro record_patient_changes_consumed(year_of=none) -%}
    insert into {{ patient_changes_state() }} (model, changes_until, cut_year)
    select
        '{{ this.identifier }}',
        (select max(changed_by) from {{ ref('int_patient_changes') }}),
        {% if year_of %}({{ year_of }}){% else %}null{% endif %}
{%- endmacro %}


{#- The last calendar year of the marts (int_resident_intervals cuts at each 1 January). -#}
{% macro calendar_last_year() -%}
    select year(max(date)) from {{ ref('int_calendar') }}
{%- endmacro %}


{#- Whether the relation has every one of these columns (false while dbt only parses). -#}
{% macro relation_has_columns(relation, names) -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(relation) | map(attribute="name") | list -%}
    {{ return(names | reject("in", present) | list | length == 0) }}
{%- endmacro %}
