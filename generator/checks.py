"""Checks across files: problems no single file shows on its own."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from functools import lru_cache

from generator import urls
from generator.config import SiteConfig
from generator.diagnostics import Diagnostic, error
from generator.doclinks import is_source_link
from generator.frontmatter import did_you_mean
from generator.linker import alias_conflicts
from generator.model import Article, Content, Entity, Note
from generator.render import OutputFile


def duplicate_urls(articles: Sequence[Article]) -> list[Diagnostic]:
    """Two articles at one URL: an error at each later file, naming the first."""
    first: dict[str, Article] = {}
    problems = []
    for article in sorted(articles, key=lambda a: a.path):
        url = urls.article(article.slug, article.date)
        if url in first:
            other = first[url]
            problems.append(
                error(
                    article.path,
                    article.lines.get("slug") or article.lines.get("title"),
                    f"the URL {url} is also the URL of {other.path}",
                )
            )
        else:
            first[url] = article
    return problems


def duplicate_slugs(documents: Sequence[Entity | Note], what: str) -> list[Diagnostic]:
    """Two entity (or note) files with one slug, from folders under ``content/``: an error at
    each later file, naming the first. Their pages would share one URL."""
    first: dict[str, str] = {}
    problems = []
    for document in sorted(documents, key=lambda d: d.path):
        other = first.setdefault(document.slug, document.path)
        if other != document.path:
            message = f'the {what} slug "{document.slug}" is also the slug of {other}'
            problems.append(error(document.path, None, message))
    return problems


def _unknown(content: Content, what: str, slug: str, known: Iterable[str]) -> str:
    """Why a slug names no entity (or note): none has it, or the file that has it has errors;
    with the slug it was most likely meant to be."""
    path = content.unloaded.get(f"{what}:{slug}")
    if path is not None:
        return f'{what} "{slug}" is not loaded: {path} has errors'
    return f'unknown {what} "{slug}"{did_you_mean(slug, known)}'


def unknown_references(content: Content) -> list[Diagnostic]:
    """Front-matter slugs that name no entity or note."""
    entities = {e.slug for e in content.entities}
    notes = {n.slug for n in content.notes}
    problems = []
    for article in content.articles:
        for key, known, what in (
            ("about", entities, "entity"),
            ("no_link", entities, "entity"),
            ("notes", notes, "note"),
            ("no_notes", notes, "note"),
        ):
            for slug in getattr(article, key):
                if slug not in known:
                    problems.append(
                        error(
                            article.path,
                            article.lines.get(key),
                            f'"{key}": {_unknown(content, what, slug, known)}',
                        )
                    )
    for note in content.notes:
        for slug in note.entities:
            if slug not in entities:
                problems.append(
                    error(
                        note.path,
                        note.lines.get("entities"),
                        f'"entities": {_unknown(content, "entity", slug, entities)}',
                    )
                )
    return problems


def check_content(content: Content, config: SiteConfig) -> list[Diagnostic]:
    """Every cross-file check on parsed content."""
    return (
        duplicate_urls(content.articles)
        + duplicate_slugs(content.entities, "entity")
        + duplicate_slugs(content.notes, "note")
        + unknown_references(content)
        + alias_conflicts(content.entities)
    )


_REFERENCE = re.compile(r'\s(?:href|src)="([^"]*)"')
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)


def internal_links(file: OutputFile) -> list[tuple[str, str]]:
    """The internal href and src targets of an HTML page, each once: (as written, the output
    path it resolves to). Other files, and the 404 page that servers show anywhere, have none.

    This reads attributes of our own generated HTML, whose quoting the templates control.
    """
    if not file.path.endswith(".html") or file.path == urls.NOT_FOUND:
        return []
    base = posixpath.dirname(file.path)
    found: dict[str, str] = {}
    for target in _REFERENCE.findall(file.data.decode("utf-8")):
        if target in found or _EXTERNAL.match(target):
            continue
        path = target.split("#", 1)[0].split("?", 1)[0]
        found[target] = _resolve(base, path) if path else file.path
    return list(found.items())


_REFERENCE_BYTES = re.compile(rb'\s(?:href|src)="([^"]*)"')
""":data:`_REFERENCE` for bytes: what :func:`written_links` finds, more slowly."""
_SPACE = frozenset(b" \t\n\r\x0b\x0c")


def written_links(data: bytes) -> set[bytes]:
    """The values of the href and src attributes in ``data``, as :data:`_REFERENCE_BYTES` finds
    them, but found with ``bytes.find``, which skips through a page faster than the regex
    engine."""
    found: set[bytes] = set()
    start = 0
    href, src = data.find(b'href="'), data.find(b'src="')
    while href != -1 or src != -1:
        at, value = (href, href + 6) if src == -1 or (href != -1 and href < src) else (src, src + 5)
        if at > start and data[at - 1] in _SPACE:
            end = data.find(b'"', value)
            if end == -1:
                break
            found.add(data[value:end])
            start = end + 1
        else:
            start = max(start, at)
        if href != -1 and href < start + 1:
            href = data.find(b'href="', start + 1)
        if src != -1 and src < start + 1:
            src = data.find(b'src="', start + 1)
    return found


def link_targets(file: OutputFile) -> set[str]:
    """The output paths that the internal links of an HTML page name (as :func:`internal_links`,
    without the links as written).

    Most links climb to the site's root first (``../../../entities/x/index.html``): such a link
    names the same file from every page at its depth, so what it names is remembered once for
    all those pages, as is what an external link or a fragment names (nothing, or the page)."""
    if not file.path.endswith(".html") or file.path == urls.NOT_FOUND:
        return set()
    folders = _folders(posixpath.dirname(file.path))
    depth = len(folders) - 1
    shared = _AT_DEPTH.setdefault(depth, {})
    found = set()
    for written in written_links(file.data):
        target = shared.get(written, _UNKNOWN)
        if target is _UNKNOWN:
            up, rest = _climb(written)
            if up < depth:
                target = _target(folders[up], rest)
                if target is not None and target != "":
                    found.add(target)  # named from this page's folder: not shared
                    continue
            else:
                target = _target("", b"../" * (up - depth) + rest)
            if len(shared) < 1 << 16:
                shared[written] = target
        found.add(target)
    found.discard(None)
    return {file.path if target == "" else target for target in found}  # type: ignore[misc]


_AT_DEPTH: dict[int, dict[bytes, str | None]] = {}
"""By the depth of a page, what its links as written name, for the links that name the same from
every page at that depth (see :func:`link_targets`)."""
_UNKNOWN = object()


@lru_cache(maxsize=1 << 12)
def _folders(base: str) -> tuple[str, ...]:
    """``base`` and each folder above it, up to the root (""): the folder a link that climbs
    ``n`` levels starts from is the ``n``-th."""
    folders = [base]
    while folders[-1]:
        folders.append(posixpath.dirname(folders[-1]))
    return tuple(folders)


@lru_cache(maxsize=1 << 16)
def _climb(written: bytes) -> tuple[int, bytes]:
    """How many leading ``../`` a link as written has, and the rest of it. A link that would be
    left empty, or with only a fragment or query, keeps its ``../`` (it names a folder)."""
    up = 0
    rest = written
    while rest.startswith(b"../") and rest[3:4] not in (b"", b"#", b"?"):
        up += 1
        rest = rest[3:]
    return up, rest


@lru_cache(maxsize=1 << 17)
def _target(base: str, written: bytes) -> str | None:
    """What a link as written names from a page in folder ``base``: an output path, "" for the
    page itself, None for an external link."""
    target = written.decode("utf-8")
    if _EXTERNAL.match(target):
        return None
    path = target.split("#", 1)[0].split("?", 1)[0]
    return _resolve(base, path) if path else ""


@lru_cache(maxsize=1 << 16)
def _resolve(base: str, path: str) -> str:
    """The output path that a relative link ``path`` from a page in folder ``base`` names."""
    resolved = posixpath.normpath(posixpath.join(base, path))
    if path.endswith("/") or resolved == ".":
        resolved = posixpath.join(resolved, "index.html").removeprefix("./")
    return resolved


def broken_links(
    links: Iterable[tuple[str, Sequence[tuple[str, str]]]], present: Container[str]
) -> list[Diagnostic]:
    """An error for each (page, its internal links) whose target is not among ``present``."""
    broken: dict[str, list[str]] = defaultdict(list)
    for page, targets in links:
        broken[page].extend(target for target, resolved in targets if resolved not in present)
    return [
        error(f"site/{page}", None, f"broken internal link: {target}")
        for page, targets in sorted(broken.items())
        for target in targets
    ]


Document = Article | Entity | Note

_BROKEN = "broken internal link: "


def at_sources(problems: Iterable[Diagnostic], sources: Mapping[str, Document]) -> list[Diagnostic]:
    """Broken links in the text of a document, at the document's line that has them, with
    what to link to instead; other problems (links the templates make) as they are."""
    placed = []
    for problem in problems:
        page = problem.path.removeprefix("site/")
        document = sources.get(page)
        if document is None or not problem.message.startswith(_BROKEN):
            placed.append(problem)
            continue
        target = problem.message.removeprefix(_BROKEN)
        if is_source_link(target):
            continue  # reported at its line when the text was annotated (generator.doclinks)
        at = document.body.find(target)
        line = document.body_line + document.body.count("\n", 0, at) if at >= 0 else None
        message = (
            f"{problem.message} (on {problem.path}; link to another article, entity or note "
            "by its file, as in [tekst](../2023/slug.md))"
        )
        placed.append(error(document.path, line, message))
    return placed


def check_links(files: Iterable[OutputFile]) -> list[Diagnostic]:
    """Every internal href and src in the HTML output must resolve to a file of the output."""
    files = list(files)
    present = {f.path for f in files}
    return broken_links(((f.path, internal_links(f)) for f in files), present)
