"""Synthetic residents: numpy arrays, one element per person (vectorised for millions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from epilake.generator.city import AGE_BAND_BOUNDS, OKRUGS, POPULATION_AGE_SHARE, okrug_shares

FIRST_PATIENT_ID = 7_700_000_000
SEX_CODES = ("male", "female", "unknown")
SEX_SHARE = (0.462, 0.535, 0.003)


@dataclass(frozen=True)
class Population:
    """Residents at the start date: index i is one person."""

    patient_id: np.ndarray  # int64, the platform patient id
    okrug: np.ndarray  # int8 index into OKRUGS
    sex: np.ndarray  # int8 index into SEX_CODES
    birth_ordinal: np.ndarray  # int32 date.toordinal() of the birth date
    age_band: np.ndarray  # int8 index into AGE_BANDS at the start date

    def __len__(self) -> int:
        return len(self.patient_id)

    def birth_date(self, i: int) -> date:
        return date.fromordinal(int(self.birth_ordinal[i]))

    def okrug_code(self, i: int) -> str:
        return OKRUGS[self.okrug[i]]


def build_population(n: int, start: date, rng: np.random.Generator) -> Population:
    """``n`` residents spread over the okrugs by population, with Moscow's age and sex mix."""
    okrug = rng.choice(len(OKRUGS), size=n, p=okrug_shares()).astype(np.int8)
    band = rng.choice(len(AGE_BAND_BOUNDS), size=n, p=POPULATION_AGE_SHARE).astype(np.int8)
    low = np.array([lo for lo, _ in AGE_BAND_BOUNDS])[band]
    high = np.array([hi for _, hi in AGE_BAND_BOUNDS])[band]
    age_days = rng.integers(low * 365, (high + 1) * 365 - 1)
    birth = (start.toordinal() - age_days).astype(np.int32)
    sex = rng.choice(len(SEX_CODES), size=n, p=SEX_SHARE).astype(np.int8)
    return Population(
        patient_id=FIRST_PATIENT_ID + np.arange(n, dtype=np.int64),
        okrug=okrug,
        sex=sex,
        birth_ordinal=birth,
        age_band=band,
    )
