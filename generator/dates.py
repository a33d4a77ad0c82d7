"""Dates: front-matter parsing in the site time zone, human formatting, dates in running text.

Everything here is pure: no I/O, no global state besides precompiled tables and regexes and
the times that :func:`iso` has written.

Date recognition (:func:`find_dates`) recognises full dates *with a year* only:

* ISO ``2022-02-24`` in every language;
* Danish forms (``24. februar 2022``, ``24. feb. 2022``, ``24 februar 2022``);
* English forms (``24 February 2022``, ``24th of Feb 2022``, ``February 24, 2022``,
  ``Feb. 24th 2022``).

All forms are recognised whatever the article language (an English quote in a Danish article is
common), so `language` does not change the result. This is safe because every form needs a
month *name* from a closed list between a one- or two-digit day and a four-digit year, names
must end at a word boundary (``februar`` does not match inside ``February``), and a word that is
a month in both languages (``jan``, ``nov``, ...) is the same month in both. Days and years
must not be glued to other letters or digits, and a day must not continue a number ("10.000").
Impossible dates ("31. februar 2022") are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "LANGUAGES",
    "DateMention",
    "day_anchor",
    "find_dates",
    "format_date",
    "format_month",
    "iso",
    "local_date",
    "month_name",
    "parse_datetime",
    "zone",
]

LANGUAGES: tuple[str, ...] = ("da", "en")
"""Languages with their own month names; anything else is formatted in English."""

_MONTHS: dict[str, tuple[str, ...]] = {
    "da": (
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

# Month words recognised in running text (lower case) -> month number.
_DA_WORDS: dict[str, int] = {name: i for i, name in enumerate(_MONTHS["da"], 1)} | {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "okt": 10,
    "nov": 11,
    "dec": 12,
}
_EN_WORDS: dict[str, int] = {name.lower(): i for i, name in enumerate(_MONTHS["en"], 1)} | {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}


def _language(language: str) -> str:
    """Normalise "da", "DA", "da-DK", "da_DK" to "da"; unknown languages become "en"."""
    code = language.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in _MONTHS else "en"


# --------------------------------------------------------------------------- parsing

_ISO_VALUE = re.compile(
    r"""
    (?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})
    (?:
        [T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})
        (?::(?P<second>[0-9]{2})(?:[.,][0-9]+)?)?
        \s*(?P<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?
    )?
    """,
    re.VERBOSE | re.IGNORECASE,
)


def zone(tz: str) -> ZoneInfo:
    """The IANA zone called `tz` ("Europe/Copenhagen"); ValueError if there is none."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {tz!r}") from exc


def _localise(naive: datetime, tz: str) -> datetime:
    """Attach zone `tz` to a naive local time, with the DST offset in force at that moment.

    An ambiguous time (the repeated hour in autumn) is taken as the first, summer-time one; a
    non-existent time (the skipped hour in spring) is moved forward by the gap, as clocks do.
    """
    aware = naive.replace(tzinfo=zone(tz), fold=0)
    return aware.astimezone(UTC).astimezone(aware.tzinfo)


def _offset(text: str) -> tzinfo:
    """The fixed-offset tzinfo for "Z", "+01:00", "+0100" or "+01"."""
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    if int(digits[2:] or 0) >= 60 or minutes >= 24 * 60:
        raise ValueError(f"not a UTC offset: {text!r}")
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


YEARS = (1000, 9998)
"""The years a date may have: every date must also exist as a day in UTC and in every time
zone, which dates at the edges of Python's calendar (years 1 and 9999) may not."""


def _check_year(year: int, shown: str) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValueError(f"the year must be from {YEARS[0]} to {YEARS[1]}: {shown!r}")


