"""Background notes and inline annotations: which notes attach to an article, and the pass over
its token stream that marks them, shows them as side notes and links its dates to the timeline.

A note attaches to an article

1. by date: the text names the note's ``date`` with its year (:func:`dates.find_dates`);
2. by trigger: the text contains one of the note's ``triggers``: in any case, as whole words,
   inflected and across line breaks, as the linker finds entity names;
3. by front matter: the article lists the note in ``notes``.

Rules 1 and 2 never attach a note dated after the article's local date; rule 3 may. A note
attaches once, at the paragraph that first refers to it; within that paragraph its date wins
over a trigger, since the date names the event exactly. ``no_notes`` switches a note off.

The pass looks where the linker links: at the text of paragraphs, lists, quotes and tables, not
at headings, code, links or image descriptions. It runs before the linker, so a trigger such as
"Ruslands invasion af Ukraine" is still whole text and not cut up by entity links.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from markdown_it.token import Token

from generator.config import SiteConfig
from generator.dates import day_start, find_dates, format_date, iso, local_date
from generator.diagnostics import Diagnostic, error, warning
from generator.linker import EXPLICIT_LINK, PhraseMatcher, link_depth_change
from generator.markdown import ESCAPED, parse, render
from generator.model import Article, Note

NoteRule = Literal["date", "trigger", "front-matter", "annotation"]

_SEPARATOR = "\x00"
"""Joins the text runs of an article for one search; markdown-it turns NUL into U+FFFD, and no
date or phrase pattern matches across it."""

_DATE_FIRST, _TRIGGER = 0, 1
"""Within a paragraph a note anchors at its date before a trigger."""


# --- What an article shows --------------------------------------------------------------------


@dataclass(frozen=True)
class AttachedNote:
    """A background note or annotation shown with an article, with its number there."""

    number: int
    key: str
    """The note's slug, or ``annotation-N`` for the article's N-th annotation."""
    rule: NoteRule
    anchored: bool
    """A marker in the text refers to it; otherwise it stands under "Baggrund" at the end."""

    @property
    def is_annotation(self) -> bool:
        return self.rule == "annotation"


def article_day(article: Article, timezone: str) -> date:
    """The article's date on the calendar of the site's time zone."""
    return local_date(article.date, timezone)


# --- The registry, built once per build -------------------------------------------------------


def _phrase_key(phrase: str) -> str:
    return " ".join(phrase.split()).lower()


@dataclass(frozen=True)
class NoteRegistry:
    """Every note, its triggers and its date, and the days the timeline has entries for."""

    notes: Mapping[str, Note]
    matcher: PhraseMatcher
    """Every trigger, in any case; the key is the trigger in lower case."""
    by_trigger: Mapping[str, tuple[str, ...]]
    """Trigger key -> the slugs of the notes with that trigger, oldest first."""
    by_date: Mapping[date, tuple[str, ...]]
    days: frozenset[date]
    """The days with an entry on the timeline: a note's date or an article's."""
    summaries: Mapping[str, tuple[str, bool]]
    """Each note's first paragraph as HTML for a side note, entity links shown as their text,
    and whether the body goes on after it."""
    timezone: str
    allow_html: bool

    @classmethod
    def build(
        cls,
        notes: Sequence[Note],
        articles: Sequence[Article],
        config: SiteConfig,
        days: frozenset[date] | None = None,
    ) -> NoteRegistry:
        """The registry of ``notes``; ``days`` are their and the articles' timeline days, if
        they are known already."""
        ordered = sorted(notes, key=lambda n: (n.date, n.slug))
        by_trigger: dict[str, list[str]] = {}
        by_date: dict[date, list[str]] = {}
        for note in ordered:
            by_date.setdefault(note.date, []).append(note.slug)
            for trigger in note.triggers:
                slugs = by_trigger.setdefault(_phrase_key(trigger), [])
                if note.slug not in slugs:
                    slugs.append(note.slug)
        matcher = PhraseMatcher(((key, key) for key in by_trigger), ignore_case=True)
        return cls(
            notes={n.slug: n for n in ordered},
            matcher=matcher,
            by_trigger={k: tuple(v) for k, v in by_trigger.items()},
            by_date={k: tuple(v) for k, v in by_date.items()},
            days=frozenset(timeline_days(ordered, articles, config.timezone))
            if days is None
            else days,
            summaries=_Summaries({n.slug: n.body for n in ordered}, config.allow_html),
            timezone=config.timezone,
            allow_html=config.allow_html,
        )


class _Summaries(Mapping[str, tuple[str, bool]]):
    """Each note's :func:`render_summary`, rendered when first asked for: a build that
    annotates a few articles renders the summaries of the notes they show, not of all notes."""

    def __init__(self, bodies: Mapping[str, str], allow_html: bool) -> None:
        self._bodies = bodies
        self._allow_html = allow_html
        self._done: dict[str, tuple[str, bool]] = {}

    def __getitem__(self, slug: str) -> tuple[str, bool]:
        done = self._done.get(slug)
        if done is None:
            done = self._done[slug] = render_summary(self._bodies[slug], self._allow_html)
        return done

    def __iter__(self) -> Iterator[str]:
        return iter(self._bodies)

    def __len__(self) -> int:
        return len(self._bodies)


def timeline_days(notes: Iterable[Note], articles: Iterable[Article], timezone: str) -> set[date]:
    """The days the timeline lists something on: every note's date and every article's."""
    return {n.date for n in notes} | {article_day(a, timezone) for a in articles}


def render_plain(markdown: str, allow_html: bool) -> str:
    """Markdown to HTML with explicit entity links (``[[Name|shown]]``) shown as plain text."""
    return render(_plain_tokens(markdown, allow_html), allow_html)


def render_summary(markdown: str, allow_html: bool) -> tuple[str, bool]:
    """The first block of the Markdown as :func:`render_plain` renders it, and whether more
    blocks follow."""
    tokens = _plain_tokens(markdown, allow_html)
    end = next((i for i, t in enumerate(tokens) if t.level == 0 and t.nesting <= 0), len(tokens))
    return render(tokens[: end + 1], allow_html), end + 1 < len(tokens)


def _plain_tokens(markdown: str, allow_html: bool) -> list[Token]:
    tokens = parse(markdown, allow_html)
    for token in tokens:
        for child in token.children or ():
            if child.type == "text" and "[[" in child.content:
                child.content = EXPLICIT_LINK.sub(_shown_text, child.content)
    return tokens


def _shown_text(match: re.Match[str]) -> str:
    return (match.group(2) or "").strip() or match.group(1).strip()


# --- The pass over one article ---------------------------------------------------------------


@dataclass(frozen=True)
class NoteContext:
    """What the note pass needs to know about one article and the site around it."""

    registry: NoteRegistry
    article: Article
    href: Callable[[str], str]
    """A site URL -> the link to it from the article's page."""
    note_url: Callable[[str], str]
    """A note's slug -> its page's site URL."""
    timeline_day: Callable[[date], str]
    """A day -> its site URL on the timeline."""
    strings: Mapping[str, str]
    """UI strings, in the site's language."""
    language: str
    """The site's language, for the dates of notes."""


