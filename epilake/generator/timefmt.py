"""Fast ISO 8601 formatting of simulated instants (minutes since 1970-01-01 UTC)."""

from __future__ import annotations

from datetime import date, timedelta

MSK_OFFSET_MIN = 180
EPOCH = date(1970, 1, 1)
_DAYS: dict[int, str] = {}


def _day(epoch_day: int) -> str:
    text = _DAYS.get(epoch_day)
    if text is None:
        text = _DAYS[epoch_day] = (EPOCH + timedelta(days=epoch_day)).isoformat()
    return text


def local_instant(minute: int) -> str:
    """``minute`` (UTC) as Moscow local time with its offset, e.g. 2020-04-01T10:15:00+03:00."""
    local = int(minute) + MSK_OFFSET_MIN
    day, rest = divmod(local, 1440)
    return f"{_day(day)}T{rest // 60:02d}:{rest % 60:02d}:00+03:00"


def local_date(minute: int) -> str:
    return _day((int(minute) + MSK_OFFSET_MIN) // 1440)


def date_of_ordinal(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def local_day_ordinal(minutes):
    """Local (Moscow) date ordinals of UTC minutes; works on numpy arrays too."""
    return (minutes + MSK_OFFSET_MIN) // 1440 + EPOCH.toordinal()


def minute_of_ordinal(ordinals, minute_of_day=0):
    """UTC minutes of a local date ordinal plus a local minute of day (arrays welcome)."""
    return (ordinals - EPOCH.toordinal()) * 1440 + minute_of_day - MSK_OFFSET_MIN
