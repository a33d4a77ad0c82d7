"""The build: config -> sources -> content -> diagnostics -> annotated articles -> site index ->
views -> output files -> disk. Each stage is a function of the one before; I/O is at the edges.

Builds are incremental and use every core:

- The cache (:mod:`generator.cache`) remembers what the last build read and made, keyed by
  digests. Only changed sources are parsed again; only documents whose annotation can have
  changed are annotated again (:mod:`generator.incremental`); only pages whose inputs changed
  are rendered again (:mod:`generator.pages`); only files whose bytes changed are written.
- Parsing, annotation and rendering run in forked worker processes that inherit the build's
  state; workers write their pages straight into a staging folder, so no build holds the
  whole site in memory. The output is the same on any number of processes.
- Every problem is known before the output folder changes (:class:`output.Staging`).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator import cache, checks
from generator.cache import FragmentStore, State, digest
from generator.config import CONFIG_PATH, SiteConfig, parse_config
from generator.content import parse_content
from generator.diagnostics import Diagnostic, error, has_errors, sort_diagnostics, warning
from generator.doclinks import fragment_problems
from generator.incremental import annotate_content, assemble_content, index_content, parse_changed
from generator.model import Content
from generator.output import InterruptsHeld, KeptFileChanged, Staging, UnsafePath, output_problem
from generator.pages import render_site
from generator.parallel import collector_paused, worker_count
from generator.render import OutputFile, template_dirs
from generator.sources import read_sources

Progress = Callable[[str], None]

WAITING = "waiting for another build of this project to end (a preview's, or another build)…"
"""What a build says while another build of its project holds it (see ``cache.project_held``)."""


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
        unread = [d for d in problems if d.path == CONFIG_PATH and d.message != "file not found"]
        return None, unread or [missing_config()]
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


# --- The build -----------------------------------------------------------------------------------


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
            problems += _link_fragments(annotated)
            stopwatch.lap("annotate")
            index, index_problems = index_content(content, config, annotated, store)
            problems += index_problems
            # Rendered despite errors in the text (an unknown entity is shown as written), so
            # that one run finds the problems of the pages too, such as a broken link.
            dirs = template_dirs(project)
            site, _rendered, more = render_site(
                index,
                annotated,
                digests,
                dirs,
                "",
                {},
                None,
                None,
                (),
                jobs,
                stopwatch.lap,
                project=project,
            )
        finally:
            store.close()
    files = [OutputFile(path, site.memory[path]) for path in site.records]
    return files, [*problems, *more], stopwatch.timings


def _link_fragments(annotated: Mapping[str, cache.Annotated]) -> list[Diagnostic]:
    """Links to a heading of another document that it does not have: checked on every build,
    since the linked document may change without the linking one."""
    linking = {path: record.links for path, record in annotated.items() if record.links}
    if not linking:
        return []
    return fragment_problems(linking, {path: record.anchors for path, record in annotated.items()})


def _content_digests(content: Content) -> dict[str, str]:
    """A digest of each parsed document, for content that was not read through the cache."""
    return {
        doc.path: digest(repr(doc))
        for doc in (*content.articles, *content.entities, *content.notes)
    }


def _site_stamp(out: Path) -> cache.SiteStamp | None:
    try:
        info = os.stat(out)
    except OSError:
        return None
    return cache.SiteStamp(str(out.resolve()), info.st_dev, info.st_ino)


def _nothing_changed(
    state: State, settings: str, scan: cache.Scan, site: cache.SiteStamp | None
) -> bool:
    """The same sources, config, templates and options as the last build, and its output
    folder as it left it (or, if it failed, the same failure to report again)."""
    return (
        state.settings == settings
        and not scan.problems
        and state.ignored == scan.ignored
        and {p: s.digest for p, s in scan.stamps.items()}
        == {p: s.digest for p, s in state.stamps.items()}
        and (state.site == site if state.site is not None else has_errors(state.diagnostics))
    )


def build(
    options: BuildOptions,
    progress: Progress | None = None,
    waiting: Callable[[], None] | None = None,
) -> BuildResult:
    """Build the site, redoing only what changed since the last build.

    On any error the output folder is left exactly as it was. While another build of the same
    project runs (a preview's, say), this one calls ``waiting`` and waits for it to end.
    """
    with cache.project_held(options.project, waiting), collector_paused(), InterruptsHeld() as held:
        try:
            return _build(options, progress, held)
        except cache.SourceChanged as exc:
            message = "the file changed while it was being built; build again"
            return BuildResult((error(exc.path, None, message),))
        except PermissionError as exc:
            # The cache or output folder (or a folder on the way) is not writable; the output
            # folder is left as it was.
            where = str(exc.filename or options.project)
            reason = (exc.strerror or "permission denied").lower()
            return BuildResult((error(where, None, f"cannot be written: {reason}"),))
        except FileNotFoundError as exc:
            # A file of the cache was deleted while the build used it (the cache folder
            # removed by hand, or by a clean of the checkout). The output folder is left as it
            # was; what is left of the cache is forgotten, so the next build makes it anew.
            if not _in_cache(exc.filename, options.project):
                raise
            cache.forget_state(options.project / cache.CACHE_DIR)
            message = (
                "a file of the cache is missing (deleted while the build ran?); "
                "build again, and the cache is made anew"
            )
            return BuildResult((error(cache.CACHE_DIR, None, message),))


def _in_cache(filename: object, project: Path) -> bool:
    """``filename`` (of an OSError) is in the project's cache folder."""
    if not isinstance(filename, str | bytes | os.PathLike):
        return False
    folder = os.path.abspath(project / cache.CACHE_DIR)
    return os.path.abspath(os.fsdecode(filename)).startswith(folder + os.sep)


def _build(
    options: BuildOptions,
    progress: Progress | None,
    held: InterruptsHeld,
    reuse: bool = True,
    start: float | None = None,
) -> BuildResult:
    """The build (started at ``start``); with ``reuse``, a build into another output folder
    than the last build's copies the pages that are the same from that folder rather than
    rendering them again."""
    start = time.perf_counter() if start is None else start
    stopwatch = Stopwatch(progress)
    project, out = options.project, options.out.absolute()
    refused = output_problem(project, out)
    if refused is not None:
        return BuildResult((error(str(options.out), None, f"not an output folder: {refused}"),))
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
        return result(scan.problems.get(CONFIG_PATH) or [missing_config()])
    settings = digest(
        cache.code_version(),
        scan.stamps[CONFIG_PATH].digest,
        templates,
        f"drafts={options.drafts} search={options.search}",
    )
    site_stamp = _site_stamp(out)
    if _nothing_changed(state, settings, scan, site_stamp):
        ok = not has_errors(state.diagnostics)
        return result(
            state.diagnostics,
            pages=state.pages if ok else 0,
            files=len(state.outputs) if ok else 0,
            written=ok,
        )

    config, problems = parse_config(scan.text(CONFIG_PATH))
    if config is None:
        return result(problems)
    if not options.search:
        config = replace(config, search=False)
    content_key = digest(
        cache.code_version(), repr(replace(config, search=True)), str(project.resolve())
    )
    fresh = state.content_key != content_key or not cache.load_documents(folder, state)
    previous = State() if fresh else state
    parsed = parse_changed(scan, project, config, previous.parsed, jobs)
    content = assemble_content(parsed, options.drafts)
    for path in sorted(parsed):
        problems += parsed[path].problems
    for path in sorted(scan.problems):
        problems += scan.problems[path]
    problems += scan.ignored
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
        scan.text,
        jobs,
    )
    for path in sorted(annotated):
        problems += annotated[path].diagnostics
    problems += _link_fragments(annotated)
    stopwatch.lap("annotate")
    index, index_problems = index_content(content, config, annotated, store, previous.related)
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
        link_files=state.link_files,
        related=index.related,
        ignored=scan.ignored,
    )
    # Rendered despite errors in the content, as check does, so that one run reports the
    # problems of the pages too (a broken link, a template error); the pages are then discarded.
    outputs_valid = state.site is not None and state.site == site_stamp
    # The last build's output folder, if this build writes another and that one is as the last
    # build left it: the pages that are the same are copied from it (``--out`` alternating
    # between two folders, say a preview's and a deploy's).
    other = _other_site(state.site, site_stamp) if reuse else None
    old_outputs = state.outputs if outputs_valid or other is not None else {}
    kept_files = state.link_files if outputs_valid or other is not None else ()
    journal = cache.LinkJournal(folder)
    staging = Staging(out, kept_in=other)
    rendered = None
    retry = False
    try:
        site, rendered, more = render_site(
            index,
            annotated,
            digests,
            dirs,
            templates,
            old_outputs,
            staging,
            journal,
            kept_files,
            jobs,
            stopwatch.lap,
            folder,
            project=project,
        )
        problems += more
        if has_errors(problems):
            staging.discard()
            journal.delete(rendered.link_files)
            new_state.diagnostics = tuple(sort_diagnostics(problems))
            cache.save_state(folder, new_state, state)
            return result(problems)
        removed = sorted(old_outputs.keys() - site.records.keys())
        written: list[str] = list(site.written)
        merge = outputs_valid
        if other is not None:
            digests = {path: r.digest for path, r in site.records.items()}
            kept = {path: value for path, value in digests.items() if path not in site.written}
            # The output folder may hold a site of an earlier build: the files it has right stay
            # as they are, and the others are moved in, as in an incremental build.
            found = staging.same_in_out(digests)
            if found is not None:
                same, removed = found
                kept = {path: value for path, value in kept.items() if path not in same}
                written = [path for path in written if path not in same] + sorted(kept)
                merge = True
            staging.copy_kept(kept)
        # From here to the end of the build, Ctrl-C waits: the site changes all at once.
        held.hold()
        cache.mark_writing(folder, True)
        if merge:
            staging.merge_into(written, removed)
        else:
            staging.swap_in()
    except KeptFileChanged:
        staging.discard()
        if rendered is not None:
            journal.delete(rendered.link_files)
        retry = True
    except UnsafePath as exc:
        staging.discard()
        if rendered is not None:
            journal.delete(rendered.link_files)
        cache.mark_writing(folder, False)
        return result([*problems, error(str(options.out), None, str(exc))])
    except BaseException:
        staging.discard()
        if rendered is not None:
            journal.delete(rendered.link_files)
        raise
    finally:
        store.close()
        journal.close()
    if retry:
        # A file of the other folder is not as the last build left it: render every page.
        return _build(options, progress, held, reuse=False, start=start)
    stopwatch.lap("write")
    new_state.outputs = site.records
    new_state.site = _site_stamp(out)
    new_state.pages = sum(1 for path in site.records if path.endswith(".html"))
    try:
        new_state.link_files = journal.compact([*kept_files, *rendered.link_files], site.records)
        new_state.annotated = store.compacted(new_state.annotated)
        new_state.diagnostics = tuple(sort_diagnostics(problems))
        cache.save_state(folder, new_state, state)
        cache.mark_writing(folder, False)
    except FileNotFoundError as exc:
        # The cache was deleted after the site was written: the site stands, the cache not.
        if not _in_cache(exc.filename, project):
            raise
        cache.forget_state(folder)
        message = (
            "a file of the cache went missing while it was saved (deleted during the build?); "
            "the site is built, and the next build makes the cache anew"
        )
        problems.append(warning(cache.CACHE_DIR, None, message))
    stopwatch.lap("save cache")
    changed = [*written, *removed] if merge else site.records
    return result(
        problems,
        pages=new_state.pages,
        files=len(site.records),
        written=True,
        changed=tuple(sorted(changed)),
    )


def _other_site(last: cache.SiteStamp | None, out: cache.SiteStamp | None) -> Path | None:
    """The last build's output folder, if it is not ``out`` and is still the folder it wrote."""
    if last is None or last == out:
        return None
    folder = Path(last.path)
    return folder if _site_stamp(folder) == last else None
