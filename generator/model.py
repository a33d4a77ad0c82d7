"""The content model: frozen values made once by the content stage and never completed later."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

EntityType = Literal["person", "organisation", "place", "country", "event", "other"]
ENTITY_TYPES: tuple[EntityType, ...] = (
    "person",
    "organisation",
    "place",
    "country",
    "event",
    "other",
)


@dataclass(frozen=True)
class SourceFile:
    """One input file as read from disk: its project-relative POSIX path and its text."""

    path: str
    text: str


@dataclass(frozen=True)
class Link:
    """A titled external link, as listed in an entity's ``links`` or a note's ``sources``: what
    it is called, and optionally who published it, when, and in which language its title is."""

    title: str
    url: str
    publisher: str = ""
    date: date | None = None
    language: str = ""


@dataclass(frozen=True)
class Annotation:
    """An editor's note anchored to a phrase of the article's own text."""

    quote: str
    note: str
    line: int


@dataclass(frozen=True)
class Article:
    """A news article: front matter and its Markdown body, not yet rendered."""

    path: str
    slug: str
    title: str
    date: datetime
    language: str
    body: str
    body_line: int
    lead: str = ""
    section: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""
    byline: str = ""
    draft: bool = False
    updated: datetime | None = None
    about: tuple[str, ...] = ()
    no_link: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    no_notes: tuple[str, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Line number of each front-matter key, for diagnostics."""


@dataclass(frozen=True)
class Entity:
    """A person, organisation, place, … that articles mention."""

    path: str
    slug: str
    name: str
    type: EntityType
    body: str
    body_line: int
    aliases: tuple[str, ...] = ()
    summary: str = ""
    wikidata: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    links: tuple[Link, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the linker matches: the name first, then the aliases."""
        return (self.name, *(a for a in self.aliases if a != self.name))

    @property
    def wikidata_url(self) -> str:
        return f"https://www.wikidata.org/wiki/{self.wikidata}" if self.wikidata else ""


@dataclass(frozen=True)
class Note:
    """A background note on an event, attached to the articles that refer to it."""

    path: str
    slug: str
    title: str
    date: date
    body: str
    body_line: int
    language: str
    date_end: date | None = None
    triggers: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    sources: tuple[Link, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Content:
    """Everything under ``content/`` that parsed: articles, entities and notes, sorted."""

    articles: tuple[Article, ...]
    entities: tuple[Entity, ...]
    notes: tuple[Note, ...]
    unloaded: Mapping[str, str] = field(default_factory=dict, compare=False)
    """The entity and note files that have errors, by the slug they would have had
    ("entity:nis", "note:invasionen"): a reference to one of them is not to an unknown name."""
    drafts: tuple[str, ...] = field(default=(), compare=False)
    """The paths of the draft articles left out."""
