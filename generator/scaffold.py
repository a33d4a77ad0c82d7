"""``explainer new``: a new draft article with valid front matter, at the path its date gives."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from generator.config import LANGUAGE_PATTERN, SiteConfig
from generator.dates import iso, parse_datetime, zone
from generator.diagnostics import Diagnostic, error
from generator.slugs import slugify
from generator.sources import read_config


class UsageError(ValueError):
    """An argument that cannot make an article: the message says which and why."""


@dataclass(frozen=True)
class NewArticle:
    """What to write: the project-relative path and the file's text."""

    path: str
    text: str


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def article_date(config: SiteConfig, date: str | None, now: datetime) -> datetime:
    """``date`` (ISO 8601), or ``now`` to the minute, in the site's time zone."""
    if date is None:
        return now.astimezone(zone(config.timezone)).replace(second=0, microsecond=0)
    try:
        return parse_datetime(date, config.timezone).astimezone(zone(config.timezone))
    except ValueError as exc:
        raise UsageError(f"--date: {exc}") from None


def new_article(
    title: str,
    when: datetime,
    section: str | None = None,
    language: str | None = None,
) -> NewArticle:
    """The path and front matter of a draft article called ``title``."""
    title = title.strip()
    slug = slugify(title)
    if not slug:
        raise UsageError(f"the title {title!r} has no letters or digits to make a file name from")
    if language is not None and not LANGUAGE_PATTERN.match(language):
        raise UsageError(f'--language: not a language code like "da" or "en": {language!r}')
    # The slug is written out, so that editing the headline later does not move the URL.
    lines = ["---", f"title: {_quoted(title)}", f"slug: {slug}", f"date: {iso(when)}"]
    if section and section.strip():
        lines.append(f"section: {_quoted(section.strip())}")
    if language is not None:
        lines.append(f"language: {language}")
    lines += ["draft: true", "---", ""]
    return NewArticle(f"content/articles/{when.year:04d}/{slug}.md", "\n".join(lines) + "\n")


def write_new(project: Path, article: NewArticle) -> Diagnostic | None:
    """Create the file; an existing file is never overwritten (a diagnostic instead)."""
    target = project / article.path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(article.text)
    except FileExistsError:
        return error(article.path, None, "already exists; choose another title or edit that file")
    return None


def run_new(
    project: Path,
    title: str,
    out: TextIO,
    err: TextIO,
    section: str | None = None,
    date: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> int:
    """``explainer new``: print the new file's path; exit code 0, 1 (exists, bad site.yaml) or 2."""
    config, problems = read_config(project)
    if config is None or problems:
        for problem in problems:
            print(problem, file=err)
        return 1
    try:
        when = article_date(config, date, now or datetime.now(UTC))
        article = new_article(title, when, section, language)
    except UsageError as exc:
        print(f"explainer new: error: {exc}", file=err)
        return 2
    problem = write_new(project, article)
    if problem is not None:
        print(problem, file=err)
        return 1
    print(project / article.path, file=out)
    return 0
