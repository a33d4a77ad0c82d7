"""Views: the site index turned into page values that templates render.

A view is plain data (strings, numbers, lists and dicts) keyed by the page's URL, so that
templates never see the domain objects and a page's inputs can be hashed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from generator import urls
from generator.annotate import AnnotatedArticle
from generator.dates import day_anchor, day_start, format_date, format_month, iso
from generator.i18n import language_name, strings
from generator.index import SiteIndex
from generator.model import ENTITY_TYPES, Entity, Link, Note
from generator.notes import article_day


@dataclass(frozen=True)
class PageView:
    """One output page: its URL, the template that renders it, and the template's data."""

    url: str
    template: str
    data: Mapping[str, Any]


def json_for_script(value: Any) -> str:
    """JSON that is safe inside ``<script>``: no content can close the element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _date(value: datetime, language: str, with_time: bool = True) -> dict[str, str]:
    return {"iso": iso(value), "text": format_date(value, language, with_time)}


def _page(index: SiteIndex, url: str, title: str, **extra: Any) -> dict[str, Any]:
    config = index.config
    page = {
        "url": url,
        "title": title,
        "description": config.description,
        "language": config.language,
        "locale": og_locale(config.language),
        "canonical": urls.absolute(config.base_url, url),
        "breadcrumbs": [],
        "feeds": [{"title": config.title, "url": urls.FEED}],
        "current": "",
        "jsonld": [],
        "og_type": "website",
        "robots": "",
    }
    page.update(extra)
    return page


OG_LOCALES = {"da": "da_DK", "en": "en_GB"}
"""The Open Graph locale of a language given without a region."""


def og_locale(language: str) -> str:
    """The Open Graph locale (``language_TERRITORY``) of a language tag: "da" -> "da_DK",
    "en-US" -> "en_US", "sr-Latn-RS" -> "sr_RS"; a language without a region that is not in
    :data:`OG_LOCALES` stays as it is ("de")."""
    primary, *subtags = language.split("-")
    region = next((tag for tag in subtags if len(tag) == 2 and tag.isalpha()), None)
    if region is None:
        return OG_LOCALES.get(primary.lower(), primary.lower())
    return f"{primary.lower()}_{region.upper()}"


def _crumbs(index: SiteIndex, *trail: tuple[str, str]) -> list[dict[str, str]]:
    """The breadcrumb trail from the front page, each step titled in the site's language."""
    language = index.config.language
    t = strings(language)
    return [{"title": t["home"], "url": urls.HOME, "language": language}] + [
        {"title": a, "url": b, "language": language} for a, b in trail
    ]


def _in_language(crumbs: list[dict[str, str]], language: str) -> list[dict[str, str]]:
    """``crumbs`` whose last step, a page's own title, is in ``language``."""
    return [*crumbs[:-1], {**crumbs[-1], "language": language}]


def _menu_page(index: SiteIndex, key: str, url: str, **extra: Any) -> dict[str, Any]:
    """The page data of a page the header menu names (archive, topics, timeline, search):
    titled by its menu label, marked current, with a breadcrumb trail to itself."""
    t = strings(index.config.language)
    crumbs = _crumbs(index, (t[key], url))
    return _page(
        index,
        url,
        t[key],
        breadcrumbs=crumbs,
        current=key,
        jsonld=[breadcrumb_jsonld(index, crumbs)],
        **extra,
    )


def breadcrumb_jsonld(index: SiteIndex, crumbs: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    base = index.config.base_url
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": i,
                "name": c["title"],
                **({"item": urls.absolute(base, c["url"])} if base else {}),
            }
            for i, c in enumerate(crumbs, 1)
        ],
    }


_SUMMARIES: dict[tuple[int, str], tuple[AnnotatedArticle, dict[str, Any]]] = {}
""":func:`article_summary` by article and language, each with the article it was made for. A
site lists an article many times (on listings, entity pages and its neighbours), so each is made
once."""
_SUMMARIES_KEPT = 1 << 15


