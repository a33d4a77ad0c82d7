"""Links between documents, on the token stream: a Markdown link to the source file of another
article, entity or note (``[aftalen](../2024/aftalen.md)``, relative to the linking file, as in
MkDocs) becomes a link to its page, relative to the linking page. A link to a file that is not
published is an error at its line, and so is a link to a heading that the text, or the linked
document, does not have (``[se nedenfor](#baggrund)``, ``[aftalen](../2024/aftalen.md#baggrund)``)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple
from urllib.parse import unquote

from markdown_it.token import Token

from generator import urls
from generator.diagnostics import Diagnostic, error
from generator.frontmatter import did_you_mean
from generator.markdown import is_page_id
from generator.model import Content

_SOURCE_LINK = re.compile(r"^(?![a-z][a-z0-9+.-]*:|/|#)([^?#]*\.md)(#.*)?$", re.IGNORECASE)
"""A relative link to a Markdown file, with an optional fragment: what the parser left of it
(it percent-encodes what a URL cannot hold)."""


def is_source_link(href: str) -> bool:
    """Whether ``href`` names a Markdown file relative to the linking one."""
    return _SOURCE_LINK.match(href) is not None


class DocumentLink(NamedTuple):
    """A link to another document."""

    target: str
    """The linked source file."""
    url: str
    """The URL of its page then ("" when there was none): a build annotates the linking
    document again when the URL is no longer that."""
    fragment: str = ""
    """The id the link names in that page, if any, checked once every document is annotated
    (:func:`fragment_problems`), as the linked document may change on its own."""
    line: int = 0
    """The line of the link in the linking file."""


def document_urls(content: Content) -> dict[str, str]:
    """By source path, the URL of the page of each article, entity and note."""
    found = {a.path: urls.article(a.slug, a.date) for a in content.articles}
    found.update((e.path, urls.entity(e.slug)) for e in content.entities)
    found.update((n.path, urls.note(n.slug)) for n in content.notes)
    return found


def link_documents(
    tokens: Sequence[Token],
    path: str,
    url: str,
    pages: Mapping[str, str],
    directory_links: bool,
    line_offset: int,
    anchors: Collection[str] | None = None,
) -> tuple[tuple[DocumentLink, ...], list[Diagnostic]]:
    """Point the links in ``tokens`` (the Markdown of the file ``path``, shown on the page at
    ``url``; its first line is the file's ``line_offset``) that name a source file at the page
    of that file, by ``pages`` (source path -> URL). With the ids of the headings of the text
    (``anchors``), a link to ``#id`` must name one of them, or another element of the page."""
    found: list[DocumentLink] = []
    problems: list[Diagnostic] = []
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        line = line_offset + (block.map[0] if block.map else 0)
        for child in block.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
                continue
            if child.type != "link_open":
                continue
            href = str(child.attrs.get("href", ""))
            if href.startswith("#") and anchors is not None:
                problem = _missing_heading(href[1:], anchors, path, line)
                if problem is not None:
                    problems.append(problem)
                continue
            match = _SOURCE_LINK.match(href)
            if match is None:
                continue
            written = unquote(match.group(1))
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), written))
            page = pages.get(target)
            fragment = match.group(2) or ""
            found.append(DocumentLink(target, page or "", fragment[1:], line))
            if page is None:
                message = (
                    f'link to "{written}": {target} is no published article, entity or note '
                    "(a link to another document names its file, relative to this one)"
                )
                problems.append(error(path, line, message))
                continue
            child.attrs["href"] = urls.relative(url, page, directory_links) + fragment
    return tuple(found), problems


def fragment_problems(
    links: Mapping[str, Sequence[DocumentLink]], anchors: Mapping[str, Collection[str]]
) -> list[Diagnostic]:
    """Errors for the links (by linking file) that name an id that the linked document's page
    does not have: none of its headings (``anchors``, by source file) and no other element."""
    problems = []
    for path in sorted(links):
        for link in links[path]:
            if link.fragment and link.url and link.target in anchors:
                found = anchors[link.target]
                problem = _missing_heading(link.fragment, found, path, link.line, link.target)
                if problem is not None:
                    problems.append(problem)
    return problems


def _missing_heading(
    written: str, anchors: Collection[str], path: str, line: int, target: str = ""
) -> Diagnostic | None:
    """An error for a link in the file ``path`` to ``#written`` in its own text, or in the
    text of the file ``target``, whose headings have the ids ``anchors``, when no element of
    the page has that id; None when one has (or for ``#``, the top of the page)."""
    fragment = unquote(written)
    if not fragment or fragment in anchors or is_page_id(fragment):
        return None
    whose = "that text" if target else "this text"
    message = f'link to "{target}#{fragment}": no heading of {whose} has that id'
    hint = did_you_mean(fragment, anchors, "#")
    if hint:
        message += hint
    elif anchors:
        message += f" (its headings: {', '.join('#' + a for a in anchors)})"
    else:
        message += " (it has no headings)"
    return error(path, line, message)
