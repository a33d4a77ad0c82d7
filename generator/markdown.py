"""The one module that builds the markdown-it parser: parse Markdown to tokens, render tokens."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from generator.i18n import strings
from generator.slugs import slugify

SPEECH_DASHES = ("– ", "— ")
"""A paragraph opening with one of these is a Danish speech quote (the wire's ``- `` line)."""


def _mark_speech_paragraphs(state: StateCore) -> None:
    """Give paragraphs that open with a speech dash ``class="speech"``."""
    tokens = state.tokens
    for i, token in enumerate(tokens[:-1]):
        if token.type == "paragraph_open" and tokens[i + 1].content.startswith(SPEECH_DASHES):
            token.attrJoin("class", "speech")


ESCAPED = "escape"
"""The type of the token of a backslash-escaped ``[`` or ``]``: it stays apart from the text
around it, so that ``\\[\\[Putin\\]\\]`` shows the brackets and makes no entity link."""


def _keep_bracket_escapes(state: StateCore) -> None:
    """Keep escaped brackets out of the text that ``text_join`` merges them into."""
    for token in state.tokens:
        for child in token.children or ():
            if (
                child.type == "text_special"
                and child.info == "escape"
                and child.content in ("[", "]")
            ):
                child.type = ESCAPED


def _normalize(state: StateCore) -> None:
    """markdown-it's ``normalize`` rule (line endings to ``\\n``, NUL to U+FFFD), without its
    two passes over text that has neither ``\\r`` nor NUL, as nearly every text has."""
    src = state.src
    if "\r" in src:
        src = src.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in src:
        src = src.replace("\0", "\ufffd")
    state.src = src


def _escaped(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return escapeHtml(tokens[idx].content)


def _label(env: Any, key: str, **values: object) -> str:
    """`` aria-label="…"`` from the UI strings of the text's language (``env["language"]``),
    or nothing when the text's language is not known."""
    language = env.get("language") if isinstance(env, dict) else None
    if not language:
        return ""
    return f' aria-label="{escapeHtml(strings(language)[key].format(**values))}"'


def _footnote_id(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    ident: str = self.rules["footnote_anchor_name"](tokens, idx, options, env)
    sub = tokens[idx].meta.get("subId", -1)
    return f"{ident}:{sub}" if sub > 0 else ident


def _footnote_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """The reference, named "Fodnote 1" for a screen reader rather than read as "[1]"."""
    ident = self.rules["footnote_anchor_name"](tokens, idx, options, env)
    caption = self.rules["footnote_caption"](tokens, idx, options, env)
    refid = _footnote_id(self, tokens, idx, options, env)
    label = _label(env, "footnote", number=tokens[idx].meta["id"] + 1)
    return (
        f'<sup class="footnote-ref"><a href="#fn{ident}" id="fnref{refid}"{label}>'
        f"{caption}</a></sup>"
    )


def _footnote_block_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    """The footnotes, as a section named "Fodnoter"."""
    rule = '<hr class="footnotes-sep" />' if options.xhtmlOut else '<hr class="footnotes-sep">'
    label = _label(env, "footnotes")
    return f'{rule}\n<section class="footnotes"{label}>\n<ol class="footnotes-list">\n'


def _footnote_anchor(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """The link back to the reference, named "Tilbage til teksten" rather than read as the
    arrow's character name (U+FE0E keeps the arrow from showing as an emoji on iOS)."""
    ident = _footnote_id(self, tokens, idx, options, env)
    label = _label(env, "note_back")
    return f' <a href="#fnref{ident}" class="footnote-backref"{label}>\u21a9\ufe0e</a>'


@lru_cache(maxsize=4)
def make_parser(allow_html: bool = False) -> MarkdownIt:
    """CommonMark plus tables and footnotes; raw HTML is escaped unless ``allow_html``."""
    md = MarkdownIt("commonmark", {"html": allow_html}).enable("table").use(footnote_plugin)
    md.core.ruler.at("normalize", _normalize)
    md.core.ruler.push("speech_paragraphs", _mark_speech_paragraphs)
    md.core.ruler.before("text_join", "bracket_escapes", _keep_bracket_escapes)
    md.add_render_rule(ESCAPED, _escaped)
    md.add_render_rule("footnote_ref", _footnote_ref)
    md.add_render_rule("footnote_block_open", _footnote_block_open)
    md.add_render_rule("footnote_anchor", _footnote_anchor)
    return md


PAGE_IDS = frozenset(
    {
        "main",
        "entity-cards",
        "background-notes-heading",
        "about-h",
        "attached-h",
        "entities-h",
        "latest-h",
        "links-h",
        "mentioned-h",
        "notes-h",
        "related-h",
        "sections-h",
        "sources-h",
        "tags-h",
        "topics-h",
        "search",
        "search-offline",
    }
)
"""Ids that the built-in templates and the notes pass give elements of pages."""
_MADE_ID = re.compile(r"(?:fn|fnref)\d+(?::\d+)?|note(?:-ref)?-\d+")
"""Ids made for footnotes and side notes, numbered."""


def is_page_id(fragment: str) -> bool:
    """Whether an element of a page that shows a text has this id besides its headings."""
    return fragment in PAGE_IDS or _MADE_ID.fullmatch(fragment) is not None


def heading_ids(tokens: Sequence[Token]) -> list[str]:
    """Give each heading of a text an id made from its words, as the slug of a title is
    ("Rusland og Nordkorea" -> ``rusland-og-nordkorea``), so that a link can lead to it; a
    second heading with the same words gets ``-1``, the next ``-2``. An id that the page uses
    already (:func:`is_page_id`) is numbered too; a heading with no letters or digits gets none.
    The ids, in order."""
    ids: list[str] = []
    taken: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens) or token.attrGet("id"):
            continue
        words = "".join(
            " " if child.type in ("softbreak", "hardbreak") else child.content
            for child in tokens[i + 1].children or ()
            if child.type in ("text", "code_inline", ESCAPED, "softbreak", "hardbreak")
        )
        base = slugify(words)
        if not base:
            continue
        ident, number = base, 0
        while ident in taken or is_page_id(ident):
            number += 1
            ident = f"{base}-{number}"
        taken.add(ident)
        token.attrSet("id", ident)
        ids.append(ident)
    return ids


def parse(text: str, allow_html: bool = False) -> list[Token]:
    """Parse Markdown into a token stream; block tokens carry ``map`` (0-based source lines)."""
    return make_parser(allow_html).parse(text)


def render(tokens: Sequence[Token], allow_html: bool = False, language: str = "") -> str:
    """Render a token stream to HTML; with the text's ``language``, footnote links are named
    in it for screen readers."""
    md = make_parser(allow_html)
    return md.renderer.render(list(tokens), md.options, {"language": language})


def render_inline(tokens: Sequence[Token], allow_html: bool = False) -> str:
    """Render a one-paragraph token stream without its ``<p>`` wrapper."""
    md = make_parser(allow_html)
    inline = [t for t in tokens if t.type == "inline"]
    return "".join(md.renderer.renderInline(t.children or [], md.options, {}) for t in inline)


def to_html(text: str, allow_html: bool = False) -> str:
    """Markdown straight to HTML, for text that carries no annotations."""
    return make_parser(allow_html).render(text)