def parse_datetime(value: object, tz: str) -> datetime:
    """Parse a front-matter date into an aware datetime (seconds kept, microseconds dropped).

    `value` is a ``date``, a ``datetime`` or an ISO 8601 string ("2024-11-12",
    "2024-11-12T00:54", "2024-11-12 00:54:00", "2024-11-12T00:54:00+01:00", "...Z"). Without an
    offset the time is local to `tz` (a date alone means 00:00 local) and the result carries
    ``ZoneInfo(tz)``; with one, the result carries that fixed offset.
    """
    if isinstance(value, date):  # a datetime too
        _check_year(value.year, value.isoformat())
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return _localise(value.replace(microsecond=0), tz)
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return _localise(datetime(value.year, value.month, value.day), tz)
    if not isinstance(value, str):
        raise ValueError(f"not an ISO 8601 date: {value!r}")
    text = value.strip()
    match = _ISO_VALUE.fullmatch(text)
    if match is None:
        raise ValueError(
            f"not an ISO 8601 date: {text!r}; write it as 2024-11-12 or 2024-11-12T00:54"
        )
    parts = match.groupdict()
    try:
        naive = datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
        )
        offset = _offset(parts["offset"]) if parts["offset"] else None
    except ValueError as exc:
        raise ValueError(f"not a valid date: {text!r} ({exc})") from None
    _check_year(naive.year, text)
    if offset is None:
        return _localise(naive, tz)
    return naive.replace(tzinfo=offset)


def local_date(dt: datetime, tz: str | None = None) -> date:
    """The calendar date of `dt`, seen in zone `tz` if given, else in `dt`'s own zone."""
    if tz is not None and dt.tzinfo is not None:
        dt = dt.astimezone(zone(tz))
    return dt.date()


def day_start(d: date, tz: str) -> datetime:
    """The start of a calendar day in zone ``tz``, for ``<time datetime>`` of a whole day."""
    return datetime(d.year, d.month, d.day, tzinfo=zone(tz))


# --------------------------------------------------------------------------- formatting


def iso(dt: datetime) -> str:
    """ISO 8601 with seconds and offset, for ``<time datetime>``: "2024-11-12T00:54:00+01:00"."""
    return _iso(dt, dt.tzinfo, dt.fold)


@lru_cache(maxsize=1 << 16)
def _iso(dt: datetime, zone: tzinfo | None, fold: int) -> str:
    """:func:`iso`, kept: a site writes the time of an article on its page, in its feeds and in
    its JSON-LD, tens of times in all. The zone and ``fold`` are part of the key because equal
    datetimes can differ in both (10:00+01:00 equals 09:00+00:00, and the two 02:30 of the
    night that summer time ends are equal in one zone)."""
    if zone is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime has no offset: {dt.isoformat()}")
    return dt.replace(microsecond=0).isoformat(timespec="seconds")


def month_name(month: int, language: str) -> str:
    """The month's name: "november" in Danish (lower case), "November" in English."""
    if not 1 <= month <= 12:
        raise ValueError(f"not a month: {month!r}")
    return _MONTHS[_language(language)][month - 1]


def format_month(year: int, month: int, language: str) -> str:
    """A month heading: "november 2024" (da) / "November 2024" (en)."""
    return f"{month_name(month, language)} {year}"


def format_date(dt: date, language: str, with_time: bool = True) -> str:
    """A human date: "12. november 2024 kl. 00.54" (da), "12 November 2024, 00:54" (en).

    A plain ``date`` (or ``with_time=False``) gives the date only. The time is shown as it is in
    `dt`'s own zone; convert with ``astimezone`` first to show it elsewhere.
    """
    lang = _language(language)
    name = month_name(dt.month, lang)
    show_time = with_time and isinstance(dt, datetime)
    if lang == "da":
        text = f"{dt.day}. {name} {dt.year}"
        return f"{text} kl. {dt.hour:02d}.{dt.minute:02d}" if show_time else text
    text = f"{dt.day} {name} {dt.year}"
    return f"{text}, {dt.hour:02d}:{dt.minute:02d}" if show_time else text


def day_anchor(d: date) -> str:
    """The HTML id of a timeline day: "d-2022-02-24"."""
    return f"d-{d.year:04d}-{d.month:02d}-{d.day:02d}"


# --------------------------------------------------------------------------- recognition

_Date = date  # DateMention.date shadows the type name inside the class body.


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date found in text: ``text[start:end]`` is the date's own words (no "den"/"the")."""

    start: int
    end: int
    date: _Date


def _alternation(words: dict[str, int]) -> str:
    """Case-insensitive regex alternation of `words`, each ending at a word boundary."""
    names = sorted(words, key=lambda w: (-len(w), w))
    return "(?i:" + "|".join(map(re.escape, names)) + r")(?![^\W_])"


