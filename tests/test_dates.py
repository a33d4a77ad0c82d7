"""Tests for generator.dates: parsing, formatting and recognising dates in running text."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from generator.dates import (
    DateMention,
    day_anchor,
    find_dates,
    format_date,
    format_month,
    iso,
    local_date,
    month_name,
    parse_datetime,
)

CPH = "Europe/Copenhagen"
SEED = datetime(2024, 11, 12, 0, 54, tzinfo=ZoneInfo(CPH))
INVASION = date(2022, 2, 24)


# --------------------------------------------------------------------------- parse_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-12", "2024-11-12T00:00:00+01:00"),
        ("2024-11-12T00:54", "2024-11-12T00:54:00+01:00"),
        ("2024-11-12 00:54:00", "2024-11-12T00:54:00+01:00"),
        ("2024-11-12T00:54:07.123456", "2024-11-12T00:54:07+01:00"),
        ("  2024-11-12T00:54  ", "2024-11-12T00:54:00+01:00"),
        ("2024-11-12T00:54:00+01:00", "2024-11-12T00:54:00+01:00"),
        ("2024-11-12T00:54:00-05:00", "2024-11-12T00:54:00-05:00"),
        ("2024-11-12T00:54:00+0530", "2024-11-12T00:54:00+05:30"),
        ("2024-11-11T23:54:00Z", "2024-11-11T23:54:00+00:00"),
        (date(2024, 11, 12), "2024-11-12T00:00:00+01:00"),
        (datetime(2024, 11, 12, 0, 54, 7, 999), "2024-11-12T00:54:07+01:00"),
        (datetime(2024, 11, 12, 0, 54, tzinfo=UTC), "2024-11-12T00:54:00+00:00"),
    ],
)
def test_front_matter_values_parse_to_aware_datetimes(value: object, expected: str) -> None:
    parsed = parse_datetime(value, CPH)
    assert parsed.tzinfo is not None
    assert parsed.microsecond == 0
    assert iso(parsed) == expected


def test_a_summer_date_gets_the_summer_time_offset() -> None:
    assert iso(parse_datetime("2024-06-19T10:00", CPH)) == "2024-06-19T10:00:00+02:00"


def test_a_winter_date_gets_the_winter_time_offset() -> None:
    assert iso(parse_datetime("2024-01-19T10:00", CPH)) == "2024-01-19T10:00:00+01:00"


def test_a_yaml_date_on_a_summer_day_gets_the_summer_time_offset() -> None:
    assert iso(parse_datetime(date(2024, 6, 19), CPH)) == "2024-06-19T00:00:00+02:00"


def test_a_value_without_offset_carries_the_site_zone() -> None:
    assert parse_datetime("2024-11-12T00:54", CPH).tzinfo == ZoneInfo(CPH)


def test_a_value_with_an_offset_keeps_that_fixed_offset() -> None:
    parsed = parse_datetime("2024-06-19T10:00:00+01:00", CPH)
    assert parsed.utcoffset() == timedelta(hours=1)
    assert parsed.tzinfo == timezone(timedelta(hours=1))


def test_an_aware_yaml_datetime_is_kept_in_its_own_zone() -> None:
    value = datetime(2024, 11, 12, 0, 54, 7, 500, tzinfo=timezone(timedelta(hours=-3)))
    assert parse_datetime(value, CPH) == value.replace(microsecond=0)
    assert parse_datetime(value, CPH).utcoffset() == timedelta(hours=-3)


def test_a_time_skipped_by_the_spring_clock_change_moves_forward() -> None:
    assert iso(parse_datetime("2024-03-31T02:30", CPH)) == "2024-03-31T03:30:00+02:00"


def test_a_time_repeated_by_the_autumn_clock_change_is_taken_as_summer_time() -> None:
    assert iso(parse_datetime("2024-10-27T02:30", CPH)) == "2024-10-27T02:30:00+02:00"


@pytest.mark.parametrize(
    "value",
    [
        "12/11/2024",
        "12. november 2024",
        "2024-11",
        "2024-11-12T",
        "2024-11-12T0:54",
        "20241112",
        "2024-11-12+01:00",
        "",
        "tomorrow",
        2024,
        None,
    ],
)
def test_a_value_that_is_not_iso_8601_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="not an ISO 8601 date"):
        parse_datetime(value, CPH)


def test_the_error_message_quotes_the_value() -> None:
    with pytest.raises(ValueError) as error:
        parse_datetime("12/11/2024", CPH)
    assert str(error.value) == (
        "not an ISO 8601 date: '12/11/2024'; write it as 2024-11-12 or 2024-11-12T00:54"
    )


@pytest.mark.parametrize(
    "value", ["2022-02-30", "2022-13-01", "2024-11-12T25:00", "2024-11-12T00:54+25:00"]
)
def test_an_impossible_date_or_time_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not a valid date"):
        parse_datetime(value, CPH)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_datetime("2024-11-12", "Europe/Nowhere")


# --------------------------------------------------------------------------- iso and local_date


def test_iso_gives_seconds_and_offset() -> None:
    assert iso(SEED) == "2024-11-12T00:54:00+01:00"


def test_iso_drops_microseconds() -> None:
    assert iso(SEED.replace(second=5, microsecond=42)) == "2024-11-12T00:54:05+01:00"


def test_iso_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        iso(datetime(2024, 11, 12, 0, 54))


def test_iso_tells_apart_equal_datetimes_in_other_zones_or_folds() -> None:
    # iso() is kept by its argument; equal datetimes can still be written differently.
    winter = datetime(2024, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    same_instant = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    assert winter == same_instant
    assert (iso(winter), iso(same_instant)) == (
        "2024-01-01T10:00:00+01:00",
        "2024-01-01T09:00:00+00:00",
    )
    # The night summer time ends, 02:30 comes twice in Copenhagen.
    first = datetime(2024, 10, 27, 2, 30, tzinfo=ZoneInfo("Europe/Copenhagen"))
    second = first.replace(fold=1)
    assert first == second
    assert (iso(first), iso(second)) == (
        "2024-10-27T02:30:00+02:00",
        "2024-10-27T02:30:00+01:00",
    )


def test_the_local_date_is_the_date_in_the_site_zone() -> None:
    late_utc = parse_datetime("2024-11-11T23:54:00Z", CPH)
    assert local_date(late_utc) == date(2024, 11, 11)
    assert local_date(late_utc, CPH) == date(2024, 11, 12)


# --------------------------------------------------------------------------- formatting


def test_the_seed_date_is_formatted_the_danish_way() -> None:
    assert format_date(SEED, "da") == "12. november 2024 kl. 00.54"


def test_the_seed_date_is_formatted_the_english_way() -> None:
    assert format_date(SEED, "en") == "12 November 2024, 00:54"


@pytest.mark.parametrize(
    ("language", "expected"), [("da", "12. november 2024"), ("en", "12 November 2024")]
)
def test_a_date_can_be_formatted_without_the_time(language: str, expected: str) -> None:
    assert format_date(SEED, language, with_time=False) == expected
    assert format_date(SEED.date(), language) == expected


@pytest.mark.parametrize(
    ("dt", "da", "en"),
    [
        (datetime(2024, 12, 4, 9, 5), "4. december 2024 kl. 09.05", "4 December 2024, 09:05"),
        (datetime(2025, 5, 1, 23, 59, 59), "1. maj 2025 kl. 23.59", "1 May 2025, 23:59"),
        (datetime(2022, 3, 24, 14, 0), "24. marts 2022 kl. 14.00", "24 March 2022, 14:00"),
    ],
)
def test_days_have_no_leading_zero_and_times_have_two_digits(
    dt: datetime, da: str, en: str
) -> None:
    assert format_date(dt, "da") == da
    assert format_date(dt, "en") == en


@pytest.mark.parametrize("language", ["de", "fr", "", "xx"])
def test_an_unknown_language_falls_back_to_english(language: str) -> None:
    assert format_date(SEED, language) == "12 November 2024, 00:54"
    assert format_month(2024, 11, language) == "November 2024"


@pytest.mark.parametrize("language", ["da", "DA", "da-DK", "da_DK"])
def test_a_language_tag_with_a_region_counts_as_its_language(language: str) -> None:
    assert format_date(SEED, language) == "12. november 2024 kl. 00.54"


def test_months_are_lower_case_in_danish_and_capitalised_in_english() -> None:
    assert format_month(2024, 11, "da") == "november 2024"
    assert format_month(2024, 11, "en") == "November 2024"
    assert [month_name(m, "da") for m in (1, 3, 5, 10)] == ["januar", "marts", "maj", "oktober"]
    assert [month_name(m, "en") for m in (1, 3, 5, 10)] == ["January", "March", "May", "October"]


@pytest.mark.parametrize("month", [0, 13])
def test_a_month_outside_1_to_12_has_no_name(month: int) -> None:
    with pytest.raises(ValueError, match="not a month"):
        month_name(month, "da")


def test_a_day_anchor_is_an_html_id_with_the_iso_date() -> None:
    assert day_anchor(INVASION) == "d-2022-02-24"
    assert day_anchor(date(987, 1, 2)) == "d-0987-01-02"
    assert day_anchor(datetime(2022, 2, 24, 4, 0)) == "d-2022-02-24"


# --------------------------------------------------------------------------- find_dates

DANISH_FORMS = [
    "24. februar 2022",
    "24. feb. 2022",
    "24. feb 2022",
    "24 februar 2022",
    "24.februar 2022",
    "24. Februar 2022",
    "24. FEBRUAR 2022",
    "24.\nfebruar 2022",
    "24.\n\tfebruar\n2022",
    "24.\xa0februar\xa02022",
]
ENGLISH_FORMS = [
    "24 February 2022",
    "February 24, 2022",
    "February 24 2022",
    "24 Feb 2022",
    "Feb. 24, 2022",
    "24th February 2022",
    "February 24th, 2022",
    "24th of February 2022",
    "24 February, 2022",
    "february 24,\n2022",
]


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("form", [*DANISH_FORMS, *ENGLISH_FORMS, "2022-02-24"])
def test_every_recognised_form_is_found_with_an_exact_span(form: str, language: str) -> None:
    text = f"Det skete ({form}) om morgenen."
    (mention,) = find_dates(text, language)
    assert mention.date == INVASION
    assert text[mention.start : mention.end] == form


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. januar 2023", date(2023, 1, 1)),
        ("04. december 2024", date(2024, 12, 4)),
        ("4. dec. 2024", date(2024, 12, 4)),
        ("5. jan 2023", date(2023, 1, 5)),
        ("5. mar. 2023", date(2023, 3, 5)),
        ("5. marts 2023", date(2023, 3, 5)),
        ("5. apr. 2023", date(2023, 4, 5)),
        ("5. april 2023", date(2023, 4, 5)),
        ("5. maj 2023", date(2023, 5, 5)),
        ("5. jun. 2023", date(2023, 6, 5)),
        ("5. juni 2023", date(2023, 6, 5)),
        ("5. jul 2023", date(2023, 7, 5)),
        ("5. juli 2023", date(2023, 7, 5)),
        ("5. aug. 2023", date(2023, 8, 5)),
        ("5. august 2023", date(2023, 8, 5)),
        ("5. sep. 2023", date(2023, 9, 5)),
        ("5. sept. 2023", date(2023, 9, 5)),
        ("5. september 2023", date(2023, 9, 5)),
        ("5. okt. 2023", date(2023, 10, 5)),
        ("5. oktober 2023", date(2023, 10, 5)),
        ("5. nov. 2023", date(2023, 11, 5)),
        ("5. november 2023", date(2023, 11, 5)),
        ("29. februar 2024", date(2024, 2, 29)),
        ("May 5, 2023", date(2023, 5, 5)),
        ("5 May 2023", date(2023, 5, 5)),
        ("1st March 2023", date(2023, 3, 1)),
        ("March 2nd, 2023", date(2023, 3, 2)),
        ("Oct. 3rd 2023", date(2023, 10, 3)),
        ("Sept. 11, 2001", date(2001, 9, 11)),
        ("Jun 30 2023", date(2023, 6, 30)),
        ("2023-01-05", date(2023, 1, 5)),
    ],
)
def test_every_month_word_and_day_form_is_understood(text: str, expected: date) -> None:
    assert find_dates(text, "da") == [DateMention(0, len(text), expected)]


def test_the_word_den_before_a_danish_date_is_left_out_of_the_span() -> None:
    text = "Den 24. februar 2022 invaderede Rusland Ukraine."
    assert find_dates(text, "da") == [DateMention(4, 20, INVASION)]


def test_a_sentence_ending_after_the_year_ends_the_span_at_the_year() -> None:
    text = "Invasionen begyndte 24. februar 2022. Siden da"
    (mention,) = find_dates(text, "da")
    assert text[mention.start : mention.end] == "24. februar 2022"


def test_an_iso_date_followed_by_a_time_is_found() -> None:
    text = "Opdateret 2022-02-24T05:00+01:00."
    (mention,) = find_dates(text, "da")
    assert text[mention.start : mention.end] == "2022-02-24"


def test_an_english_quote_in_a_danish_article_is_found() -> None:
    text = 'Biden sagde: "On February 24, 2022, Putin chose war." Den 25. februar 2022 fulgte.'
    mentions = find_dates(text, "da")
    assert [text[m.start : m.end] for m in mentions] == ["February 24, 2022", "25. februar 2022"]
    assert [m.date for m in mentions] == [INVASION, date(2022, 2, 25)]


def test_several_dates_are_found_in_order_with_exact_spans() -> None:
    text = (
        "Fra 24. februar 2022 til\n10. november 2024, og igen 2024-11-12 "
        "samt 12 November 2024 og Nov. 13, 2024."
    )
    mentions = find_dates(text, "da")
    assert [text[m.start : m.end] for m in mentions] == [
        "24. februar 2022",
        "10. november 2024",
        "2024-11-12",
        "12 November 2024",
        "Nov. 13, 2024",
    ]
    assert [m.date for m in mentions] == [
        INVASION,
        date(2024, 11, 10),
        date(2024, 11, 12),
        date(2024, 11, 12),
        date(2024, 11, 13),
    ]


def test_a_date_mention_is_a_frozen_value() -> None:
    mention = DateMention(0, 10, INVASION)
    assert mention == DateMention(0, 10, INVASION)
    with pytest.raises(dataclasses.FrozenInstanceError):
        mention.start = 1  # type: ignore[misc]


NEVER_DATES = [
    pytest.param("Den 24. februar blev alt anderledes.", id="date-without-year"),
    pytest.param("Den 24. februar, 2022 var", id="danish-with-comma-before-year"),
    pytest.param("Siden February 24 har", id="english-date-without-year"),
    pytest.param("Han blev 24 år i 2022.", id="age"),
    pytest.param("Hun endte på 24. plads i 2022.", id="rank"),
    pytest.param("Rusland sendte 10.000 soldater i 2022.", id="thousands"),
    pytest.param("10.000 februar 2022", id="thousands-before-month"),
    pytest.param("Klokken var 00.54 den 12. i 2024.", id="time"),
    pytest.param("kl. 10.24. februar 2022", id="day-continuing-a-number"),
    pytest.param("31. februar 2022", id="invalid-danish-date"),
    pytest.param("29. februar 2023", id="not-a-leap-year"),
    pytest.param("February 30, 2022", id="invalid-english-date"),
    pytest.param("2022-02-30", id="invalid-iso-date"),
    pytest.param("2022-13-01", id="invalid-iso-month"),
    pytest.param("0. maj 2022", id="day-zero"),
    pytest.param("32. maj 2022", id="day-32"),
    pytest.param("124. februar 2022", id="three-digit-day"),
    pytest.param("2022-02-245", id="iso-glued-to-digits-after"),
    pytest.param("12022-02-24", id="iso-glued-to-digits-before"),
    pytest.param("x2022-02-24", id="iso-glued-to-letter-before"),
    pytest.param("2022-02-24x", id="iso-glued-to-letter-after"),
    pytest.param("1998-2022-02-24", id="iso-inside-hyphenated-number"),
    pytest.param("2022-02-24-1", id="iso-followed-by-hyphenated-number"),
    pytest.param("24. februar 20225", id="year-glued-to-digits"),
    pytest.param("24. februar 2022a", id="year-glued-to-letter"),
    pytest.param("24. februar 2022,5 mio.", id="year-continuing-as-decimal"),
    pytest.param("24. februar 202", id="three-digit-year"),
    pytest.param("x24. februar 2022", id="day-glued-to-letter"),
    pytest.param("ø24. februar 2022", id="day-glued-to-danish-letter"),
    pytest.param("24. februarx 2022", id="month-glued-to-letter"),
    pytest.param("24. febr. 2022", id="unknown-abbreviation"),
    pytest.param("xFebruary 24, 2022", id="english-month-glued-to-letter"),
    pytest.param("Februar 24, 2022", id="danish-month-in-english-order"),
    pytest.param("Nummer 24 2022-modellen", id="number-then-year"),
    pytest.param("24. May 2022", id="english-month-after-danish-day"),
    pytest.param("24 ofte 2022", id="not-a-month"),
]


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("text", NEVER_DATES)
def test_text_that_is_not_a_full_date_never_matches(text: str, language: str) -> None:
    assert find_dates(text, language) == []


def test_a_date_without_a_year_never_matches() -> None:
    assert find_dates("Den 24. februar og den 25. feb. skete det, og March 3rd.", "da") == []


def test_a_rejected_candidate_does_not_hide_a_date_right_after_it() -> None:
    text = "side 24 2022-02-24 og 31. februar 2022-02-24"
    mentions = find_dates(text, "da")
    assert [text[m.start : m.end] for m in mentions] == ["2022-02-24", "2022-02-24"]


def test_text_without_dates_gives_an_empty_list() -> None:
    assert find_dates("", "da") == []
    assert find_dates("Ingen datoer her, kun 2022 og 24 og februar.", "da") == []


def test_every_date_in_a_long_text_is_found() -> None:
    paragraph = (
        "Den 24. februar 2022 sendte Rusland 10.000 soldater over grænsen, og kl. 04.00 "
        "var de 24 km inde. Mr. Smith said on Feb. 25, 2022 that May was hard. "
    )
    text = paragraph * 2000
    mentions = find_dates(text, "da")
    assert len(mentions) == 4000


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01",
        "0999-12-31T23:00",
        "9999-12-31T23:59:59-12:00",
        date(1, 1, 1),
        datetime(9999, 12, 31),
    ],
)
def test_a_date_at_the_edge_of_the_calendar_is_an_error_not_an_overflow(value: object) -> None:
    # 0001-01-01 in Copenhagen is year 0 in UTC, which Python cannot hold: a ValueError (which
    # front matter reports at the key) rather than an OverflowError (a traceback).
    with pytest.raises(ValueError, match="the year must be from 1000 to 9998"):
        parse_datetime(value, "Europe/Copenhagen")


def test_the_years_a_date_may_have_reach_from_1000_to_9998() -> None:
    assert parse_datetime("1000-01-01", "Europe/Copenhagen").year == 1000
    assert parse_datetime("9998-12-31T23:59:59-12:00", "Europe/Copenhagen").year == 9998
