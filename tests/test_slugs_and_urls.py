"""Slugs are lowercase ASCII made the Danish way; URLs are decided in one place and relative."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from generator import urls
from generator.slugs import is_valid_slug, slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Ærø og Århus får ny færge", "aeroe-og-aarhus-faar-ny-faerge"),
        (
            "Nordkorea og Rusland godkender aftale om gensidig støtte ved invasion",
            "nordkorea-og-rusland-godkender-aftale-om-gensidig-stoette-ved-invasion",
        ),
        ('Kim Jong-un: "Vi er klar" & mere', "kim-jong-un-vi-er-klar-mere"),
        ("ØSTERSØEN", "oestersoeen"),
        ("Café Zürich – 10.000 soldater", "cafe-zurich-10-000-soldater"),
        ("  --Putin's plan?  ", "putin-s-plan"),
    ],
)
def test_titles_become_danish_transliterated_slugs(title: str, slug: str) -> None:
    assert slugify(title) == slug
    assert is_valid_slug(slug)


def test_a_long_title_is_cut_at_a_word_boundary() -> None:
    slug = slugify("ord " * 40)
    assert len(slug) <= 80
    assert not slug.endswith("-")
    assert slug.split("-") == ["ord"] * len(slug.split("-"))


@pytest.mark.parametrize("bad", ["../x", "A-b", "a_b", "a--b", "-a", "a/b", "", "æ"])
def test_slugs_outside_the_alphabet_are_invalid(bad: str) -> None:
    assert not is_valid_slug(bad)


def test_an_article_url_uses_the_year_and_month() -> None:
    when = datetime(2024, 11, 12, 0, 54, tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert urls.article("x", when) == "2024/11/x/"
    assert urls.output_path("2024/11/x/") == "2024/11/x/index.html"
    assert urls.output_path("") == "index.html"
    assert urls.output_path("feed.xml") == "feed.xml"


@pytest.mark.parametrize(
    ("source", "target", "link"),
    [
        ("2024/11/x/", "entities/kursk/", "../../../entities/kursk/index.html"),
        ("", "entities/kursk/", "entities/kursk/index.html"),
        ("entities/kursk/", "", "../../index.html"),
        ("entities/kursk/", "timeline/#d-2022-02-24", "../../timeline/index.html#d-2022-02-24"),
        ("2024/11/x/", "assets/style.css", "../../../assets/style.css"),
        ("404.html", "archive/", "archive/index.html"),
    ],
)
def test_links_are_relative_to_the_page(source: str, target: str, link: str) -> None:
    assert urls.relative(source, target) == link


def test_directory_links_drop_index_html_for_servers_that_map_directories() -> None:
    assert urls.relative("2024/11/x/", "entities/kursk/", directory_links=True) == (
        "../../../entities/kursk/"
    )
    assert urls.relative("entities/", "", directory_links=True) == "../"


def test_absolute_urls_need_a_base_url() -> None:
    assert urls.absolute("https://example.org/arkiv/", "2024/11/x/") == (
        "https://example.org/arkiv/2024/11/x/"
    )
    assert urls.absolute("", "2024/11/x/") == ""


def test_section_and_tag_urls_are_slugged() -> None:
    assert urls.section("Økonomi") == "sections/oekonomi/"
    assert urls.tag("Kim Jong-un") == "tags/kim-jong-un/"
