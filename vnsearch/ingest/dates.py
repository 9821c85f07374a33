"""Publication dates as sources really write them, read into one time zone.

Crawlers write ISO 8601 (``2021-04-26T08:33:41+07:00``), RSS writes RFC 2822
(``Mon, 26 Apr 2021 08:33:41 +0700``), Vietnamese sites write ``26/04/2021``
or ``26/04/2021 08:33``, and some exports hold Unix epoch seconds.  Each form
is read with the standard library (``datetime.fromisoformat``,
``email.utils.parsedate_to_datetime``, ``datetime.strptime``), never guessed
from a loose pattern, so a date that reads two ways is an error, not a coin toss.

A time without an offset is read in the index's zone (``Asia/Ho_Chi_Minh``
unless the user says otherwise): Vietnamese news sites publish local times.
Every time is then converted to that zone, so the day an article is filed
under is the day its readers saw it.
"""

from __future__ import annotations

import datetime
import email.utils
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["DEFAULT_TZ", "DateError", "When", "parse_when", "zone", "order_within_days", "date_limits", "FIRST_DAY"]

_T = TypeVar("_T")

DEFAULT_TZ = "Asia/Ho_Chi_Minh"

# Epoch numbers: seconds from 1973 (9 digits) on; 13 digits are milliseconds.
_EPOCH = re.compile(r"\d{9,10}(?:\.\d+)?|\d{12,13}")
_DMY_FORMATS = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y", "%d-%m-%Y %H:%M",
                "%d/%m/%Y - %H:%M", "%H:%M %d/%m/%Y", "%H:%M:%S %d/%m/%Y")
_MS_EPOCH = 10**11  # numbers above this are milliseconds (10**11 s is the year 5138)
# The earliest day accepted (see date_limits); the latest is a year from today.
FIRST_DAY = "1900-01-01"


class DateError(ValueError):
    """A date value that none of the supported forms reads."""


@dataclass(frozen=True)
class When:
    """A publication date: its day, and its time when the source gave one."""

    day: str  # "YYYY-MM-DD" in the index's zone
    time: str = ""  # "YYYY-MM-DDTHH:MM:SS+07:00" (seconds, the zone's offset) or "" for a bare day


def zone(name: str | None = None) -> datetime.tzinfo:
    """The zone called *name* (default Asia/Ho_Chi_Minh); raises DateError if unknown.

    Without the IANA database (some Windows installs), the default zone is
    still known: Vietnam has kept UTC+07:00 since 1975.
    """
    name = name or DEFAULT_TZ
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_TZ:
            return datetime.timezone(datetime.timedelta(hours=7), DEFAULT_TZ)
        if re.fullmatch(r"(?i)utc|z", name):
            return datetime.timezone.utc
        raise DateError(f"unknown time zone {name!r} (use an IANA name such as Asia/Ho_Chi_Minh or UTC)") from None


