"""Import wire copy (a Ritzau story as scraped from a news site) as a Markdown article.

The input has this shape::

    Headline
    12. NOV 2024 • 00:54UDLAND          <- dateline: date, local time, section
    Lead paragraph.
    Body paragraph ...
    - A speech quote.                   <- Danish quote dash, not a list item
    /ritzau/                            <- source marker: the story ends here
    MESTE LÆST UDLAND (48 T)            <- web-page chrome, dropped

Paragraphs are separated by blank lines; a line starting with ``- `` always starts a paragraph
of its own, and other consecutive lines are joined with a space (hard-wrapped copy).

Chrome rule: the story ends at the source marker (a line like ``/ritzau/`` or ``/ritzau/AFP``);
everything after it is the web page's navigation and is dropped. Without a marker (a warning),
trailing paragraphs that look like navigation are dropped: one short line (at most 60
characters) with capital letters and no lower-case ones, such as ``SENESTE RITZAU``.

Wire copy is Danish: on a site in another language the article says so (``language: da``), so
that it is rendered, linked and inflected as Danish. Each article names its ``slug``, so that its
URL stays put when an editor changes the headline.

:func:`parse_wire` and :func:`to_markdown` are pure; :func:`run_import` does the reading and the
(atomic) writing, only ever under ``<project>/content/articles/``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import yaml

from generator.config import CONFIG_PATH, SiteConfig
from generator.diagnostics import Diagnostic, error, has_errors, sort_diagnostics, warning
from generator.slugs import slugify
from generator.sources import read_config

__all__ = [
    "ImportedArticle",
    "parse_wire",
    "run_import",
    "target_path",
    "to_markdown",
]

ARTICLES_DIR = "content/articles"
WIRE_LANGUAGE = "da"
"""The language of the wire copy the importer reads (Ritzau's Danish service)."""
DATELINE_EXAMPLE = "12. NOV 2024 • 00:54UDLAND"

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAJ", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEC")
_DATELINE = re.compile(
    r"(?P<day>[0-9]{1,2})\.\s*(?P<month>[^\W\d_]{3,4})\.?\s*(?P<year>[0-9]{4})"
    r"\s*[•·∙⋅|]?\s*(?P<hour>[0-9]{1,2})[:.](?P<minute>[0-9]{2})\s*(?P<section>\D*)"
)
_SOURCE_MARKER = re.compile(r"/(?:[^\W\d_]+/)+(?:[^\W\d_]+)?", re.IGNORECASE)
_AGENCIES = {
    "ritzau": "Ritzau",
    "afp": "AFP",
    "ap": "AP",
    "reuters": "Reuters",
    "dpa": "dpa",
    "tt": "TT",
    "ntb": "NTB",
    "efe": "EFE",
    "ansa": "ANSA",
    "bloomberg": "Bloomberg",
}
_CHROME_MAX_LENGTH = 60
_SPEECH = re.compile(r"-\s+(?=\S)")
# Line breaks other than \n and \r: Python's splitlines() and YAML treat them as line ends.
_ODD_BREAKS = str.maketrans(dict.fromkeys("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", " "))
_INLINE_SPECIAL = re.compile(r"[\\`*_\[\]<]|&(?=#?[0-9A-Za-z]+;)")
_BLOCK_START_CHARS = "#>+-=~|"
_ORDERED_LIST_START = re.compile(r"([0-9]{1,9})([.)])(?=\s|$)")


@dataclass(frozen=True)
class ImportedArticle:
    """One story read from wire copy: plain text, not yet Markdown."""

    path: str
    """The input file, as named in diagnostics."""
    title: str
    date: datetime
    """Local time in the site's zone, with the UTC offset in force on that day."""
    lead: str
    paragraphs: tuple[str, ...]
    """Body paragraphs as in the wire copy (speech quotes still start with ``- ``)."""
    section: str = ""
    source: str = ""

    @property
    def slug(self) -> str:
        return slugify(self.title)


@dataclass(frozen=True)
class _Block:
    """A paragraph of the input: its first line (1-based) and its text, lines joined."""

    line: int
    text: str


# --------------------------------------------------------------------------- parsing


