"""Code systems and value sets of the e-medical records feed (FEEDS.md)."""

ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ROLE_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
LOINC_SYSTEM = "http://loinc.org"
CT_SEVERITY_SYSTEM = "urn:epilake:ct-severity"
VACCINE_SYSTEM = "urn:epilake:vaccine"

# v3 ActCode encounter classes: GP appointment, ambulance, hospital stay, telemedicine, home.
ENCOUNTER_CLASSES = ("AMB", "EMER", "IMP", "VR", "HH")
ICU_TYPE = "ICU"
DISCHARGE_DISPOSITIONS = ("home", "other-hcf", "exp")
ENCOUNTER_STATUSES = (
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
)
CONDITION_CODES = ("U07.1", "U07.2", "J12.8", "Z20.8", "U09.9")
VITAL_SIGNS = {"59408-5": "spo2", "8310-5": "body_temperature", "9279-1": "respiratory_rate"}
CHEST_CT_CODE = "24627-2"
CT_GRADES = ("CT-0", "CT-1", "CT-2", "CT-3", "CT-4")
VACCINES = ("sputnik-v", "sputnik-light", "epivaccorona", "covivac")
RETRACTED = "entered-in-error"
