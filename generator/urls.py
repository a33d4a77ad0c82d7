"""Every URL and output path of the site is decided here; everything else asks this module.

A page URL is a site-relative path such as ``2024/11/some-slug/`` (a directory, written as
``2024/11/some-slug/index.html``) or ``feed.xml`` (a file). Links between pages are relative,
so the site works at a domain root, under a subpath and opened from disk.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from generator.slugs import slugify

_slug = lru_cache(maxsize=1 << 12)(slugify)
"""Sections and tags are few, and their URLs are asked for on every page that lists an article."""

HOME = ""
ARCHIVE = "archive/"
ENTITIES = "entities/"
NOTES = "notes/"
TIMELINE = "timeline/"
SEARCH = "search/"
SECTIONS = "sections/"
TAGS = "tags/"
NOT_FOUND = "404.html"
FEED = "feed.xml"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
ASSETS = "assets/"


def article(slug: str, when: datetime) -> str:
    return f"{when.year:04d}/{when.month:02d}/{slug}/"


def entity(slug: str) -> str:
    return f"{ENTITIES}{slug}/"


def entity_feed(slug: str) -> str:
    return f"{ENTITIES}{slug}/feed.xml"


def note(slug: str) -> str:
    return f"{NOTES}{slug}/"


def section(name: str) -> str:
    return f"{SECTIONS}{_slug(name)}/"


def section_feed(name: str) -> str:
    return f"{SECTIONS}{_slug(name)}/feed.xml"


def tag(name: str) -> str:
    return f"{TAGS}{_slug(name)}/"


def year(number: int) -> str:
    return f"{number:04d}/"


def month(number_year: int, number_month: int) -> str:
    return f"{number_year:04d}/{number_month:02d}/"


def timeline_day(day: date) -> str:
    return f"{TIMELINE}#d-{day.isoformat()}"


def asset(name: str) -> str:
    return f"{ASSETS}{name}"


def paginated(first: str, number: int) -> str:
    """The URL of page ``number`` (1-based) of a listing whose first page is ``first``."""
    return first if number == 1 else f"{first}page/{number}/"


def output_path(url: str) -> str:
    """The file a URL is written to: directories get ``index.html``."""
    path = url.split("#", 1)[0]
    return f"{path}index.html" if path == "" or path.endswith("/") else path


def relative(from_url: str, to_url: str, directory_links: bool = False) -> str:
    """A link from the page at ``from_url`` to ``to_url``, relative to the page.

    Directory targets end in ``index.html`` so that links work from ``file://``, unless
    ``directory_links`` is set for a server that maps directories to their index.
    """
    page = from_url.split("#", 1)[0]
    depth = page.count("/")
    target, _, fragment = to_url.partition("#")
    if not directory_links and (target == "" or target.endswith("/")):
        target += "index.html"
    link = "../" * depth + target
    if not link:
        link = "./"
    return f"{link}#{fragment}" if fragment else link


def absolute(base_url: str, url: str) -> str:
    """An absolute URL for canonical links, feeds and the sitemap; '' without a base_url."""
    return f"{base_url}{url.split('#', 1)[0]}" if base_url else ""
