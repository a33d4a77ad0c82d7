"""The site index: URLs, listings, backlinks and related entities, computed from annotated articles."""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain

from generator import urls
from generator.annotate import AnnotatedArticle
from generator.config import SiteConfig
from generator.diagnostics import Diagnostic, warning
from generator.model import Entity, Note


@dataclass(frozen=True)
class EntityRefs:
    """The articles that name an entity (indexes into ``SiteIndex.articles``) and its neighbours."""

    about: tuple[int, ...]
    mentioned: tuple[int, ...]
    related: tuple[tuple[str, int], ...]

    @property
    def count(self) -> int:
        return len(self.about) + len(self.mentioned)


@dataclass(frozen=True)
class SiteIndex:
    """Everything the views need to know about the whole site, in a stable order."""

    config: SiteConfig
    articles: tuple[AnnotatedArticle, ...]
    entities: Mapping[str, Entity]
    notes: Mapping[str, Note]
    sections: Mapping[str, tuple[int, ...]]
    tags: Mapping[str, tuple[int, ...]]
    months: Mapping[tuple[int, int], tuple[int, ...]]
    entity_refs: Mapping[str, EntityRefs]
    note_articles: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Note slug -> the articles it is attached to (indexes into ``articles``, newest first)."""
    entity_notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Entity slug -> the notes that concern it, oldest first: those that list it in
    ``entities`` and those attached to articles about it."""
    related: RelatedCounts | None = None
    """What ``entity_refs`` took its related entities from, for the next build to reuse."""


@dataclass(frozen=True)
class RelatedCounts:
    """Each named entity's related entities, and a digest of what they were counted from: the
    entities that each article names. A build whose articles name the same entities as the last
    build's (an edit that adds or removes no mention) reuses them instead of counting again."""

    key: str
    by_entity: Mapping[str, tuple[tuple[str, int], ...]]


RELATED_LIMIT = 10


def _group(
    keys_per_article: Sequence[Sequence[str]], url: Callable[[str], str]
) -> dict[str, tuple[int, ...]]:
    """The articles of each section (or tag), by name. Names that make one ``url`` ("Udland"
    and "udland") are one group, under the spelling most articles use (the first in sort order
    at a tie): they share a page, which must list them all."""
    page_of: dict[str, str] = {}
    groups: dict[str, list[int]] = defaultdict(list)
    spellings: Counter[str] = Counter()
    for i, keys in enumerate(keys_per_article):
        if not keys:
            continue
        for key in keys:
            if key not in page_of:
                page_of[key] = url(key)
        # An article is counted once per page, under the first of its spellings for it.
        for page, key in {page_of[key]: key for key in reversed(keys)}.items():
            groups[page].append(i)
            spellings[key] += 1
    by_page: dict[str, list[str]] = defaultdict(list)
    for key in spellings:
        by_page[page_of[key]].append(key)
    named = {
        min(by_page[page], key=lambda k: (-spellings[k], k)): positions
        for page, positions in groups.items()
    }
    return {key: tuple(named[key]) for key in sorted(named, key=lambda k: (k.lower(), k))}


def entity_references(
    articles: Sequence[AnnotatedArticle],
    entities: Mapping[str, Entity],
    known: RelatedCounts | None = None,
) -> tuple[dict[str, EntityRefs], list[Diagnostic], RelatedCounts]:
    """Backlinks and co-occurrence counts; an article is listed only if it names the entity.
    The counts are taken from ``known`` if the articles name what they named then."""
    about: dict[str, list[int]] = defaultdict(list)
    mentioned: dict[str, list[int]] = defaultdict(list)
    named_by: list[tuple[str, ...]] = []
    problems: list[Diagnostic] = []
    for i, item in enumerate(articles):
        named = item.mentioned
        named_by.append(named)
        declared = item.article.about
        if not declared:
            for slug in named:
                mentioned[slug].append(i)
            continue
        for slug in declared:
            # A slug that names no entity is an error already (checks.unknown_references).
            if slug not in named and slug in entities:
                line = item.article.lines.get("about")
                problems.append(
                    warning(
                        item.article.path,
                        line,
                        f'the article is "about" {slug} but never names it, so it is not listed',
                    )
                )
        for slug in named:
            (about if slug in declared else mentioned)[slug].append(i)
    # Slugs hold no spaces or line breaks: joined so, the lists give one string each.
    key = hashlib.sha256("\n".join(map(" ".join, named_by)).encode("utf-8")).hexdigest()
    if known is None or known.key != key:
        known = RelatedCounts(key, _related(named_by, about, mentioned))
    refs = {
        slug: EntityRefs(
            about=tuple(about.get(slug, ())),
            mentioned=tuple(mentioned.get(slug, ())),
            related=known.by_entity.get(slug, ()),
        )
        for slug in entities
    }
    return refs, problems, known


