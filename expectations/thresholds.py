"""Every quality threshold in one reviewed place."""

from spark_jobs.common import plausibility

# The earliest dates the world allows (spark_jobs/common/plausibility.py): ingestion
# quarantines each record before them, so the gates find none unless a rule is bypassed.
EARLIEST_PLAUSIBLE_SPECIMEN_DATE = plausibility.PANDEMIC_START
EARLIEST_PLAUSIBLE_CONTACT_DATE = plausibility.PANDEMIC_START
EARLIEST_PLAUSIBLE_VACCINATION_DATE = plausibility.FIRST_VACCINE_DOSES
# Medical history is ordinary: a stay or a diagnosis from 2010 belongs in silver.
EARLIEST_PLAUSIBLE_EVENT_DATE = plausibility.EARLIEST_MEDICAL_RECORD
# Values outside physiology and the assays are quarantined at ingestion too.
MAX_PLAUSIBLE_IGG_BAU_ML = plausibility.MAX_IGG_BAU_ML
# Results come back within days; a release more than 60 days after collection is implausible.
MAX_TURNAROUND_DAYS = 60
SPO2_PERCENT = plausibility.VITAL_SIGN_RANGES["59408-5"]
BODY_TEMPERATURE_CEL = plausibility.VITAL_SIGN_RANGES["8310-5"]
RESPIRATORY_RATE_PER_MIN = plausibility.VITAL_SIGN_RANGES["9279-1"]
# Ages (in whole years reached in the calendar year) a register can hold.
AGE_YEARS = (0, 120)
# Lab results dated before their patient's birth year: one is a typing error (a warning);
# above 1 % of a run's results the lab's patient ids and the register disagree.
MAX_SHARE_BEFORE_BIRTH = 0.01
# A quarantine rate above this in one batch is worth a look (recorded, not blocking: one
# small file with a few typos, or one corrupt file quarantined whole, is not systemic).
MAX_BATCH_QUARANTINE_RATE = 0.10
# Blocking: above this share of all the records a feed sent in one run quarantined, the
# sender's export is broken, not a few records (contract failures of a working export run
# at 1-3 %: the generator's dirt, real feeds well under it) ...
MAX_RUN_QUARANTINE_SHARE = 0.10
# ... judged once the run read this many records of the feed: below, three typos in a
# twenty-record delivery would make a broken export.
MIN_RECORDS_FOR_A_SHARE = 200
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