def parse_wire(
    text: str, path: str, tz: str = "Europe/Copenhagen"
) -> tuple[ImportedArticle | None, list[Diagnostic]]:
    """Parse wire copy into an article, or None and the reasons it does not have that shape."""
    lines = _lines(text)
    numbered = [(i, line) for i, line in enumerate(lines, 1) if line]
    if not numbered:
        return None, [error(path, None, "empty file: expected a headline, a dateline and a story")]
    title_line, title = numbered[0]
    found = next(((i, m) for i, line in numbered if (m := _DATELINE.fullmatch(line))), None)
    if found is None:
        return None, [error(path, 1, f'no dateline like "{DATELINE_EXAMPLE}" found')]
    dateline_line, dateline = found
    if dateline_line == title_line:
        return None, [error(path, title_line, "no headline before the dateline")]

    diagnostics = []
    between = [i for i, _ in numbered if title_line < i < dateline_line]
    if between:
        diagnostics.append(
            error(path, between[0], "unexpected text between the headline and the dateline")
        )
    if not slugify(title):
        diagnostics.append(error(path, title_line, f"the headline {title!r} gives an empty slug"))
    date, problem = _dateline_datetime(dateline, tz)
    if problem:
        diagnostics.append(error(path, dateline_line, problem))

    story, source = _story(_blocks(lines, dateline_line))
    section = dateline["section"].strip()
    if not section and len(story) > 2 and _looks_like_chrome(story[0].text):
        # The section on a line of its own under the dateline ("12. NOV 2024 • 00:54", then
        # "UDLAND"), as some pages lay it out: not the lead.
        section, story = story[0].text, story[1:]
    if not source:
        diagnostics.append(
            warning(path, None, 'no source marker like "/ritzau/" found; source left empty')
        )
    if not story:
        diagnostics.append(error(path, dateline_line, "no story after the dateline"))
    elif len(story) == 1:
        diagnostics.append(error(path, story[0].line, "no body text after the lead"))

    if has_errors(diagnostics) or date is None:
        return None, diagnostics
    article = ImportedArticle(
        path=path,
        title=title,
        date=date,
        lead=story[0].text,
        paragraphs=tuple(block.text for block in story[1:]),
        section=section.capitalize(),
        source=source,
    )
    return article, diagnostics


def _lines(text: str) -> list[str]:
    """The text's lines, stripped, with odd line-break characters made spaces."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [line.translate(_ODD_BREAKS).strip() for line in text.split("\n")]


def _dateline_datetime(match: re.Match[str], tz: str) -> tuple[datetime | None, str]:
    """The dateline's local time in zone `tz`, or None and what is wrong with it."""
    month = match["month"].upper()
    if month not in _MONTHS:
        expected = " ".join(_MONTHS)
        return (
            None,
            f'unknown month "{match["month"]}" in the dateline (expected one of {expected})',
        )
    try:
        naive = datetime(
            int(match["year"]),
            _MONTHS.index(month) + 1,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
        )
    except ValueError:
        return None, f'no such date and time: "{match.group().strip()}"'
    return _localise(naive, tz), ""


def _localise(naive: datetime, tz: str) -> datetime:
    """`naive` in zone `tz`: the repeated autumn hour is summer time, a skipped spring hour moves
    forward by the gap, as clocks do."""
    aware = naive.replace(tzinfo=ZoneInfo(tz), fold=0)
    return aware.astimezone(UTC).astimezone(aware.tzinfo)


def _blocks(lines: Sequence[str], after: int) -> list[_Block]:
    """The paragraphs after line `after` (1-based); speech quotes and markers stand alone."""
    blocks: list[_Block] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines[after:], after + 1):
        marker = bool(_SOURCE_MARKER.fullmatch(line))
        if current and (not line or marker or _SPEECH.match(line)):
            blocks.append(_Block(start, " ".join(current)))
            current = []
        if marker:
            blocks.append(_Block(number, line))
        elif line:
            start = start if current else number
            current.append(line)
    if current:
        blocks.append(_Block(start, " ".join(current)))
    return blocks


def _story(blocks: Sequence[_Block]) -> tuple[list[_Block], str]:
    """The story's paragraphs (lead first) without the page chrome, and the source credit."""
    for i, block in enumerate(blocks):
        if _SOURCE_MARKER.fullmatch(block.text):
            return list(blocks[:i]), _source_name(block.text)
        # The marker at the end of the story's last paragraph ("… regioner. /ritzau/").
        text, space, last = block.text.rpartition(" ")
        if space and text.rstrip() and _SOURCE_MARKER.fullmatch(last) and last.startswith("/"):
            return [*blocks[:i], _Block(block.line, text.rstrip())], _source_name(last)
    story = list(blocks)
    while story and _looks_like_chrome(story[-1].text):
        story.pop()
    return story, ""


