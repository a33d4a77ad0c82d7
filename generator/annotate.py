"""Annotated articles: each article's Markdown parsed once, its token stream passed through the
annotation passes (entity mentions, background notes, dates), then rendered to HTML."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from markdown_it.token import Token

from generator import urls
from generator.config import SiteConfig
from generator.diagnostics import Diagnostic
from generator.doclinks import DocumentLink, document_urls, link_documents
from generator.i18n import strings
from generator.linker import (
    LinkContext,
    Mention,
    PhraseMatcher,
    build_entity_matcher,
    link_mentions,
    make_resolver,
)
from generator.markdown import heading_ids, parse, render, render_inline
from generator.model import Article, Content, Entity
from generator.notes import AttachedNote, NoteContext, NoteRegistry, attach_notes


@dataclass(frozen=True)
class Registry:
    """What every article's annotation needs, built once per build."""

    config: SiteConfig
    entities: Mapping[str, Entity]
    matcher: PhraseMatcher
    resolve: Callable[[str], str | None]
    notes: NoteRegistry | None = None
    """Background notes and timeline days; without them articles get no notes or date links."""
    pages: Mapping[str, str] = field(default_factory=dict)
    """By source path, the URL of each document's page, for links between documents."""

    @classmethod
    def build(
        cls,
        content: Content,
        config: SiteConfig,
        days: frozenset[date] | None = None,
        pages: Mapping[str, str] | None = None,
    ) -> Registry:
        """The registry of ``content``; ``days`` are its timeline days and ``pages`` the URLs of
        its documents (:func:`doclinks.document_urls`), if known already."""
        return cls(
            config=config,
            entities={e.slug: e for e in content.entities},
            matcher=build_entity_matcher(content.entities),
            resolve=make_resolver(content.entities),
            notes=NoteRegistry.build(content.notes, content.articles, config, days),
            pages=document_urls(content) if pages is None else pages,
        )

    def entity_title(self, slug: str) -> str:
        entity = self.entities[slug]
        return f"{entity.name} – {entity.summary}" if entity.summary else entity.name


@dataclass(frozen=True)
class AnnotatedArticle:
    """An article with its rendered lead and body and what the annotation passes found."""

    article: Article
    url: str
    lead_html: str
    body_html: str
    mentions: tuple[Mention, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)
    notes: tuple[AttachedNote, ...] = ()
    """Background notes and annotations shown with the article, in number order."""
    links: tuple[DocumentLink, ...] = field(default=(), compare=False)
    """The documents its text links to, and the URLs of their pages (:mod:`generator.doclinks`)."""
    anchors: tuple[str, ...] = field(default=(), compare=False)
    """The ids of the headings of its text."""

    @property
    def note_slugs(self) -> tuple[str, ...]:
        """The slugs of the background notes attached to this article (not annotations)."""
        return tuple(n.key for n in self.notes if not n.is_annotation)

    @property
    def mentioned(self) -> tuple[str, ...]:
        """The slugs of the entities this article names, in order of first mention."""
        return tuple(dict.fromkeys(m.slug for m in self.mentions))

    def first_mention(self, slug: str) -> Mention | None:
        return next((m for m in self.mentions if m.slug == slug), None)

    def first_context(self, slug: str) -> str:
        """The sentence of the first mention of entity ``slug``; "" if the article does not
        name it."""
        mention = self.first_mention(slug)
        return mention.context if mention else ""


def _link_context(article: Article, url: str, registry: Registry, line_offset: int) -> LinkContext:
    config = registry.config
    return LinkContext(
        matcher=registry.matcher,
        language=article.language,
        path=article.path,
        line_offset=line_offset,
        link_all=config.link_all,
        disabled=frozenset(article.no_link),
        href=lambda slug: urls.relative(url, urls.entity(slug), config.directory_links),
        title=registry.entity_title,
        resolve=registry.resolve,
    )


