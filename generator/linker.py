"""Entity mentions: a phrase matcher and the pass that links mentions in the token stream."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from markdown_it.token import Token

from generator.diagnostics import Diagnostic, error, warning
from generator.markdown import ESCAPED

if TYPE_CHECKING:
    from generator.model import Entity

# --- The phrase matcher -------------------------------------------------------------------------

_AFTER_WORD_START = r"(?<!\w.)"
"""After a phrase's first character: no word character before it."""
_BEFORE_WORD = r"[\W]"
"""The character before a phrase that starts a word: no word character. A pattern that opens
with it is searched in the text after a space (see :meth:`_Trie.compile`)."""
_BOUNDARY = r"(?=-\w|(?!\w))"
"""After a phrase (and its suffix): no word character, or a hyphenated compound tail."""

_SUFFIXES = {
    # The genitive: "'s" after any phrase, a bare apostrophe after some endings ("NIS'",
    # "Reuters'"), and in Danish a bare "s" after the others ("Ruslands").
    "da": r"(?:['’]s|(?<=[sxzSXZ])['’]|(?<![sxzSXZ])s)?",
    "en": r"(?:['’]s|(?<=[sS])['’])?",
}


class PhraseMatch(NamedTuple):
    """One match: ``text[start:end]`` is the phrase as written, with any inflection suffix.
    (A named tuple: a text has dozens of matches, and a named tuple is made in about half the
    time of a frozen dataclass.)"""

    start: int
    end: int
    key: str


class _Node:
    """A character trie node; ``phrase`` is set where a phrase ends."""

    __slots__ = ("children", "phrase")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.phrase: str | None = None


class _Trie:
    """Phrases and their keys, and regexes for them shaped like their character trie."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        self.matched: dict[str, str] = {}
        """Keys of phrases as written, as :meth:`key` found them."""
        self.heads: dict[str, list[str]] = {}
        """The phrases by their head: the word characters they start with (see :func:`_head`)."""

    def add(self, phrase: str, key: str) -> None:
        if phrase in self.keys:
            return
        self.keys[phrase] = key
        self.heads.setdefault(_head(phrase), []).append(phrase)

    def key(self, written: str) -> str:
        """The key of a phrase as matched, with its whitespace and any suffix."""
        known = self.matched.get(written)
        if known is not None:
            return known
        for candidate in _without_suffix(_normalise(written)):
            if candidate in self.keys:
                if len(self.matched) < 1 << 16:
                    self.matched[written] = self.keys[candidate]
                return self.keys[candidate]
        raise AssertionError(f"matched {written!r} is no known phrase")  # pragma: no cover

    def candidates(self, text: str) -> frozenset[str]:
        """The phrases that can match in ``text``: those whose head is one of its words.

        A match starts at a word start, and its phrase's head is followed by a character that
        is no word character, or ends the phrase. So the word of ``text`` at a match is the
        head, or the head and a genitive "s" (an apostrophe is no word character).
        """
        heads = self.heads
        found: list[str] = list(heads.get("", ()))
        for word in set(_WORDS.findall(text)):
            found += heads.get(word, ())
            if word.endswith("s"):
                found += heads.get(word[:-1], ())
        return frozenset(found)

    def compile(
        self, rules: str, capitals: bool, phrases: Iterable[str] | None = None
    ) -> re.Pattern[str] | None:
        """A pattern for the longest phrase at a word start, shaped like the trie of
        ``phrases`` (all phrases if None).

        At each node the branches for longer phrases come before the end of a shorter one, so
        the longest phrase that is followed by a suffix and a word boundary wins. Sibling
        branches start with distinct literals, which the regex engine rejects without entering
        them: the cost per character is bounded by the alphabet and the length of the match,
        not by the number of phrases.

        The pattern opens with a set of characters that the engine scans for without trying
        a match at every position. With ``capitals`` (phrases that mostly start with a capital
        letter), that is the phrases' first characters, and the word-start check follows them.
        Without, most letters start some phrase, and the set is that of the character before a
        word (:data:`_BEFORE_WORD`), which is rarer. Such a pattern is searched in the text
        with a space put before it, so that its match (that character, then the phrase) starts
        where the phrase starts in the text itself.
        """
        root = _Node()
        for phrase in self.keys if phrases is None else phrases:
            node = root
            for ch in phrase:
                child = node.children.get(ch)
                if child is None:
                    child = node.children[ch] = _Node()
                node = child
            node.phrase = phrase
        if not root.children:
            return None

        def node_regex(node: _Node, at_start: bool) -> str:
            branches = []
            for ch, child in sorted(node.children.items()):
                chars = [ch]
                while child.phrase is None and len(child.children) == 1:
                    ((ch, child),) = child.children.items()
                    chars.append(ch)
                literal = [r"\s++" if c == " " else re.escape(c) for c in chars]
                if at_start and capitals:
                    literal.insert(1, _AFTER_WORD_START)
                branches.append("".join(literal) + node_regex(child, at_start=False))
            if node.phrase is not None:
                branches.append("")  # a phrase may end here, if no longer one matches
            return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

        trie = node_regex(root, at_start=True)
        end = _SUFFIXES.get(rules, "") + _BOUNDARY
        return re.compile(trie + end if capitals else _BEFORE_WORD + trie + end)


_WORDS = re.compile(r"\w+")
_HEAD = re.compile(r"\w*")


def _head(phrase: str) -> str:
    """The word characters a phrase starts with: "Kim" of "Kim Jong-un", "" of "#MeToo"."""
    found = _HEAD.match(phrase)
    assert found is not None
    return found.group()


def _normalise(phrase: str) -> str:
    return " ".join(phrase.split())


def _is_case_sensitive(phrase: str) -> bool:
    return any(ch.isupper() for ch in phrase)


def _without_suffix(written: str) -> Iterable[str]:
    """The matched text, then the text without each inflection suffix it could carry."""
    yield written
    if written.endswith(("'s", "’s")):
        yield written[:-2]
    if written.endswith(("s", "'", "’")):
        yield written[:-1]


def _lower(text: str) -> str:
    """``text`` in lower case, character by character, so that offsets stay the same."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


