"""Site configuration: ``content/site.yaml`` read into a frozen value, every problem collected."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from generator.diagnostics import Diagnostic, error
from generator.frontmatter import key_lines, load_yaml, unknown_keys

CONFIG_PATH = "content/site.yaml"
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class SiteConfig:
    """The site's settings. Every field has a default except the title."""

    title: str
    description: str = ""
    language: str = "da"
    timezone: str = "Europe/Copenhagen"
    base_url: str = ""
    page_size: int = 20
    entity_page_size: int = 50
    """Articles per page of an entity's list, as Wikipedia's "What links here" shows 50."""
    feed_size: int = 20
    allow_html: bool = False
    link: str = "first"
    directory_links: bool = False
    search: bool = True
    search_shard_size: int = 2000
    """The pages one part of the search index holds at most on average (see
    :mod:`generator.search`): Pagefind holds about 270 KB per page while it indexes, so 2,000
    pages take about 550 MB."""

    @property
    def link_all(self) -> bool:
        return self.link == "all"


_KEYS = tuple(SiteConfig.__dataclass_fields__)


def _check_types(data: dict[str, Any], lines: dict[str, int], path: str) -> list[Diagnostic]:
    problems: list[Diagnostic] = []

    def bad(key: str, message: str) -> None:
        problems.append(error(path, lines.get(key), f'"{key}" {message}'))

    for key in ("title", "description", "language", "timezone", "base_url", "link"):
        if key in data and not isinstance(data[key], str):
            bad(key, "must be a string")
    for key in ("page_size", "entity_page_size", "feed_size", "search_shard_size"):
        value = data.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            bad(key, "must be a whole number of at least 1")
    for key in ("allow_html", "directory_links", "search"):
        if key in data and not isinstance(data[key], bool):
            bad(key, "must be true or false")
    if not str(data.get("title", "")).strip():
        problems.append(error(path, 1, 'missing required key "title"'))
    language = data.get("language", "da")
    if isinstance(language, str) and not LANGUAGE_PATTERN.match(language):
        bad("language", f'is not a language code like "da" or "en": "{language}"')
    tz = data.get("timezone", "Europe/Copenhagen")
    if isinstance(tz, str):
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            bad("timezone", f'is not a known time zone: "{tz}"')
    if data.get("link", "first") not in ("first", "all"):
        bad("link", 'must be "first" or "all"')
    base_url = data.get("base_url", "")
    if isinstance(base_url, str) and base_url:
        problem = _base_url_problem(base_url)
        if problem:
            bad("base_url", problem)
    return problems


_BASE_URL_EXAMPLE = 'like "https://example.org/arkiv/"'


def _base_url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as the site's public address, or None."""
    blank = next((c for c in url if c.isspace() or not c.isprintable()), None)
    if blank is not None:
        what = "a space" if blank == " " else f"the character U+{ord(blank):04X}"
        return f'must not contain {what}: "{url}"; remove it, or write a space in a path as %20'
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "//" not in url:
        return f"must be an absolute http(s) URL, {_BASE_URL_EXAMPLE}"
    if parts.fragment or url.endswith("#"):
        return (
            f'must not have a fragment ("#{parts.fragment}"): every page\'s address is made by '
            f"adding to it; remove it, {_BASE_URL_EXAMPLE}"
        )
    if parts.query or "?" in url:
        return (
            f'must not have a query ("?{parts.query}"): every page\'s address is made by '
            f"adding to it; remove it, {_BASE_URL_EXAMPLE}"
        )
    if "@" in parts.netloc:
        return f"must not contain a user name or password; remove it, {_BASE_URL_EXAMPLE}"
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return f'has a port that is not a number 0-65535: "{parts.netloc}"'
    return None


def _normalise_base_url(url: str) -> str:
    """Scheme and host in lower case, as RFC 3986 compares them without case; the path as
    written; a final ``/`` so that page paths can be added."""
    parts = urlsplit(url)
    url = urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment)
    )
    return url if url.endswith("/") else url + "/"


def parse_config(text: str, path: str = CONFIG_PATH) -> tuple[SiteConfig | None, list[Diagnostic]]:
    """Parse site.yaml text into a SiteConfig, and report every problem in it. With problems
    in its values, the config has the defaults in their place, for finding the content's
    problems only; None when the file is not a mapping of settings at all."""
    data, problems = load_yaml(text, path)
    if data is None and problems:
        return None, problems
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [error(path, 1, "site.yaml must be a mapping of keys to values")]
    lines = key_lines(text, 1)
    problems += unknown_keys(data, _KEYS, lines, path, "site.yaml") + _check_types(
        data, lines, path
    )
    values = {k: v for k, v in data.items() if k in _KEYS}
    if problems:
        # The settings that are right, and defaults for the others: the build goes on to find
        # the content's problems too, and fails with all of them.
        values = {
            k: v for k, v in values.items() if not _check_types({k: v, "title": "-"}, {}, path)
        }
        values.setdefault("title", "")
    if values.get("base_url"):
        values["base_url"] = _normalise_base_url(values["base_url"])
    return SiteConfig(**values), problems
