"""The Markdown renderer: footnote links named for screen readers in the text's language."""

from __future__ import annotations

from generator.markdown import parse, render

TEXT = "Tallet[^kilde] er usikkert.\n\n[^kilde]: Ifølge NIS.\n"


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
