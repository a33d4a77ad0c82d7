"""Templates: page views rendered with Jinja2 into output files."""

from __future__ import annotations

import html
import traceback
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateRuntimeError,
    TemplateSyntaxError,
    pass_context,
    select_autoescape,
)
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Context
from markupsafe import Markup, escape

try:
    from markupsafe._speedups import _escape_inner
except ImportError:  # markupsafe without its C speedups, or before 3.0
    _escape_inner = None

from generator import urls
from generator.config import SiteConfig
from generator.diagnostics import Diagnostic, error
from generator.i18n import strings
from generator.views import PageView, json_for_script

BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class OutputFile:
    """One file of the built site: its path under the output folder and its bytes."""

    path: str
    data: bytes


def template_dirs(project: Path) -> list[Path]:
    """The project's own templates first, then the built-in theme."""
    dirs = [project / "templates"]
    if BUILTIN_TEMPLATES not in dirs and BUILTIN_TEMPLATES.is_dir():
        dirs.append(BUILTIN_TEMPLATES)
    return [d for d in dirs if d.is_dir()]


NAV = (
    ("home", urls.HOME),
    ("archive", urls.ARCHIVE),
    ("entities", urls.ENTITIES),
    ("timeline", urls.TIMELINE),
    ("search", urls.SEARCH),
)


def output_escape(value: Any) -> str:
    """What ``{{ value }}`` writes into a page: markupsafe's ``escape``, without making the
    :class:`Markup` that only the page's text would hold. A page escapes hundreds of values,
    and making each into a ``Markup`` costs more than escaping it."""
    if _escape_inner is None:
        return escape(value)
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class ViewCodeGenerator(CodeGenerator):
    """Compiles templates to write their escaped values with :func:`output_escape`. The text
    they write is the same; what a template computes with (a ``set`` block, a macro's result)
    is still :class:`Markup`, since Jinja2 makes that of the text it gathers."""

    def visit_Template(self, node: Any, frame: Any = None) -> None:
        self.writeline("from generator.render import output_escape")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: Any, frame: Any, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("output_escape(")
        if finalize.src is not None:
            self.write(finalize.src)


class ViewEnvironment(Environment):
    """A Jinja2 environment for views: ``page.title`` looks a plain dict up by key first.

    Jinja2 tries an attribute first and a key after it; for the plain dicts that views are,
    every lookup would first fail as an attribute. The result is the same unless a view has a
    key named like a dict method, which no view has.
    """

    code_generator_class = ViewCodeGenerator

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as a dict of its own, not Jinja2's ``ChainMap`` over the
        environment's: every render copies them, and an import ``with context`` walks them
        again, 7 µs each time in Python code against 1–2 µs for a dict. The environment's
        globals are all set before a template is loaded (:func:`make_environment`), so the copy
        misses no change."""
        return {**self.globals, **(d or {})}


class PageLinks:
    """``link(url)`` in a template: the link from one page to ``url``, relative to the page.

    A relative link depends only on how deep the page is, so the links are remembered for every
    page at one depth (and setting of ``directory_links``): a page's frame, its lists and its
    neighbours link to the same URLs as the other pages at its depth.
    """

    __slots__ = ("directory_links", "known", "url")
    jinja_pass_arg = None
    """Jinja2 looks for this on every call; found, it is not looked for in vain."""

    _BY_DEPTH: ClassVar[dict[tuple[int, bool], dict[str, str]]] = {}

    def __init__(self, url: str, directory_links: bool) -> None:
        self.url = url
        self.directory_links = directory_links
        depth = url.split("#", 1)[0].count("/")
        self.known = self._BY_DEPTH.setdefault((depth, directory_links), {})

    def __call__(self, target: str) -> str:
        found = self.known.get(target)
        if found is None:
            found = urls.relative(self.url, target, self.directory_links)
            if len(self.known) < 1 << 16:
                self.known[target] = found
        return found


def _page_links(context: Context, used: str) -> PageLinks:
    try:
        links: PageLinks = context.parent["link"]
    except KeyError:
        # A macro imported without context sees the globals only, not the page.
        raise TemplateRuntimeError(
            f"the {used} filter needs the page: import the macro 'with context'"
        ) from None
    return links


@pass_context
def link_filter(context: Context, target: str) -> str:
    """``url | link``: as ``link(url)``, without the cost of a call from a template (Jinja2
    calls a filter directly, and a function through checks of what it accepts)."""
    return _page_links(context, "link")(target)


@pass_context
def asset_filter(context: Context, name: str) -> str:
    """``'style.css' | asset``: the link from the page to a file of the theme's assets."""
    return _page_links(context, "asset")(urls.asset(name))


class CompiledTemplates(FileSystemBytecodeCache):
    """Compiled templates kept in a folder, each valid for its source and for the ``compiler``
    (a digest of the code that compiled it, :class:`ViewCodeGenerator` among it): Jinja2 alone
    would check the source only."""

    def __init__(self, directory: str, compiler: str) -> None:
        super().__init__(directory)
        self.compiler = compiler

    def get_source_checksum(self, source: str) -> str:
        return super().get_source_checksum(f"{self.compiler}\0{source}")