_Patterns = tuple[re.Pattern[str] | None, re.Pattern[str] | None]


def _rules(language: str) -> str:
    """The inflection rules of a language (a key of ``_SUFFIXES``), or "" for none."""
    rules = language.split("-")[0].lower()
    return rules if rules in _SUFFIXES else ""


class PhraseMatcher:
    """Finds whole-word phrases in text, the longest first; built once, used for every text.

    The time is linear in the length of the text; it does not grow with the number of phrases
    beyond the deeper trie walks of words that start like some phrase.

    A phrase with a capital letter matches exactly; one in lower case matches in any case (every
    phrase does with ``ignore_case``). Whitespace matches any whitespace run. Danish and English
    genitives are part of a match; a hyphenated compound tail ("Kursk-regionen") is not. When
    two keys claim the same phrase, the first one given wins.
    """

    SMALL_FINDS = 256
    """Texts searched with patterns of only the phrases that can match in them, before the
    patterns of every phrase are compiled: a build that annotates a few articles finds their
    mentions without compiling a pattern of thousands of phrases (tens of milliseconds)."""

    def __init__(
        self,
        phrases: Iterable[tuple[str, str]],
        *,
        ignore_case: bool = False,
        small_finds: int = SMALL_FINDS,
    ) -> None:
        self._exact = _Trie()
        self._folded = _Trie()
        for phrase, key in phrases:
            phrase = _normalise(phrase)
            if not phrase:
                continue
            if ignore_case or not _is_case_sensitive(phrase):
                self._folded.add(phrase.lower(), key)
            else:
                self._exact.add(phrase, key)
        self._patterns: dict[str, _Patterns] = {}
        self._small_finds = small_finds
        self._small: dict[tuple[str, bool, frozenset[str]], re.Pattern[str] | None] = {}

    def __len__(self) -> int:
        return len(self._exact.keys) + len(self._folded.keys)

    def prepare(self, language: str) -> None:
        """Compile the patterns for a language now rather than when the texts searched with
        patterns of their own phrases run out (see :attr:`SMALL_FINDS`)."""
        self._patterns_for(language)

    def _patterns_for(self, language: str) -> _Patterns:
        known = self._patterns.get(language)
        if known is not None:
            return known
        rules = _rules(language)
        if rules not in self._patterns:
            self._patterns[rules] = (
                self._exact.compile(rules, capitals=True),
                self._folded.compile(rules, capitals=False),
            )
        self._patterns[language] = self._patterns[rules]
        return self._patterns[language]

    def _small_pattern(
        self, trie: _Trie, text: str, rules: str, capitals: bool
    ) -> re.Pattern[str] | None:
        """The pattern of the phrases of ``trie`` that can match in ``text``: it finds what the
        pattern of all of them would."""
        phrases = trie.candidates(text)
        if not phrases:
            return None
        cache_key = (rules, capitals, phrases)
        if cache_key not in self._small:
            if len(self._small) >= 1024:
                self._small.clear()
            self._small[cache_key] = trie.compile(rules, capitals, sorted(phrases))
        return self._small[cache_key]

    def find(self, text: str, language: str) -> list[PhraseMatch]:
        """Non-overlapping matches of the longest phrases, left to right.

        The folded phrases are found in the lower-cased text, the exact ones in the text. Of
        the two next matches, the one that starts first wins; at one start the longer, and at
        equal length the exact one. A pattern whose next match starts inside the winner is
        searched again from the winner's end: the match of a pattern at a given start does not
        depend on where its search began, so this finds what a search from every start would.
        """
        lowered = _lower(text) if self._folded.keys else ""
        if language in self._patterns or self._small_finds <= 0:
            exact, folded = self._patterns_for(language)
        else:
            self._small_finds -= 1
            rules = _rules(language)
            exact = self._small_pattern(self._exact, text, rules, capitals=True)
            folded = self._small_pattern(self._folded, lowered, rules, capitals=False)
        if folded is not None:
            # In ``padded`` a match of the folded pattern is the character before the phrase,
            # then the phrase: its start() is where the phrase starts in ``lowered``, and its
            # end() one past where the phrase ends there.
            padded = " " + lowered
            search_folded = folded.search
            next_folded = search_folded(padded)
        else:
            next_folded = None
        if exact is not None:
            search_exact = exact.search
            next_exact = search_exact(text)
        else:
            next_exact = None
        matches: list[PhraseMatch] = []
        while next_folded is not None or next_exact is not None:
            if next_exact is not None and (
                next_folded is None
                or next_exact.start() < next_folded.start()
                or (
                    next_exact.start() == next_folded.start()
                    and next_exact.end() >= next_folded.end() - 1
                )
            ):
                start, end = next_exact.span()
                key = self._exact.key(text[start:end])
            else:
                assert next_folded is not None
                start, end = next_folded.start(), next_folded.end() - 1
                key = self._folded.key(lowered[start:end])
            matches.append(PhraseMatch(start, end, key))
            if next_folded is not None and next_folded.start() < end:
                next_folded = search_folded(padded, end)
            if next_exact is not None and next_exact.start() < end:
                next_exact = search_exact(text, end)
        return matches


