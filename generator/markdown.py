"""The one module that builds the markdown-it parser: parse Markdown to tokens, render tokens."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

SPEECH_DASHES = ("– ", "— ")
"""A paragraph opening with one of these is a Danish speech quote (the wire's ``- `` line)."""


def _mark_speech_paragraphs(state: StateCore) -> None:
    """Give paragraphs that open with a speech dash ``class="speech"``."""
    tokens = state.tokens
    for i, token in enumerate(tokens[:-1]):
        if token.type == "paragraph_open" and tokens[i + 1].content.startswith(SPEECH_DASHES):
            token.attrJoin("class", "speech")


@lru_cache(maxsize=4)
def make_parser(allow_html: bool = False) -> MarkdownIt:
    """CommonMark plus tables and footnotes; raw HTML is escaped unless ``allow_html``."""
    md = MarkdownIt("commonmark", {"html": allow_html}).enable("table").use(footnote_plugin)
    md.core.ruler.push("speech_paragraphs", _mark_speech_paragraphs)
    return md


def parse(text: str, allow_html: bool = False) -> list[Token]:
    """Parse Markdown into a token stream; block tokens carry ``map`` (0-based source lines)."""
    return make_parser(allow_html).parse(text)


def render(tokens: Sequence[Token], allow_html: bool = False) -> str:
    """Render a token stream to HTML."""
    md = make_parser(allow_html)
    return md.renderer.render(list(tokens), md.options, {})


def render_inline(tokens: Sequence[Token], allow_html: bool = False) -> str:
    """Render a one-paragraph token stream without its ``<p>`` wrapper."""
    md = make_parser(allow_html)
    inline = [t for t in tokens if t.type == "inline"]
    return "".join(md.renderer.renderInline(t.children or [], md.options, {}) for t in inline)


def to_html(text: str, allow_html: bool = False) -> str:
    """Markdown straight to HTML, for text that carries no annotations."""
    return make_parser(allow_html).render(text)