@dataclass(eq=False)
class _Run:
    """Consecutive text and soft breaks outside links: the text the pass searches."""

    first: int
    stop: int
    start: int
    """Offset of the run's text in its inline token's plain text."""
    text: str
    dates: list[tuple[int, int, date]] = field(default_factory=list)
    markers: list[tuple[int, int, str]] = field(default_factory=list)
    """(offset in ``text``, number, HTML) of each marker that goes after that offset."""


@dataclass(eq=False)
class _Inline:
    """One inline token the pass may change, and where its top-level block ends."""

    token: Token
    lead: bool
    block_end: int
    runs: list[_Run]
    after: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    """Child index -> (number, HTML) of markers that go after that child."""


@dataclass(frozen=True)
class _Anchor:
    """Where a marker goes: after ``offset`` of a run's text, or after child ``after``."""

    inline: int
    position: int
    """Offset in the inline's plain text, for document order."""
    run: _Run | None
    offset: int = 0
    after: int = -1


def attach_notes(
    lead: list[Token], body: list[Token], ctx: NoteContext
) -> tuple[list[AttachedNote], list[Diagnostic]]:
    """Attach notes and annotations to an article and link its dates, changing its tokens.

    Markers go into the lead and body text; side notes go after the top-level block that
    holds their marker (at the start of the body for the lead), and notes listed in front
    matter that the text never refers to go into a "Baggrund" section at the end.
    """
    inlines = _inlines(lead, True) + _inlines(body, False)
    anchors = _find_notes(inlines, ctx)
    annotation_anchors, problems = _find_annotations(inlines, ctx.article)
    problems += _conflicting_lists(ctx.article)

    ordered: list[tuple[tuple[int, int, int, str], str, NoteRule, _Anchor]] = []
    for slug, (rule, anchor) in anchors.items():
        ordered.append(((anchor.inline, anchor.position, 0, slug), slug, rule, anchor))
    for key, anchor in annotation_anchors.items():
        ordered.append(((anchor.inline, anchor.position, 1, key), key, "annotation", anchor))
    ordered.sort(key=lambda item: item[0])

    attached: list[AttachedNote] = []
    asides: dict[int, list[str]] = {}
    for number, (_order, key, rule, anchor) in enumerate(ordered, 1):
        attached.append(AttachedNote(number, key, rule, anchored=True))
        _place_marker(inlines[anchor.inline], anchor, number, _marker_html(number, key, ctx))
        block = -1 if inlines[anchor.inline].lead else inlines[anchor.inline].block_end
        asides.setdefault(block, []).append(_aside_html(number, key, ctx, anchored=True))

    unanchored = _listed_without_anchor(ctx, anchors)
    first = len(attached) + 1
    attached += (
        AttachedNote(n, slug, "front-matter", anchored=False)
        for n, slug in enumerate(unanchored, first)
    )
    background = [
        _aside_html(n, slug, ctx, anchored=False) for n, slug in enumerate(unanchored, first)
    ]

    for item in inlines:
        if item.after or any(run.dates or run.markers for run in item.runs):
            item.token.children = _rebuild(item, ctx)
    _insert_asides(body, asides, _background_html(background, ctx.strings))
    return attached, problems