def _source_name(marker: str) -> str:
    """The credit for a source marker: "/ritzau/" -> "Ritzau", "/ritzau/AFP" -> "Ritzau/AFP"."""
    names = [name for name in marker.split("/") if name]
    return "/".join(_AGENCIES.get(name.lower(), name) for name in names)


def _looks_like_chrome(text: str) -> bool:
    """A short all-capitals line such as "MESTE LÆST UDLAND (48 T)"."""
    return (
        len(text) <= _CHROME_MAX_LENGTH
        and any(c.isupper() for c in text)
        and not any(c.islower() for c in text)
    )


# --------------------------------------------------------------------------- Markdown


def to_markdown(article: ImportedArticle, site_language: str = WIRE_LANGUAGE) -> str:
    """The article file for a site in ``site_language``: YAML front matter (title, slug, date,
    section, language, source, lead), then the body."""
    return f"{front_matter(article, site_language)}\n{body_markdown(article)}"


def front_matter(article: ImportedArticle, site_language: str = WIRE_LANGUAGE) -> str:
    """Front matter in a fixed key order, empty values left out; strings are safe YAML.

    The slug is written out, so that an edited headline does not move the article's URL; the
    language only on a site that is not Danish, where the article would otherwise be taken
    for one in the site's language."""
    lines = ["---", _yaml_line("title", article.title), _yaml_line("slug", article.slug)]
    lines.append(f"date: {article.date.isoformat(timespec='seconds')}")
    if article.section:
        lines.append(_yaml_line("section", article.section))
    if not is_wire_language(site_language):
        lines.append(_yaml_line("language", WIRE_LANGUAGE))
    for key in ("source", "lead"):
        value = getattr(article, key)
        if value:
            lines.append(_yaml_line(key, value))
    lines.append("---")
    return "\n".join(lines) + "\n"


def is_wire_language(language: str) -> bool:
    """True for a language tag of the wire copy's language: "da", "da-DK"."""
    return language.split("-", 1)[0].lower() == WIRE_LANGUAGE


def body_markdown(article: ImportedArticle) -> str:
    """The body as Markdown: one paragraph per block, speech quotes opening with "– "."""
    return "\n\n".join(markdown_paragraph(text) for text in article.paragraphs) + "\n"


def markdown_paragraph(text: str) -> str:
    """One line of plain text as a Markdown paragraph that renders as exactly that text.

    A leading ``- `` (a speech quote) becomes ``– ``; characters that could start markup
    (emphasis, code, links, HTML, entities, or at the line start headings, quotes, lists,
    fences) are backslash-escaped.
    """
    speech = _SPEECH.match(text)
    if speech:
        return "– " + _escape_inline(text[speech.end() :])
    escaped = _escape_inline(text)
    ordered = _ORDERED_LIST_START.match(escaped)
    if ordered:
        return f"{ordered[1]}\\{ordered[2]}{escaped[ordered.end() :]}"
    if escaped.startswith(tuple(_BLOCK_START_CHARS)):
        return "\\" + escaped
    return escaped


def _escape_inline(text: str) -> str:
    return _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(), text)


def _yaml_line(key: str, value: str) -> str:
    """``key: value`` on one line, quoted by PyYAML where a plain scalar would be misread."""
    dumped = yaml.safe_dump({key: value}, allow_unicode=True, width=10**6, sort_keys=False)
    return dumped.rstrip("\n")


def target_path(article: ImportedArticle) -> str:
    """Where the article goes, relative to the project: "content/articles/2024/slug.md"."""
    return f"{ARTICLES_DIR}/{article.date.year}/{article.slug}.md"


# --------------------------------------------------------------------------- I/O


def run_import(paths: Sequence[Path], project: Path, force: bool, out: TextIO, err: TextIO) -> int:
    """Import wire files (a directory: its ``*.txt`` files, sorted, not recursive).

    Every input is read and parsed before anything is written; all problems are reported on
    `err` at the end. A target that exists with other bytes is only replaced with `force`.
    Nothing is written while the project's site.yaml, which gives the site's language, has
    errors. Returns 0, or 1 if there were errors.
    """
    site_language, diagnostics = _site_language(project)
    settled = not has_errors(diagnostics)
    articles: list[ImportedArticle] = []
    claimed: dict[str, str] = {}
    for source in _input_files(paths, diagnostics):
        article, problems = _import_file(source)
        diagnostics.extend(problems)
        if article is None:
            continue
        target = target_path(article)
        if target in claimed:
            message = f"imports to {target}, as {claimed[target]} does; not written"
            diagnostics.append(error(article.path, None, message))
            continue
        claimed[target] = article.path
        articles.append(article)
    for article in articles if settled else ():
        diagnostics.extend(_write_article(article, project, site_language, force, out))
    for diagnostic in sort_diagnostics(diagnostics):
        print(diagnostic, file=err)
    return 1 if has_errors(diagnostics) else 0


