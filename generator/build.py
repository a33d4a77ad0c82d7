"""The build: config -> sources -> content -> diagnostics -> annotated articles -> site index ->
views -> output files -> disk. Each stage is a function of the one before; I/O is at the edges.

Builds are incremental and use every core:

- The cache (:mod:`generator.cache`) remembers what the last build read and made, keyed by
  digests. Only changed sources are parsed again; only documents whose annotation can have
  changed are annotated again (:func:`documents_to_annotate`); only pages whose inputs changed
  are rendered again (:func:`site_pages`); only files whose bytes changed are written.
- Parsing, annotation and rendering run in forked worker processes that inherit the build's
  state; workers write their pages straight into a staging folder, so no build holds the
  whole site in memory. The output is the same on any number of processes.
- Every problem is known before the output folder changes (:class:`output.Staging`).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from generator import cache, checks, search, urls
from generator.annotate import AnnotatedArticle, Registry, annotate_article, annotate_body
from generator.cache import Annotated, FragmentStore, OutputRecord, Parsed, State, digest
from generator.config import CONFIG_PATH, SiteConfig, parse_config
from generator.content import KINDS, parse_content
from generator.diagnostics import Diagnostic, error, has_errors, sort_diagnostics
from generator.index import SiteIndex, build_index
from generator.model import Article, Content, Entity, Note, SourceFile
from generator.notes import timeline_days
from generator.output import Staging
from generator.render import (
    OutputFile,
    asset_files,
    make_environment,
    render_page,
    robots,
    sitemap,
    template_dirs,
)
from generator.sources import read_sources
from generator.views import (
    PageView,
    archive_pages,
    article_page,
    article_summary,
    entity_index_page,
    entity_page,
    feed_specs,
    feed_view,
    home_pages,
    not_found_page,
    note_page,
    search_page,
    section_pages,
    tag_pages,
    timeline_page,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildOptions:
    project: Path
    out: Path
    drafts: bool = False
    jobs: int = 0
    """Worker processes; 0 uses every core (up to 8)."""
    search: bool = True
    """False skips the search index (--no-search), whatever site.yaml says."""


@dataclass(frozen=True)
class BuildResult:
    diagnostics: tuple[Diagnostic, ...]
    pages: int = 0
    """HTML pages in the site."""
    files: int = 0
    """Files in the site."""
    seconds: float = 0.0
    written: bool = False
    """The output folder holds this build (also when nothing in it had to change)."""
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    changed: tuple[str, ...] = ()
    """The site's files that this build wrote or deleted, by path in the site."""

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "warning")


@dataclass(frozen=True)
class Loaded:
    """The site as read and checked: what every later stage starts from."""

    config: SiteConfig
    content: Content
    diagnostics: tuple[Diagnostic, ...]


def load(project: Path, drafts: bool = False) -> tuple[Loaded | None, list[Diagnostic]]:
    """Read and parse the project, collecting every problem found in the content."""
    config_text, sources, problems = read_sources(project)
    if config_text is None:
        return None, [missing_config()]
    config, config_problems = parse_config(config_text)
    problems += config_problems
    if config is None:
        return None, problems
    content, content_problems = parse_content(sources, config, drafts=drafts)
    problems += content_problems
    problems += checks.check_content(content, config)
    return Loaded(config, content, tuple(problems)), problems


def missing_config() -> Diagnostic:
    return error(CONFIG_PATH, None, "file not found: every site needs content/site.yaml")


# --- Worker processes ---------------------------------------------------------------------------

_TASKS: Sequence[Any] = ()
_WORK: Callable[[Any], Any] | None = None


def _run_task(number: int) -> tuple[int, Any]:
    assert _WORK is not None
    return number, _WORK(_TASKS[number])


