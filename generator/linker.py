"""Entity mentions: a phrase matcher and the pass that links mentions in the token stream."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markdown_it.token import Token

from generator.diagnostics import Diagnostic, error

if TYPE_CHECKING:
    from generator.model import Entity

# --- The phrase matcher -------------------------------------------------------------------------

_BOUNDARY = r"(?=-\w|(?!\w))"
"""After a phrase (and its suffix): no word character, or a hyphenated compound tail."""

_SUFFIXES: dict[str, tuple[str, str]] = {
    # language: (suffix after a phrase ending in s/x/z, suffix after any other phrase)
    "da": (r"(?:['’]s?|s)?", r"(?:['’]s|s)?"),
    "en": (r"(?:['’]s?)?", r"(?:['’]s)?"),
}
_APOSTROPHE_ENDINGS = {"da": "sxz", "en": "s"}
_NO_SUFFIX = ("", "")


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """One match: ``text[start:end]`` is the phrase as written, with any inflection suffix."""

    start: int
    end: int
    key: str


class _Node:
    """A character trie node; ``phrase`` is set where a phrase ends."""

    __slots__ = ("children", "phrase")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.phrase: str | None = None


def _normalise(phrase: str) -> str:
    return " ".join(phrase.split())


def _is_case_sensitive(phrase: str) -> bool:
    return any(ch.isupper() for ch in phrase)


def _trie_regex(root: _Node, suffixes: tuple[str, str], apostrophe_endings: str) -> str:
    """A regex matching the longest phrase of the trie, children tried before a phrase's end."""

    def end(phrase: str) -> str:
        after_sxz = phrase[-1].lower() in apostrophe_endings
        return (suffixes[0] if after_sxz else suffixes[1]) + _BOUNDARY

    def node_regex(node: _Node) -> str:
        alternatives = []
        for ch, child in sorted(node.children.items()):
            chars = [ch]
            while child.phrase is None and len(child.children) == 1:
                ((ch, child),) = child.children.items()
                chars.append(ch)
            literal = "".join(r"\s+" if c == " " else re.escape(c) for c in chars)
            alternatives.append(literal + node_regex(child))
        if node.phrase is not None:
            alternatives.append(end(node.phrase))
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    return node_regex(root)


def _strip_suffix(written: str) -> Iterable[str]:
    """The matched text, then the text without each inflection suffix it could carry."""
    yield written
    if written.endswith(("'s", "’s")):
        yield written[:-2]
    if written.endswith(("s", "'", "’")):
        yield written[:-1]


class PhraseMatcher:
    """Finds whole-word phrases in text, longest first, in time independent of the phrase count.

    A phrase with a capital letter matches exactly; one in lower case matches in any case (every
    phrase does with ``ignore_case``). Whitespace matches any whitespace run. Danish and English
    genitives are part of a match; a hyphenated compound tail ("Kursk-regionen") is not. When
    two keys claim the same phrase, the first one given wins.
    """

    def __init__(self, phrases: Iterable[tuple[str, str]], *, ignore_case: bool = False) -> None:
        self._exact: dict[str, str] = {}
        self._folded: dict[str, str] = {}
        self._exact_trie = _Node()
        self._folded_trie = _Node()
        for phrase, key in phrases:
            phrase = _normalise(phrase)
            if not phrase:
                continue
            if ignore_case or not _is_case_sensitive(phrase):
                self._add(self._folded_trie, self._folded, phrase.lower(), key)
            else:
                self._add(self._exact_trie, self._exact, phrase, key)
        self._patterns: dict[str, re.Pattern[str]] = {}

    @staticmethod
    def _add(root: _Node, keys: dict[str, str], phrase: str, key: str) -> None:
        if phrase in keys:
            return
        keys[phrase] = key
        node = root
        for ch in phrase:
            node = node.children.setdefault(ch, _Node())
        node.phrase = phrase

    def __len__(self) -> int:
        return len(self._exact) + len(self._folded)

    def pattern(self, language: str) -> re.Pattern[str]:
        """The compiled pattern for a language's inflection rules, built on first use."""
        rules = language.split("-")[0].lower()
        if rules not in _SUFFIXES:
            rules = ""
        if rules not in self._patterns:
            self._patterns[rules] = self._compile(rules)
        return self._patterns[rules]

    def _compile(self, rules: str) -> re.Pattern[str]:
        suffixes = _SUFFIXES.get(rules, _NO_SUFFIX)
        endings = _APOSTROPHE_ENDINGS.get(rules, "")
        # Both tries are tried at each word start, as lookaheads, so that the longer match of
        # the two can be chosen; an exact and a folded phrase may start at the same place.
        exact = "(?!)"
        if self._exact:
            exact = _trie_regex(self._exact_trie, suffixes, endings)
        folded = "(?!)"
        if self._folded:
            folded = "(?i:" + _trie_regex(self._folded_trie, suffixes, endings) + ")"
        return re.compile(rf"(?<!\w)(?=({exact}))?(?=({folded}))?(?(1)|(?(2)|(?!)))")

    def find(self, text: str, language: str) -> list[PhraseMatch]:
        """Non-overlapping matches of the longest phrases, left to right."""
        matches: list[PhraseMatch] = []
        done = 0
        for m in self.pattern(language).finditer(text):
            start = m.start()
            if start < done:
                continue
            exact_end, folded_end = m.end(1), m.end(2)
            if exact_end >= folded_end:
                end, key = exact_end, self._key(self._exact, text[start:exact_end])
            else:
                end, key = folded_end, self._key(self._folded, text[start:folded_end].lower())
            matches.append(PhraseMatch(start, end, key))
            done = end
        return matches

    @staticmethod
    def _key(keys: dict[str, str], written: str) -> str:
        for candidate in _strip_suffix(_normalise(written)):
            if candidate in keys:
                return keys[candidate]
        raise AssertionError(f"matched {written!r} is no known phrase")  # pragma: no cover