def article_summary(item: AnnotatedArticle, language: str = "") -> dict[str, Any]:
    """An article as a list entry on a page in ``language``, the site's: a new dict on each
    call, which the caller may add to. The entry's date is in the page's language, as the
    labels around it are; its title and lead are in the article's (``language`` of the entry).
    Without a ``language``, the date is in the article's own."""
    key = (id(item), language)
    known = _SUMMARIES.get(key)
    if known is None or known[0] is not item:
        if len(_SUMMARIES) >= _SUMMARIES_KEPT:
            _SUMMARIES.clear()
        known = _SUMMARIES[key] = (item, _summary(item, language or item.article.language))
    return dict(known[1])


def article_entry(item: AnnotatedArticle) -> dict[str, Any]:
    """:func:`article_summary` in the article's own language, made anew and not kept: for an
    article just annotated, which still holds its HTML (kept, an in-process build would hold
    the HTML of thousands of articles)."""
    return _summary(item, item.article.language)


def _summary(item: AnnotatedArticle, language: str) -> dict[str, Any]:
    a = item.article
    return {
        "title": a.title,
        "url": item.url,
        "date": _date(a.date, language, with_time=False),
        "lead": a.lead,
        "section": {"name": a.section, "url": urls.section(a.section)} if a.section else None,
        "language": a.language,
    }


def _entity_ref(entity: Entity) -> dict[str, str]:
    return {"name": entity.name, "url": urls.entity(entity.slug), "slug": entity.slug}


def entity_cards(index: SiteIndex, slugs: Iterable[str], language: str) -> str:
    """The hover cards of the entities a page names, as JSON for its ``<script>``; "" for none.

    The JSON of the object of every card, with its keys sorted: each card's member is encoded
    once per build and joined in order, as one ``json_for_script`` of all of them would be."""
    named = sorted(set(slugs))
    if not named:
        return ""
    entities = index.entities
    members = []
    for slug in named:
        entity = entities[slug]
        members.append(_card_member(slug, entity.name, entity.type, entity.summary, language))
    return "{" + ",".join(members) + "}"


@lru_cache(maxsize=1 << 14)
def _card_member(slug: str, name: str, kind: str, summary: str, language: str) -> str:
    """One card's ``"slug":{…}`` member of :func:`entity_cards`' JSON."""
    card = {"name": name, "type": strings(language)[f"type_{kind}"], "summary": summary}
    return json_for_script({slug: card})[1:-1]


SCHEMA_TYPES = {
    "person": "Person",
    "organisation": "Organization",
    "place": "Place",
    "country": "Country",
    "event": "Event",
    "other": "Thing",
}


def _schema_entity(entity: Entity, base_url: str) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": SCHEMA_TYPES[entity.type], "name": entity.name}
    if entity.wikidata:
        node["sameAs"] = entity.wikidata_url
    if base_url:
        node["url"] = urls.absolute(base_url, urls.entity(entity.slug))
    return node


def article_jsonld(index: SiteIndex, item: AnnotatedArticle) -> dict[str, Any]:
    a = item.article
    base = index.config.base_url
    about = [s for s in a.about if s in item.mentioned]
    node: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "datePublished": iso(a.date),
        "dateModified": iso(a.updated or a.date),
        "inLanguage": a.language,
        "about": [_schema_entity(index.entities[s], base) for s in about],
        "mentions": [
            _schema_entity(index.entities[s], base) for s in item.mentioned if s not in about
        ],
    }
    if a.lead:
        node["description"] = a.lead
    if a.section:
        node["articleSection"] = a.section
    if a.byline:
        node["author"] = {"@type": "Person", "name": a.byline}
    elif a.source:
        node["author"] = {"@type": "Organization", "name": a.source}
    if base:
        node["url"] = urls.absolute(base, item.url)
        node["mainEntityOfPage"] = node["url"]
    return node