# --- The entity registry -----------------------------------------------------------------------


def build_entity_matcher(entities: Sequence[Entity]) -> PhraseMatcher:
    """A matcher for every entity name and alias, keyed by slug; the earlier file wins a tie."""
    ordered = sorted(entities, key=lambda e: e.path)
    return PhraseMatcher((name, entity.slug) for entity in ordered for name in entity.names)


def alias_conflicts(entities: Sequence[Entity]) -> list[Diagnostic]:
    """Names and aliases claimed by two entities, reported at both files, each at its own line
    and in its own spelling: either file may hold the edit that made the clash.

    Two names clash when they are equal, or when one of them is all lower case (and so matches
    in any case) and they are equal ignoring case. "Nord" and "NORD" do not clash.
    """
    claims: dict[str, list[tuple[Entity, str, str]]] = {}
    diagnostics = []
    for entity in sorted(entities, key=lambda e: e.path):
        for name in entity.names:
            phrase = _normalise(name)
            earlier = claims.setdefault(phrase.lower(), [])
            other = next(
                ((e, n) for e, p, n in earlier if e is not entity and _clash(p, phrase)), None
            )
            if other is not None:
                diagnostics.append(_claimed(entity, name, other[0]))
                diagnostics.append(_claimed(other[0], other[1], entity))
            earlier.append((entity, phrase, name))
    return diagnostics