# --- The entity registry -----------------------------------------------------------------------


def build_entity_matcher(entities: Sequence[Entity]) -> PhraseMatcher:
    """A matcher for every entity name and alias, keyed by slug; the earlier file wins a tie."""
    ordered = sorted(entities, key=lambda e: e.path)
    return PhraseMatcher((name, entity.slug) for entity in ordered for name in entity.names)


def alias_conflicts(entities: Sequence[Entity]) -> list[Diagnostic]:
    """Names and aliases claimed by two entities, reported at the later file.

    Two names clash when they are equal, or when one of them is all lower case (and so matches
    in any case) and they are equal ignoring case. "Nord" and "NORD" do not clash.
    """
    claims: dict[str, list[tuple[Entity, str]]] = {}
    diagnostics = []
    for entity in sorted(entities, key=lambda e: e.path):
        for name in entity.names:
            phrase = _normalise(name)
            earlier = claims.setdefault(phrase.lower(), [])
            other = next((e for e, p in earlier if e is not entity and _clash(p, phrase)), None)
            if other is not None:
                key = "name" if name == entity.name else "aliases"
                line = entity.lines.get(key) or entity.lines.get("name")
                what = "name" if key == "name" else "alias"
                message = f'{what} "{name}" is also claimed by {other.path}'
                diagnostics.append(error(entity.path, line, message))
            earlier.append((entity, phrase))
    return diagnostics


def _clash(a: str, b: str) -> bool:
    return a == b or not (_is_case_sensitive(a) and _is_case_sensitive(b))


def make_resolver(entities: Sequence[Entity]) -> Callable[[str], str | None]:
    """Resolve an explicit link target by exact name, alias, slug, then name or alias in any case."""
    ordered = sorted(entities, key=lambda e: e.path)
    tables: list[dict[str, str]] = [{}, {}, {}, {}]
    by_name, by_alias, by_slug, by_folded = tables
    for entity in ordered:
        by_name.setdefault(_normalise(entity.name), entity.slug)
        by_slug.setdefault(entity.slug, entity.slug)
        for name in entity.names:
            by_alias.setdefault(_normalise(name), entity.slug)
            by_folded.setdefault(_normalise(name).casefold(), entity.slug)

    def resolve(target: str) -> str | None:
        target = _normalise(target)
        for table in (by_name, by_alias, by_slug):
            if target in table:
                return table[target]
        return by_folded.get(target.casefold())

    return resolve


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
    resolve: Callable[[str], str | None]


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
        if i > 0 and tokens[i - 1].type == "heading_open":
            continue
        first_line = ctx.line_offset + (token.map[0] if token.map else 0)
        token.children = linker.link_inline(token.children, first_line)
    return linker.mentions, linker.diagnostics