def article_page(index: SiteIndex, position: int) -> PageView:
    """The article page, with its neighbours in date order."""
    item = index.articles[position]
    a = item.article
    newer = index.articles[position - 1] if position > 0 else None
    older = index.articles[position + 1] if position + 1 < len(index.articles) else None
    crumbs = _in_language(
        _crumbs(
            index,
            *([(a.section, urls.section(a.section))] if a.section else []),
            (a.title, item.url),
        ),
        a.language,
    )
    feeds = [{"title": index.config.title, "url": urls.FEED}]
    if a.section:
        feeds.append(
            {"title": f"{index.config.title}: {a.section}", "url": urls.section_feed(a.section)}
        )
    about = [s for s in a.about if s in item.mentioned]
    data = {
        "page": _page(
            index,
            item.url,
            a.title,
            description=a.lead or index.config.description,
            breadcrumbs=crumbs,
            feeds=feeds,
            jsonld=[article_jsonld(index, item), breadcrumb_jsonld(index, crumbs)],
            og_type="article",
            locale=og_locale(a.language),
        ),
        "article": {
            "title": a.title,
            "lead_html": item.lead_html,
            "body_html": item.body_html,
            "date": _date(a.date, index.config.language),
            "updated": _date(a.updated, index.config.language) if a.updated else None,
            "section": {"name": a.section, "url": urls.section(a.section)} if a.section else None,
            "tags": [{"name": tag, "url": urls.tag(tag)} for tag in a.tags],
            "source": a.source,
            "byline": a.byline,
            "language": a.language,
            "foreign": a.language != index.config.language,
            "about": [_entity_ref(index.entities[s]) for s in about],
            "mentioned": [_entity_ref(index.entities[s]) for s in item.mentioned if s not in about],
            "notes": [
                {
                    "number": n.number,
                    **note_summary(
                        index.notes[n.key], index.config.language, index.config.timezone
                    ),
                }
                for n in item.notes
                if not n.is_annotation
            ],
        },
        "cards": entity_cards(index, item.mentioned, index.config.language),
        "newer": article_summary(newer, index.config.language) if newer else None,
        "older": article_summary(older, index.config.language) if older else None,
    }
    return PageView(item.url, "article.html", data)


