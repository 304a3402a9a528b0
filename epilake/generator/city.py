"""Reference facts about the city: okrug populations (FEEDS.md) and the epidemic's shape."""

from __future__ import annotations

import math
from datetime import date

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

# Published Moscow 2020 figures (stopcoronavirus.rf via the covid19-ru collection): the first
# wave's daily confirmed cases peaked at 6,703 on 2020-05-07, fell to about 600 a day by late
# July, and rose again from mid-September. The waves below are fitted to those landmarks.
FIRST_WAVE_PEAK = date(2020, 5, 7)
_WAVES = (  # (peak date, relative height, width in days)
    (FIRST_WAVE_PEAK, 1.00, 17.0),
    (date(2020, 12, 20), 1.15, 32.0),  # autumn rise into the winter 2020-21 wave
    (date(2021, 6, 25), 1.30, 14.0),  # summer 2021 (Delta)
)
BACKGROUND = 0.06


def epidemic_intensity(day: date) -> float:
    """Relative daily incidence on ``day`` (1.0 at the first wave's peak)."""
    level = BACKGROUND if day >= date(2020, 3, 10) else 0.0
    for peak, height, width in _WAVES:
        offset = (day - peak).days
        level += height * math.exp(-0.5 * (offset / width) ** 2)
    return level
