"""The pages of the site, each keyed by what it is made from, rendered in worker processes
straight into the staging folder; then the other files of the site and the link check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from generator import cache, checks, search, urls
from generator.cache import Annotated, OutputRecord, digest, digest_bytes
from generator.checks import Document
from generator.config import SiteConfig
from generator.diagnostics import Diagnostic, error
from generator.index import SiteIndex
from generator.output import Staging
from generator.parallel import chunks, cpu_count, jobs_for, run_tasks
from generator.render import (
    OutputFile,
    asset_files,
    make_environment,
    render_page,
    robots,
    sitemap,
    template_problem,
)
from generator.views import (
    FeedSpec,
    Listing,
    PageView,
    archive_page,
    article_page,
    entity_chunk,
    entity_index_page,
    entity_page,
    entity_page_count,
    feed_specs,
    feed_view,
    home_listing,
    listing_page,
    listings,
    not_found_page,
    note_page,
    search_page,
    timeline_page,
)


class Unit(NamedTuple):
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


class Facts:
    """:class:`KeyFacts` arranged for one index: by article position, entity and note slug."""

    def __init__(self, index: SiteIndex, facts: KeyFacts) -> None:
        records = [facts.annotated[item.article.path] for item in index.articles]
        self.summary = [record.summary for record in records]
        """Each article as a list entry."""
        self.backlink = [record.backlink for record in records]
        """Each article as a list entry with its first mentions."""
        self.full = [record.full for record in records]
        """Each article with everything it shows."""
        self.entry = [record.entry for record in records]
        """Each article as a feed entry without its text: its URL and its source."""
        self.timeline = [record.timeline for record in records]
        """What the timeline shows of each article."""
        self.entity = {slug: facts.sources[e.path] for slug, e in index.entities.items()}
        self.note = {slug: facts.sources[n.path] for slug, n in index.notes.items()}
        self.body = {
            d.path: facts.annotated[d.path].output
            for documents in (index.entities, index.notes)
            for d in documents.values()
        }
        """The annotated description of each entity and body of each note, by path."""
        self.named = {
            d.path: facts.annotated[d.path].mentioned
            for documents in (index.entities, index.notes)
            for d in documents.values()
        }
        """The entities that each entity's description and note's body name (their cards)."""


def _one(make: Callable[..., PageView], *args: Any) -> Callable[[], list[PageView]]:
    return lambda: [make(*args)]


def _article_inputs(index: SiteIndex, position: int, facts: Facts) -> list[str]:
    """What :func:`views.article_page` reads: the article, its neighbours as list entries, the
    entities it names and the notes it shows."""
    item = index.articles[position]
    summary = facts.summary
    return [
        "article",
        facts.full[position],
        summary[position - 1] if position > 0 else "",
        summary[position + 1] if position + 1 < len(summary) else "",
        *map(facts.entity.__getitem__, item.mentioned),
        *map(facts.note.__getitem__, item.note_slugs),
    ]


def _entity_inputs(index: SiteIndex, slug: str, number: int, facts: Facts) -> list[str]:
    """What :func:`views.entity_page` reads for page ``number``: the entity, the number of
    pages and of articles about it (which names the list of the others), and the articles on
    the page as list entries with their first mentions; on the first page also its description,
    related entities and notes, and the entities its description names (their hover cards)."""
    backlink = facts.backlink
    about, mentioned = entity_chunk(index, slug, number)
    inputs = [
        "entity",
        facts.entity[slug],
        str(number),
        str(entity_page_count(index, slug)),
        str(len(index.entity_refs[slug].about)),
        " ".join(map(backlink.__getitem__, about)),
        " ".join(map(backlink.__getitem__, mentioned)),
    ]
    if number > 1:
        return inputs
    refs = index.entity_refs[slug]
    return [
        *inputs,
        facts.body[index.entities[slug].path],
        " ".join([f"{facts.entity[o]} {n}" for o, n in refs.related]),
        " ".join([facts.note[n] for n in index.entity_notes.get(slug, ())]),
        *(facts.entity[s] for s in facts.named[index.entities[slug].path]),
    ]


def _feed_inputs(index: SiteIndex, spec: FeedSpec, facts: Facts) -> list[str]:
    """What :func:`views.feed_view` reads: each chosen article in full, or its front matter."""
    chosen = spec.positions[: index.config.feed_size]
    entries = facts.full if spec.full else facts.entry
    return ["feed", spec.url, spec.page_url, repr(spec.title), *(entries[i] for i in chosen)]


def _listing_inputs(
    index: SiteIndex, listing: Listing, number: int, frame: str, facts: Facts
) -> list[str]:
    """What :func:`views.listing_page` reads: the listing (``frame`` is the rest of it), the
    page's number and the articles on it as list entries."""
    size = index.config.page_size
    summary = facts.summary
    return [
        "listing",
        frame,
        str(number),
        str(listing.total(size)),
        *map(summary.__getitem__, listing.chunk(number, size)),
    ]