def _inlines(tokens: Sequence[Token], lead: bool) -> list[_Inline]:
    """The inline tokens of a stream that the pass looks at, in order, with their runs."""
    found: list[_Inline] = []
    pending: list[_Inline] = []
    for i, token in enumerate(tokens):
        if token.type == "inline":
            if token.children and not (i > 0 and tokens[i - 1].type == "heading_open"):
                pending.append(_Inline(token, lead, len(tokens) - 1, _runs(token.children)))
        elif token.level == 0 and token.nesting <= 0:
            for item in pending:
                item.block_end = i
            found += pending
            pending = []
    return found + pending


def _plain_length(token: Token) -> int:
    if token.type in ("text", "code_inline", ESCAPED):
        return len(token.content)
    return 1 if token.type in ("softbreak", "hardbreak") else 0


def _runs(children: Sequence[Token]) -> list[_Run]:
    if all(child.type == "text" for child in children):
        return [_Run(0, len(children), 0, "".join(child.content for child in children))]
    runs: list[_Run] = []
    parts: list[str] = []
    first = start = 0
    plain = depth = 0
    for j, child in enumerate(children):
        if depth == 0 and child.type in ("text", "softbreak"):
            if not parts:
                first, start = j, plain
            parts.append("\n" if child.type == "softbreak" else child.content)
        else:
            if parts:
                runs.append(_Run(first, j, start, "".join(parts)))
                parts = []
            depth += link_depth_change(child)
        plain += _plain_length(child)
    if parts:
        runs.append(_Run(first, len(children), start, "".join(parts)))
    return runs