def _site_language(project: Path) -> tuple[str, list[Diagnostic]]:
    """The language of the project's site, from its site.yaml, and the problems in that file.
    Without a site.yaml it is the default of site.yaml, Danish."""
    if not (project / CONFIG_PATH).exists():
        return SiteConfig.language, []
    config, problems = read_config(project)
    return (config.language if config else SiteConfig.language), problems


def _input_files(paths: Iterable[Path], diagnostics: list[Diagnostic]) -> list[Path]:
    """The files named or contained in `paths`, each once, in argument order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
            if not found:
                diagnostics.append(error(path.as_posix(), None, "no .txt files in directory"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            diagnostics.append(error(path.as_posix(), None, "no such file or directory"))
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values())


def _import_file(source: Path) -> tuple[ImportedArticle | None, list[Diagnostic]]:
    name = source.as_posix()
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [error(name, None, "not UTF-8 text")]
    except OSError as exc:
        return None, [error(name, None, f"cannot read: {exc.strerror}")]
    return parse_wire(text, name)


def _write_article(
    article: ImportedArticle, project: Path, site_language: str, force: bool, out: TextIO
) -> list[Diagnostic]:
    """Write one article unless it is already there; report what happened."""
    relative = target_path(article)
    target = project / relative
    text = to_markdown(article, site_language)
    data = text.encode("utf-8")
    if not target.resolve().is_relative_to((project / ARTICLES_DIR).resolve()):
        return [error(relative, None, f"refusing to write outside {ARTICLES_DIR}/")]
    try:
        existing = target.read_bytes() if target.exists() else None
        unpinned, unmarked = _earlier_imports(text, article)
        if existing in (data, unpinned):
            print(f"unchanged: {relative}", file=out)
            return []
        other = _other_story(existing, article) if existing is not None else None
        if other is not None:
            # The file name has the year and the headline only: a story with the same headline
            # on another day would replace this one. Not even --force may do that.
            message = (
                f"holds another story with this headline, dated {other}; {article.path} (dated "
                f"{article.date.isoformat(timespec='seconds')}) is not written: give the file "
                'that is there a "slug" and another file name, and import again'
            )
            return [error(relative, None, message)]
        # What the importer wrote before it marked the language is no edit by hand: it is
        # replaced, as the site took the article for one in its own language.
        if existing is not None and not force and existing != unmarked:
            message = (
                "exists and differs from the import (edited by hand?); use --force to overwrite"
            )
            return [error(relative, None, message)]
        _write_atomically(target, data)
    except OSError as exc:
        return [error(relative, None, f"cannot write: {exc.strerror or exc}")]
    print(f"wrote: {relative}", file=out)
    return []


def _earlier_imports(text: str, article: ImportedArticle) -> tuple[bytes, bytes]:
    """``text`` as the importer wrote it before it wrote the slug (the same article at the same
    URL), and before it also wrote the language of a Danish article on a site in another
    language (the same text, taken for the site's language)."""
    unpinned = _without_line(text, _yaml_line("slug", article.slug))
    unmarked = _without_line(unpinned, _yaml_line("language", WIRE_LANGUAGE))
    return unpinned.encode("utf-8"), unmarked.encode("utf-8")


def _without_line(text: str, line: str) -> str:
    """``text`` without the first of its lines (its first line aside) that reads ``line``."""
    return text.replace(f"\n{line}\n", "\n", 1)


_DATE_LINE = re.compile(rb"^date:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def _other_story(existing: bytes, article: ImportedArticle) -> str | None:
    """The date of the story in an article file, if the file holds a story from another time
    than ``article`` (an edit by hand keeps the date); None if it is the same story."""
    found = _DATE_LINE.search(existing.split(b"\n---", 1)[0])
    if found is None:
        return None
    written = found.group(1).decode("utf-8", "replace").strip("'\"")
    try:
        other = datetime.fromisoformat(written)
    except ValueError:
        return None
    if other.tzinfo is None or other == article.date:
        return None
    return written


def _write_atomically(target: Path, data: bytes) -> None:
    """Write via a temporary file beside `target`, so readers see the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
