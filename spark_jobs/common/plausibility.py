"""What the world allows a record's date to be: a record outside it is quarantined, on its
own, with the reason, instead of failing its table's gate.

The bounds are the domain's, not the pandemic's. A hospital stay or a diagnosis from 2010 is
ordinary medical history and belongs in silver (the marts' definitions decide what counts
for COVID figures); a SARS-CoV-2 test, a COVID-19 vaccination or a traced contact dated
before the virus or the vaccine existed does not. The gates keep the same bounds, so a
record that escaped the rule would still be caught, and block on the share of a batch
quarantined (expectations/thresholds.py), which is the systemic signal.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.common.rules import Rule

# The first SARS-CoV-2 cases were reported in December 2019 and the first tests were made
# for them: a specimen, a positive test or a traced contact before then is a data error.
PANDEMIC_START = date(2019, 12, 1)
# The first COVID-19 vaccine doses anywhere were given in trials from March 2020 (China,
# the USA); Russia's first trial doses of Gam-COVID-Vac followed in June 2020. A dose before
# March 2020 is a data error; one between then and the mass campaign (December 2020) is a
# plausible trial volunteer, kept.
FIRST_VACCINE_DOSES = date(2020, 3, 1)
# No medical record of a living system predates 1900 (the oldest people alive were born
# after it); an older date is a typing or conversion error, not history.
EARLIEST_MEDICAL_RECORD = date(1900, 1, 1)
# Nobody alive was born before 1900 (the oldest person ever documented lived 122 years): an
# older birth date in the register is an error of that one record, quarantined with it.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


# The rules on dates the world does not allow: the earliest date each allows, and why.
EARLIEST = {
    "before_pandemic": (PANDEMIC_START, "nothing of COVID-19 existed before SARS-CoV-2"),
    "before_vaccines": (
        FIRST_VACCINE_DOSES,
        "no COVID-19 vaccine was given before the first trial doses",
    ),
    "before_records": (
        EARLIEST_MEDICAL_RECORD,
        "no medical record of a living patient is that old",
    ),
}


def before(rule: str, field: str, parsed: Column) -> Rule:
    """Quarantine a record whose ``parsed`` timestamp falls before ``rule``'s earliest date."""
    earliest, why = EARLIEST[rule]
    return (
        rule,
        parsed < F.lit(earliest).cast("timestamp"),
        F.concat(
            F.lit(f"{field} "),
            F.date_format(parsed, "yyyy-MM-dd"),
            F.lit(f" is before {earliest.isoformat()}: {why}"),
        ),
    )


# Values physiology and the assays allow. Vital signs a home pulse oximeter, thermometer or
# a nurse's count can truly show (SpO2 below 50 % is not measured at home; a body below
# 34 or above 43 degrees is not alive to be monitored), by the sign's LOINC code.
VITAL_SIGN_RANGES = {
    "59408-5": (50.0, 100.0),  # SpO2, %
    "8310-5": (34.0, 43.0),  # body temperature, Cel
    "9279-1": (4.0, 70.0),  # respiratory rate, /min
}
# Quantitative anti-SARS-CoV-2 IgG in BAU/mL: assays report up to a few thousand; a value
# above this is a unit or typing error.
MAX_IGG_BAU_ML = 100_000.0


def outside_rule(rule: str, field: str, value: Column, low: float, high: float) -> Rule:
    """Quarantine a record whose ``value`` lies outside ``low``..``high``."""
    return (
        rule,
        (value < F.lit(low)) | (value > F.lit(high)),
        F.concat(
            F.lit(f"{field} "),
            value.cast("string"),
            F.lit(f" is outside {low:g}..{high:g}, what can truly be measured"),
        ),
    )


def implausible_vital_sign(loinc: Column, value: Column) -> Rule:
    """A vital sign outside its range (``VITAL_SIGN_RANGES``), whichever sign it is."""
    outside = F.lit(False)
    for code, (low, high) in VITAL_SIGN_RANGES.items():
        outside = outside | ((loinc == code) & ((value < low) | (value > high)))
    ranges = "; ".join(f"{c}: {lo:g}..{hi:g}" for c, (lo, hi) in VITAL_SIGN_RANGES.items())
    return (
        "outside_physiology",
        F.coalesce(outside, F.lit(False)),
        F.concat(
            F.lit("valueQuantity.value "),
            value.cast("string"),
            F.lit(" for LOINC "),
            loinc,
            F.lit(f" is outside what can truly be measured ({ranges})"),
        ),
    )