def _pages(count: int, size: int) -> int:
    return max(1, -(-count // size))


def _pagination(first: str, number: int, total: int, language: str) -> dict[str, Any]:
    """Page ``number`` of ``total`` pages from ``first``, for the ``pager`` macro: the links to
    the pages before and after it, and its label ("Side 2 af 5")."""
    return {
        "number": number,
        "total": total,
        "newer": urls.paginated(first, number - 1) if number > 1 else None,
        "older": urls.paginated(first, number + 1) if number < total else None,
        "label": strings(language)["page_of"].format(page=number, pages=total),
    }


@dataclass(frozen=True)
class Listing:
    """A paginated list of articles, newest first: what :func:`listing_page` makes its pages
    from. ``extra`` is more data for every page (the front page's topics)."""

    first_url: str
    title: str
    positions: Sequence[int]
    crumbs: Sequence[tuple[str, str]] = ()
    current: str = ""
    feed: tuple[str, str] | None = None
    intro: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def total(self, page_size: int) -> int:
        return _pages(len(self.positions), page_size)

    def chunk(self, number: int, page_size: int) -> Sequence[int]:
        """The positions of the articles on page ``number``."""
        return self.positions[(number - 1) * page_size : number * page_size]


def listing_page(index: SiteIndex, listing: Listing, number: int) -> PageView:
    """Page ``number`` (from 1) of a listing."""
    size = index.config.page_size
    total = listing.total(size)
    first_url, title = listing.first_url, listing.title
    url = urls.paginated(first_url, number)
    pagination = _pagination(first_url, number, total, index.config.language)
    label = pagination["label"]
    page_title = title if number == 1 else f"{title} – {label}"
    # A later page is the last step of its trail, so that the crumb marked as the current page
    # is this page, not the first.
    later = [(label, url)] if number > 1 else []
    trail = _crumbs(index, *listing.crumbs, *later) if listing.crumbs else []
    feeds = [{"title": index.config.title, "url": urls.FEED}]
    if listing.feed:
        feeds.append({"title": listing.feed[0], "url": listing.feed[1]})
    return PageView(
        url,
        "listing.html",
        {
            "page": _page(
                index,
                url,
                page_title,
                breadcrumbs=trail,
                current=listing.current,
                feeds=feeds,
                jsonld=[breadcrumb_jsonld(index, trail)] if trail else [],
            ),
            "heading": title,
            "intro": listing.intro,
            "articles": [
                article_summary(index.articles[i], index.config.language)
                for i in listing.chunk(number, size)
            ],
            "pagination": pagination,
            **listing.extra,
        },
    )


def listing_pages(
    index: SiteIndex,
    first_url: str,
    title: str,
    positions: Sequence[int],
    crumbs: Sequence[tuple[str, str]] = (),
    current: str = "",
    feed: tuple[str, str] | None = None,
    intro: str = "",
) -> Iterator[PageView]:
    """A paginated list of articles, newest first."""
    listing = Listing(first_url, title, positions, crumbs, current, feed, intro)
    for number in range(1, listing.total(index.config.page_size) + 1):
        yield listing_page(index, listing, number)


FRONT_TOPICS = 8
"""How many of the most-named entities the front page lists beside the articles."""


def front_topics(index: SiteIndex, limit: int = FRONT_TOPICS) -> list[dict[str, Any]]:
    """The entities named in most articles, most first, for the front page."""
    counted = [(refs.count, slug) for slug, refs in index.entity_refs.items() if refs.count]
    counted.sort(key=lambda pair: (-pair[0], index.entities[pair[1]].name.casefold(), pair[1]))
    t = strings(index.config.language)
    return [
        {
            **_entity_ref(index.entities[slug]),
            "type": t[f"type_{index.entities[slug].type}"],
            "count": count,
        }
        for count, slug in counted[:limit]
    ]


def home_listing(index: SiteIndex) -> Listing:
    """The front page and its older pages; the first also lists the most-named topics."""
    return Listing(
        urls.HOME,
        index.config.title,
        range(len(index.articles)),
        current="home",
        intro=index.config.description,
        extra={"topics": front_topics(index)},
    )


def section_listings(index: SiteIndex) -> Iterator[Listing]:
    t = strings(index.config.language)
    for name, positions in index.sections.items():
        url = urls.section(name)
        yield Listing(
            url,
            name,
            positions,
            crumbs=[(t["sections"], urls.ARCHIVE), (name, url)],
            feed=(f"{index.config.title}: {name}", urls.section_feed(name)),
        )


def tag_listings(index: SiteIndex) -> Iterator[Listing]:
    t = strings(index.config.language)
    for name, positions in index.tags.items():
        url = urls.tag(name)
        yield Listing(
            url,
            f"{t['tag']}: {name}",
            positions,
            crumbs=[(t["tags"], urls.ARCHIVE), (name, url)],
        )


def _years(index: SiteIndex) -> dict[int, list[dict[str, Any]]]:
    language = index.config.language
    years: dict[int, list[dict[str, Any]]] = {}
    for (year, month), positions in index.months.items():
        years.setdefault(year, []).append(
            {
                "name": format_month(year, month, language),
                "url": urls.month(year, month),
                "count": len(positions),
            }
        )
    return years


def archive_page(index: SiteIndex) -> PageView:
    """The archive overview: years and months, sections and tags, with their counts."""
    return PageView(
        urls.ARCHIVE,
        "archive.html",
        {
            "page": _menu_page(index, "archive", urls.ARCHIVE),
            "years": [
                {
                    "year": y,
                    "url": urls.year(y),
                    "months": months,
                    "count": sum(m["count"] for m in months),
                }
                for y, months in _years(index).items()
            ],
            "sections": [
                {"name": name, "url": urls.section(name), "count": len(p)}
                for name, p in index.sections.items()
            ],
            "tags": [
                {"name": name, "url": urls.tag(name), "count": len(p)}
                for name, p in index.tags.items()
            ],
        },
    )


def archive_listings(index: SiteIndex) -> Iterator[Listing]:
    """One listing per year and one per month."""
    t = strings(index.config.language)
    language = index.config.language
    for year in _years(index):
        positions = [i for (y, _m), p in index.months.items() if y == year for i in p]
        yield Listing(
            urls.year(year),
            t["year_archive"].format(year=year),
            positions,
            crumbs=[(t["archive"], urls.ARCHIVE), (str(year), urls.year(year))],
            current="archive",
        )
    for (year, month), positions in index.months.items():
        name = format_month(year, month, language)
        yield Listing(
            urls.month(year, month),
            t["month_archive"].format(month=name),
            positions,
            crumbs=[
                (t["archive"], urls.ARCHIVE),
                (str(year), urls.year(year)),
                (name, urls.month(year, month)),
            ],
            current="archive",
        )


def listings(index: SiteIndex) -> Iterator[Listing]:
    """Every listing of the site except the front page, in the order of the archive."""
    yield from archive_listings(index)
    yield from section_listings(index)
    yield from tag_listings(index)


def _listing_views(index: SiteIndex, chosen: Iterable[Listing]) -> Iterator[PageView]:
    for listing in chosen:
        for number in range(1, listing.total(index.config.page_size) + 1):
            yield listing_page(index, listing, number)


def home_pages(index: SiteIndex) -> Iterator[PageView]:
    """The front page and its older pages; the first also lists the most-named topics."""
    return _listing_views(index, [home_listing(index)])


def section_pages(index: SiteIndex) -> Iterator[PageView]:
    return _listing_views(index, section_listings(index))


def tag_pages(index: SiteIndex) -> Iterator[PageView]:
    return _listing_views(index, tag_listings(index))


def archive_pages(index: SiteIndex) -> Iterator[PageView]:
    """The archive overview, one page per year and one per month."""
    yield archive_page(index)
    yield from _listing_views(index, archive_listings(index))


def _backlink(item: AnnotatedArticle, slug: str, language: str) -> dict[str, Any]:
    """An article as an entity's page in ``language`` lists it: with the sentence of its first
    mention of the entity."""
    entry = article_summary(item, language)
    entry["excerpt"] = item.first_context(slug)
    return entry


def entity_page_count(index: SiteIndex, slug: str) -> int:
    """How many pages an entity's page takes: its articles, ``entity_page_size`` to a page."""
    return _pages(index.entity_refs[slug].count, index.config.entity_page_size)


def entity_chunk(index: SiteIndex, slug: str, number: int) -> tuple[Sequence[int], Sequence[int]]:
    """The articles on page ``number`` of an entity's page: those about it, then those that
    mention it, as indexes into the site's articles, ``entity_page_size`` to a page."""
    refs = index.entity_refs[slug]
    size = index.config.entity_page_size
    start, end = (number - 1) * size, number * size
    split = len(refs.about)
    return refs.about[start:end], refs.mentioned[max(0, start - split) : max(0, end - split)]


def entity_page(
    index: SiteIndex, slug: str, body_html: str, named: Sequence[str] = (), number: int = 1
) -> PageView:
    """Page ``number`` (from 1) of an entity's page; ``named`` are the entities its description
    names (for hover cards). The first page has the description, facts, related entities and
    notes; every page lists its share of the articles that name the entity,
    ``entity_page_size`` to a page, so that an entity named in thousands of articles stays light
    on a phone."""
    entity = index.entities[slug]
    refs = index.entity_refs[slug]
    t = strings(index.config.language)
    first = urls.entity(slug)
    url = urls.paginated(first, number)
    total = entity_page_count(index, slug)
    about, mentioned = entity_chunk(index, slug, number)
    pagination = _pagination(first, number, total, index.config.language)
    # About the entity first, then the others: not one run from newest to oldest.
    pagination["by_date"] = False
    # As on a listing, a later page is the last step of its trail.
    later = [(pagination["label"], url)] if number > 1 else []
    crumbs = _crumbs(index, (t["entities"], urls.ENTITIES), (entity.name, first), *later)
    feeds = [
        {"title": index.config.title, "url": urls.FEED},
        {"title": t["feed_of"].format(title=entity.name), "url": urls.entity_feed(slug)},
    ]
    if number > 1:
        return PageView(
            url,
            "entity.html",
            {
                "page": _page(
                    index,
                    url,
                    f"{entity.name} – {pagination['label']}",
                    description=entity.summary or index.config.description,
                    breadcrumbs=crumbs,
                    current="entities",
                    feeds=feeds,
                    jsonld=[breadcrumb_jsonld(index, crumbs)],
                ),
                "entity": {
                    "slug": slug,
                    "name": entity.name,
                    "type": t[f"type_{entity.type}"],
                    "url": first,
                    "feed": urls.entity_feed(slug),
                    "about_count": len(refs.about),
                },
                "about": [_backlink(index.articles[i], slug, index.config.language) for i in about],
                "mentioned": [
                    _backlink(index.articles[i], slug, index.config.language) for i in mentioned
                ],
                "pagination": pagination,
            },
        )
    schema = _schema_entity(entity, index.config.base_url)
    schema["@context"] = "https://schema.org"
    if entity.summary:
        schema["description"] = entity.summary
    data = {
        "page": _page(
            index,
            url,
            entity.name,
            description=entity.summary or index.config.description,
            breadcrumbs=crumbs,
            current="entities",
            feeds=feeds,
            jsonld=[schema, breadcrumb_jsonld(index, crumbs)],
            og_type="profile" if entity.type == "person" else "website",
        ),
        "entity": {
            "slug": slug,
            "name": entity.name,
            "type": t[f"type_{entity.type}"],
            "summary": entity.summary,
            "body_html": body_html,
            "facts": [{"label": k, "value": v} for k, v in entity.facts],
            "wikidata": {"id": entity.wikidata, "url": entity.wikidata_url}
            if entity.wikidata
            else None,
            "links": [_link(link, index.config.language) for link in entity.links],
            "aliases": list(entity.aliases),
            "url": first,
            "feed": urls.entity_feed(slug),
            "about_count": len(refs.about),
        },
        "about": [_backlink(index.articles[i], slug, index.config.language) for i in about],
        "mentioned": [_backlink(index.articles[i], slug, index.config.language) for i in mentioned],
        "pagination": pagination,
        "related": [
            {**_entity_ref(index.entities[other]), "count": count} for other, count in refs.related
        ],
        "notes": [
            note_summary(index.notes[note], index.config.language, index.config.timezone)
            for note in index.entity_notes.get(slug, ())
        ],
        "cards": entity_cards(index, named, index.config.language),
        "read_more": t["read_more"],
    }
    return PageView(url, "entity.html", data)


def _link(link: Link, language: str) -> dict[str, Any]:
    """An external link in a page in ``language``: its title is marked with its own language
    where that differs, and named after it, as Wikipedia's citations do ("på engelsk")."""
    foreign = bool(link.language) and _primary(link.language) != _primary(language)
    return {
        "title": link.title,
        "url": link.url,
        "publisher": link.publisher,
        "date": {"iso": link.date.isoformat(), "text": format_date(link.date, language)}
        if link.date
        else None,
        "language": link.language,
        "foreign": foreign,
        "in_language": strings(language)["in_language"].format(
            language=language_name(link.language, language)
        )
        if foreign
        else "",
    }


def _primary(language: str) -> str:
    """The language of a language tag without its region or script: "en" for "en-GB"."""
    return language.split("-", 1)[0].lower()


def _day(value: date, language: str, tz: str) -> dict[str, str]:
    """A whole day: shown as a date, marked up as the day's start in the site's timezone."""
    return {"iso": iso(day_start(value, tz)), "text": format_date(value, language)}


def note_summary(note: Note, language: str, tz: str) -> dict[str, Any]:
    """A background note as a list entry: its title, page, date and end date, and timeline day."""
    return {
        "slug": note.slug,
        "title": note.title,
        "url": urls.note(note.slug),
        "date": _day(note.date, language, tz),
        "end": _day(note.date_end, language, tz)
        if note.date_end and note.date_end != note.date
        else None,
        "timeline": urls.timeline_day(note.date),
        "language": note.language,
    }


def note_page(index: SiteIndex, slug: str, body_html: str, named: Sequence[str] = ()) -> PageView:
    """A background note with its sources, entities and the articles it is attached to;
    ``named`` are the entities its text names (for hover cards)."""
    note = index.notes[slug]
    language = index.config.language
    t = strings(language)
    url = urls.note(slug)
    crumbs = _in_language(
        _crumbs(index, (t["timeline"], urls.TIMELINE), (note.title, url)), note.language
    )
    data = {
        "page": _page(
            index,
            url,
            note.title,
            description=note.title,
            breadcrumbs=crumbs,
            current="timeline",
            jsonld=[breadcrumb_jsonld(index, crumbs)],
            og_type="article",
            locale=og_locale(note.language),
        ),
        "note": {
            **note_summary(note, language, index.config.timezone),
            "body_html": body_html,
            "language": note.language,
            "foreign": note.language != language,
            "sources": [_link(link, language) for link in note.sources],
            "entities": [_entity_ref(index.entities[e]) for e in note.entities],
        },
        "articles": [
            article_summary(index.articles[i], language) for i in index.note_articles.get(slug, ())
        ],
        "cards": entity_cards(index, named, language),
        "read_more": t["read_more"],
    }
    return PageView(url, "note.html", data)


def timeline_page(index: SiteIndex) -> PageView:
    """Every note and article in date order, grouped by year, with an anchor for each day."""
    language = index.config.language
    t = strings(language)
    entries: list[tuple[tuple[Any, ...], date, dict[str, Any]]] = []
    for note in index.notes.values():
        entry = {"kind": "note", **note_summary(note, language, index.config.timezone)}
        entries.append(((note.date, 0, note.slug), note.date, entry))
    for item in index.articles:
        a = item.article
        day = article_day(a, index.config.timezone)
        entry = {
            "kind": "article",
            "slug": a.slug,
            "title": a.title,
            "url": item.url,
            "language": a.language,
        }
        entries.append(((day, 1, a.date.timestamp(), a.slug, item.url), day, entry))
    entries.sort(key=lambda e: e[0])
    years: list[dict[str, Any]] = []
    for _order, day, entry in entries:
        if not years or years[-1]["year"] != day.year:
            years.append({"year": day.year, "id": f"y-{day.year:04d}", "days": []})
        days = years[-1]["days"]
        if not days or days[-1]["id"] != day_anchor(day):
            days.append(
                {
                    "id": day_anchor(day),
                    "date": _day(day, language, index.config.timezone),
                    "entries": [],
                }
            )
        days[-1]["entries"].append(entry)
    return PageView(
        urls.TIMELINE,
        "timeline.html",
        {
            "page": _menu_page(index, "timeline", urls.TIMELINE, description=t["timeline_intro"]),
            "years": years,
        },
    )


def entity_index_page(index: SiteIndex) -> PageView:
    t = strings(index.config.language)
    groups = []
    for kind in ENTITY_TYPES:
        members = sorted(
            (e for e in index.entities.values() if e.type == kind),
            key=lambda e: (e.name.casefold(), e.slug),
        )
        if members:
            groups.append(
                {
                    "type": kind,
                    "title": t[f"types_{kind}"],
                    "entities": [
                        {
                            **_entity_ref(e),
                            "summary": e.summary,
                            "count": index.entity_refs[e.slug].count,
                        }
                        for e in members
                    ],
                }
            )
    return PageView(
        urls.ENTITIES,
        "entities.html",
        {
            "page": _menu_page(index, "entities", urls.ENTITIES),
            "groups": groups,
        },
    )


NOT_FOUND_LATEST = 5
"""How many of the newest articles the 404 page suggests."""


def not_found_page(index: SiteIndex) -> PageView:
    t = strings(index.config.language)
    return PageView(
        urls.NOT_FOUND,
        "404.html",
        {
            "page": _page(index, urls.NOT_FOUND, t["not_found_title"], robots="noindex"),
            "base_path": _base_path(index.config.base_url),
            "latest": [
                article_summary(item, index.config.language)
                for item in index.articles[:NOT_FOUND_LATEST]
            ],
        },
    )


def search_page(index: SiteIndex, bundle: str | None) -> PageView:
    """The search page: Pagefind's UI over the bundle at ``bundle``, or a note that this build
    has no search index (``None``)."""
    return PageView(
        urls.SEARCH,
        "search.html",
        {
            "page": _menu_page(index, "search", urls.SEARCH),
            "search": {
                "bundle": bundle,
                "script": f"{bundle}pagefind-ui.js" if bundle else None,
                "stylesheet": f"{bundle}pagefind-ui.css" if bundle else None,
            },
        },
    )


def _base_path(base_url: str) -> str:
    """The path part of base_url ("/arkiv/"), for the 404 page that servers show at any depth."""
    if not base_url:
        return ""
    after_scheme = base_url.split("://", 1)[-1]
    return "/" + after_scheme.split("/", 1)[1] if "/" in after_scheme else "/"


def _feed_id(index: SiteIndex, url: str) -> str:
    absolute = urls.absolute(index.config.base_url, url)
    if absolute:
        return absolute
    return (
        f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'explainer:' + index.config.title + ':' + url)}"
    )