def run_tasks(jobs: int, tasks: Sequence[Any], work: Callable[[Any], Any]) -> list[Any]:
    """``work(task)`` for each task, in order, on up to ``jobs`` forked processes.

    The processes inherit the caller's state, so ``work`` may be a closure over anything; only
    tasks and results cross between processes.
    """
    global _TASKS, _WORK
    if jobs <= 1 or len(tasks) <= 1:
        return [work(task) for task in tasks]
    _TASKS, _WORK = tasks, work
    results: list[Any] = [None] * len(tasks)
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(tasks))) as pool:
            for number, result in pool.imap_unordered(_run_task, range(len(tasks))):
                results[number] = result
    finally:
        _TASKS, _WORK = (), None
    return results


def chunks(items: Sequence[Any], jobs: int, smallest: int = 1, largest: int = 64) -> list[Any]:
    """``items`` cut into pieces small enough to keep ``jobs`` processes busy to the end."""
    size = max(smallest, min(largest, len(items) // (jobs * 8) or 1))
    return [items[i : i + size] for i in range(0, len(items), size)]


def worker_count(requested: int) -> int:
    return requested if requested > 0 else min(os.cpu_count() or 1, 8)


PARALLEL_FROM = 64
"""Fewer tasks than this are done in the build's own process: forking costs more."""


class Stopwatch:
    """Stage timings for ``--verbose``, and progress reports."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.clock = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.clock
        self.clock = now
        if self.progress:
            self.progress(f"{name} done")


# --- Parsing -------------------------------------------------------------------------------------


def parse_source(path: str, text: str, config: SiteConfig) -> Parsed:
    """Parse one content file by the kind its folder says."""
    prefix = next((p for p in KINDS if path.startswith(p)), None)
    if prefix is None:
        return Parsed(digest(text), None, ())
    value, problems = KINDS[prefix](SourceFile(path, text), config)
    return Parsed(digest(text), value, tuple(problems))


def assemble_content(parsed: Mapping[str, Parsed], drafts: bool) -> Content:
    """The parsed values as :func:`content.parse_content` orders them."""
    articles: list[Article] = []
    entities: list[Entity] = []
    notes: list[Note] = []
    for path in sorted(parsed):
        value = parsed[path].value
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
        elif scan.text(project, path) is not None:
            todo.append(path)
        else:
            scan.stamps.pop(path, None)

    def work(paths: Sequence[str]) -> list[Parsed]:
        return [parse_source(path, scan.texts[path], config) for path in paths]

    jobs = jobs if len(todo) >= PARALLEL_FROM * 4 else 1
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
    probes: frozenset[str]
    """Case-folded words: a document can be affected only if its text contains one."""
    everything: bool = False


def _longest_word(phrase: str) -> str:
    return max(phrase.split(), key=len, default="")


def registry_changes(
    before: Mapping[str, Parsed],
    after: Mapping[str, Parsed],
    days_before: frozenset[Any],
    days_after: frozenset[Any],
) -> RegistryChanges:
    """The entities and notes that were added, removed or edited, the timeline days that came or
    went, and the words a document's text must contain for any of it to matter to it."""

    def registered(parsed: Mapping[str, Parsed], kind: type) -> dict[str, tuple[str, str, Any]]:
        return {
            p.value.slug: (path, p.digest, p.value)
            for path, p in parsed.items()
            if isinstance(p.value, kind)
        }

    words: set[str] = set()
    changed: dict[type, frozenset[str]] = {}
    for kind in (Entity, Note):
        old, new = registered(before, kind), registered(after, kind)
        slugs = frozenset(
            s for s in old.keys() | new.keys() if old.get(s, ())[:2] != new.get(s, ())[:2]
        )
        changed[kind] = slugs
        for slug in slugs:
            words.add(slug)
            for version in (old.get(slug), new.get(slug)):
                if version is None:
                    continue
                value = version[2]
                if isinstance(value, Entity):
                    words.update(_longest_word(name) for name in value.names)
                else:
                    words.update(_longest_word(trigger) for trigger in value.triggers)
                    words.update(str(d.year) for d in (value.date, value.date_end) if d)
    words.update(str(day.year) for day in days_before ^ days_after)
    # A word found case-insensitively by the linker is found in the case-folded text, unless a
    # letter folds differently from its capital (as the Turkish dotless i does).
    safe = all(word and all(c.upper().casefold() == c.casefold() for c in word) for word in words)
    return RegistryChanges(
        entities=changed[Entity],
        notes=changed[Note],
        probes=frozenset(w.casefold() for w in words),
        everything=not safe,
    )


def documents_to_annotate(
    documents: Documents,
    digests: Mapping[str, str],
    previous: Mapping[str, Annotated],
    changes: RegistryChanges,
    text: Callable[[str], str | None],
) -> list[str]:
    """The documents whose annotation may differ from the one in ``previous``.

    A document is annotated again when its source changed, when it named an entity or was
    given a note that changed, or when its text contains a word of a changed entity's names or a
    changed note's triggers, or the year of a timeline day that came or went. Markdown escapes
    and character references can hide words from this test, so texts with them count as
    containing every word.
    """
    stale: list[str] = []
    pattern = None
    if changes.probes:
        import re

        pattern = re.compile("|".join(map(re.escape, sorted(changes.probes))) + r"|[&\\]")
    for path in documents.paths():
        record = previous.get(path)
        if (
            record is None
            or record.source != digests[path]
            or changes.everything
            or changes.entities.intersection(record.mentioned)
            or changes.notes.intersection(record.note_slugs)
        ):
            stale.append(path)
        elif pattern is not None:
            source = text(path)
            if source is None or pattern.search(source.casefold()):
                stale.append(path)
    return stale


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
        return Annotated(
            source=source_digest,
            mentions=item.mentions,
            notes=item.notes,
            diagnostics=item.diagnostics,
            output=digest(item.lead_html, item.body_html, repr(item.mentions), repr(item.notes)),
            summary=digest(repr(article_summary(item))),
            fragment=store.put(item.lead_html, item.body_html),
        )
    if path in documents.entities:
        entity = documents.entities[path]
        html, mentions, problems = annotate_body(
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
        html, mentions, problems = annotate_body(
            note.body, note.path, note.body_line, note.language, urls.note(note.slug), registry
        )
    return Annotated(
        source=source_digest,
        mentions=tuple(mentions),
        notes=(),
        diagnostics=tuple(problems),
        output=digest(html, repr(mentions)),
        html=html,
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

    jobs = jobs if len(paths) >= PARALLEL_FROM else 1
    pieces = chunks(paths, jobs, smallest=4, largest=64)
    results: dict[str, Annotated] = {}
    for piece, done in zip(pieces, run_tasks(jobs, pieces, work), strict=True):
        results.update(zip(piece, done, strict=True))
    return results


# --- Pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A part of the site to render: the views that ``make`` returns.

    A unit with ``inputs`` is one page, at ``url``; its inputs name everything its view reads,
    so that the page is not made again while they stay the same. A unit without them is made on
    every build, and each of its views is keyed by its data; ``url`` is then the URL of its first
    view, if it has a fixed one.
    """

    url: str | None
    make: Callable[[], Iterable[PageView]]
    inputs: Callable[[], Iterable[str]] | None = None
    template: str = ""


@dataclass(frozen=True)
class KeyFacts:
    """The digests that page keys are made of."""

    sources: Mapping[str, str]
    annotated: Mapping[str, Annotated]

    def article(self, item: AnnotatedArticle | None) -> str:
        return self.annotated[item.article.path].summary if item else ""


def _one(make: Callable[..., PageView], *args: Any) -> Callable[[], list[PageView]]:
    return lambda: [make(*args)]


def _article_inputs(index: SiteIndex, position: int, facts: KeyFacts) -> list[str]:
    """What :func:`views.article_page` reads: the article, its neighbours as list entries, the
    entities it names and the notes it shows."""
    item = index.articles[position]
    path = item.article.path
    newer = index.articles[position - 1] if position > 0 else None
    older = index.articles[position + 1] if position + 1 < len(index.articles) else None
    return [
        "article",
        item.url,
        facts.sources[path],
        facts.annotated[path].output,
        facts.article(newer),
        facts.article(older),
        *(facts.sources[index.entities[s].path] for s in item.mentioned),
        *(facts.sources[index.notes[n].path] for n in item.note_slugs),
    ]


def _entity_inputs(index: SiteIndex, slug: str, facts: KeyFacts) -> list[str]:
    """What :func:`views.entity_page` reads: the entity and its description, the articles that
    name it as list entries with the first mention's context, its related entities and notes."""
    entity = index.entities[slug]
    refs = index.entity_refs[slug]

    def backlinks(positions: Iterable[int]) -> Iterator[str]:
        for i in positions:
            item = index.articles[i]
            mention = item.first_mention(slug)
            yield facts.article(item)
            yield mention.context if mention else ""

    return [
        "entity",
        facts.sources[entity.path],
        facts.annotated[entity.path].output,
        *backlinks(refs.about),
        "|",
        *backlinks(refs.mentioned),
        "|",
        *(f"{facts.sources[index.entities[o].path]} {n}" for o, n in refs.related),
        "|",
        *(facts.sources[index.notes[n].path] for n in index.entity_notes.get(slug, ())),
    ]


def _feed_inputs(
    index: SiteIndex, url: str, title: str, positions: Sequence[int], facts: KeyFacts
) -> list[str]:
    """What :func:`views.feed_view` reads: each chosen article in full."""
    chosen = [index.articles[i] for i in positions[: index.config.feed_size]]
    return [
        "feed",
        url,
        title,
        *(
            f"{item.url} {facts.sources[item.article.path]} "
            f"{facts.annotated[item.article.path].output}"
            for item in chosen
        ),
    ]


def site_pages(index: SiteIndex, facts: KeyFacts) -> list[Unit]:
    """Every page of the site, in the order the sitemap lists them.

    Article pages, entity pages and feeds are keyed by what their views read (see the
    ``_*_inputs`` functions beside this one: a view that comes to read more must say so there).
    Every other page is keyed by its view's data.
    """
    bodies = {path: record.html for path, record in facts.annotated.items()}
    units = [
        Unit(urls.HOME, partial(home_pages, index)),
        *(
            Unit(
                item.url,
                _one(article_page, index, i),
                partial(_article_inputs, index, i, facts),
                "article.html",
            )
            for i, item in enumerate(index.articles)
        ),
        Unit(urls.ARCHIVE, partial(archive_pages, index)),
        Unit(None, partial(section_pages, index)),
        Unit(None, partial(tag_pages, index)),
        Unit(urls.ENTITIES, _one(entity_index_page, index)),
        *(
            Unit(
                urls.entity(slug),
                _one(entity_page, index, slug, bodies[entity.path]),
                partial(_entity_inputs, index, slug, facts),
                "entity.html",
            )
            for slug, entity in index.entities.items()
        ),
        *(
            Unit(urls.note(slug), _one(note_page, index, slug, bodies[note.path]))
            for slug, note in index.notes.items()
        ),
        Unit(urls.TIMELINE, _one(timeline_page, index)),
        Unit(urls.NOT_FOUND, _one(not_found_page, index)),
        Unit(
            urls.SEARCH,
            _one(search_page, index, search.BUNDLE if index.config.search else None),
        ),
        *(
            Unit(
                spec.url,
                _one(feed_view, index, spec.url, spec.page_url, spec.title, spec.positions),
                partial(_feed_inputs, index, spec.url, spec.title, spec.positions, facts),
                "feed.xml",
            )
            for spec in feed_specs(index)
        ),
    ]
    return units


@dataclass(frozen=True)
class PageResult:
    """One rendered (or skipped) page."""

    path: str
    url: str
    template: str
    record: OutputRecord
    written: bool
    links: tuple[tuple[str, str], ...] | None
    """Its internal links, when it was rendered."""
    data: bytes | None = None
    """Its bytes, when the build keeps them in memory."""


@dataclass
class RenderJob:
    """What rendering needs; the worker processes inherit it."""

    units: Sequence[Unit]
    keys: Sequence[str | None]
    env: Any
    config: SiteConfig
    prefix: str
    previous: Mapping[str, OutputRecord]
    staging: Staging | None
    """Where pages are written; None keeps them in memory."""

    def render(self, number: int) -> list[PageResult]:
        """Make the unit's views and render those whose key changed."""
        done: list[PageResult] = []
        for view in self.units[number].make():
            path = urls.output_path(view.url)
            key = self.keys[number] or digest(self.prefix, view.url, view.template, repr(view.data))
            old = self.previous.get(path)
            if old is not None and old.key == key:
                done.append(PageResult(path, view.url, view.template, old, False, None))
                continue
            file = render_page(self.env, view, self.config)
            record = OutputRecord(
                key,
                digest(file.data),
                path.endswith(".html") and search.INDEXED_MARKER in file.data,
            )
            links = tuple(checks.internal_links(file))
            written = old is None or old.digest != record.digest
            if self.staging is None:
                done.append(
                    PageResult(path, view.url, view.template, record, True, links, file.data)
                )
                continue
            if written:
                self.staging.write(path, file.data)
            done.append(PageResult(path, view.url, view.template, record, written, links))
        return done


def render_units(job: RenderJob, jobs: int) -> list[PageResult]:
    """Render the units that need it, on ``jobs`` processes; results in unit order."""
    todo: list[int] = []
    results: dict[int, list[PageResult]] = {}
    for number, (unit, key) in enumerate(zip(job.units, job.keys, strict=True)):
        old = job.previous.get(urls.output_path(unit.url)) if unit.url is not None else None
        if key is not None and old is not None and old.key == key:
            results[number] = [
                PageResult(urls.output_path(unit.url), unit.url, unit.template, old, False, None)
            ]
        else:
            todo.append(number)
    # Units without a key may hold many pages: they go first, so that none is left to the end.
    todo.sort(key=lambda n: job.keys[n] is not None)

    def work(piece: Sequence[int]) -> list[list[PageResult]]:
        return [job.render(number) for number in piece]

    jobs = jobs if len(todo) >= PARALLEL_FROM // 4 else 1
    pieces = chunks(todo, jobs, smallest=1, largest=32)
    for piece, done in zip(pieces, run_tasks(jobs, pieces, work), strict=True):
        results.update(zip(piece, done, strict=True))
    return [page for number in range(len(job.units)) for page in results[number]]


# --- The build -----------------------------------------------------------------------------------


@dataclass
class Site:
    """The files of the new site: records of all, and the bytes of those not yet on disk."""

    records: dict[str, OutputRecord] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    links: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    memory: dict[str, bytes] = field(default_factory=dict)

    def add(
        self,
        path: str,
        data: bytes,
        previous: Mapping[str, OutputRecord],
        staging: Staging | None,
    ) -> None:
        """A file made in this process: written unless its bytes are as before."""
        record = OutputRecord(None, digest(data))
        self.records[path] = record
        old = previous.get(path)
        if staging is None:
            self.memory[path] = data
        elif old is None or old.digest != record.digest:
            staging.write(path, data)
            self.written.append(path)


@dataclass
class Made:
    """What the stages up to the index made."""

    config: SiteConfig
    content: Content
    annotated: dict[str, Annotated]
    index: SiteIndex
    problems: list[Diagnostic]


def annotate_content(
    content: Content,
    config: SiteConfig,
    digests: Mapping[str, str],
    previous: State,
    parsed: Mapping[str, Parsed],
    store: FragmentStore,
    text: Callable[[str], str | None],
    jobs: int,
) -> tuple[dict[str, Annotated], frozenset[Any]]:
    """Every document's annotation, from ``previous`` where it cannot have changed."""
    days = frozenset(timeline_days(content.notes, content.articles, config.timezone))
    documents = Documents.of(content)
    changes = registry_changes(previous.parsed, parsed, previous.days, days)
    stale = documents_to_annotate(documents, digests, previous.annotated, changes, text)
    redo = set(stale)
    annotated = {p: previous.annotated[p] for p in documents.paths() if p not in redo}
    if stale:
        registry = Registry.build(content, config)
        for language in sorted({a.language for a in content.articles} | {config.language}):
            registry.matcher.prepare(language)
        annotated.update(annotate_documents(stale, documents, digests, registry, store, jobs))
    return annotated, days


def index_content(
    content: Content, config: SiteConfig, annotated: Mapping[str, Annotated], store: FragmentStore
) -> tuple[SiteIndex, list[Diagnostic]]:
    items = [
        cache.stored_article(a, urls.article(a.slug, a.date), annotated[a.path], store)
        for a in content.articles
    ]
    return build_index(config, items, content.entities, content.notes)


def finish_site(
    site: Site,
    pages: Sequence[PageResult],
    index: SiteIndex,
    dirs: Sequence[Path],
    previous: Mapping[str, OutputRecord],
    staging: Staging | None,
    read_back: Callable[[str], bytes],
) -> list[Diagnostic]:
    """Add the assets, sitemap, robots.txt and search index to the pages; the problems found."""
    config = index.config
    for page in pages:
        site.records[page.path] = page.record
        if page.written and staging is not None:
            site.written.append(page.path)
        if page.links is not None:
            site.links[page.path] = page.links
        if page.data is not None:
            site.memory[page.path] = page.data
    for file in asset_files(dirs):
        site.add(file.path, file.data, previous, staging)
    lastmod = {item.url: item.article.updated or item.article.date for item in index.articles}
    html_urls = [p.url for p in pages if p.template != "feed.xml" and p.url != urls.NOT_FOUND]
    site.add(
        urls.SITEMAP,
        sitemap(
            config,
            [(u, lastmod[u].date().isoformat() if u in lastmod else "") for u in html_urls],
        ).data,
        previous,
        staging,
    )
    site.add(urls.ROBOTS, robots(config).data, previous, staging)
    if not config.search:
        return []
    return search_index(site, pages, previous, staging, read_back, config)


def search_index(
    site: Site,
    pages: Sequence[PageResult],
    previous: Mapping[str, OutputRecord],
    staging: Staging | None,
    read_back: Callable[[str], bytes],
    config: SiteConfig,
) -> list[Diagnostic]:
    """The search bundle over the indexed pages (see :func:`search.indexed_pages`), made again
    only when one of those pages changed."""
    chosen = _indexed({p.path: p.record for p in pages})
    before = {path: record for path, record in previous.items() if path.startswith(search.BUNDLE)}
    if before and chosen == _indexed(previous):
        site.records.update(before)
        return []
    files = [OutputFile(path, read_back(path)) for path in chosen]
    bundle, problems = search.search_bundle(files, keep_index_url=not config.directory_links)
    for file in bundle:
        site.add(file.path, file.data, previous, staging)
    return problems


def _indexed(records: Mapping[str, OutputRecord]) -> dict[str, str]:
    """The pages that the search index covers, with their digests."""
    pages = {
        path: record
        for path, record in records.items()
        if path.endswith(".html") and path != urls.NOT_FOUND and not path.startswith(search.BUNDLE)
    }
    marked = {path: record.digest for path, record in pages.items() if record.indexed}
    return marked or {path: record.digest for path, record in pages.items()}


def check_site_links(
    site: Site, previous: Mapping[str, OutputRecord], folder: Path | None
) -> list[Diagnostic]:
    """Broken internal links: in the pages rendered now, and, when files went away, in the
    pages kept from the last build."""
    present = site.records.keys()
    links: dict[str, Sequence[tuple[str, str]]] = dict(site.links)
    removed = previous.keys() - present
    if removed and folder is not None:
        kept = cache.load_links(folder)
        for path in present:
            if path not in links and path in kept:
                links[path] = kept[path]
    return checks.broken_links(links.items(), present)


def build_site(
    loaded: Loaded, project: Path, jobs: int = 0, progress: Progress | None = None
) -> tuple[list[OutputFile], list[Diagnostic], dict[str, float]]:
    """Everything between the content and the files to write, in memory and without the cache."""
    stopwatch = Stopwatch(progress)
    jobs = worker_count(jobs)
    config, content = loaded.config, loaded.content
    digests = _content_digests(content)
    with tempfile.TemporaryDirectory(prefix="explainer-fragments-") as folder:
        store = FragmentStore(Path(folder))
        try:
            annotated, _days = annotate_content(
                content, config, digests, State(), {}, store, lambda _path: None, jobs
            )
            problems = [d for record in annotated.values() for d in record.diagnostics]
            stopwatch.lap("annotate")
            index, index_problems = index_content(content, config, annotated, store)
            problems += index_problems
            if has_errors(problems):
                return [], problems, stopwatch.timings
            dirs = template_dirs(project)
            site, _pages, more = render_site(
                index, annotated, digests, dirs, "", {}, None, None, jobs, stopwatch
            )
        finally:
            store.close()
    files = [OutputFile(path, site.memory[path]) for path in site.records]
    return files, [*problems, *more], stopwatch.timings


def annotation_diagnostics(loaded: Loaded, jobs: int = 0) -> list[Diagnostic]:
    """The problems annotation finds (unknown explicit links, missing quotes), so that a build
    with content errors still reports every problem in one run."""
    with tempfile.TemporaryDirectory(prefix="explainer-fragments-") as folder:
        store = FragmentStore(Path(folder))
        try:
            annotated, _days = annotate_content(
                loaded.content,
                loaded.config,
                _content_digests(loaded.content),
                State(),
                {},
                store,
                lambda _path: None,
                worker_count(jobs),
            )
        finally:
            store.close()
    return [d for path in sorted(annotated) for d in annotated[path].diagnostics]


def _content_digests(content: Content) -> dict[str, str]:
    """A digest of each parsed document, for content that was not read through the cache."""
    return {
        doc.path: digest(repr(doc))
        for doc in (*content.articles, *content.entities, *content.notes)
    }


def render_site(
    index: SiteIndex,
    annotated: Mapping[str, Annotated],
    digests: Mapping[str, str],
    dirs: Sequence[Path],
    templates: str,
    previous: Mapping[str, OutputRecord],
    staging: Staging | None,
    folder: Path | None,
    jobs: int,
    stopwatch: Stopwatch,
) -> tuple[Site, list[PageResult], list[Diagnostic]]:
    """Render what changed, add the other files, check the links."""
    config = index.config
    units = site_pages(index, KeyFacts(digests, annotated))
    env = make_environment(dirs, config, (u.url for u in units if u.url is not None))
    prefix = digest(cache.code_version(), repr(config), templates, repr(env.globals["nav"]))
    keys = [digest(prefix, *u.inputs()) if u.inputs else None for u in units]
    stopwatch.lap("plan pages")
    job = RenderJob(units, keys, env, config, prefix, previous, staging)
    pages = render_units(job, jobs)
    stopwatch.lap("render")
    site = Site()

    def read_back(path: str) -> bytes:
        if path in site.memory:
            return site.memory[path]
        assert staging is not None
        if path in site.written:
            return staging.read(path)
        return (staging.out / path).read_bytes()

    problems = finish_site(site, pages, index, dirs, previous, staging, read_back)
    stopwatch.lap("other files")
    problems += check_site_links(site, previous, folder)
    stopwatch.lap("check links")
    return site, pages, problems


def _site_stamp(out: Path) -> cache.SiteStamp | None:
    try:
        info = os.stat(out)
    except OSError:
        return None
    return cache.SiteStamp(str(out.resolve()), info.st_dev, info.st_ino)


def build(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Build the site, redoing only what changed since the last build.

    On any error the output folder is left exactly as it was.
    """
    start = time.perf_counter()
    stopwatch = Stopwatch(progress)
    project, out = options.project, options.out.absolute()
    folder = project / cache.CACHE_DIR
    jobs = worker_count(options.jobs)
    state = cache.load_state(folder)
    scan = cache.scan_sources(project, state.stamps)
    dirs = template_dirs(project)
    templates = cache.folder_digest(dirs)
    stopwatch.lap("scan")

    def result(problems: Iterable[Diagnostic], **extra: Any) -> BuildResult:
        return BuildResult(
            tuple(sort_diagnostics(problems)),
            seconds=time.perf_counter() - start,
            timings=stopwatch.timings,
            **extra,
        )

    if CONFIG_PATH not in scan.stamps:
        return result([missing_config()])
    settings = digest(
        cache.code_version(),
        scan.stamps[CONFIG_PATH].digest,
        templates,
        f"drafts={options.drafts} search={options.search}",
    )
    site_stamp = _site_stamp(out)
    if (
        state.settings == settings
        and not scan.problems
        and {p: s.digest for p, s in scan.stamps.items()}
        == {p: s.digest for p, s in state.stamps.items()}
        and (state.site is None or state.site == site_stamp)
        and (state.site is not None or has_errors(state.diagnostics))
    ):
        ok = not has_errors(state.diagnostics)
        return result(
            state.diagnostics,
            pages=state.pages if ok else 0,
            files=len(state.outputs) if ok else 0,
            written=ok,
        )

    config_text = scan.text(project, CONFIG_PATH)
    if config_text is None:
        return result(scan.problems.get(CONFIG_PATH, [missing_config()]))
    config, problems = parse_config(config_text)
    if config is None:
        return result(problems)
    if not options.search:
        config = replace(config, search=False)
    content_key = digest(cache.code_version(), repr(replace(config, search=True)))
    fresh = state.content_key != content_key
    previous = State() if fresh else state
    parsed = parse_changed(scan, project, config, previous.parsed, jobs)
    content = assemble_content(parsed, options.drafts)
    for path in sorted(parsed):
        problems += parsed[path].problems
    for path in sorted(scan.problems):
        problems += scan.problems[path]
    problems += checks.check_content(content, config)
    stopwatch.lap("parse")

    store = FragmentStore(folder)
    digests = {path: p.digest for path, p in parsed.items()}
    annotated, days = annotate_content(
        content,
        config,
        digests,
        previous,
        parsed,
        store,
        lambda path: scan.text(project, path),
        jobs,
    )
    for path in sorted(annotated):
        problems += annotated[path].diagnostics
    stopwatch.lap("annotate")
    index, index_problems = index_content(content, config, annotated, store)
    problems += index_problems
    stopwatch.lap("index")

    new_state = State(
        code=cache.code_version(),
        settings=settings,
        content_key=content_key,
        stamps=scan.trusted_stamps(),
        parsed=parsed,
        annotated=annotated,
        days=days,
        outputs=state.outputs,
        site=state.site,
    )
    if has_errors(problems):
        new_state.diagnostics = tuple(sort_diagnostics(problems))
        cache.save_state(folder, new_state, None)
        store.close()
        return result(problems)

    outputs_valid = state.site is not None and state.site == site_stamp
    old_outputs = state.outputs if outputs_valid else {}
    staging = Staging(out)
    try:
        site, _pages, more = render_site(
            index,
            annotated,
            digests,
            dirs,
            templates,
            old_outputs,
            staging,
            folder,
            jobs,
            stopwatch,
        )
        problems += more
        if has_errors(problems):
            staging.discard()
            new_state.diagnostics = tuple(sort_diagnostics(problems))
            cache.save_state(folder, new_state, None)
            return result(problems)
        removed = sorted(old_outputs.keys() - site.records.keys())
        cache.mark_writing(folder, True)
        if outputs_valid:
            staging.merge_into(site.written, removed)
        else:
            staging.swap_in()
    except BaseException:
        staging.discard()
        raise
    finally:
        store.close()
    stopwatch.lap("write")
    new_state.outputs = site.records
    new_state.site = _site_stamp(out)
    new_state.diagnostics = tuple(sort_diagnostics(problems))
    new_state.pages = sum(1 for path in site.records if path.endswith(".html"))
    links = dict(cache.load_links(folder)) if outputs_valid else {}
    for path in removed:
        links.pop(path, None)
    links.update(site.links)
    cache.save_state(folder, new_state, links)
    cache.mark_writing(folder, False)
    stopwatch.lap("save cache")
    return result(
        problems,
        pages=new_state.pages,
        files=len(site.records),
        written=True,
        changed=tuple(sorted([*site.written, *removed])),
    )