def _find_notes(
    inlines: Sequence[_Inline], ctx: NoteContext
) -> dict[str, tuple[NoteRule, _Anchor]]:
    """Each attached note's anchor (rules 1 and 2), and the date links of every run."""
    registry = ctx.registry
    located = [(i, run) for i, item in enumerate(inlines) for run in item.runs]
    if not located:
        return {}
    starts: list[int] = []
    offset = 0
    for _i, run in located:
        starts.append(offset)
        offset += len(run.text) + 1
    text = _SEPARATOR.join(run.text for _i, run in located)
    article = ctx.article
    day = article_day(article, registry.timezone)
    listed = set(article.notes)
    disabled = set(article.no_notes)

    def eligible(slug: str) -> bool:
        return slug not in disabled and (registry.notes[slug].date <= day or slug in listed)

    best: dict[str, tuple[tuple[int, int, int], NoteRule, _Anchor]] = {}

    def consider(slug: str, rank: int, rule: NoteRule, anchor: _Anchor) -> None:
        order = (anchor.inline, rank, anchor.position)
        if eligible(slug) and (slug not in best or order < best[slug][0]):
            best[slug] = (order, rule, anchor)

    for mention in find_dates(text, article.language):
        k = bisect_right(starts, mention.start) - 1
        inline, run = located[k]
        start, end = mention.start - starts[k], mention.end - starts[k]
        if _inside_explicit_link(run.text, start, end):
            continue
        if mention.date in registry.days:
            run.dates.append((start, end, mention.date))
        for slug in registry.by_date.get(mention.date, ()):
            consider(slug, _DATE_FIRST, "date", _Anchor(inline, run.start + end, run, end))
    if len(registry.matcher):
        for match in registry.matcher.find(text, article.language):
            k = bisect_right(starts, match.start) - 1
            inline, run = located[k]
            end = _marker_offset(run, match.end - starts[k])
            for slug in registry.by_trigger[match.key]:
                consider(slug, _TRIGGER, "trigger", _Anchor(inline, run.start + end, run, end))
    return {slug: (rule, anchor) for slug, (_order, rule, anchor) in best.items()}


def _inside_explicit_link(text: str, start: int, end: int) -> bool:
    if "[[" not in text:
        return False
    return any(m.start() < end and start < m.end() for m in EXPLICIT_LINK.finditer(text))


def _marker_offset(run: _Run, end: int) -> int:
    """Where a marker for a passage ending at ``end`` goes: not inside a date link or [[…]]."""
    for start, stop, _day in run.dates:
        if start < end < stop:
            end = stop
    if "[[" in run.text:
        for m in EXPLICIT_LINK.finditer(run.text):
            if m.start() < end < m.end():
                end = m.end()
    return end


def _find_annotations(
    inlines: Sequence[_Inline], article: Article
) -> tuple[dict[str, _Anchor], list[Diagnostic]]:
    """The anchor of each annotation: the end of its quote's first occurrence."""
    anchors: dict[str, _Anchor] = {}
    problems: list[Diagnostic] = []
    if not article.annotations:
        return anchors, problems
    plains = [_PlainText(item) for item in inlines]
    for n, annotation in enumerate(article.annotations, 1):
        pattern = _quote_pattern(annotation.quote)
        anchor = None
        for i, plain in enumerate(plains):
            match = pattern.search(plain.text)
            if match is not None:
                anchor = plain.anchor(i, match.end())
                break
        if anchor is None:
            message = f'annotation quote "{annotation.quote}" does not occur in the text'
            problems.append(error(article.path, annotation.line, message))
        else:
            anchors[f"annotation-{n}"] = anchor
    return anchors, problems


def _quote_pattern(quote: str) -> re.Pattern[str]:
    """The quote as written, with any whitespace between its words, not inside a longer word."""
    words = quote.split()
    pattern = r"\s+".join(map(re.escape, words))
    if re.match(r"\w", words[0]):
        pattern = r"(?<!\w)" + pattern
    if re.search(r"\w$", words[-1]):
        pattern += r"(?!\w)"
    return re.compile(pattern)


