-- Silver rows whose patient the register has not delivered (yet): they stay in silver, not
-- in quarantine, and leave this view as soon as the register delivers the patient. The
-- match is computed here, when read, not stored in silver (decision 0011): a stored flag
-- would mean rewriting old rows of seven tables whenever the register delivers.
-- Bookkeeping (a failed gate's hold does not spread through it): its rows are keys waiting
-- for the register, which every silver table has.
{{ config(tags=["bookkeeping"]) }}
{%- set named = [
    ('lab', 'lab_results', 'result_id', 'patient_key', 'patient'),
    ('records', 'encounters', 'encounter_id', 'patient_key', 'patient'),
    ('records', 'conditions', 'condition_id', 'patient_key', 'patient'),
    ('records', 'vital_signs', 'observation_id', 'patient_key', 'patient'),
    ('records', 'ct_reports', 'report_id', 'patient_key', 'patient'),
    ('records', 'immunizations', 'immunization_id', 'patient_key', 'patient'),
    ('tracing', 'contacts', 'contact_id', 'index_patient_key', 'index case'),
    ('tracing', 'contacts', 'contact_id', 'contact_patient_key', 'contact'),
] %}
with

registered as (

    select distinct patient_key from {{ source('register', 'patients') }}

),

named as (
    {% for feed, table, id_column, key_column, role in named %}
        select
            '{{ feed }}' as feed,
            '{{ table }}' as silver_table,
            {{ id_column }} as row_id,
            '{{ role }}' as patient_role,
            {{ key_column }} as patient_key,
            _delivery_date as delivery_date
        from {{ source(feed, table) }}
        where {{ key_column }} is not null
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

awaiting as (

    select named.*
    from named
    anti join registered
        on named.patient_key = registered.patient_key

)

select * from awaiting
