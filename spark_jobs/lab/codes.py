"""Code systems and value sets of the lab feed (FEEDS.md), named once for the whole platform."""

LOINC_SYSTEM = "http://loinc.org"
SNOMED_SYSTEM = "http://snomed.info/sct"

PCR_CODES = ("94500-6", "94309-2", "94531-1")
ANTIGEN_CODES = ("94558-4", "97097-0")
ANTIBODY_CODES = ("94563-4", "94564-2", "94505-5")
IGG_QUANTITY_CODE = "94505-5"
IGG_POSITIVE_THRESHOLD_BAU_ML = 33.8

TEST_TYPE_BY_LOINC = {
    **dict.fromkeys(PCR_CODES, "pcr"),
    **dict.fromkeys(ANTIGEN_CODES, "antigen"),
    **dict.fromkeys(ANTIBODY_CODES, "antibody"),
}
TEST_TYPES = ("pcr", "antigen", "antibody")

DETECTED = "260373001"
NOT_DETECTED = "260415000"
INCONCLUSIVE = "419984006"
RESULT_CODES = (DETECTED, NOT_DETECTED, INCONCLUSIVE)

STATUSES = (
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
)
RESULT_STATUSES = ("final", "amended", "corrected")
RETRACTED_STATUS = "entered-in-error"