class _PlainText:
    """An inline token's text as read, across emphasis, links and code, for finding quotes."""

    def __init__(self, item: _Inline) -> None:
        self.item = item
        self.starts: list[int] = []
        self.depths: list[int] = []
        """The link depth after each child: 1 inside a link and at its opening, 0 at its end."""
        parts: list[str] = []
        plain = depth = 0
        for child in item.token.children or ():
            self.starts.append(plain)
            depth += link_depth_change(child)
            self.depths.append(depth)
            if child.type in ("text", "code_inline", ESCAPED):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append("\n")
            plain += _plain_length(child)
        self.text = "".join(parts)

    def anchor(self, inline: int, end: int) -> _Anchor:
        """The anchor for a quote that ends at offset ``end``: in the text, or after its link."""
        child = bisect_right(self.starts, end - 1) - 1
        for run in self.item.runs:
            if run.first <= child < run.stop:
                return _Anchor(inline, end, run, _marker_offset(run, end - run.start))
        while self.depths[child] > 0 and child + 1 < len(self.depths):
            child += 1
        return _Anchor(inline, end, None, after=child)


def _conflicting_lists(article: Article) -> list[Diagnostic]:
    line = article.lines.get("no_notes")
    return [
        warning(article.path, line, f'note "{slug}" is in both "notes" and "no_notes"; it is off')
        for slug in dict.fromkeys(article.notes)
        if slug in article.no_notes
    ]


def _listed_without_anchor(ctx: NoteContext, anchored: Mapping[str, object]) -> list[str]:
    """Notes the front matter lists that the text never refers to, in the listed order."""
    article = ctx.article
    return [
        slug
        for slug in dict.fromkeys(article.notes)
        if slug in ctx.registry.notes and slug not in article.no_notes and slug not in anchored
    ]


# --- Tokens and HTML ---------------------------------------------------------------------------


def _place_marker(item: _Inline, anchor: _Anchor, number: int, marker: str) -> None:
    if anchor.run is not None:
        anchor.run.markers.append((anchor.offset, number, marker))
    else:
        item.after.setdefault(anchor.after, []).append((number, marker))


def _rebuild(item: _Inline, ctx: NoteContext) -> list[Token]:
    """The inline token's children with date links and markers in place."""
    children = item.token.children or []
    changed = {run.first: run for run in item.runs if run.dates or run.markers}
    out: list[Token] = []
    j = 0
    while j < len(children):
        run = changed.get(j)
        if run is not None:
            out += _run_tokens(run, children[j].level, ctx)
            j = run.stop
            continue
        out.append(children[j])
        for _number, marker in sorted(item.after.get(j, ())):
            out.append(Token("html_inline", "", 0, level=children[j].level, content=marker))
        j += 1
    return out


def _run_tokens(run: _Run, level: int, ctx: NoteContext) -> list[Token]:
    """A run's text with its dates linked to the timeline and markers after their passages."""
    out: list[Token] = []
    markers = sorted(run.markers)
    pending = 0
    done = 0

    def text_until(end: int) -> None:
        nonlocal pending, done
        while pending < len(markers) and markers[pending][0] <= end:
            offset, _number, marker = markers[pending]
            out.extend(_text_tokens(run.text[done:offset], level))
            out.append(Token("html_inline", "", 0, level=level, content=marker))
            done = offset
            pending += 1
        out.extend(_text_tokens(run.text[done:end], level))
        done = end

    for start, end, day in run.dates:
        text_until(start)
        attrs = {"class": "date", "href": ctx.href(ctx.timeline_day(day))}
        out.append(Token("link_open", "a", 1, attrs=attrs, level=level, markup="date"))
        out.extend(_text_tokens(run.text[start:end], level + 1))
        out.append(Token("link_close", "a", -1, level=level, markup="date"))
        done = end
    text_until(len(run.text))
    return out


def _text_tokens(text: str, level: int) -> list[Token]:
    """Text tokens for ``text``, with a soft break for each line break."""
    out: list[Token] = []
    for i, part in enumerate(text.split("\n")):
        if i:
            out.append(Token("softbreak", "br", 0, level=level))
        if part:
            out.append(Token("text", "", 0, level=level, content=part))
    return out


def _insert_asides(body: list[Token], asides: Mapping[int, list[str]], background: str) -> None:
    """Put side notes after their blocks (-1: before the first), and the "Baggrund" section
    before any footnotes."""
    for position in sorted(asides, reverse=True):
        body[position + 1 : position + 1] = [_html_block(aside) for aside in asides[position]]
    if background:
        end = next((i for i, t in enumerate(body) if t.type == "footnote_block_open"), len(body))
        body.insert(end, _html_block(background))