def make_environment(
    dirs: Iterable[Path],
    config: SiteConfig,
    page_urls: Iterable[str] = (),
    bytecode: Path | None = None,
    compiler: str = "",
) -> Environment:
    """A Jinja2 environment with autoescape and StrictUndefined. Templates are read once: a
    build never sees them change. With ``bytecode``, compiled templates are kept in that folder
    (keyed by their source and by ``compiler``, see :class:`CompiledTemplates`), so a build
    does not compile unchanged templates."""
    bytecode_cache = None
    if bytecode is not None:
        bytecode.mkdir(parents=True, exist_ok=True)
        bytecode_cache = CompiledTemplates(str(bytecode), compiler)
    env = ViewEnvironment(
        bytecode_cache=bytecode_cache,
        loader=FileSystemLoader([str(d) for d in dirs]),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.globals["site"] = {
        "title": config.title,
        "description": config.description,
        "language": config.language,
        "base_url": config.base_url,
        "search": config.search,
    }
    env.globals["urls"] = {
        "home": urls.HOME,
        "archive": urls.ARCHIVE,
        "entities": urls.ENTITIES,
        "timeline": urls.TIMELINE,
        "search": urls.SEARCH,
        "feed": urls.FEED,
    }
    present = set(page_urls)
    env.globals["nav"] = [(key, url) for key, url in NAV if url in present]
    env.filters["json"] = lambda value: Markup(json_for_script(value))
    env.filters["html"] = Markup
    env.filters["link"] = link_filter
    env.filters["asset"] = asset_filter
    env.filters["lang_attr"] = partial(lang_attr, config.language)
    return env


def lang_attr(site_language: str, item: Any) -> Markup | str:
    """`` lang="…"`` for the title of an article or note (``item.language``) in another language
    than the site's, and nothing for one in the site's: ``<h2{{ item|lang_attr }}>``. A filter,
    not a macro: it is called for every entry of every list."""
    language = item.get("language") if isinstance(item, Mapping) else getattr(item, "language", "")
    if not language or language == site_language:
        return ""
    return Markup(' lang="{}"').format(language)


def render_page(env: Environment, view: PageView, config: SiteConfig) -> OutputFile:
    """Render one view; links in it are made relative to the page's own URL."""
    template = env.get_template(view.template)
    language = view.data.get("page", {}).get("language", config.language)
    links = PageLinks(view.url, config.directory_links)
    text = template.render(
        **view.data,
        t=strings(language),
        link=links,
        asset=lambda name: links(urls.asset(name)),
        absolute=partial(urls.absolute, config.base_url),
    )
    return OutputFile(urls.output_path(view.url), text.encode("utf-8"))


def template_problem(exc: BaseException, project: Path) -> Diagnostic | None:
    """An error that a template raised, as it was compiled or rendered, as a diagnostic at the
    template's line (``templates/note.html:3: error: template: …``); None for an error that
    no template's code raised."""
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        return error(
            shown_path(Path(exc.filename), project), exc.lineno, f"template: {exc.message}"
        )
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml")) and Path(frame.filename).is_file():
            where = shown_path(Path(frame.filename), project)
            return error(where, frame.lineno, f"template: {type(exc).__name__}: {exc}")
    return None


def shown_path(path: Path, project: Path) -> str:
    """A file's path as diagnostics show it: from the project folder if it is in it."""
    resolved, root = path.resolve(), project.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)


def render_pages(
    env: Environment, views: Iterable[PageView], config: SiteConfig
) -> Iterator[OutputFile]:
    for view in views:
        yield render_page(env, view, config)


def asset_files(dirs: Iterable[Path]) -> list[OutputFile]:
    """The theme's static files under ``templates/assets/``; the project's override the built-in."""
    found: dict[str, bytes] = {}
    for root in reversed(list(dirs)):
        assets = root / "assets"
        if assets.is_dir():
            for path in sorted(assets.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found[urls.asset(path.relative_to(assets).as_posix())] = path.read_bytes()
    return [OutputFile(path, data) for path, data in sorted(found.items())]


def sitemap(config: SiteConfig, pages: Iterable[tuple[str, str]]) -> OutputFile:
    """sitemap.xml (sitemaps.org 0.9) of (url, lastmod) pairs; ``config.base_url`` must be set,
    for the absolute locations the protocol requires."""
    assert config.base_url, "a sitemap needs the base_url"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for url, lastmod in pages:
        loc = html.escape(urls.absolute(config.base_url, url), quote=False)
        extra = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        lines.append(f"<url><loc>{loc}</loc>{extra}</url>")
    lines.append("</urlset>")
    return OutputFile(urls.SITEMAP, ("\n".join(lines) + "\n").encode("utf-8"))


def robots(config: SiteConfig) -> OutputFile:
    text = "User-agent: *\nAllow: /\n"
    if config.base_url:
        text += f"Sitemap: {urls.absolute(config.base_url, urls.SITEMAP)}\n"
    return OutputFile(urls.ROBOTS, text.encode("utf-8"))