def _note_inputs(index: SiteIndex, slug: str, facts: Facts) -> list[str]:
    """What :func:`views.note_page` reads: the note and its body, the entities it lists, and
    the articles it is attached to as list entries."""
    return [
        "note",
        facts.note[slug],
        facts.body[index.notes[slug].path],
        *(facts.entity[e] for e in index.notes[slug].entities),
        "|",
        *(facts.entity[s] for s in facts.named[index.notes[slug].path]),
        "|",
        *(facts.summary[i] for i in index.note_articles.get(slug, ())),
    ]


def _timeline_inputs(index: SiteIndex, facts: Facts) -> list[str]:
    """What :func:`views.timeline_page` reads: every note, and each article's slug, title, URL,
    time and language."""
    return ["timeline", *facts.note.values(), *facts.timeline]


def _listing_units(index: SiteIndex, listing: Listing, facts: Facts) -> Iterator[Unit]:
    frame = repr((listing.first_url, listing.title, listing.crumbs, listing.current))
    frame += repr((listing.feed, listing.intro, listing.extra))
    for number in range(1, listing.total(index.config.page_size) + 1):
        yield Unit(
            urls.paginated(listing.first_url, number),
            _one(listing_page, index, listing, number),
            partial(_listing_inputs, index, listing, number, frame, facts),
            "listing.html",
        )


def site_pages(index: SiteIndex, key_facts: KeyFacts) -> list[Unit]:
    """Every page of the site, in the order the sitemap lists them.

    Article pages, entity pages and feeds are keyed by what their views read (see the
    ``_*_inputs`` functions beside this one: a view that comes to read more must say so there).
    Every other page is keyed by its view's data.
    """
    bodies = {path: record.html for path, record in key_facts.annotated.items()}
    named = key_facts.annotated
    facts = Facts(index, key_facts)
    units = [
        *_listing_units(index, home_listing(index), facts),
        *(
            Unit(
                item.url,
                _one(article_page, index, i),
                partial(_article_inputs, index, i, facts),
                "article.html",
            )
            for i, item in enumerate(index.articles)
        ),
        Unit(urls.ARCHIVE, _one(archive_page, index)),
        *(unit for listing in listings(index) for unit in _listing_units(index, listing, facts)),
        Unit(urls.ENTITIES, _one(entity_index_page, index)),
        *(
            Unit(
                urls.paginated(urls.entity(slug), number),
                _one(
                    entity_page,
                    index,
                    slug,
                    bodies[entity.path],
                    named[entity.path].mentioned,
                    number,
                ),
                partial(_entity_inputs, index, slug, number, facts),
                "entity.html",
            )
            for slug, entity in index.entities.items()
            for number in range(1, entity_page_count(index, slug) + 1)
        ),
        *(
            Unit(
                urls.note(slug),
                _one(note_page, index, slug, bodies[note.path], named[note.path].mentioned),
                partial(_note_inputs, index, slug, facts),
                "note.html",
            )
            for slug, note in index.notes.items()
        ),
        Unit(
            urls.TIMELINE,
            _one(timeline_page, index),
            partial(_timeline_inputs, index, facts),
            "timeline.html",
        ),
        Unit(urls.NOT_FOUND, _one(not_found_page, index)),
        Unit(
            urls.SEARCH,
            _one(search_page, index, search.BUNDLE if index.config.search else None),
        ),
        *(
            Unit(
                spec.url,
                _one(
                    feed_view,
                    index,
                    spec.url,
                    spec.page_url,
                    spec.title,
                    spec.positions,
                    spec.full,
                ),
                partial(_feed_inputs, index, spec, facts),
                "feed.xml",
            )
            for spec in feed_specs(index)
        ),
    ]
    return units


