"""Builders of FHIR Observations for tests."""

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


def observation(**changes) -> dict:
    """The base Observation with top-level changes; a value of None removes the element."""
    resource = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = value
    return resource
