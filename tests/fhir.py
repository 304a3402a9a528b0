"""Builders of valid FHIR resources for tests (lab Observations, records resources)."""

import copy

BASE = {
    "resourceType": "Observation",
    "id": "obs-1",
    "meta": {"lastUpdated": "2020-04-02T09:00:00+03:00"},
    "identifier": [{"system": "urn:epilake:accession", "value": "ACC000000001"}],
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
    "subject": {"reference": "Patient/7700000001"},
    "effectiveDateTime": "2020-04-01T10:00:00+03:00",
    "issued": "2020-04-02T09:00:00+03:00",
    "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "260373001"}]},
    "performer": [{"reference": "Organization/lab-central"}],
}


def _changed(base: dict, changes: dict) -> dict:
    resource = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = value
    return resource


def observation(**changes) -> dict:
    """The base Observation with top-level changes; a value of None removes the element."""
    return _changed(BASE, changes)


_SUBJECT = {"reference": "Patient/7700000001"}
_META = {"lastUpdated": "2020-04-05T12:00:00+03:00"}
RECORD_BASES = {
    "Encounter": {
        "resourceType": "Encounter",
        "id": "enc-1",
        "meta": _META,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": _SUBJECT,
        "period": {"start": "2020-04-01T10:00:00+03:00", "end": "2020-04-05T12:00:00+03:00"},
        "hospitalization": {"dischargeDisposition": {"coding": [{"code": "home"}]}},
    },
    "Condition": {
        "resourceType": "Condition",
        "id": "cond-1",
        "meta": _META,
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "U07.1"}]},
        "subject": _SUBJECT,
        "onsetDateTime": "2020-03-30T09:00:00+03:00",
        "recordedDate": "2020-04-01T14:00:00+03:00",
        "encounter": {"reference": "Encounter/enc-1"},
    },
    "Observation": {
        "resourceType": "Observation",
        "id": "vit-1",
        "meta": _META,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "59408-5"}]},
        "subject": _SUBJECT,
        "effectiveDateTime": "2020-04-02T08:00:00+03:00",
        "valueQuantity": {"value": 93, "unit": "%"},
        "encounter": {"reference": "Encounter/enc-2"},
    },
    "DiagnosticReport": {
        "resourceType": "DiagnosticReport",
        "id": "ct-1",
        "meta": _META,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "24627-2"}]},
        "subject": _SUBJECT,
        "effectiveDateTime": "2020-04-01T20:00:00+03:00",
        "conclusionCode": [{"coding": [{"system": "urn:epilake:ct-severity", "code": "CT-3"}]}],
    },
    "Immunization": {
        "resourceType": "Immunization",
        "id": "imm-1",
        "meta": _META,
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "urn:epilake:vaccine", "code": "sputnik-v"}]},
        "subject": _SUBJECT,
        "occurrenceDateTime": "2021-02-01T11:00:00+03:00",
        "protocolApplied": [{"doseNumberPositiveInt": 1}],
    },
}


def record(resource_type: str, **changes) -> dict:
    """A valid records-feed resource with top-level changes (None removes the element)."""
    return _changed(RECORD_BASES[resource_type], changes)