class PageResult(NamedTuple):
    """One page, rendered or kept as it was. (A named tuple: a build makes one for every page
    of the site, and a tuple is made several times faster than a frozen dataclass.)"""

    path: str
    url: str
    template: str
    record: OutputRecord
    written: bool
    """Its bytes changed, and went to the staging folder."""
    rendered: bool = False
    """This build rendered it (its key changed)."""
    data: bytes | None = None
    """Its bytes, when the build keeps them in memory."""


Links = dict[str, tuple[str, ...]]
"""By page, the output paths that its internal links name."""


@dataclass
class Rendered:
    """What rendering made: the pages in order, every output path they link to, and where
    their links are kept (journal files, or in memory when there is no cache)."""

    pages: list[PageResult]
    targets: set[str]
    link_files: list[str]
    links: Links
    problems: list[Diagnostic] = field(default_factory=list)
    """Errors that templates raised; the pages they stopped are not among ``pages``."""


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
    journal: cache.LinkJournal | None
    project: Path
    """Where template paths in diagnostics start from."""
    write_on_threads: bool = True
    """Pages go to the staging folder from threads (:meth:`Staging.write_soon`), so that the
    kernel's work of creating them runs on a core that no process renders on. When every core
    renders, the threads only add work, and each process writes its pages itself."""

    def render(
        self, number: int, links: Links, problems: list[tuple[Diagnostic, str]]
    ) -> list[PageResult]:
        """Make the unit's views and render those whose key changed; their links go to
        ``links``, and the errors that templates raise, with the page, to ``problems``."""
        done: list[PageResult] = []
        for view in self.units[number].make():
            path = urls.output_path(view.url)
            key = self.keys[number] or digest(self.prefix, view.url, view.template, repr(view.data))
            old = self.previous.get(path)
            if old is not None and old.key == key:
                done.append(PageResult(path, view.url, view.template, old, False))
                continue
            try:
                file = render_page(self.env, view, self.config)
            except Exception as exc:
                problem = template_problem(exc, self.project)
                if problem is None:
                    raise
                problems.append((problem, path))
                continue
            record = OutputRecord(
                key,
                digest_bytes(file.data),
                search.indexed_digest(file.data, not self.config.allow_html)
                if self.config.search and path.endswith(".html")
                else "",
            )
            links[path] = tuple(checks.link_targets(file))
            if self.staging is None:
                done.append(
                    PageResult(path, view.url, view.template, record, True, True, file.data)
                )
                continue
            written = old is None or old.digest != record.digest
            if written:
                if self.write_on_threads:
                    self.staging.write_soon(path, file.data)
                else:
                    self.staging.write(path, file.data)
            done.append(PageResult(path, view.url, view.template, record, written, True))
        return done

    def render_piece(
        self, numbers: Sequence[int]
    ) -> tuple[list[list[PageResult]], set[str], Any, list[tuple[Diagnostic, str]]]:
        """Render units; their pages, the paths they link to, their links (as a journal file
        when there is a cache), and the errors that templates raised."""
        links: Links = {}
        problems: list[tuple[Diagnostic, str]] = []
        done = [self.render(number, links, problems) for number in numbers]
        if self.staging is not None:
            self.staging.flush()
        targets: set[str] = set().union(*links.values())
        if self.journal is None:
            return done, targets, links, problems
        return done, targets, self.journal.append(links) if links else None, problems