@dataclass
class _Piece:
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
        plain: list[str] = []
        needs_context: list[tuple[int, int, int]] = []  # mention index, plain start, plain end
        run: list[Token] = []
        link_depth = 0
        line = first_line

        def flush() -> None:
            nonlocal line
            if run:
                text = "".join("\n" if t.type == "softbreak" else t.content for t in run)
                pieces = self.split_run(text, line)
                if all(p.slug is None for p in pieces):
                    out.extend(run)
                    plain.append(text)
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
            link_depth += _link_depth_change(token)
            if token.type in ("softbreak", "hardbreak"):
                line += 1
                plain.append(" ")
            elif token.type in ("text", "code_inline"):
                plain.append(token.content)
        flush()

        if needs_context:
            paragraph = "".join(plain)
            for index, start, end in needs_context:
                excerpt = _excerpt(paragraph, start, end)
                self.mentions[index] = dataclasses.replace(self.mentions[index], context=excerpt)
        return out

    def split_run(self, text: str, line: int) -> list[_Piece]:
        """Cut a run of text into plain pieces and mentions: explicit links, then matches."""
        pieces: list[_Piece] = []
        done = 0
        for m in EXPLICIT_LINK.finditer(text):
            target = m.group(1)
            if not target.strip():
                continue
            self.split_matches(text[done : m.start()], line + text.count("\n", 0, done), pieces)
            here = line + text.count("\n", 0, m.start())
            slug = self.ctx.resolve(target)
            if slug is None:
                message = f'unknown entity "{_normalise(target)}" in {m.group(0)}'
                self.diagnostics.append(error(self.ctx.path, here, message))
                pieces.append(_Piece(m.group(0)))
            else:
                shown = (m.group(2) or "").strip() or target.strip()
                pieces.append(_Piece(shown, slug, explicit=True, line=here))
            done = m.end()
        self.split_matches(text[done:], line + text.count("\n", 0, done), pieces)
        return pieces

    def split_matches(self, text: str, line: int, pieces: list[_Piece]) -> None:
        done = 0
        for match in self.ctx.matcher.find(text, self.ctx.language):
            if match.key in self.ctx.disabled:
                continue
            if match.start > done:
                pieces.append(_Piece(text[done : match.start]))
            written = text[match.start : match.end]
            here = line + text.count("\n", 0, match.start)
            pieces.append(_Piece(written, match.key, line=here))
            done = match.end
        if done < len(text):
            pieces.append(_Piece(text[done:]))

    def emit(
        self,
        pieces: list[_Piece],
        level: int,
        plain: list[str],
        needs_context: list[tuple[int, int, int]],
    ) -> list[Token]:
        """Tokens for the pieces of a run; records a mention for each mention piece."""
        out: list[Token] = []
        for piece in pieces:
            if piece.slug is None:
                out.extend(_text_tokens(piece.text, level))
                plain.append(piece.text)
                continue
            slug = piece.slug
            first = slug not in self.seen
            linked = piece.explicit or first or self.ctx.link_all
            if first:
                start = sum(map(len, plain))
                needs_context.append((len(self.mentions), start, start + len(piece.text)))
            self.mentions.append(Mention(slug, piece.text, piece.line, linked, piece.explicit))
            plain.append(piece.text)
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


def _link_depth_change(token: Token) -> int:
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
    out: list[Token] = []
    for i, part in enumerate(text.split("\n")):
        if i:
            out.append(Token("softbreak", "br", 0, level=level))
        if part:
            out.append(Token("text", "", 0, level=level, content=part))
    return out


def _excerpt(text: str, start: int, end: int, width: int = CONTEXT_WIDTH) -> str:
    """About ``width`` characters of ``text`` around ``[start, end)``, cut between words."""
    if len(text) <= width:
        return " ".join(text.split())
    low = max(0, min((start + end - width) // 2, len(text) - width))
    high = min(len(text), low + width)
    if low > 0 and not text[low - 1].isspace():
        space = _first_space(text, low, start)
        low = start if space is None else space + 1
    if high < len(text) and not text[high].isspace():
        space = _last_space(text, end, high)
        high = end if space is None else space
    cut = " ".join(text[low:high].split())
    return ("…" if low > 0 else "") + cut + ("…" if high < len(text) else "")


def _first_space(text: str, low: int, high: int) -> int | None:
    for i in range(low, high):
        if text[i].isspace():
            return i
    return None


def _last_space(text: str, low: int, high: int) -> int | None:
    for i in range(high - 1, low - 1, -1):
        if text[i].isspace():
            return i
    return None