def _claimed(entity: Entity, name: str, other: Entity) -> Diagnostic:
    key = "name" if name == entity.name else "aliases"
    line = entity.lines.get(key) or entity.lines.get("name")
    what = "name" if key == "name" else "alias"
    return error(entity.path, line, f'{what} "{name}" is also claimed by {other.path}')


def _clash(a: str, b: str) -> bool:
    return a == b or not (_is_case_sensitive(a) and _is_case_sensitive(b))


class Resolver:
    """Resolves an explicit link target by exact name, alias, slug, then name or alias in any
    case; and for a target that names no entity, the name it was most likely meant to be."""

    def __init__(self, entities: Sequence[Entity]) -> None:
        ordered = sorted(entities, key=lambda e: e.path)
        self._tables: list[dict[str, str]] = [{}, {}, {}, {}]
        by_name, by_alias, by_slug, by_folded = self._tables
        for entity in ordered:
            by_name.setdefault(_normalise(entity.name), entity.slug)
            by_slug.setdefault(entity.slug, entity.slug)
            for name in entity.names:
                by_alias.setdefault(_normalise(name), entity.slug)
                by_folded.setdefault(_normalise(name).casefold(), entity.slug)
        self._names = [_normalise(name) for entity in ordered for name in entity.names]

    def __call__(self, target: str) -> str | None:
        target = _normalise(target)
        for table in self._tables[:3]:
            if target in table:
                return table[target]
        return self._tables[3].get(target.casefold())

    def closest(self, target: str) -> str | None:
        """The name or alias most like ``target`` (in any case), or None if none is close."""
        folded = {name.casefold(): name for name in reversed(self._names)}
        found = difflib.get_close_matches(_normalise(target).casefold(), folded, n=1, cutoff=0.75)
        return folded[found[0]] if found else None


def make_resolver(entities: Sequence[Entity]) -> Resolver:
    """The :class:`Resolver` of explicit link targets among ``entities``."""
    return Resolver(entities)


# --- The token-stream pass ---------------------------------------------------------------------


@dataclass(frozen=True)
class LinkContext:
    """What the linker needs to know about one article and the site around it."""

    matcher: PhraseMatcher
    language: str
    path: str
    line_offset: int
    """The file line of the Markdown's first line (1-based)."""
    link_all: bool
    """Link every mention, not only the first of each entity."""
    disabled: frozenset[str]
    """Slugs never linked automatically in this article (front matter ``no_link``)."""
    href: Callable[[str], str]
    title: Callable[[str], str]
    resolve: Resolver


@dataclass(frozen=True)
class Mention:
    """An entity mentioned in an article; ``context`` is set for the first mention only."""

    slug: str
    text: str
    line: int
    linked: bool
    explicit: bool
    context: str = ""


EXPLICIT_LINK = re.compile(r"\[\[([^\[\]|]+)(?:\|([^\[\]]*))?\]\]")
CONTEXT_WIDTH = 160

_HTML_LINK_OPEN = re.compile(r"^<a[>\s]", re.IGNORECASE)
_HTML_LINK_CLOSE = re.compile(r"^</a\s*>", re.IGNORECASE)


def link_mentions(
    tokens: list[Token], ctx: LinkContext, seen: set[str]
) -> tuple[list[Mention], list[Diagnostic]]:
    """Link entity mentions in the inline text of ``tokens``, in place, outside headings.

    ``seen`` holds the slugs already linked in the article and is updated.
    """
    linker = _Linker(ctx, seen)
    for i, token in enumerate(tokens):
        if token.type != "inline" or not token.children:
            continue
        first_line = ctx.line_offset + (token.map[0] if token.map else 0)
        if i > 0 and tokens[i - 1].type == "heading_open":
            if "[[" in token.content:
                message = (
                    '"[[" in a heading is shown as written: entity links are not made in headings'
                )
                linker.diagnostics.append(warning(ctx.path, first_line, message))
            continue
        token.children = linker.link_inline(token.children, first_line)
    return linker.mentions, linker.diagnostics