def feed_view(
    index: SiteIndex,
    url: str,
    page_url: str,
    title: str,
    positions: Sequence[int],
    full: bool = True,
) -> PageView:
    """An Atom feed (RFC 4287) of the newest articles among ``positions``: each with its lead
    as the summary and, if ``full``, its whole text as the content."""
    chosen = [index.articles[i] for i in positions[: index.config.feed_size]]
    newest = max((a.article.updated or a.article.date for a in chosen), default=None)
    entries = [
        {
            "title": item.article.title,
            "url": item.url,
            "id": _feed_id(index, item.url),
            "published": iso(item.article.date),
            "updated": iso(item.article.updated or item.article.date),
            "summary": item.article.lead,
            "content_html": item.body_html if full else None,
            "author": item.article.byline or item.article.source or index.config.title,
            "language": item.article.language,
            "section": item.article.section,
        }
        for item in chosen
    ]
    return PageView(
        url,
        "feed.xml",
        {
            "page": _page(index, url, title),
            "feed": {
                "title": title,
                "id": _feed_id(index, url),
                "self": url,
                "alternate": page_url,
                "updated": iso(newest) if newest else "1970-01-01T00:00:00+00:00",
                "entries": entries,
            },
        },
    )


@dataclass(frozen=True)
class FeedSpec:
    """What :func:`feed_view` makes one feed from: its URL, its page, its title, its articles."""

    url: str
    page_url: str
    title: str
    positions: Sequence[int]
    full: bool = True
    """Whole articles, or only their titles, leads and links."""


def feed_specs(index: SiteIndex) -> Iterator[FeedSpec]:
    """The site's feed, one per section and one per entity, titled "Site: Section" or
    "Site: Entity" so that feed readers tell them apart.

    The site's and the sections' feeds carry whole articles. An entity's feed follows a topic
    across the archive, so, like Hugo's taxonomy feeds, it carries each article's title, lead
    and link: 2,000 entities with 20 whole articles each would be most of the site's bytes."""
    title = index.config.title
    yield FeedSpec(urls.FEED, urls.HOME, title, range(len(index.articles)))
    for name, positions in index.sections.items():
        yield FeedSpec(urls.section_feed(name), urls.section(name), f"{title}: {name}", positions)
    for slug, refs in index.entity_refs.items():
        positions = sorted(refs.about + refs.mentioned)
        name = index.entities[slug].name
        yield FeedSpec(
            urls.entity_feed(slug), urls.entity(slug), f"{title}: {name}", positions, full=False
        )


def feed_views(index: SiteIndex) -> Iterator[PageView]:
    """Every feed of the site (see :func:`feed_specs`)."""
    for spec in feed_specs(index):
        yield feed_view(index, spec.url, spec.page_url, spec.title, spec.positions, spec.full)