def parse_when(value: object, tz: datetime.tzinfo | None = None) -> When:
    """Read one date value (string or number) into a :class:`When` in zone *tz*.

    Accepted: ISO 8601 dates and date-times (with or without seconds,
    fractions, ``Z`` or an offset), RFC 2822 (``Mon, 26 Apr 2021 08:33:41
    +0700``), ``dd/mm/yyyy`` with an optional ``HH:MM[:SS]``, and Unix epoch
    seconds (a number, or a string of 9 to 10 digits; 12 to 13 digits are
    milliseconds).  A bare day stays a day: no time is invented for it.
    Digits are 0-9 only, and the day must lie in :func:`date_limits`
    (1900-01-01 to a year from today). Raises :class:`DateError` with the
    forms expected.
    """
    tz = tz or zone()
    if isinstance(value, bool):
        raise DateError(f"invalid date {value!r}")
    if isinstance(value, (int, float)):
        if not value >= 10**8:  # 20260307 is a day written as a number, not 1970-08-23
            raise DateError(f"invalid date {value!r} (a number is read as epoch seconds, 9 digits or more)")
        return _in_range(_from_epoch(float(value), tz, repr(value)), value)
    if not isinstance(value, str):
        raise DateError(f"invalid date: expected a string or a number, got {type(value).__name__}")
    text = " ".join(value.split())
    if not text:
        raise DateError("empty date")
    if not text.isascii():
        # Python reads "２０２１" (full-width) and other scripts' digits as numbers; dates are written in 0-9.
        odd = next((c for c in text if c.isdigit() and not c.isascii()), None)
        if odd is not None:
            raise DateError(f"invalid date {value!r} (digit {odd!r} is not 0-9)")
    if _EPOCH.fullmatch(text):
        return _in_range(_from_epoch(float(text), tz, repr(value)), value)
    parsed = _iso(text) or _rfc2822(text) or _day_month_year(text)
    if parsed is None:
        raise DateError(f"invalid date {value!r} (expected ISO 8601 such as 2021-04-26T08:33:41+07:00, "
                        f"RFC 2822, dd/mm/yyyy [HH:MM] or epoch seconds)")
    if isinstance(parsed, datetime.datetime):
        return _in_range(_from_datetime(parsed, tz), value)
    return _in_range(When(parsed.isoformat()), value)


def date_limits() -> tuple[str, str]:
    """The first and last day an article may be dated: 1900-01-01 to a year from today.

    News is not dated in year 1 or 9999; one such date would make every
    other article look ancient to ``--recent`` (ages count from the newest).
    """
    return FIRST_DAY, (datetime.date.today() + datetime.timedelta(days=366)).isoformat()


def _in_range(when: When, value: object) -> When:
    first, last = date_limits()
    if not first <= when.day <= last:
        raise DateError(f"date {value!r} is outside {first} to {last}")
    return when


def _iso(text: str) -> datetime.date | None:
    if len(text) == 10:
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            return None
    if len(text) < 16 or not text[:4].isdigit():  # "2021-04-26T08:33" at least
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace(" ", "T", 1) if text[10:11] == " " else text)
    except ValueError:
        return None


def _rfc2822(text: str) -> datetime.datetime | None:
    if not re.search(r"[A-Za-z]{3}", text):  # month names: "26 Apr 2021"
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" means "no zone information" (RFC 2822 §3.3): a local time.
    return parsed


def _day_month_year(text: str) -> datetime.datetime | datetime.date | None:
    if "/" not in text and not re.match(r"\d{1,2}-\d{1,2}-\d{4}", text):
        return None
    for fmt in _DMY_FORMATS:
        try:
            parsed = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed if "%H" in fmt else parsed.date()
    return None


def _from_epoch(seconds: float, tz: datetime.tzinfo, shown: str) -> When:
    if not math.isfinite(seconds) or seconds < 0:
        raise DateError(f"invalid epoch time {shown}")
    if seconds > _MS_EPOCH:
        seconds /= 1000
    try:
        moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise DateError(f"invalid epoch time {shown}") from None
    return _from_datetime(moment, tz)


def _from_datetime(moment: datetime.datetime, tz: datetime.tzinfo) -> When:
    local = moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)
    local = local.replace(microsecond=0)
    return When(local.date().isoformat(), local.isoformat())


def order_within_days(items: list[_T], newest: bool, day: Callable[[_T], str], time: Callable[[_T], str]) -> list[_T]:
    """*items*, already in day order, with each run of one day put in time order.

    The index keeps one term per day (filters and the date sort read days);
    the time is stored with the article, so it orders the hits of one page
    that share a day.  Items of that day without a time follow those with one.
    """
    out: list[_T] = []
    i = 0
    while i < len(items):
        j = i + 1
        while j < len(items) and day(items[j]) == day(items[i]):
            j += 1
        run = items[i:j]
        if day(items[i]) and len(run) > 1:
            timed = sorted((x for x in run if time(x)), key=lambda x: _instant(time(x)), reverse=newest)
            run = timed + [x for x in run if not time(x)]
        out.extend(run)
        i = j
    return out


def _instant(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