def _related(
    named_by: Sequence[tuple[str, ...]],
    about: Mapping[str, list[int]],
    mentioned: Mapping[str, list[int]],
) -> dict[str, tuple[tuple[str, int], ...]]:
    """The entities named most often with each named entity."""
    related = {}
    for slug in sorted(about.keys() | mentioned.keys()):
        both = (*about.get(slug, ()), *mentioned.get(slug, ()))
        # One count over all the articles that name it (itself included, dropped below).
        together = Counter(chain.from_iterable([named_by[i] for i in both]))
        related[slug] = _most_together(slug, together)
    return related


def _most_together(slug: str, counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    """The entities named most often with ``slug`` (which ``counts`` counts too), most first,
    then by slug."""
    best = heapq.nsmallest(RELATED_LIMIT + 1, [(-n, other) for other, n in counts.items()])
    return tuple((other, -n) for n, other in best if other != slug)[:RELATED_LIMIT]


def note_references(
    articles: Sequence[AnnotatedArticle], notes: Mapping[str, Note]
) -> dict[str, tuple[int, ...]]:
    """The articles each note is attached to, in the order of ``articles``."""
    attached: dict[str, list[int]] = {slug: [] for slug in notes}
    for i, item in enumerate(articles):
        for slug in item.note_slugs:
            attached[slug].append(i)
    return {slug: tuple(positions) for slug, positions in attached.items()}


def notes_by_entity(
    articles: Sequence[AnnotatedArticle],
    notes: Mapping[str, Note],
    refs: Mapping[str, EntityRefs],
) -> dict[str, tuple[str, ...]]:
    """The notes that concern each entity, oldest first."""
    concern: dict[str, set[str]] = defaultdict(set)
    for note in notes.values():
        for slug in note.entities:
            concern[slug].add(note.slug)
    for slug, entity_refs in refs.items():
        for i in entity_refs.about:
            concern[slug].update(articles[i].note_slugs)
    order = {slug: (note.date, slug) for slug, note in notes.items()}
    return {slug: tuple(sorted(concern[slug], key=order.__getitem__)) for slug in refs}


def build_index(
    config: SiteConfig,
    articles: Sequence[AnnotatedArticle],
    entities: Sequence[Entity],
    notes: Sequence[Note],
    related: RelatedCounts | None = None,
) -> tuple[SiteIndex, list[Diagnostic]]:
    """Index the annotated articles (newest first) for the views; ``related`` is the last
    build's :attr:`SiteIndex.related`, if any."""
    entity_map = {e.slug: e for e in entities}
    refs, problems, related = entity_references(articles, entity_map, related)
    months: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, item in enumerate(articles):
        months[(item.article.date.year, item.article.date.month)].append(i)
    # A note that lists an entity that did not load (an error already reported at the note)
    # lists the others: ``check`` goes on to render the site to find every other problem.
    note_map = {
        n.slug: n
        if all(e in entity_map for e in n.entities)
        else replace(n, entities=tuple(e for e in n.entities if e in entity_map))
        for n in notes
    }
    index = SiteIndex(
        config=config,
        articles=tuple(articles),
        entities=entity_map,
        notes=note_map,
        sections=_group(
            [[a.article.section] if a.article.section else [] for a in articles], urls.section
        ),
        tags=_group([a.article.tags for a in articles], urls.tag),
        months={key: tuple(months[key]) for key in sorted(months, reverse=True)},
        entity_refs=refs,
        note_articles=note_references(articles, note_map),
        entity_notes=notes_by_entity(articles, note_map, refs),
        related=related,
    )
    return index, problems