class _Piece(NamedTuple):
    """A stretch of a text run: plain text, or a mention to link."""

    text: str
    slug: str | None = None
    explicit: bool = False
    line: int = 0


class _Linker:
    """The state of one pass over one article's tokens."""

    def __init__(self, ctx: LinkContext, seen: set[str]) -> None:
        self.ctx = ctx
        self.seen = seen
        self.mentions: list[Mention] = []
        self.diagnostics: list[Diagnostic] = []

    def link_inline(self, children: list[Token], first_line: int) -> list[Token]:
        """The children of one inline token, with mentions linked."""
        out: list[Token] = []
        plain = _PlainText()
        needs_context: list[tuple[int, int, int]] = []  # mention index, plain start, plain end
        run: list[Token] = []
        link_depth = 0
        line = first_line

        def flush() -> None:
            nonlocal line
            if run:
                if len(run) == 1 and run[0].type == "text":
                    text = run[0].content
                else:
                    text = "".join("\n" if t.type == "softbreak" else t.content for t in run)
                pieces = self.split_run(text, line)
                if all(p.slug is None for p in pieces):
                    out.extend(run)
                    plain.add(text)
                else:
                    out.extend(self.emit(pieces, run[0].level, plain, needs_context))
                line += text.count("\n")
                run.clear()

        for token in children:
            if link_depth == 0 and token.type in ("text", "softbreak"):
                run.append(token)
                continue
            flush()
            out.append(token)
            link_depth += link_depth_change(token)
            if token.type in ("softbreak", "hardbreak"):
                line += 1
                plain.add(" ")
            elif token.type in ("text", "code_inline", ESCAPED):
                plain.add(token.content)
        flush()

        if needs_context:
            paragraph = plain.text()
            for index, start, end in needs_context:
                m = self.mentions[index]
                excerpt = _excerpt(paragraph, start, end)
                self.mentions[index] = Mention(
                    m.slug, m.text, m.line, m.linked, m.explicit, excerpt
                )
        return out

    def split_run(self, text: str, line: int) -> list[_Piece]:
        """Cut a run of text into plain pieces and mentions: explicit links, then matches."""
        pieces: list[_Piece] = []
        if "[[" not in text:
            self.split_matches(text, line, pieces)
            return pieces
        done = 0
        at_done = line  # the line at ``done``, counted on from link to link
        links: list[tuple[int, int]] = []
        for m in EXPLICIT_LINK.finditer(text):
            target = m.group(1)
            if not target.strip():
                continue
            links.append(m.span())
            self.split_matches(text[done : m.start()], at_done, pieces)
            here = at_done + text.count("\n", done, m.start())
            slug = self.ctx.resolve(target)
            if slug is None:
                message = f'unknown entity "{_normalise(target)}" in {m.group(0)}'
                closest = self.ctx.resolve.closest(target)
                if closest is not None:
                    message += f' (did you mean "[[{closest}]]"?)'
                self.diagnostics.append(error(self.ctx.path, here, message))
                pieces.append(_Piece(m.group(0)))
            else:
                shown = (m.group(2) or "").strip() or target.strip()
                pieces.append(_Piece(shown, slug, explicit=True, line=here))
            at_done = here + text.count("\n", m.start(), m.end())
            done = m.end()
        self.split_matches(text[done:], at_done, pieces)
        self.stray_brackets(text, line, links)
        return pieces

    def stray_brackets(self, text: str, line: int, links: Sequence[tuple[int, int]]) -> None:
        """A warning for each line with a ``[[`` that opens no entity link: one left open, an
        empty one, or one with formatting inside (which splits it over several runs of text)."""
        warned: set[int] = set()
        here, counted, after = line, 0, 0  # lines and links passed so far: linear in the text
        at = text.find("[[")
        while at != -1:
            here += text.count("\n", counted, at)
            counted = at
            while after < len(links) and links[after][1] <= at:
                after += 1
            inside = after < len(links) and links[after][0] <= at
            if here not in warned and not inside:
                warned.add(here)
                message = (
                    '"[[" opens no entity link and is shown as written (an entity link is '
                    "[[name]] or [[name|text]], with no formatting inside)"
                )
                self.diagnostics.append(warning(self.ctx.path, here, message))
            at = text.find("[[", at + 2)

    def split_matches(self, text: str, line: int, pieces: list[_Piece]) -> None:
        done = 0
        here, counted = line, 0  # lines counted on from the last match: linear in the text
        for match in self.ctx.matcher.find(text, self.ctx.language):
            if match.key in self.ctx.disabled:
                continue
            if match.start > done:
                pieces.append(_Piece(text[done : match.start]))
            written = text[match.start : match.end]
            here += text.count("\n", counted, match.start)
            counted = match.start
            pieces.append(_Piece(written, match.key, line=here))
            done = match.end
        if done < len(text):
            pieces.append(_Piece(text[done:]))

    def emit(
        self,
        pieces: list[_Piece],
        level: int,
        plain: _PlainText,
        needs_context: list[tuple[int, int, int]],
    ) -> list[Token]:
        """Tokens for the pieces of a run; records a mention for each mention piece."""
        out: list[Token] = []
        for piece in pieces:
            if piece.slug is None:
                out.extend(_text_tokens(piece.text, level))
                plain.add(piece.text)
                continue
            slug = piece.slug
            first = slug not in self.seen
            linked = piece.explicit or first or self.ctx.link_all
            if first:
                span = (plain.length, plain.length + len(piece.text))
                needs_context.append((len(self.mentions), *span))
            self.mentions.append(Mention(slug, piece.text, piece.line, linked, piece.explicit))
            plain.add(piece.text)
            if linked:
                self.seen.add(slug)
                out.extend(self.link_tokens(slug, piece.text, level, piece.explicit))
            else:
                out.extend(_text_tokens(piece.text, level))
        return out

    def link_tokens(self, slug: str, text: str, level: int, explicit: bool) -> list[Token]:
        attrs: dict[str, Any] = {
            "class": "mention",
            "data-entity": slug,
            "href": self.ctx.href(slug),
            "title": self.ctx.title(slug),
        }
        info = "explicit" if explicit else "auto"
        return [
            Token("link_open", "a", 1, attrs=attrs, level=level, markup="mention", info=info),
            *_text_tokens(text, level + 1),
            Token("link_close", "a", -1, level=level, markup="mention", info=info),
        ]