def _annotate_tokens(
    tokens: list[Token],
    article: Article,
    url: str,
    registry: Registry,
    line_offset: int,
    seen: set[str],
) -> tuple[list[Mention], list[Diagnostic]]:
    ctx = _link_context(article, url, registry, line_offset)
    return link_mentions(tokens, ctx, seen)


def annotate_article(article: Article, registry: Registry) -> AnnotatedArticle:
    """Parse, annotate and render one article. Pure: the same inputs give the same output."""
    url = urls.article(article.slug, article.date)
    allow_html = registry.config.allow_html
    seen: set[str] = set()
    mentions: list[Mention] = []
    problems: list[Diagnostic] = []
    lead_html = ""
    lead_tokens = parse(article.lead, allow_html) if article.lead else []
    body_tokens = parse(article.body, allow_html)
    anchors = heading_ids(body_tokens)
    attached: list[AttachedNote] = []
    if registry.notes is not None:
        attached, problems = attach_notes(
            lead_tokens, body_tokens, _note_context(article, url, registry, registry.notes)
        )
    links: tuple[DocumentLink, ...] = ()
    if article.lead:
        lead_line = article.lines.get("lead", 1)
        found, diags = _annotate_tokens(lead_tokens, article, url, registry, lead_line, seen)
        mentions += found
        problems += diags
        linked, diags = _link_documents(
            lead_tokens, article.path, url, registry, lead_line, anchors
        )
        links += linked
        problems += diags
        lead_html = render_inline(lead_tokens, allow_html)
    found, diags = _annotate_tokens(body_tokens, article, url, registry, article.body_line, seen)
    mentions += found
    problems += diags
    linked, diags = _link_documents(
        body_tokens, article.path, url, registry, article.body_line, anchors
    )
    links += linked
    problems += diags
    return AnnotatedArticle(
        article=article,
        url=url,
        lead_html=lead_html,
        body_html=render(body_tokens, allow_html, article.language),
        mentions=tuple(mentions),
        diagnostics=tuple(problems),
        notes=tuple(attached),
        links=links,
        anchors=tuple(anchors),
    )


def _link_documents(
    tokens: list[Token],
    path: str,
    url: str,
    registry: Registry,
    line_offset: int,
    anchors: list[str],
) -> tuple[tuple[DocumentLink, ...], list[Diagnostic]]:
    directory_links = registry.config.directory_links
    return link_documents(tokens, path, url, registry.pages, directory_links, line_offset, anchors)


def _note_context(
    article: Article, url: str, registry: Registry, notes: NoteRegistry
) -> NoteContext:
    config = registry.config
    return NoteContext(
        registry=notes,
        article=article,
        href=lambda target: urls.relative(url, target, config.directory_links),
        note_url=urls.note,
        timeline_day=urls.timeline_day,
        strings=strings(config.language),
        language=config.language,
    )


def annotate_body(
    markdown: str,
    path: str,
    line: int,
    language: str,
    url: str,
    registry: Registry,
    disabled: frozenset[str] = frozenset(),
) -> tuple[str, list[Mention], list[Diagnostic], tuple[DocumentLink, ...], tuple[str, ...]]:
    """Render an entity description or note body with its mentions linked; with the mentions
    found, the documents linked to and the ids of its headings."""
    allow_html = registry.config.allow_html
    tokens = parse(markdown, allow_html)
    anchors = heading_ids(tokens)
    ctx = LinkContext(
        matcher=registry.matcher,
        language=language,
        path=path,
        line_offset=line,
        link_all=registry.config.link_all,
        disabled=disabled,
        href=lambda slug: urls.relative(url, urls.entity(slug), registry.config.directory_links),
        title=registry.entity_title,
        resolve=registry.resolve,
    )
    mentions, problems = link_mentions(tokens, ctx, set())
    links, more = _link_documents(tokens, path, url, registry, line, anchors)
    html = render(tokens, allow_html, language)
    return html, mentions, problems + more, links, tuple(anchors)