def _html_block(content: str) -> Token:
    return Token("html_block", "", 0, content=content, block=True)


def _label(number: int, key: str, ctx: NoteContext) -> str:
    """What a marker and its side note are called: "Baggrund 1: <title>", "Redaktionens note 2"."""
    t = ctx.strings
    note = ctx.registry.notes.get(key)
    if note is None:
        return f"{t['annotation']} {number}"
    return f"{t['note']} {number}: {note.title}"


def _ui_lang(ctx: NoteContext) -> str:
    """`` lang="…"`` for what is in the site's language (labels, side notes) inside an article
    in another language; nothing in an article in the site's language."""
    if ctx.language == ctx.article.language:
        return ""
    return f' lang="{html.escape(ctx.language)}"'


def _marker_html(number: int, key: str, ctx: NoteContext) -> str:
    label = html.escape(_label(number, key, ctx))
    return (
        f'<sup class="note-ref"{_ui_lang(ctx)} data-pagefind-ignore><a href="#note-{number}"'
        f' id="note-ref-{number}" aria-label="{label}">{number}</a></sup>'
    )


def _aside_html(number: int, key: str, ctx: NoteContext, anchored: bool) -> str:
    """A side note: its number (linking back to the marker), what it is, and its text."""
    t = ctx.strings
    escape = html.escape
    if anchored:
        back = escape(t["note_back"])
        number_html = (
            f'<a class="sidenote-number" href="#note-ref-{number}" title="{back}">{number}</a>'
        )
    else:
        number_html = f'<span class="sidenote-number">{number}</span>'
    note = ctx.registry.notes.get(key)
    if note is None:
        annotation = ctx.article.annotations[int(key.removeprefix("annotation-")) - 1]
        kind = escape(t["annotation"])
        head = (
            f'<p class="sidenote-head">{number_html} <span class="sidenote-kind">{kind}</span></p>'
        )
        body = render_plain(annotation.note, ctx.registry.allow_html)
        extra_class = " annotation"
        # The editor writes an article's annotations in the article's language.
        language = ctx.article.language
    else:
        kind = escape(t["note"])
        period = _period_html(note, ctx)
        head = (
            f'<p class="sidenote-head">{number_html} <span class="sidenote-kind">{kind}</span>'
            f' <span class="sidenote-date">{period}</span></p>'
        )
        href = escape(ctx.href(ctx.note_url(note.slug)))
        title = f'<p class="sidenote-title"><a href="{href}">{escape(note.title)}</a></p>\n'
        summary, longer = ctx.registry.summaries[note.slug]
        more = escape(t["note_read_more"])
        body = (
            title
            + summary
            + (f'<p class="sidenote-more"><a href="{href}">{more}</a></p>\n' if longer else "")
        )
        extra_class = ""
        language = note.language
    # The side note's frame is in the site's language (so is the aside), its text in its own.
    lang = f' lang="{escape(language)}"' if language != ctx.language else ""
    label = escape(_label(number, key, ctx))
    return (
        f'<aside class="sidenote{extra_class}" id="note-{number}" data-note="{escape(key)}"'
        f'{_ui_lang(ctx)} aria-label="{label}" data-pagefind-ignore>\n{head}\n'
        f'<div class="sidenote-body"{lang}>\n{body}</div>\n'
        "</aside>\n"
    )


def _period_html(note: Note, ctx: NoteContext) -> str:
    def day(d: date) -> str:
        stamp = iso(day_start(d, ctx.registry.timezone))
        return f'<time datetime="{stamp}">{format_date(d, ctx.language)}</time>'

    if note.date_end is None or note.date_end == note.date:
        return day(note.date)
    return f"{day(note.date)} {html.escape(ctx.strings['period_to'])} {day(note.date_end)}"


def _background_html(asides: Sequence[str], t: Mapping[str, str]) -> str:
    """The "Baggrund" section for notes the front matter lists and the text never refers to."""
    if not asides:
        return ""
    return (
        '<section class="background-notes" aria-labelledby="background-notes-heading">\n'
        f'<h2 id="background-notes-heading">{html.escape(t["background"])}</h2>\n'
        + "".join(asides)
        + "</section>\n"
    )
