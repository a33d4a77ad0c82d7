"""The content stage: source files to Articles, Entities and Notes, with every problem collected."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from generator.config import LANGUAGE_PATTERN, SiteConfig
from generator.dates import parse_datetime
from generator.diagnostics import Diagnostic, error, has_errors, warning
from generator.frontmatter import FrontMatter, did_you_mean, split, unknown_keys
from generator.model import (
    ENTITY_TYPES,
    Annotation,
    Article,
    Content,
    Entity,
    Link,
    Note,
    SourceFile,
)
from generator.slugs import is_valid_slug, slugify

ARTICLE_KEYS = (
    "title",
    "date",
    "slug",
    "language",
    "lead",
    "section",
    "tags",
    "source",
    "byline",
    "draft",
    "updated",
    "about",
    "no_link",
    "notes",
    "no_notes",
    "annotations",
)
ENTITY_KEYS = ("name", "type", "aliases", "summary", "wikidata", "facts", "links")
NOTE_KEYS = ("title", "date", "date_end", "triggers", "entities", "sources", "language")
WIKIDATA_PATTERN = re.compile(r"^Q[1-9][0-9]*$")


class _Fields:
    """Typed access to one file's front matter that records a diagnostic for each bad value."""

    def __init__(self, fm: FrontMatter, path: str) -> None:
        self.data = fm.data
        self.lines = fm.lines
        self.item_lines = fm.item_lines
        self.path = path
        self.problems: list[Diagnostic] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(error(self.path, self.lines.get(key, 1), message))

    def required_text(self, key: str) -> str:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.problems.append(error(self.path, 1, f'missing required front-matter key "{key}"'))
            return ""
        return self.text(key)

    def text(self, key: str) -> str:
        return _text(self.data.get(key), key, self.fail)

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, f'"{key}" must be true or false')
            return False
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            if "," in value:
                items = ", ".join(v.strip() for v in value.split(","))
                self.fail(key, f'"{key}" is one text with commas in it; write a list: [{items}]')
                return ()
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            self.fail(key, f'"{key}" must be a list of text values')
            return ()
        return tuple(str(v).strip() for v in value if str(v).strip())

    def slug_list(self, key: str) -> tuple[str, ...]:
        values = self.text_list(key)
        for value in values:
            if not is_valid_slug(value):
                self.fail(key, f'"{key}" entry "{value}" is not a slug (lowercase a-z, 0-9, -)')
        return values

    def when(self, key: str, tz: str, required: bool) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.append(
                    error(self.path, 1, f'missing required front-matter key "{key}"')
                )
            return None
        try:
            return parse_datetime(value, tz)
        except ValueError as exc:
            self.fail(key, f'"{key}": {exc}')
            return None

    def day(self, key: str, tz: str, required: bool) -> date | None:
        value = self.when(key, tz, required)
        return value.date() if value else None

    def language(self, default: str) -> str:
        value = self.text("language") or default
        if not LANGUAGE_PATTERN.match(value):
            self.fail("language", f'"language" is not a language code like "da" or "en": "{value}"')
            return default
        return value

    def entries(
        self, key: str, keys: Sequence[str], not_a_list: str, not_a_mapping: str
    ) -> Iterator[tuple[_Entry, Mapping[str, Any]]]:
        """The entries of the list at ``key`` that are mappings, each with the :class:`_Entry`
        that reports its problems; a value that is no list, an entry that is no mapping and a
        key not among ``keys`` are reported here, each at its line."""
        value = self.data.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(key, not_a_list)
            return
        for number, item in enumerate(value):
            entry = _Entry(self, key, number)
            if not isinstance(item, dict):
                entry.fail("", not_a_mapping)
                continue
            for name in item:
                if name not in keys:
                    entry.fail(str(name), f'unknown key "{name}"{did_you_mean(str(name), keys)}')
            yield entry, item

    def links(self, key: str, tz: str) -> tuple[Link, ...]:
        """The entries of a list of links (``links:``, ``sources:``), each checked on its own
        and its problems reported at their lines."""
        links: list[Link] = []
        for entry, item in self.entries(
            key,
            LINK_KEYS,
            f'"{key}" must be a list of entries with a "title" and an http(s) "url"',
            'must be a mapping with "title" and an http(s) "url"',
        ):
            url = item.get("url")
            if not isinstance(url, str) or not re.match(r"^https?://\S+$", url.strip()):
                entry.fail("url", 'needs an http(s) "url"')
                continue
            title = entry.text(item, "title") or url.strip()
            day = None
            if item.get("date") is not None:
                try:
                    day = parse_datetime(item["date"], tz).date()
                except ValueError as exc:
                    entry.fail("date", f'"date": {exc}')
            language = entry.text(item, "language")
            if language and not LANGUAGE_PATTERN.match(language):
                code = f'"language" is not a language code like "da" or "en": "{language}"'
                entry.fail("language", code)
                language = ""
            links.append(Link(title, url.strip(), entry.text(item, "publisher"), day, language))
        return tuple(links)