def render_units(job: RenderJob, jobs: int) -> Rendered:
    """Render the units that need it, on ``jobs`` processes; pages in unit order."""
    todo: list[int] = []
    results: dict[int, list[PageResult]] = {}
    for number, (unit, key) in enumerate(zip(job.units, job.keys, strict=True)):
        old = job.previous.get(urls.output_path(unit.url)) if unit.url is not None else None
        if key is not None and old is not None and old.key == key:
            results[number] = [
                PageResult(urls.output_path(unit.url), unit.url, unit.template, old, False)
            ]
        else:
            todo.append(number)
    # Units without a key may hold many pages: they go first, so that none is left to the end.
    todo.sort(key=lambda n: job.keys[n] is not None)
    jobs = jobs_for(jobs, len(todo), 4)
    job = replace(job, write_on_threads=jobs < cpu_count())
    pieces = chunks(todo, jobs, smallest=1, largest=32)
    rendered = Rendered([], set(), [], {})
    problems: dict[Diagnostic, list[str]] = {}
    for piece, (done, targets, links, found) in zip(
        pieces, run_tasks(jobs, pieces, job.render_piece), strict=True
    ):
        results.update(zip(piece, done, strict=True))
        rendered.targets |= targets
        if isinstance(links, dict):
            rendered.links.update(links)
        elif links is not None and links not in rendered.link_files:
            rendered.link_files.append(links)
        for problem, page in found:
            problems.setdefault(problem, []).append(page)
    rendered.pages = [page for number in range(len(job.units)) for page in results[number]]
    rendered.problems = [_once_with_files(problem, pages) for problem, pages in problems.items()]
    return rendered


def _once_with_files(problem: Diagnostic, pages: Sequence[str]) -> Diagnostic:
    """A template's error, once, with the files it stopped."""
    first = min(pages)
    more = len(pages) - 1
    also = f" and {more} other file{'s' if more > 1 else ''}" if more else ""
    return error(problem.path, problem.line, f"{problem.message} (rendering site/{first}{also})")


@dataclass
class Site:
    """The files of the new site: records of all, and the bytes of those not yet on disk."""

    records: dict[str, OutputRecord] = field(default_factory=dict)
    written: dict[str, None] = field(default_factory=dict)
    """The files this build wrote, in order (a dict: the search index asks of every page)."""
    memory: dict[str, bytes] = field(default_factory=dict)

    def add(
        self,
        path: str,
        data: bytes,
        previous: Mapping[str, OutputRecord],
        staging: Staging | None,
    ) -> None:
        """A file made in this process: written unless its bytes are as before."""
        record = OutputRecord(None, digest_bytes(data))
        self.records[path] = record
        old = previous.get(path)
        if staging is None:
            self.memory[path] = data
        elif old is None or old.digest != record.digest:
            staging.write(path, data)
            self.written[path] = None


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
            site.written[page.path] = None
        if page.data is not None:
            site.memory[page.path] = page.data
    for file in asset_files(dirs):
        site.add(file.path, file.data, previous, staging)
    if config.base_url:
        # The sitemaps.org protocol takes absolute URLs only: without a base_url, no sitemap.
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
    """The search bundle over the indexed pages (see :func:`search.indexed_pages`), in parts
    of ``config.search_shard_size`` pages or fewer on average. A part is made again only when
    what the index reads of one of its pages changed, a page came or went, or the parts are
    laid out differently than before; the problem of the first part that Pagefind fails on."""
    chosen = _indexed({p.path: p.record for p in pages})
    count = search.shard_count(len(chosen), config.search_shard_size)
    shards = _shards(chosen, count)
    folders = search.shard_folders(list(shards))
    manifest = search.shards_manifest(count, folders)
    manifest_path = search.BUNDLE + search.SHARDS_FILE
    before = previous.get(manifest_path)
    same_layout = before is not None and before.digest == digest_bytes(manifest)
    shards_before = _shards(_indexed(previous), count) if same_layout else {}
    kept: dict[str, list[tuple[str, OutputRecord]]] = defaultdict(list)
    for path, record in previous.items():
        if path.startswith(search.BUNDLE) and path != manifest_path:
            kept[search.bundle_folder(path)].append((path, record))
    for shard, members in shards.items():
        folder = folders[shard]
        if shards_before.get(shard) == members and kept[folder]:
            site.records.update(kept[folder])
            continue
        files = [OutputFile(path, read_back(path)) for path in members]
        bundle, problems = search.search_bundle(files, not config.directory_links, folder)
        if problems:
            return problems  # the same for every part (no Pagefind, or one that fails): once
        for file in bundle:
            site.add(file.path, file.data, previous, staging)
    site.add(manifest_path, manifest, previous, staging)
    return []


def _shards(indexed: Mapping[str, str], count: int) -> dict[int, dict[str, str]]:
    """The indexed pages (path: digest) of each part of the index that has any, by part."""
    shards: dict[int, dict[str, str]] = defaultdict(dict)
    for path, page_digest in indexed.items():
        shards[search.shard_of(path, count)][path] = page_digest
    return dict(sorted(shards.items()))


