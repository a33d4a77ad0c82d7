"""External links (an entity's ``links``, a note's ``sources``): who published them, when, and in
which language, shown as Wikipedia's citations show them; and the entries of front-matter lists
checked one by one, each problem at its own line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from generator.config import parse_config
from generator.content import parse_article, parse_entity, parse_note
from generator.model import Link, SourceFile
from tests.sitekit import article, build, write_project

CONFIG, _ = parse_config('title: "T"\nlanguage: da\n')
assert CONFIG is not None

ENTITY = """\
---
name: Kim Jong-un
type: person
links:
  - publisher: Wikipedia
    title: Kim Jong-un
    language: da
    url: https://da.wikipedia.org/wiki/Kim_Jong-un
  - publisher: Yonhap
    title: "N. Korea crowns leader Kim Jong-un as party's general secretary"
    date: 2021-01-11
    language: en
    url: https://en.yna.co.kr/view/AEN20210111000752325
  - title: Uden udgiver
    url: https://example.org/
---
Nordkoreas leder.
"""


def messages(problems: list) -> list[str]:
    return [str(p) for p in problems]


def test_a_link_keeps_its_publisher_date_and_language() -> None:
    entity, problems = parse_entity(SourceFile("content/entities/kim-jong-un.md", ENTITY), CONFIG)
    assert problems == []
    assert entity is not None
    assert entity.links == (
        Link("Kim Jong-un", "https://da.wikipedia.org/wiki/Kim_Jong-un", "Wikipedia", None, "da"),
        Link(
            "N. Korea crowns leader Kim Jong-un as party's general secretary",
            "https://en.yna.co.kr/view/AEN20210111000752325",
            "Yonhap",
            date(2021, 1, 11),
            "en",
        ),
        Link("Uden udgiver", "https://example.org/"),
    )


def test_every_bad_entry_of_a_list_is_reported_at_the_line_of_its_key() -> None:
    text = (
        "---\n"  # 1
        "title: Baggrund\n"  # 2
        "date: 2024-06-19\n"  # 3
        "sources:\n"  # 4
        "  - titel: Aftalen\n"  # 5
        "    url: https://example.org/a\n"  # 6
        "  - title: Aftalen\n"  # 7
        "    date: 19. juni 2024\n"  # 8
        "    language: engelsk\n"  # 9
        "    url: https://example.org/b\n"  # 10
        "  - title: Uden adresse\n"  # 11
        "  - https://example.org/c\n"  # 12
        "  - {title: Flow, url: 'ftp://example.org/d'}\n"  # 13
        "---\n"
        "Tekst.\n"
    )
    note, problems = parse_note(SourceFile("content/notes/aftalen.md", text), CONFIG)
    assert note is None
    path = "content/notes/aftalen.md"
    assert messages(problems) == [
        f'{path}:5: error: "sources" entry 1: unknown key "titel" (did you mean "title"?)',
        f'{path}:8: error: "sources" entry 2: "date": not an ISO 8601 date: \'19. juni 2024\'; '
        "write it as 2024-11-12 or 2024-11-12T00:54",
        f'{path}:9: error: "sources" entry 2: "language" is not a language code like "da" or '
        '"en": "engelsk"',
        f'{path}:11: error: "sources" entry 3: needs an http(s) "url"',
        f'{path}:12: error: "sources" entry 4: must be a mapping with "title" and an http(s) "url"',
        f'{path}:13: error: "sources" entry 5: needs an http(s) "url"',
    ]


def test_an_annotation_with_a_misspelt_key_is_an_error_at_that_key() -> None:
    text = (
        "---\n"
        "title: X\n"
        "date: 2024-11-12\n"
        "annotations:\n"
        "  - quote: soldater\n"
        "    note: Flere end 10.000.\n"
        "  - quote: Rusland\n"
        "    noet: Landet.\n"
        "---\n"
        "Soldater til Rusland.\n"
    )
    _item, problems = parse_article(SourceFile("content/articles/2024/x.md", text), CONFIG)
    assert messages(problems) == [
        'content/articles/2024/x.md:8: error: "annotations" entry 2: unknown key "noet" '
        '(did you mean "note"?)',
        'content/articles/2024/x.md:7: error: "annotations" entry 2: needs a "quote" and a '
        '"note", both text',
    ]


def _links_html(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    start = html.index('<section class="entity-links"')
    return html[start : html.index("</section>", start)]


def test_a_link_in_another_language_is_marked_and_named_in_the_page_language(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "content/entities/kim-jong-un.md": ENTITY,
            "content/articles/2024/a.md": article("Leder", body="Kim Jong-un talte."),
        },
    )
    code, _out, err = build(project, tmp_path / "site", "--no-search")
    assert code == 0, err
    html = _links_html(tmp_path / "site/entities/kim-jong-un/index.html")
    assert html.count("<li>") == 3
    # The same language as the page: its hreflang, but no lang and no language named.
    assert (
        '<li>Wikipedia: <a href="https://da.wikipedia.org/wiki/Kim_Jong-un" hreflang="da">'
        "Kim Jong-un</a></li>"
    ) in html
    # Another language: the title is marked with it, the date and the language's name are the
    # page's own.
    assert (
        '<li>Yonhap: <a href="https://en.yna.co.kr/view/AEN20210111000752325" hreflang="en" '
        'lang="en">N. Korea crowns leader Kim Jong-un as party&#39;s general secretary</a>, '
        '<time datetime="2021-01-11">11. januar 2021</time> '
        '<span class="language">(på engelsk)</span></li>'
    ) in html
    assert '<li><a href="https://example.org/">Uden udgiver</a></li>' in html


def test_on_an_english_site_a_danish_source_is_named_in_english(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "content/entities/kim-jong-un.md": ENTITY,
            "content/articles/2024/a.md": article("Leader", body="Kim Jong-un spoke."),
        },
        site_yaml='title: "T"\nlanguage: en\ntimezone: Europe/London\n',
    )
    code, _out, err = build(project, tmp_path / "site", "--no-search")
    assert code == 0, err
    html = _links_html(tmp_path / "site/entities/kim-jong-un/index.html")
    assert (
        'hreflang="da" lang="da">Kim Jong-un</a> <span class="language">(in Danish)</span>'
    ) in html
    assert '<time datetime="2021-01-11">11 January 2021</time></li>' in html