def link_depth_change(token: Token) -> int:
    """+1 for a token that opens a link (Markdown or raw ``<a>``), -1 for one that closes it."""
    if token.type == "link_open":
        return 1
    if token.type == "link_close":
        return -1
    if token.type == "html_inline":
        if _HTML_LINK_OPEN.match(token.content):
            return 1
        if _HTML_LINK_CLOSE.match(token.content):
            return -1
    return 0


def _text_tokens(text: str, level: int) -> list[Token]:
    """Text tokens for ``text``, with a softbreak for each line break."""
    if "\n" not in text:
        return [Token("text", "", 0, level=level, content=text)] if text else []
    out: list[Token] = []
    for i, part in enumerate(text.split("\n")):
        if i:
            out.append(Token("softbreak", "br", 0, level=level))
        if part:
            out.append(Token("text", "", 0, level=level, content=part))
    return out


class _PlainText:
    """The plain text of one paragraph, gathered while its tokens are walked."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.parts).replace("\n", " ")


def _excerpt(text: str, start: int, end: int, width: int = CONTEXT_WIDTH) -> str:
    """About ``width`` characters of ``text`` around ``[start, end)``, cut between words."""
    if len(text) > width:
        low = max(0, min((start + end - width) // 2, len(text) - width))
        high = min(len(text), low + width)
        if low > 0 and text[low - 1] != " ":
            low = text.find(" ", low, start) + 1 or start
        if high < len(text) and text[high] != " ":
            high = max(text.rfind(" ", end, high), end)
        return (
            ("…" if low > 0 else "") + _squash(text[low:high]) + ("…" if high < len(text) else "")
        )
    return _squash(text)


def _squash(text: str) -> str:
    return " ".join(text.split())
