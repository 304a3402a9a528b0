"""What each extract is: its dbt model, sources, keys and quasi-identifiers."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_K = 11


@dataclass(frozen=True)
class ExtractSpec:
    name: str
    model: str  # the dbt model under dbt/models/extracts
    primary_table: str  # silver table a bare Delta version in --as-of refers to
    silver_tables: tuple[str, ...]  # every silver table the model reads
    person_column: str  # the patient the split and k-anonymity count; re-keyed per partner
    other_key_columns: tuple[str, ...]  # further pseudonymous keys, re-keyed the same way
    quasi_identifiers: tuple[str, ...]  # checked for k-anonymity; okrug generalises to city
    order_by: tuple[str, ...]  # a total order of the rows, so files are byte-identical
    how_it_arose: str
    known_biases: str


ALL_SILVER = (
    "lab_results",
    "encounters",
    "conditions",
    "vital_signs",
    "ct_reports",
    "immunizations",
    "patients",
    "contacts",
)

EXTRACTS: dict[str, ExtractSpec] = {
    spec.name: spec
    for spec in (
        ExtractSpec(
            name="ct_outcomes",
            model="extract_ct_outcomes",
            primary_table="encounters",
            silver_tables=ALL_SILVER,
            person_column="patient_key",
            other_key_columns=("stay_key",),
            quasi_identifiers=("age_band", "sex", "okrug", "admission_week"),
            order_by=("patient_key", "stay_key"),
            how_it_arose=(
                "One row per hospital stay (FHIR Encounter class IMP) linked to a COVID case "
                "episode (first positive PCR or antigen; the stay starts from 2 days before to "
                "14 days after the episode start). CT grades come from the chest CT reports of "
                "the stay, SpO2 from home monitoring between the episode start and admission, "
                "tests from the single lab service, vaccination from e-medical records."
            ),
            known_biases=(
                "Only patients tested positive by PCR or antigen appear; stays diagnosed "
                "clinically without a positive test are absent. Home SpO2 exists only for "
                "patients monitored by telemedicine before admission. CT is recorded only "
                "where a scan was done. Stays still open on the as-of date have outcome "
                "in_hospital. Age bands use the age reached in the calendar year."
            ),
        ),
        ExtractSpec(
            name="home_monitoring_series",
            model="extract_home_monitoring_series",
            primary_table="vital_signs",
            silver_tables=ALL_SILVER,
            person_column="patient_key",
            other_key_columns=("episode_key",),
            quasi_identifiers=("age_band", "sex", "okrug", "episode_week"),
            order_by=("patient_key", "episode_key", "day", "vital_sign", "value"),
            how_it_arose=(
                "Home-treated episodes: COVID case episodes with telemedicine vital signs in "
                "the 28 days from the episode start. One row per SpO2 or body-temperature "
                "reading taken at home (before any admission), dated in days from the "
                "episode start. The label escalated_within_7d says whether a COVID stay began "
                "within 7 days of the first home reading."
            ),
            known_biases=(
                "Readings are self-measured at home and taken more often when patients feel "
                "worse; monitoring ends at admission, so escalated series are shorter. "
                "Patients never monitored by telemedicine are absent."
            ),
        ),
        ExtractSpec(
            name="contacts_network",
            model="extract_contacts_network",
            primary_table="contacts",
            silver_tables=ALL_SILVER,
            person_column="index_patient_key",
            other_key_columns=("contact_patient_key",),
            quasi_identifiers=("index_age_band", "index_sex", "okrug", "exposure_week"),
            order_by=("index_patient_key", "contact_patient_key", "exposure_day", "setting"),
            how_it_arose=(
                "Index-case/contact pairs from the epidemiological investigation system "
                "(latest version of each contact record), for index patients with a COVID "
                "case episode started by the time the contact was identified. Days are "
                "counted from the index case's episode start."
            ),
            known_biases=(
                "Contacts are those the index case named and investigators reached; "
                "household contacts are over-represented, transport and social contacts "
                "under-represented. Contacts without a patient id have no contact key. "
                "Recent contacts may still be in_progress."
            ),
        ),
    )
}
