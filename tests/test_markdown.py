"""The Markdown renderer: footnote links named for screen readers in the text's language, and ids
for headings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from generator.markdown import heading_ids, is_page_id, parse, render
from generator.notes import render_summary

TEXT = "Tallet[^kilde] er usikkert.\n\n[^kilde]: Ifølge NIS.\n"


@pytest.mark.parametrize(
    "text",
    [
        "Første linje\r\nanden linje\r\n\r\n- punkt\r\n",
        "Mac-linjer\rmed\r\rafsnit\r",
        "Blandet\r\n\r\rog\n\r\n",
        "Et tegn \0 midt i\n\n\0\n",
        "\r\0\r\n\0",
    ],
)
def test_line_endings_and_nul_are_normalised_as_markdown_it_does(text: str) -> None:
    # The parser's own normalize rule skips the passes over text with no \r or NUL; the tokens
    # are those of markdown-it's rule, for text with them.
    reference = MarkdownIt("commonmark").enable("table").use(footnote_plugin)
    expected = reference.parse(text)
    tokens = parse(text)
    assert [(t.type, t.map, t.content) for t in tokens] == [
        (t.type, t.map, t.content) for t in expected
    ]
    html = render(tokens)
    assert "\r" not in html and "\0" not in html
    assert html == reference.renderer.render(expected, reference.options, {})


def test_footnote_links_are_named_in_the_language_of_the_text() -> None:
    danish = render(parse(TEXT), language="da")
    assert '<a href="#fn1" id="fnref1" aria-label="Fodnote 1">[1]</a>' in danish
    assert '<section class="footnotes" aria-label="Fodnoter">' in danish
    assert 'class="footnote-backref" aria-label="Tilbage til teksten">\u21a9\ufe0e</a>' in danish
    english = render(parse(TEXT), language="en-GB")
    assert 'aria-label="Footnote 1"' in english
    assert 'aria-label="Footnotes"' in english
    assert 'aria-label="Back to the text"' in english


def test_a_second_reference_to_a_footnote_gets_its_own_back_link() -> None:
    html = render(parse("A[^1] og B[^1].\n\n[^1]: C.\n"), language="da")
    assert 'id="fnref1"' in html and 'id="fnref1:1"' in html
    assert '<a href="#fnref1:1" class="footnote-backref" aria-label="Tilbage til teksten">' in html


def test_without_a_language_footnotes_render_as_markdown_it_renders_them() -> None:
    html = render(parse(TEXT))
    assert '<a href="#fn1" id="fnref1">[1]</a>' in html
    assert '<section class="footnotes">' in html
    assert '<a href="#fnref1" class="footnote-backref">\u21a9\ufe0e</a>' in html


def test_headings_get_ids_from_their_words_spelt_as_slugs_and_numbered_when_repeated() -> None:
    tokens = parse(
        "## Ærø og Århus\n\n### `Kursk`-offensiven *i* august\n\n## Ærø og Århus\n\n"
        "## Ærø og Århus 1\n\n## Main\n\n## Note 2\n\n## ?!\n\n## Ærø og Århus\n"
    )
    ids = heading_ids(tokens)
    assert ids == [
        "aeroe-og-aarhus",
        "kursk-offensiven-i-august",
        "aeroe-og-aarhus-1",
        "aeroe-og-aarhus-1-1",  # its own words make the id the second heading took
        "main-1",  # the page's main element has "main"
        "note-2-1",  # side note 2 has "note-2"
        "aeroe-og-aarhus-2",
    ]
    html = render(tokens)
    assert '<h2 id="aeroe-og-aarhus">Ærø og Århus</h2>' in html
    assert "<h2>?!</h2>" in html, "a heading with no letters or digits gets no id"


def test_a_note_summary_shown_in_an_article_brings_no_heading_id_into_it() -> None:
    """Only the text of a page gets heading ids: a note's first block shown as a side note in
    many articles would repeat its id beside theirs."""
    summary, longer = render_summary("## Baggrund\n\nMere tekst.", allow_html=False)
    assert (summary, longer) == ("<h2>Baggrund</h2>\n", True)


def test_heading_ids_stay_clear_of_every_id_the_built_in_templates_write() -> None:
    templates = Path(__file__).resolve().parent.parent / "templates"
    written = {
        found
        for path in templates.glob("*.html")
        for found in re.findall(r'\bid="([^"{}]+)"', path.read_text(encoding="utf-8"))
    }
    assert written, "the templates write ids"
    assert {i for i in written if not is_page_id(i)} == set()
