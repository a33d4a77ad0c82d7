"""The build: config -> sources -> content -> diagnostics -> annotated articles -> site index ->
views -> output files -> disk. Each stage is a function of the one before; I/O is at the edges."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator import checks, search, urls
from generator.annotate import AnnotatedArticle, Registry, annotate_all, annotate_text
from generator.config import CONFIG_PATH, SiteConfig, parse_config
from generator.content import parse_content
from generator.diagnostics import Diagnostic, error, has_errors, sort_diagnostics
from generator.index import SiteIndex, build_index
from generator.model import Content
from generator.output import replace_site
from generator.render import (
    OutputFile,
    asset_files,
    make_environment,
    render_pages,
    robots,
    sitemap,
    template_dirs,
)
from generator.sources import read_sources
from generator.views import (
    PageView,
    archive_pages,
    article_page,
    entity_index_page,
    entity_page,
    feed_views,
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
    """Worker processes for annotation; 0 picks by the number of articles and cores."""
    search: bool = True
    """False skips the search index (--no-search), whatever site.yaml says."""


@dataclass(frozen=True)
class BuildResult:
    diagnostics: tuple[Diagnostic, ...]
    pages: int = 0
    files: int = 0
    seconds: float = 0.0
    written: bool = False
    timings: dict[str, float] = field(default_factory=dict, compare=False)

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
        return None, [
            error(CONFIG_PATH, None, "file not found: every site needs content/site.yaml")
        ]
    config, config_problems = parse_config(config_text)
    problems += config_problems
    if config is None:
        return None, problems
    content, content_problems = parse_content(sources, config, drafts=drafts)
    problems += content_problems
    problems += checks.check_content(content, config)
    return Loaded(config, content, tuple(problems)), problems


_WORKER_REGISTRY: Registry | None = None


def _init_worker(registry: Registry) -> None:
    global _WORKER_REGISTRY
    _WORKER_REGISTRY = registry


def _annotate_chunk(chunk: Sequence) -> list[AnnotatedArticle]:
    assert _WORKER_REGISTRY is not None
    return annotate_all(chunk, _WORKER_REGISTRY)


def annotate_parallel(articles: Sequence, registry: Registry, jobs: int) -> list[AnnotatedArticle]:
    """Annotate on ``jobs`` processes; the result is the same as on one, in the same order."""
    if jobs <= 1 or len(articles) < 200:
        return annotate_all(articles, registry)
    size = max(50, len(articles) // (jobs * 8))
    chunks = [articles[i : i + size] for i in range(0, len(articles), size)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(registry,)) as pool:
        results = pool.map(_annotate_chunk, chunks)
    return [item for chunk in results for item in chunk]


def _jobs(requested: int) -> int:
    return requested if requested > 0 else min(os.cpu_count() or 1, 8)


def site_views(index: SiteIndex, registry: Registry) -> tuple[list[PageView], list[Diagnostic]]:
    """Every page of the site as a view."""
    views: list[PageView] = []
    problems: list[Diagnostic] = []
    views += home_pages(index)
    views += (article_page(index, i) for i in range(len(index.articles)))
    views += archive_pages(index)
    views += section_pages(index)
    views += tag_pages(index)
    views.append(entity_index_page(index))
    for slug, entity in index.entities.items():
        body_html, found = annotate_text(
            entity.body,
            entity.path,
            entity.body_line,
            index.config.language,
            urls.entity(slug),
            registry,
            disabled=frozenset({slug}),
        )
        problems += found
        views.append(entity_page(index, slug, body_html))
    for slug, note in index.notes.items():
        body_html, found = annotate_text(
            note.body, note.path, note.body_line, note.language, urls.note(slug), registry
        )
        problems += found
        views.append(note_page(index, slug, body_html))
    views.append(timeline_page(index))
    views.append(not_found_page(index))
    views.append(search_page(index, search.BUNDLE if index.config.search else None))
    views += feed_views(index)
    return views, problems


def build_site(
    loaded: Loaded, project: Path, jobs: int = 0, progress: Progress | None = None
) -> tuple[list[OutputFile], list[Diagnostic], dict[str, float]]:
    """Everything between the content and the files to write. No I/O except reading templates."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now
        if progress:
            progress(f"{name} done")

    config, content = loaded.config, loaded.content
    registry = Registry.build(content, config)
    lap("registry")
    annotated = annotate_parallel(content.articles, registry, _jobs(jobs))
    problems = [d for item in annotated for d in item.diagnostics]
    lap("annotate")
    index, index_problems = build_index(config, annotated, content.entities, content.notes)
    problems += index_problems
    views, view_problems = site_views(index, registry)
    problems += view_problems
    lap("views")
    if has_errors(problems):
        return [], problems, timings
    dirs = template_dirs(project)
    env = make_environment(dirs, config, (v.url for v in views))
    files = list(render_pages(env, views, config))
    files += asset_files(dirs)
    html_urls = [v.url for v in views if v.template != "feed.xml" and v.url != urls.NOT_FOUND]
    lastmod = {item.url: item.article.updated or item.article.date for item in annotated}
    files.append(
        sitemap(
            config, [(u, lastmod[u].date().isoformat() if u in lastmod else "") for u in html_urls]
        )
    )
    files.append(robots(config))
    lap("render")
    if config.search:
        bundle, search_problems = search.search_bundle(
            files, keep_index_url=not config.directory_links
        )
        files += bundle
        problems += search_problems
        lap("search index")
    problems += checks.check_links(files)
    lap("check links")
    return files, problems, timings


def annotation_diagnostics(loaded: Loaded, jobs: int = 0) -> list[Diagnostic]:
    """The problems annotation finds (unknown explicit links, missing quotes), so that a build
    with content errors still reports every problem in one run."""
    registry = Registry.build(loaded.content, loaded.config)
    annotated = annotate_parallel(loaded.content.articles, registry, _jobs(jobs))
    return [d for item in annotated for d in item.diagnostics]


def build(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Build the site; on any error the output folder is left exactly as it was."""
    start = time.perf_counter()
    loaded, problems = load(options.project, options.drafts)
    if loaded is not None and has_errors(problems):
        problems += annotation_diagnostics(loaded, options.jobs)
    if loaded is None or has_errors(problems):
        return BuildResult(tuple(sort_diagnostics(problems)), seconds=time.perf_counter() - start)
    if not options.search:
        loaded = replace(loaded, config=replace(loaded.config, search=False))
    files, site_problems, timings = build_site(loaded, options.project, options.jobs, progress)
    problems = [*problems, *site_problems]
    if has_errors(problems):
        return BuildResult(tuple(sort_diagnostics(problems)), seconds=time.perf_counter() - start)
    written = replace_site(options.out, files)
    pages = sum(1 for f in files if f.path.endswith(".html"))
    return BuildResult(
        tuple(sort_diagnostics(problems)),
        pages=pages,
        files=written,
        seconds=time.perf_counter() - start,
        written=True,
        timings=timings,
    )