def _indexed(records: Mapping[str, OutputRecord]) -> dict[str, str]:
    """The pages that the search index covers, with their digests."""
    pages = {
        path: record
        for path, record in records.items()
        if path.endswith(".html") and path != urls.NOT_FOUND and not path.startswith(search.BUNDLE)
    }
    marked = {path: record.indexed for path, record in pages.items() if record.indexed}
    return marked or {path: record.digest for path, record in pages.items()}


def check_site_links(
    site: Site,
    rendered: Rendered,
    previous: Mapping[str, OutputRecord],
    journal: cache.LinkJournal | None,
    kept_files: Sequence[str],
    read_back: Callable[[str], bytes],
) -> list[Diagnostic]:
    """Broken internal links: in the pages rendered now, and, when files went away, in the
    pages kept from the last build (whose links are in the journal files ``kept_files``).

    The pages that link to a missing file are read again, to report their links as written.
    """
    present = site.records.keys()
    links: Links = {}
    if rendered.targets - present:
        links.update(rendered.links if journal is None else journal.read(rendered.link_files))
    if journal is not None and previous.keys() - present:
        now = {page.path for page in rendered.pages if page.rendered}
        kept = journal.read(kept_files)
        links.update((p, kept[p]) for p in present if p not in now and p in kept)
    suspects = sorted(path for path, found in links.items() if any(t not in present for t in found))
    return checks.broken_links(
        ((path, checks.internal_links(OutputFile(path, read_back(path)))) for path in suspects),
        present,
    )


def render_site(
    index: SiteIndex,
    annotated: Mapping[str, Annotated],
    digests: Mapping[str, str],
    dirs: Sequence[Path],
    templates: str,
    previous: Mapping[str, OutputRecord],
    staging: Staging | None,
    journal: cache.LinkJournal | None,
    kept_files: Sequence[str],
    jobs: int,
    lap: Callable[[str], None],
    cache_folder: Path | None = None,
    *,
    project: Path,
) -> tuple[Site, Rendered, list[Diagnostic]]:
    """Render what changed, add the other files, check the links. When a template raises an
    error, the errors are all there is: the site is not finished and its links not checked,
    since the pages that the errors stopped are missing."""
    config = index.config
    units = site_pages(index, KeyFacts(digests, annotated))
    env = make_environment(
        dirs,
        config,
        (u.url for u in units if u.url is not None),
        cache.template_folder(cache_folder) if cache_folder is not None else None,
        cache.code_version(),
    )
    prefix = digest(cache.code_version(), repr(config), templates, repr(env.globals["nav"]))
    # Inputs are digests, URLs and repr()s, none of which holds a NUL: joined with NULs, two
    # lists of inputs give the same string only if they are the same list.
    key = cache.digests_after(prefix)
    keys = [key("\0".join(u.inputs())) if u.inputs else None for u in units]
    lap("plan pages")
    job = RenderJob(units, keys, env, config, prefix, previous, staging, journal, project)
    rendered = render_units(job, jobs)
    lap("render")
    site = Site()
    if rendered.problems:
        return site, rendered, rendered.problems

    def read_back(path: str) -> bytes:
        if path in site.memory:
            return site.memory[path]
        assert staging is not None
        if path in site.written:
            return staging.read(path)
        return staging.read_kept(path)

    problems = finish_site(site, rendered.pages, index, dirs, previous, staging, read_back)
    lap("other files")
    broken = check_site_links(site, rendered, previous, journal, kept_files, read_back)
    if broken:
        problems += checks.at_sources(broken, _page_sources(index))
    lap("check links")
    return site, rendered, problems


def _page_sources(index: SiteIndex) -> dict[str, Document]:
    """By output path, the document whose text a page shows: an article, or the first page of
    an entity or a note. A broken link in its text is reported at the document's line."""
    found: dict[str, Document] = {}
    for item in index.articles:
        found[urls.output_path(item.url)] = item.article
    for slug, entity in index.entities.items():
        found[urls.output_path(urls.entity(slug))] = entity
    for slug, note in index.notes.items():
        found[urls.output_path(urls.note(slug))] = note
    return found