LINK_KEYS = ("title", "url", "publisher", "date", "language")
"""The keys of an entry of an entity's ``links`` or a note's ``sources``."""


class _Entry:
    """One entry of a front-matter list: its problems are reported at the line of its key."""

    def __init__(self, fields: _Fields, key: str, number: int) -> None:
        self.fields = fields
        self.key = key
        self.number = number
        self.lines = fields.item_lines.get((key, number), {})

    def line(self, name: str) -> int:
        return self.lines.get(name) or self.lines.get("") or self.fields.lines.get(self.key, 1)

    def fail(self, name: str, message: str) -> None:
        where = f'"{self.key}" entry {self.number + 1}'
        self.fields.problems.append(error(self.fields.path, self.line(name), f"{where}: {message}"))

    def text(self, item: Mapping[str, Any], name: str) -> str:
        return _text(item.get(name), name, self.fail)


def _text(value: Any, name: str, fail: Callable[[str, str], None]) -> str:
    """A front-matter value (of a key, or of an entry's key) as text: "" when it is absent or
    empty; a number is text too, anything else an error, given to ``fail`` with ``name``."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        fail(name, f'"{name}" must be text')
        return ""
    return str(value).strip()


UNLOADED_KINDS = {"content/entities/": "entity", "content/notes/": "note"}
"""The kinds of file that others refer to by slug, by folder."""


def unloaded_key(path: str) -> str | None:
    """How :attr:`Content.unloaded` names a file that has errors, or None for an article."""
    kind = next((k for p, k in UNLOADED_KINDS.items() if path.startswith(p)), None)
    return f"{kind}:{_file_slug(path)}" if kind else None


def _file_slug(path: str) -> str:
    return PurePosixPath(path).stem


ANNOTATION_KEYS = ("quote", "note")


def _annotations(fields: _Fields) -> tuple[Annotation, ...]:
    result = []
    for entry, item in fields.entries(
        "annotations",
        ANNOTATION_KEYS,
        '"annotations" must be a list of entries with "quote" and "note"',
        'must be a mapping with a "quote" and a "note"',
    ):
        quote, note = entry.text(item, "quote"), entry.text(item, "note")
        if not quote or not note:
            entry.fail("" if quote else "quote", 'needs a "quote" and a "note", both text')
            continue
        result.append(Annotation(quote, note, entry.line("quote")))
    return tuple(result)


def _named(f: _Fields, key: str, names: list[str]) -> list[str]:
    """Section or tag names, each of which names a page: one whose URL would be empty (no
    letter or digit a slug can keep, as in "日本" or "???") is an error at the key, and is
    made empty (no section, no such tag), as the article may still be annotated and checked."""
    kept = []
    for name in names:
        if name and not slugify(name):
            f.fail(
                key,
                f'"{key}": "{name}" has no letter or digit that a URL can hold (a-z, 0-9, '
                "æ, ø, å and other Latin letters); write it with some",
            )
            name = ""
        kept.append(name)
    return kept


def parse_article(
    source: SourceFile, config: SiteConfig
) -> tuple[Article | None, list[Diagnostic]]:
    """Parse one article file; None and diagnostics when it cannot be used."""
    fm, problems = split(source.text, source.path)
    if fm is None:
        return None, problems
    f = _Fields(fm, source.path)
    f.problems.extend(unknown_keys(fm.data, ARTICLE_KEYS, fm.lines, source.path, "front-matter"))
    title = f.required_text("title")
    when = f.when("date", config.timezone, required=True)
    if when is not None:
        when = when.astimezone(ZoneInfo(config.timezone))
    slug = f.text("slug") or slugify(title or _file_slug(source.path))
    if not is_valid_slug(slug):
        f.fail("slug", f'"slug" must be lowercase a-z, 0-9 and single hyphens, not "{slug}"')
    article = Article(
        path=source.path,
        slug=slug,
        title=title,
        date=when or datetime(1970, 1, 1, tzinfo=ZoneInfo(config.timezone)),
        language=f.language(config.language),
        body=fm.body,
        body_line=fm.body_line,
        lead=f.text("lead"),
        section=_named(f, "section", [f.text("section")])[0],
        tags=tuple(tag for tag in _named(f, "tags", list(f.text_list("tags"))) if tag),
        source=f.text("source"),
        byline=f.text("byline"),
        draft=f.flag("draft"),
        updated=f.when("updated", config.timezone, required=False),
        about=f.slug_list("about"),
        no_link=f.slug_list("no_link"),
        notes=f.slug_list("notes"),
        no_notes=f.slug_list("no_notes"),
        annotations=_annotations(f),
        lines=dict(fm.lines),
    )
    if not fm.body.strip() and not article.draft:
        # Published, it would be a headline alone. (A draft that new just made has no text yet.)
        message = "the article has no text below its front matter"
        f.problems.append(warning(source.path, fm.body_line - 1, message))
    # An article whose front matter has errors is kept if it has a slug (a bad date makes it
    # dated 1970), so that its text is annotated and checked in the same run: the errors fail
    # the build all the same.
    return (article if is_valid_slug(slug) or not has_errors(f.problems) else None), f.problems


def parse_entity(source: SourceFile, config: SiteConfig) -> tuple[Entity | None, list[Diagnostic]]:
    """Parse one entity file from ``content/entities/<slug>.md``."""
    fm, problems = split(source.text, source.path)
    if fm is None:
        return None, problems
    f = _Fields(fm, source.path)
    f.problems.extend(unknown_keys(fm.data, ENTITY_KEYS, fm.lines, source.path, "entity"))
    slug = _file_slug(source.path)
    if not is_valid_slug(slug):
        f.problems.append(error(source.path, None, f'file name "{slug}" is not a valid slug'))
    name = f.required_text("name")
    kind = f.required_text("type")
    if kind and kind not in ENTITY_TYPES:
        f.fail("type", f'"type" must be one of {", ".join(ENTITY_TYPES)}, not "{kind}"')
    wikidata = f.text("wikidata")
    if wikidata and not WIKIDATA_PATTERN.match(wikidata):
        f.fail("wikidata", f'"wikidata" must be a Wikidata id like "Q7747", not "{wikidata}"')
    facts = fm.data.get("facts") or {}
    if not isinstance(facts, dict):
        f.fail("facts", '"facts" must be a mapping of labels to values')
        facts = {}
    entity = Entity(
        path=source.path,
        slug=slug,
        name=name,
        type=kind,  # type: ignore[arg-type]
        body=fm.body,
        body_line=fm.body_line,
        aliases=f.text_list("aliases"),
        summary=f.text("summary"),
        wikidata=wikidata,
        facts=tuple((str(k), str(v)) for k, v in facts.items()),
        links=f.links("links", config.timezone),
        lines=dict(fm.lines),
    )
    return (None if f.problems else entity), f.problems


def parse_note(source: SourceFile, config: SiteConfig) -> tuple[Note | None, list[Diagnostic]]:
    """Parse one background note from ``content/notes/<slug>.md``."""
    fm, problems = split(source.text, source.path)
    if fm is None:
        return None, problems
    f = _Fields(fm, source.path)
    f.problems.extend(unknown_keys(fm.data, NOTE_KEYS, fm.lines, source.path, "note"))
    slug = _file_slug(source.path)
    if not is_valid_slug(slug):
        f.problems.append(error(source.path, None, f'file name "{slug}" is not a valid slug'))
    title = f.required_text("title")
    day = f.day("date", config.timezone, required=True)
    end = f.day("date_end", config.timezone, required=False)
    if day and end and end < day:
        f.fail("date_end", '"date_end" is before "date"')
    note = Note(
        path=source.path,
        slug=slug,
        title=title,
        date=day or date(1970, 1, 1),
        body=fm.body,
        body_line=fm.body_line,
        language=f.language(config.language),
        date_end=end,
        triggers=f.text_list("triggers"),
        entities=f.slug_list("entities"),
        sources=f.links("sources", config.timezone),
        lines=dict(fm.lines),
    )
    return (None if f.problems else note), f.problems


Parser = Callable[[SourceFile, SiteConfig], tuple[Any, list[Diagnostic]]]
KINDS: Mapping[str, Parser] = {
    "content/articles/": parse_article,
    "content/entities/": parse_entity,
    "content/notes/": parse_note,
}


def parse_content(
    sources: Iterable[SourceFile], config: SiteConfig, drafts: bool = False
) -> tuple[Content, list[Diagnostic]]:
    """Parse every source file; drafts are left out unless ``drafts``."""
    parsed: dict[str, list[Any]] = {prefix: [] for prefix in KINDS}
    unloaded: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for source in sources:
        prefix = next((p for p in KINDS if source.path.startswith(p)), None)
        if prefix is None:
            continue
        value, found = KINDS[prefix](source, config)
        problems.extend(found)
        if value is not None:
            parsed[prefix].append(value)
        elif (key := unloaded_key(source.path)) is not None:
            unloaded[key] = source.path
    articles = [a for a in parsed["content/articles/"] if drafts or not a.draft]
    articles.sort(key=lambda a: (-a.date.timestamp(), a.slug, a.path))
    content = Content(
        articles=tuple(articles),
        entities=tuple(sorted(parsed["content/entities/"], key=lambda e: e.slug)),
        notes=tuple(sorted(parsed["content/notes/"], key=lambda n: (n.date, n.slug))),
        unloaded=unloaded,
        drafts=tuple(sorted(a.path for a in parsed["content/articles/"] if a.draft and not drafts)),
    )
    return content, problems
