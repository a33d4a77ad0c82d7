"""An article or note in another language than the site's: its own words are marked with its
lang, while the labels, dates and hover cards around them stay in the site's language."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.sitekit import build, write_project

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

PUTIN = """\
---
name: Vladimir Putin
type: person
aliases: [Putin]
summary: Ruslands præsident.
---
Præsident.
"""
KURSK = """\
---
name: Kursk
type: place
summary: By i Rusland.
---
By.
"""
ENGLISH_ARTICLE = """\
---
title: "Putin's troops enter Kursk"
date: 2024-11-20T10:00:00
section: Udland
tags: [Krigen]
language: en
lead: "Vladimir Putin sent troops."
---
The troops are in Kursk now.
"""
DANISH_ARTICLE = """\
---
title: "Putins tropper går ind i Kursk"
date: 2024-11-20T10:00:00
section: Abroad
tags: [War]
language: da
lead: "Vladimir Putin sendte tropper."
---
Tropperne er i Kursk nu.
"""
ENGLISH_NOTE = """\
---
title: "The incursion into Kursk"
date: 2024-08-06
language: en
entities: [kursk]
---
Ukrainian forces crossed into Kursk.
"""
DANISH_NOTE = """\
---
title: "Indtrængen i Kursk"
date: 2024-08-06
language: da
entities: [kursk]
---
Ukrainske styrker gik ind i Kursk.
"""


class Texts(HTMLParser):
    """Every piece of text of a page's <body> with the language it is in: the lang of the
    nearest element that has one."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.found: list[tuple[str, str]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        inherited = self.stack[-1][1] if self.stack else ""
        self.stack.append((tag, dict(attrs).get("lang") or inherited))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if data.strip() and self.stack and self.stack[-1][0] not in ("script", "style"):
            self.found.append((data.strip(), self.stack[-1][1]))

    def language_of(self, text: str) -> set[str]:
        """The languages that ``text`` is in, wherever it stands on the page."""
        languages = {language for found, language in self.found if found == text}
        assert languages, f"{text!r} is not on the page"
        return languages


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def texts(site: Path, url: str) -> Texts:
    return Texts(page(site, url))


def cards(site: Path, url: str) -> tuple[str, dict[str, dict[str, str]]]:
    """A page's hover cards, and the "read more" label they show."""
    found = re.search(
        r'<script type="application/json" id="entity-cards" data-read-more="([^"]*)">(.*?)</script>',
        page(site, url),
    )
    assert found, url
    return found[1], json.loads(found[2])


@pytest.fixture(scope="module")
def danish_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Danish site with an English article and an English note."""
    root = tmp_path_factory.mktemp("danish")
    files = {
        "content/entities/vladimir-putin.md": PUTIN,
        "content/entities/kursk.md": KURSK,
        "content/articles/2024/english.md": ENGLISH_ARTICLE,
        "content/notes/incursion.md": ENGLISH_NOTE,
    }
    project = write_project(root / "p", files)
    code, _, err = build(project, root / "site", "--no-search")
    assert code == 0, err
    return root / "site"


@pytest.fixture(scope="module")
def english_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An English site with a Danish article and a Danish note."""
    root = tmp_path_factory.mktemp("english")
    files = {
        "content/entities/vladimir-putin.md": PUTIN.replace("Ruslands præsident.", "President."),
        "content/entities/kursk.md": KURSK.replace("By i Rusland.", "A city in Russia."),
        "content/articles/2024/danish.md": DANISH_ARTICLE,
        "content/notes/indtraengen.md": DANISH_NOTE,
    }
    project = write_project(root / "p", files, site_yaml='title: "Archive"\nlanguage: en\n')
    code, _, err = build(project, root / "site", "--no-search")
    assert code == 0, err
    return root / "site"


DANISH_LISTINGS = ["", "sections/udland/", "tags/krigen/", "2024/11/", "entities/vladimir-putin/"]
ENGLISH_LISTINGS = ["", "sections/abroad/", "tags/war/", "2024/11/", "entities/vladimir-putin/"]


@pytest.mark.parametrize("url", DANISH_LISTINGS)
def test_a_listing_card_marks_the_title_and_lead_of_an_english_article_on_a_danish_site(
    danish_site: Path, url: str
) -> None:
    found = texts(danish_site, url)
    assert found.language_of("Putin's troops enter Kursk") == {"en"}
    assert found.language_of("Vladimir Putin sent troops.") == {"en"}


@pytest.mark.parametrize("url", DANISH_LISTINGS)
def test_a_listing_card_keeps_the_date_and_section_of_an_english_article_danish(
    danish_site: Path, url: str
) -> None:
    found = texts(danish_site, url)
    assert found.language_of("20. november 2024") == {"da"}
    assert "20 November 2024" not in page(danish_site, url)
    assert found.language_of("Udland") == {"da"}
    assert "<article lang=" not in page(danish_site, url)


