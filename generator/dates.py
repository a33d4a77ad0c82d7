"""Dates: front-matter parsing in the site time zone, human formatting, dates in running text.

Everything here is pure: no I/O, no global state besides precompiled tables and regexes.

Date recognition (:func:`find_dates`) recognises full dates *with a year* only:

* ISO ``2022-02-24`` in every language;
* Danish forms (``24. februar 2022``, ``24. feb. 2022``, ``24 februar 2022``);
* English forms (``24 February 2022``, ``24th of Feb 2022``, ``February 24, 2022``,
  ``Feb. 24th 2022``).

Both the Danish and the English forms are recognised whatever the article language (an English
quote in a Danish article is common). This is safe because every form needs a month *name* from
a closed list next to a one- or two-digit day and a four-digit year, and the month names of the
two languages never collide with a different meaning (``februar`` is not a prefix match of
``February``: names must end at a word boundary). The language only decides which family wins
when two would start at the same place, which cannot change the date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
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
    """ "Z", "+01:00", "+0100" or "+01" as a fixed-offset tzinfo."""
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    if int(digits[2:] or 0) >= 60 or minutes >= 24 * 60:
        raise ValueError(f"not a UTC offset: {text!r}")
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


def parse_datetime(value: object, tz: str) -> datetime:
    """Parse a front-matter date into an aware datetime (seconds kept, microseconds dropped).

    `value` is a ``date``, a ``datetime`` or an ISO 8601 string ("2024-11-12",
    "2024-11-12T00:54", "2024-11-12 00:54:00", "2024-11-12T00:54:00+01:00", "...Z"). Without an
    offset the time is local to `tz` (a date alone means 00:00 local) and the result carries
    ``ZoneInfo(tz)``; with one, the result carries that fixed offset.
    """
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
        raise ValueError(f"not an ISO 8601 date: {text!r}")
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
    if offset is None:
        return _localise(naive, tz)
    return naive.replace(tzinfo=offset)


def local_date(dt: datetime, tz: str | None = None) -> date:
    """The calendar date of `dt`, seen in zone `tz` if given, else in `dt`'s own zone."""
    if tz is not None and dt.tzinfo is not None:
        dt = dt.astimezone(zone(tz))
    return dt.date()


# --------------------------------------------------------------------------- formatting


def iso(dt: datetime) -> str:
    """Full ISO 8601 with seconds and offset, for ``<time datetime>``: "2024-11-12T00:54:00+01:00"."""
    if dt.tzinfo is None or dt.utcoffset() is None:
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
    """Regex alternation of `words`, longest first, each ending at a word boundary."""
    names = sorted(words, key=lambda w: (-len(w), w))
    return "(?:" + "|".join(map(re.escape, names)) + r")(?![^\W_])"


# A "word boundary" is a Unicode letter or digit: [^\W_] is \w without the underscore.
_NOT_AFTER_WORD = r"(?<![^\W_])"
_NOT_BEFORE_WORD = r"(?![^\W_])"
# A year must not continue as a number ("2022.5", "2022,5").
_YEAR = r"(?P<{}>[0-9]{{4}})" + _NOT_BEFORE_WORD + r"(?![.,][0-9])"
# A day must not be the tail of a number ("10.24", "3,24").
_DAY = _NOT_AFTER_WORD + r"(?<![0-9][.,])(?P<{}>[0-9]{{1,2}})"
_ORDINAL = r"(?:st|nd|rd|th)?"

_FAMILIES: dict[str, str] = {
    # 2022-02-24; not inside a longer hyphenated number ("1998-2022-02-24", "2022-02-24-1"),
    # but "2022-02-24T10:00" is fine.
    "iso": (
        _NOT_AFTER_WORD
        + r"(?<![0-9]-)(?P<iso_y>[0-9]{4})-(?P<iso_m>[0-9]{2})-(?P<iso_d>[0-9]{2})"
        + r"(?!-[0-9])(?!(?!T[0-9])[^\W_])"
    ),
    # 24. februar 2022 / 24. feb. 2022 / 24 februar 2022 / 24.februar 2022
    "da": (
        _DAY.format("da_d")
        + r"(?:\.\s*|\s+)(?P<da_m>"
        + _alternation(_DA_WORDS)
        + r")\.?\s+"
        + _YEAR.format("da_y")
    ),
    # 24 February 2022 / 24th of Feb. 2022 / 24 February, 2022
    "en_dmy": (
        _DAY.format("en_dmy_d")
        + _ORDINAL
        + r"\s+(?:of\s+)?(?P<en_dmy_m>"
        + _alternation(_EN_WORDS)
        + r")\.?,?\s+"
        + _YEAR.format("en_dmy_y")
    ),
    # February 24, 2022 / Feb. 24th 2022
    "en_mdy": (
        _NOT_AFTER_WORD
        + r"(?P<en_mdy_m>"
        + _alternation(_EN_WORDS)
        + r")\.?\s+"
        + r"(?P<en_mdy_d>[0-9]{1,2})"
        + _ORDINAL
        + r",?\s+"
        + _YEAR.format("en_mdy_y")
    ),
}
_FAMILY_ORDER: dict[str, tuple[str, ...]] = {
    "da": ("iso", "da", "en_dmy", "en_mdy"),
    "en": ("iso", "en_dmy", "en_mdy", "da"),
}
_WORDS: dict[str, dict[str, int]] = {
    "da": _DA_WORDS,
    "en_dmy": _EN_WORDS,
    "en_mdy": _EN_WORDS,
}
_PATTERNS: dict[str, re.Pattern[str]] = {
    lang: re.compile(
        "|".join(f"(?P<{family}>{_FAMILIES[family]})" for family in order), re.IGNORECASE
    )
    for lang, order in _FAMILY_ORDER.items()
}


def _mention(match: re.Match[str]) -> DateMention | None:
    """The mention for a regex match, or None if the date does not exist ("31. februar")."""
    family = match.lastgroup
    assert family is not None
    if family == "iso":
        month = int(match["iso_m"])
    else:
        month = _WORDS[family][match[f"{family}_m"].lower()]
    try:
        found = date(int(match[f"{family}_y"]), month, int(match[f"{family}_d"]))
    except ValueError:
        return None
    start, end = match.span(family)
    return DateMention(start, end, found)


def find_dates(text: str, language: str) -> list[DateMention]:
    """All full dates (with a year) in `text`, in order, with exact character spans.

    See the module docstring for the recognised forms. Parts may be separated by any whitespace,
    line breaks included. One precompiled regex per language: a single linear scan.
    """
    mentions = []
    for match in _PATTERNS[_language(language)].finditer(text):
        mention = _mention(match)
        if mention is not None:
            mentions.append(mention)
    return mentions
