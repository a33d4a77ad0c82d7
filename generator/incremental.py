"""What a build must redo: parse the sources that changed, and annotate again the documents
whose annotation the cache cannot vouch for (see :func:`documents_to_annotate`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import cache, urls
from generator.annotate import Registry, annotate_article, annotate_body
from generator.cache import (
    Annotated,
    FragmentStore,
    Parsed,
    State,
    digest,
    pack_mentions,
)
from generator.config import CONFIG_PATH, SiteConfig
from generator.content import KINDS, unloaded_key
from generator.diagnostics import Diagnostic
from generator.doclinks import document_urls
from generator.index import RelatedCounts, SiteIndex, build_index
from generator.linker import Mention
from generator.model import Article, Content, Entity, Note, SourceFile
from generator.notes import timeline_days
from generator.parallel import chunks, jobs_for, run_tasks
from generator.views import article_entry

# --- Parsing -------------------------------------------------------------------------------------


def parse_source(
    path: str, text: str, file: Path, source_digest: str, config: SiteConfig
) -> Parsed:
    """Parse one content file by the kind its folder says. An article is kept without its body,
    which is read again from ``file`` when it is annotated."""
    prefix = next((p for p in KINDS if path.startswith(p)), None)
    if prefix is None:
        return Parsed(source_digest, None, ())
    value, problems = KINDS[prefix](SourceFile(path, text), config)
    if isinstance(value, Article):
        value = cache.sourced_article(value, file, source_digest)
    return Parsed(source_digest, value, tuple(problems))


def assemble_content(parsed: Mapping[str, Parsed], drafts: bool) -> Content:
    """The parsed values as :func:`content.parse_content` orders them."""
    articles: list[Article] = []
    entities: list[Entity] = []
    notes: list[Note] = []
    unloaded: dict[str, str] = {}
    for path in sorted(parsed):
        value = parsed[path].value
        if value is None and (key := unloaded_key(path)) is not None:
            unloaded[key] = path
        if isinstance(value, Article):
            if drafts or not value.draft:
                articles.append(value)
        elif isinstance(value, Entity):
            entities.append(value)
        elif isinstance(value, Note):
            notes.append(value)
    articles.sort(key=lambda a: (-a.date.timestamp(), a.slug, a.path))
    return Content(
        articles=tuple(articles),
        entities=tuple(sorted(entities, key=lambda e: e.slug)),
        notes=tuple(sorted(notes, key=lambda n: (n.date, n.slug))),
        unloaded=unloaded,
    )


def parse_changed(
    scan: cache.Scan,
    project: Path,
    config: SiteConfig,
    previous: Mapping[str, Parsed],
    jobs: int,
) -> dict[str, Parsed]:
    """Every content file parsed: from ``previous`` where the file is unchanged."""
    parsed: dict[str, Parsed] = {}
    todo: list[str] = []
    for path, stamp in scan.stamps.items():
        if path == CONFIG_PATH or path in scan.problems:
            continue
        old = previous.get(path)
        if old is not None and old.digest == stamp.digest:
            parsed[path] = old
        else:
            todo.append(path)
    root = project.resolve()

    def work(paths: Sequence[str]) -> list[Parsed]:
        return [
            parse_source(path, scan.text(path), root / path, scan.stamps[path].digest, config)
            for path in paths
        ]

    jobs = jobs_for(jobs, len(todo), 0.25)
    pieces = chunks(todo, jobs, smallest=32, largest=256)
    for piece, results in zip(pieces, run_tasks(jobs, pieces, work), strict=True):
        parsed.update(zip(piece, results, strict=True))
    return parsed


# --- Annotation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Documents:
    """What is annotated: articles, and the bodies of entities and notes, by source path."""

    articles: Mapping[str, Article]
    entities: Mapping[str, Entity]
    notes: Mapping[str, Note]

    @classmethod
    def of(cls, content: Content) -> Documents:
        return cls(
            {a.path: a for a in content.articles},
            {e.path: e for e in content.entities},
            {n.path: n for n in content.notes},
        )

    def paths(self) -> list[str]:
        return [*self.articles, *self.entities, *self.notes]


@dataclass(frozen=True)
class RegistryChanges:
    """How the registry (entities, notes, timeline days) changed since the last build."""

    entities: frozenset[str]
    notes: frozenset[str]
    phrases: frozenset[tuple[str, ...]]
    """Phrases as their case-folded words: a document can be affected only if its text
    contains every word of one of them."""
    everything: bool = False


def registry_changes(
    before: Mapping[str, Parsed],
    after: Mapping[str, Parsed],
    days_before: frozenset[Any],
    days_after: frozenset[Any],
) -> RegistryChanges:
    """The entities and notes that were added, removed or edited, the timeline days that came or
    went, and the phrases a document's text must contain for any of it to matter to it: the
    names of the entities, the triggers and years of the notes, the years of the days."""

    def registered(parsed: Mapping[str, Parsed]) -> dict[type, dict[str, tuple[str, str, Any]]]:
        found: dict[type, dict[str, tuple[str, str, Any]]] = {Entity: {}, Note: {}}
        for path, p in parsed.items():
            value = p.value
            if isinstance(value, Article):
                continue
            kind = (
                Entity if isinstance(value, Entity) else Note if isinstance(value, Note) else None
            )
            if kind is not None:
                found[kind][value.slug] = (path, p.digest, value)
        return found

    phrases: set[str] = set()
    changed: dict[type, frozenset[str]] = {}
    registered_before, registered_after = registered(before), registered(after)
    for kind in (Entity, Note):
        old, new = registered_before[kind], registered_after[kind]
        slugs = frozenset(
            s for s in old.keys() | new.keys() if old.get(s, ())[:2] != new.get(s, ())[:2]
        )
        changed[kind] = slugs
        for slug in slugs:
            phrases.add(slug)
            for version in (old.get(slug), new.get(slug)):
                if version is None:
                    continue
                value = version[2]
                if isinstance(value, Entity):
                    phrases.update(value.names)
                else:
                    phrases.update(value.triggers)
                    phrases.update(str(d.year) for d in (value.date, value.date_end) if d)
    phrases.update(str(day.year) for day in days_before ^ days_after)
    words = {phrase: tuple(w.casefold() for w in phrase.split()) for phrase in phrases}
    # A word found case-insensitively by the linker is found in the case-folded text, unless a
    # letter folds differently from its capital (as the Turkish dotless i does).
    safe = all(
        split and all(c.upper().casefold() == c.casefold() for w in split for c in w)
        for split in words.values()
    )
    return RegistryChanges(
        entities=changed[Entity],
        notes=changed[Note],
        phrases=frozenset(words.values()),
        everything=not safe,
    )


_CHARACTER_REFERENCE = re.compile(r"&(?:#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]*);")
"""An entity or numeric character reference (``&aelig;``, ``&#230;``) in case-folded text."""


def documents_to_annotate(
    documents: Documents,
    digests: Mapping[str, str],
    previous: Mapping[str, Annotated],
    changes: RegistryChanges,
    text: Callable[[str], str],
    pages: Mapping[str, str],
    jobs: int = 1,
) -> list[str]:
    """The documents whose annotation may differ from the one in ``previous``.

    A document is annotated again when its source changed, when it named an entity or was
    given a note that changed, when a document it links to has moved to another URL (or come or
    gone), or when its text contains every word of a changed entity's name,
    of a changed note's trigger, or the year of a changed note or of a timeline day that came or
    went. Markdown escapes and character references (not a bare "&") can hide words from this
    test, so texts with them count as containing every word.
    """
    stale: list[str] = []
    probe: list[str] = []
    entities, notes = changes.entities, changes.notes
    for path in documents.paths():
        record = previous.get(path)
        if (
            record is None
            or record.source != digests[path]
            or changes.everything
            or (entities and entities.intersection(record.mentioned))
            or (notes and notes.intersection(record.note_slugs))
            or any(pages.get(link.target, "") != link.url for link in record.links)
        ):
            stale.append(path)
        elif changes.phrases:
            probe.append(path)

    def named(paths: Sequence[str]) -> list[bool]:
        return [_may_name(text(path).casefold(), changes.phrases) for path in paths]

    jobs = jobs_for(jobs, len(probe), 1 / 16)
    pieces = chunks(probe, jobs, smallest=64, largest=1024)
    affected = set()
    for piece, found in zip(pieces, run_tasks(jobs, pieces, named), strict=True):
        affected.update(path for path, yes in zip(piece, found, strict=True) if yes)
    affected.update(stale)
    return [path for path in documents.paths() if path in affected]


def _may_name(folded: str, phrases: Iterable[tuple[str, ...]]) -> bool:
    return (
        "\\" in folded
        or ("&" in folded and _CHARACTER_REFERENCE.search(folded) is not None)
        or any(all(w in folded for w in words) for words in phrases)
    )


def annotate_document(
    path: str,
    documents: Documents,
    source_digest: str,
    registry: Registry,
    store: FragmentStore,
) -> Annotated:
    """Annotate one document; an article's HTML goes to ``store``."""
    config = registry.config
    if path in documents.articles:
        item = annotate_article(documents.articles[path], registry)
        first: dict[str, Mention] = {}
        for mention in item.mentions:
            first.setdefault(mention.slug, mention)
        packed = pack_mentions(first.values())
        every = pack_mentions(item.mentions)
        output = digest(item.lead_html, item.body_html, every, repr(item.notes))
        summary = digest(repr(article_entry(item)))
        article = item.article
        return Annotated(
            source=source_digest,
            notes=item.notes,
            diagnostics=item.diagnostics,
            output=output,
            summary=summary,
            fragment=store.put(item.lead_html, item.body_html, every),
            links=item.links,
            anchors=item.anchors,
            named=tuple(first),
            first=packed,
            # What the pages of the entities it names show of it (views.entity_page).
            backlink=digest(summary, repr([(m.slug, m.context) for m in first.values()])),
            full=digest(item.url, source_digest, output),
            entry=digest(item.url, source_digest),
            timeline=digest(
                repr(
                    (
                        article.slug,
                        article.title,
                        item.url,
                        article.date.isoformat(),
                        article.language,
                    )
                )
            ),
        )
    if path in documents.entities:
        entity = documents.entities[path]
        html, mentions, problems, links, anchors = annotate_body(
            entity.body,
            entity.path,
            entity.body_line,
            config.language,
            urls.entity(entity.slug),
            registry,
            disabled=frozenset({entity.slug}),
        )
    else:
        note = documents.notes[path]
        html, mentions, problems, links, anchors = annotate_body(
            note.body, note.path, note.body_line, note.language, urls.note(note.slug), registry
        )
    return Annotated(
        source=source_digest,
        notes=(),
        diagnostics=tuple(problems),
        output=digest(html, repr(mentions)),
        html=html,
        mentions=tuple(mentions),
        links=links,
        anchors=anchors,
    )


def annotate_documents(
    paths: Sequence[str],
    documents: Documents,
    digests: Mapping[str, str],
    registry: Registry,
    store: FragmentStore,
    jobs: int,
) -> dict[str, Annotated]:
    """Annotate ``paths`` on ``jobs`` processes."""

    def work(piece: Sequence[str]) -> list[Annotated]:
        done = [annotate_document(p, documents, digests[p], registry, store) for p in piece]
        store.flush()
        return done

    jobs = jobs_for(jobs, len(paths), 1)
    pieces = chunks(paths, jobs, smallest=4, largest=64)
    results: dict[str, Annotated] = {}
    for piece, done in zip(pieces, run_tasks(jobs, pieces, work), strict=True):
        results.update(zip(piece, done, strict=True))
    return results


FEW_DOCUMENTS = 4
"""Up to this many documents to annotate, the build compiles no pattern of every name."""


def annotate_content(
    content: Content,
    config: SiteConfig,
    digests: Mapping[str, str],
    previous: State,
    parsed: Mapping[str, Parsed],
    store: FragmentStore,
    text: Callable[[str], str],
    jobs: int,
) -> tuple[dict[str, Annotated], frozenset[Any]]:
    """Every document's annotation, from ``previous`` where it cannot have changed."""
    days = frozenset(timeline_days(content.notes, content.articles, config.timezone))
    documents = Documents.of(content)
    changes = registry_changes(previous.parsed, parsed, previous.days, days)
    pages = document_urls(content)
    stale = documents_to_annotate(
        documents, digests, previous.annotated, changes, text, pages, jobs
    )
    redo = set(stale)
    annotated = {p: previous.annotated[p] for p in documents.paths() if p not in redo}
    if stale:
        registry = Registry.build(content, config, days, pages)
        if len(stale) > FEW_DOCUMENTS:
            # Compiled once here rather than in every worker. A few documents are searched with
            # patterns of only the names that occur in them (see PhraseMatcher.SMALL_FINDS).
            for language in sorted({a.language for a in content.articles} | {config.language}):
                registry.matcher.prepare(language)
                if registry.notes is not None:
                    registry.notes.matcher.prepare(language)
        annotated.update(annotate_documents(stale, documents, digests, registry, store, jobs))
    return annotated, days


def index_content(
    content: Content,
    config: SiteConfig,
    annotated: Mapping[str, Annotated],
    store: FragmentStore,
    related: RelatedCounts | None = None,
) -> tuple[SiteIndex, list[Diagnostic]]:
    items = [
        cache.stored_article(a, urls.article(a.slug, a.date), annotated[a.path], store)
        for a in content.articles
    ]
    return build_index(config, items, content.entities, content.notes, related)
