"""Slugs are lowercase ASCII made the Danish way; URLs are decided in one place and relative."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from generator import urls
from generator.config import SiteConfig
from generator.render import PageLinks, make_environment, render_page
from generator.slugs import is_valid_slug, slugify
from generator.views import PageView
from tests.sitekit import run_cli, write_project


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
        ("  --Putin's plan?  ", "putins-plan"),
    ],
)
def test_titles_become_danish_transliterated_slugs(title: str, slug: str) -> None:
    assert slugify(title) == slug
    assert is_valid_slug(slug)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Putin's Troops Enter Kursk: What's Next?", "putins-troops-enter-kursk-whats-next"),
        ("USA's valg", "usas-valg"),
        ("USA\u2019s valg", "usas-valg"),
        ("Kimʼs brev", "kims-brev"),
        ("Ærø's færge", "aeroes-faerge"),
        ("1990's Danmark", "1990s-danmark"),
    ],
)
def test_an_apostrophe_inside_a_word_is_dropped_not_made_a_hyphen(title: str, slug: str) -> None:
    assert slugify(title) == slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("NIS' chef", "nis-chef"),
        ("'Enkelte' anførselstegn", "enkelte-anfoerselstegn"),
        ("rock 'n' roll", "rock-n-roll"),
        ("Han sagde ‘nej’", "han-sagde-nej"),
    ],
)
def test_an_apostrophe_or_quote_at_the_edge_of_a_word_separates_words(
    title: str, slug: str
) -> None:
    assert slugify(title) == slug


def test_explainer_new_names_the_file_without_a_hyphen_for_the_apostrophe(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {})
    title = "Putin's Troops Enter Kursk: What's Next?"
    code, out, err = run_cli("new", title, "-C", str(project), "--date", "2024-08-20")
    assert code == 0, err
    assert out.strip().endswith("content/articles/2024/putins-troops-enter-kursk-whats-next.md")


def test_a_tag_with_an_apostrophe_has_one_word_in_its_url() -> None:
    assert urls.tag("USA's valg") == "tags/usas-valg/"


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


def test_page_links_remembered_by_depth_are_those_of_each_page() -> None:
    # Pages at different depths, in an order that makes each reuse what the earlier ones
    # remembered; every link must still be the one urls.relative makes for that page.
    pages = ["", "2024/11/x/", "entities/kursk/", "2024/11/y/", "404.html", "entities/", "a/b/"]
    targets = ["", "entities/kursk/", "timeline/#d-2022-02-24", "assets/style.css", "feed.xml"]
    for directory_links in (False, True, False):
        for page in pages:
            links = PageLinks(page, directory_links)
            for target in targets:
                assert links(target) == urls.relative(page, target, directory_links)


def test_the_link_and_asset_filters_write_what_the_functions_write(tmp_path: Path) -> None:
    template = (
        "{{ link(a) }} {{ a|link }} {{ link(b) }} {{ b|link }} "
        "{{ asset('style.css') }} {{ 'style.css'|asset }}"
    )
    (tmp_path / "t.html").write_text(template, encoding="utf-8")
    config = SiteConfig(title="T", directory_links=False)
    env = make_environment([tmp_path], config)
    for page in ("", "2024/11/x/", "entities/kursk/page/2/"):
        view = PageView(page, "t.html", {"a": "entities/nis/", "b": "timeline/#d-2022-02-24"})
        out = render_page(env, view, config).data.decode().split()
        assert out[0] == out[1] == urls.relative(page, "entities/nis/")
        assert out[2] == out[3] == urls.relative(page, "timeline/#d-2022-02-24")
        assert out[4] == out[5] == urls.relative(page, "assets/style.css")