# Boundaries are Unicode letters and digits: [^\W_] is \w without the underscore. A year must
# not run on as a number ("20225", "2022.5", "2022,5").
_YEAR = r"[0-9]{4}(?![^\W_])(?![.,][0-9])"
_ORDINAL = r"(?i:st|nd|rd|th)?"
_DATES = re.compile(
    # Every form but "February 24, 2022" starts with a digit; starting the whole pattern with
    # [0-9] lets the regex engine skip over letters in C instead of trying each position. The
    # first digit must start a word and not continue a number ("x24", "10.24").
    r"[0-9](?<![^\W_][0-9])(?<![0-9][.,][0-9])"
    r"(?:"
    # ISO 2022-02-24, not inside a hyphenated number ("1998-2022-02-24", "2022-02-24-1"), but
    # "2022-02-24T10:00" is fine.
    r"(?P<iso>(?<![0-9]-[0-9])[0-9]{3}-(?P<iso_m>[0-9]{2})-(?P<iso_d>[0-9]{2})"
    r"(?!-[0-9])(?!(?!(?i:t)[0-9])[^\W_]))"
    # Danish 24. februar 2022 / 24. feb. 2022 / 24 februar 2022 / 24.februar 2022
    r"|(?P<da>(?P<da_d>[0-9]?)(?:\.\s*|\s+)(?P<da_m>" + _alternation(_DA_WORDS) + r")\.?\s+"
    r"(?P<da_y>" + _YEAR + r"))"
    # English 24 February 2022 / 24th of Feb. 2022 / 24 February, 2022
    r"|(?P<en>(?P<en_d>[0-9]?)" + _ORDINAL + r"\s+(?:(?i:of)\s+)?"
    r"(?P<en_m>" + _alternation(_EN_WORDS) + r")\.?,?\s+(?P<en_y>" + _YEAR + r"))"
    # The day and year of English "February 24, 2022" / "Feb. 24th 2022"; the month word
    # before it is checked by _month_before().
    r"|(?P<mdy>(?P<mdy_d>[0-9]?)" + _ORDINAL + r",?\s+(?P<mdy_y>" + _YEAR + r"))"
    r")"
)
_FAMILY_WORDS: dict[str, dict[str, int]] = {"da": _DA_WORDS, "en": _EN_WORDS}
_LONGEST_MONTH_WORD = max(map(len, _EN_WORDS))


def _month_before(text: str, end: int) -> tuple[int, int] | None:
    """(start, month) of an English month word ending `text[:end]` ("February ", "Feb. ")."""
    i = end
    while i > 0 and text[i - 1].isspace():
        i -= 1
    if i == end:
        return None
    if i > 0 and text[i - 1] == ".":
        i -= 1
    stop = i
    floor = max(0, stop - _LONGEST_MONTH_WORD - 1)
    while i > floor and text[i - 1].isalpha():
        i -= 1
    if i > 0 and text[i - 1].isalnum():
        return None
    month = _EN_WORDS.get(text[i:stop].lower())
    return None if month is None else (i, month)


def _mention(text: str, match: re.Match[str]) -> DateMention | None:
    """The mention for a scanner match, or None if it is not a date ("31. februar 2022")."""
    start = match.start()
    family = match.lastgroup
    if family == "iso":
        year, month = int(match[0][:4]), int(match["iso_m"])
        day = int(match["iso_d"])
    else:
        day = int(text[start : match.end(f"{family}_d")])
        year = int(match[f"{family}_y"])
        if family == "mdy":
            found = _month_before(text, start)
            if found is None:
                return None
            start, month = found
        else:
            month = _FAMILY_WORDS[str(family)][match[f"{family}_m"].lower()]
    try:
        return DateMention(start, match.end(), date(year, month, day))
    except ValueError:
        return None


def find_dates(text: str, language: str) -> list[DateMention]:
    """All full dates (with a year) in `text`, in order, with exact character spans.

    The recognised forms are listed in the module docstring; they are the same for every
    `language`. Parts may be separated by any whitespace, line breaks included. One precompiled
    regex scans the text once; a rejected candidate restarts the scan one character later.
    """
    mentions: list[DateMention] = []
    search = _DATES.search
    pos = 0
    while (match := search(text, pos)) is not None:
        mention = _mention(text, match)
        if mention is None or (mentions and mention.start < mentions[-1].end):
            pos = match.start() + 1
        else:
            mentions.append(mention)
            pos = match.end()
    return mentions
