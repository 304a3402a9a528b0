"""Every quality threshold in one reviewed place."""

from spark_jobs.common import plausibility

# The earliest dates the world allows (spark_jobs/common/plausibility.py): ingestion
# quarantines each record before them, so the gates find none unless a rule is bypassed.
EARLIEST_PLAUSIBLE_SPECIMEN_DATE = plausibility.PANDEMIC_START
EARLIEST_PLAUSIBLE_CONTACT_DATE = plausibility.PANDEMIC_START
EARLIEST_PLAUSIBLE_VACCINATION_DATE = plausibility.FIRST_VACCINE_DOSES
# Medical history is ordinary: a stay or a diagnosis from 2010 belongs in silver.
EARLIEST_PLAUSIBLE_EVENT_DATE = plausibility.EARLIEST_MEDICAL_RECORD
# Quantitative IgG in BAU/mL: assays report up to a few thousand; beyond this is a unit error.
MAX_PLAUSIBLE_IGG_BAU_ML = 100_000.0
# Results come back within days; a release more than 60 days after collection is implausible.
MAX_TURNAROUND_DAYS = 60
# Vital signs a home pulse oximeter or thermometer can truly show.
SPO2_PERCENT = (50.0, 100.0)
BODY_TEMPERATURE_CEL = (34.0, 43.0)
RESPIRATORY_RATE_PER_MIN = (4.0, 70.0)
# Ages (in whole years reached in the calendar year) a register can hold.
AGE_YEARS = (0, 120)
# A quarantine rate above this in one batch means a sender's export is broken.
MAX_BATCH_QUARANTINE_RATE = 0.10
# Silver rows whose patient the register does not (yet) hold: the register can lag a day, and
# non-residents (commuters, visitors) are tested and treated in the city without ever being in
# its register (about 8 % of lab results in the generated city, 1M x 365). Above this share
# the register feed is broken (blocking) ...
MAX_UNMATCHED_SHARE = 0.15
# ... and none should wait longer than this (recorded, not blocking: a lab can name a patient
# the register never had).
MAX_UNMATCHED_DAYS = 7
# A feed whose newest delivery is older than this (in days, against the run date) is stale.
MAX_FEED_LAG_DAYS = 2
# Hospital stays last days or weeks; over a year is a missing discharge.
MAX_STAY_DAYS = 365
# Rates per 100,000 cannot exceed the whole population.
MAX_RATE_PER_100K = 100_000.0