@pytest.mark.parametrize("url", ENGLISH_LISTINGS)
def test_a_listing_card_of_a_danish_article_on_an_english_site_is_the_same_in_reverse(
    english_site: Path, url: str
) -> None:
    found = texts(english_site, url)
    assert found.language_of("Putins tropper går ind i Kursk") == {"da"}
    assert found.language_of("Vladimir Putin sendte tropper.") == {"da"}
    assert found.language_of("20 November 2024") == {"en"}
    assert found.language_of("Abroad") == {"en"}


def test_the_404_page_lists_a_foreign_article_as_the_listings_do(danish_site: Path) -> None:
    found = Texts((danish_site / "404.html").read_text(encoding="utf-8"))
    assert found.language_of("Putin's troops enter Kursk") == {"en"}
    assert found.language_of("20. november 2024") == {"da"}


def test_an_english_note_on_a_danish_site_has_danish_hover_cards(danish_site: Path) -> None:
    read_more, shown = cards(danish_site, "notes/incursion/")
    assert read_more == "Læs mere"
    assert shown == {"kursk": {"name": "Kursk", "type": "Sted", "summary": "By i Rusland."}}
    assert texts(danish_site, "notes/incursion/").language_of("The incursion into Kursk") == {"en"}


def test_a_danish_note_on_an_english_site_has_english_hover_cards(english_site: Path) -> None:
    read_more, shown = cards(english_site, "notes/indtraengen/")
    assert read_more == "Read more"
    assert shown["kursk"]["type"] == "Place"


def test_the_timeline_marks_the_titles_of_a_foreign_article_and_note(danish_site: Path) -> None:
    found = texts(danish_site, "timeline/")
    assert found.language_of("Putin's troops enter Kursk") == {"en"}
    assert found.language_of("The incursion into Kursk") == {"en"}
    assert found.language_of("6. august 2024") == {"da"}
    assert found.language_of("Artikel") == {"da"}


def test_the_timeline_of_an_english_site_marks_a_danish_article_and_note(
    english_site: Path,
) -> None:
    found = texts(english_site, "timeline/")
    assert found.language_of("Putins tropper går ind i Kursk") == {"da"}
    assert found.language_of("Indtrængen i Kursk") == {"da"}
    assert found.language_of("6 August 2024") == {"en"}


def test_an_entity_page_marks_the_title_of_a_foreign_note_in_its_timeline(
    danish_site: Path, english_site: Path
) -> None:
    assert texts(danish_site, "entities/kursk/").language_of("The incursion into Kursk") == {"en"}
    assert texts(danish_site, "entities/kursk/").language_of("6. august 2024") == {"da"}
    assert texts(english_site, "entities/kursk/").language_of("Indtrængen i Kursk") == {"da"}


def test_titles_in_the_site_language_carry_no_lang_of_their_own(tmp_path: Path) -> None:
    files = {
        "content/entities/kursk.md": KURSK,
        "content/articles/2024/dansk.md": DANISH_ARTICLE.replace("language: da\n", ""),
        "content/notes/indtraengen.md": DANISH_NOTE,
    }
    project = write_project(tmp_path / "p", files)
    assert build(project, tmp_path / "site", "--no-search")[0] == 0
    for url in ("", "sections/abroad/", "timeline/", "entities/kursk/", "notes/indtraengen/"):
        text = page(tmp_path / "site", url)
        assert text.count(" lang=") == 1, url
        assert '<html lang="da">' in text, url


def test_the_breadcrumb_of_a_foreign_article_or_note_marks_its_title_only(
    danish_site: Path,
) -> None:
    article = texts(danish_site, "2024/11/putins-troops-enter-kursk/")
    assert article.language_of("Putin's troops enter Kursk") == {"en"}
    assert article.language_of("Forside") == {"da"}
    assert article.language_of("Udland") == {"da"}
    note = texts(danish_site, "notes/incursion/")
    assert note.language_of("The incursion into Kursk") == {"en"}
    assert note.language_of("Tidslinje") == {"da"}


def test_an_incremental_build_marks_an_article_whose_language_changed_on_the_timeline(
    tmp_path: Path,
) -> None:
    files = {
        "content/articles/2024/a.md": DANISH_ARTICLE.replace("language: da\n", ""),
        "content/articles/2024/b.md": DANISH_ARTICLE.replace("2024-11-20", "2024-11-21").replace(
            "Putins tropper", "Flere tropper"
        ),
    }
    project = write_project(tmp_path / "p", files)
    assert build(project)[0] == 0
    source = project / "content/articles/2024/a.md"
    source.write_text(
        source.read_text(encoding="utf-8").replace("tags:", "language: en\ntags:"), "utf-8"
    )
    assert build(project)[0] == 0
    assert build(project, tmp_path / "clean")[0] == 0
    assert page(project / "site", "timeline/") == page(tmp_path / "clean", "timeline/")


def test_the_lang_attr_filter_marks_only_another_language_than_the_sites() -> None:
    from generator.render import lang_attr

    assert lang_attr("da", {"language": "en"}) == ' lang="en"'
    assert lang_attr("da", {"language": "da"}) == ""
    assert lang_attr("da", {"title": "Forside"}) == ""
    assert lang_attr("en", {"language": 'x"><script>'}) == ' lang="x&#34;&gt;&lt;script&gt;"'
