"""Every quality threshold in one reviewed place."""

from datetime import date

# SARS-CoV-2 tests cannot predate the pandemic: the first Russian tests date from late
# January 2020; anything before December 2019 is a data error, not an early test.
EARLIEST_PLAUSIBLE_SPECIMEN_DATE = date(2019, 12, 1)
# Quantitative IgG in BAU/mL: assays report up to a few thousand; beyond this is a unit error.
MAX_PLAUSIBLE_IGG_BAU_ML = 100_000.0
# Results come back within days; a release more than 60 days after collection is implausible.
MAX_TURNAROUND_DAYS = 60
