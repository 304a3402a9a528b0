"""Reference facts about the city, written down once for the generator.

Okrug populations are FEEDS.md's. The case curve, the age mix of cases and the admissions
per case are calibrated on the published Moscow 2020 figures (stopcoronavirus.rf and the
Moscow operational headquarters, 17 March to 19 October 2020, as collected in the public
covid19-ru repository): those figures are summarised below, not read at run time.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

OKRUG_POPULATION = {
    "CAO": 772_000,
    "SAO": 1_185_000,
    "SVAO": 1_434_000,
    "VAO": 1_516_000,
    "YUVAO": 1_433_000,
    "YUAO": 1_794_000,
    "YUZAO": 1_443_000,
    "ZAO": 1_397_000,
    "SZAO": 1_011_000,
    "ZELAO": 251_000,
    "NAO": 381_000,
    "TAO": 145_000,
}
OKRUGS = tuple(OKRUG_POPULATION)

AGE_BANDS = ("0-17", "18-45", "46-65", "66-79", "80+")
AGE_BAND_BOUNDS = ((0, 17), (18, 45), (46, 65), (66, 79), (80, 100))
# Residents by age band (Moscow, about 2021; Rosstat's age structure rounded).
POPULATION_AGE_SHARE = (0.17, 0.41, 0.26, 0.12, 0.04)
# New cases by age band, 1 April - 19 October 2020 (361,313 cases): children 8.8 %,
# 18-45 42.7 %, 46-65 32.2 %, 66-79 10.8 %, 80+ 5.5 %.
CASE_AGE_SHARE = (0.088, 0.427, 0.322, 0.108, 0.055)
# Daily COVID admissions / daily new cases, 20 April - 8 July 2020: 74,227 / 202,471 = 0.37.
ADMISSIONS_PER_CASE = 0.37
# Deaths / cases, March - October 2020: 6,009 / 367,498 = 1.6 %.
DEATHS_PER_CASE = 0.016
# Cumulative confirmed cases on 19 October 2020 per resident: 367,498 / 12.7 million.
CASES_PER_RESIDENT_BY_2020_10_19 = 0.029

# Daily confirmed cases rose to 6,703 on 7 May 2020, fell to about 600 a day in July and rose
# again from mid-September (5,376 on 19 October). Waves as (peak, height relative to the
# first peak, days to rise, days to fall); the rise is faster than the fall, as it was.
WAVES = (
    (date(2020, 5, 7), 1.00, 9.0, 20.0),
    (date(2020, 12, 10), 1.20, 45.0, 30.0),  # autumn rise into winter 2020-21
    (date(2021, 6, 25), 1.35, 10.0, 18.0),  # summer 2021
)
FIRST_WAVE_PEAK = WAVES[0][0]
EPIDEMIC_START = date(2020, 3, 5)
BACKGROUND = 0.06


def epidemic_intensity(day: date) -> float:
    """Relative daily incidence of confirmed cases on ``day`` (1.0 at the first peak)."""
    if day < EPIDEMIC_START:
        return 0.0
    level = BACKGROUND
    for peak, height, rise, fall in WAVES:
        offset = (day - peak).days
        width = rise if offset < 0 else fall
        level += height * math.exp(-0.5 * (offset / width) ** 2)
    return level


def okrug_shares() -> np.ndarray:
    populations = np.array(list(OKRUG_POPULATION.values()), dtype=float)
    return populations / populations.sum()
