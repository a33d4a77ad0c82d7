"""The build cache in ``PROJECT/.explainer-cache/``: what the last build read, made and wrote, so
that the next build redoes only what changed.

Everything in it is keyed by digests of content: of each source file, of the code, the config
and the templates. A cache that cannot be read, or that another version of the code wrote, is
ignored, and the build is a clean build. Deleting the folder is always safe.

- ``state.pickle``: the head of a :class:`State`, what every build reads;
- ``stamps.pickle``, ``outputs.pickle``: the head's two large mappings, as a base that the head's
  :class:`Layer` records the changes to;
- ``documents/*.pickle``: the parsed sources and their annotations, in shards;
- ``links/*.pickle``: the internal links of the pages, read only when pages disappear
  (:class:`LinkJournal`);
- ``fragments/*.pack``: the rendered HTML of articles, read when a page uses it;
- ``templates/``: Jinja2's compiled templates, each checked against its source's checksum.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import operator
import os
import pickle
import secrets
import struct
import sys
import time
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from generator.annotate import AnnotatedArticle
from generator.config import CONFIG_PATH
from generator.diagnostics import Diagnostic
from generator.doclinks import DocumentLink
from generator.frontmatter import split
from generator.index import RelatedCounts
from generator.linker import Mention
from generator.model import Article, Entity, Note
from generator.notes import AttachedNote
from generator.parallel import check_stop, collector_paused
from generator.sources import content_files, read_bytes, read_text

CACHE_DIR = ".explainer-cache"
FORMAT = 3
"""Bumped when the layout of the cache changes."""

RACY_SECONDS = 2
"""A file modified this close to its scan may change again within one timestamp tick, so its
stamp is not trusted next time: it is read and hashed again."""


def _feed(h: Any, part: str | bytes) -> None:
    """Add ``part`` to the hash ``h`` with its length first, so that no two lists of parts
    hash the same bytes."""
    data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
    h.update(len(data).to_bytes(8, "little"))
    h.update(data)


def digest(*parts: str | bytes) -> str:
    """A short stable digest of ``parts`` (strings or bytes), for cache keys."""
    h = hashlib.sha256()
    for part in parts:
        _feed(h, part)
    return h.hexdigest()[:32]


def digests_after(prefix: str) -> Callable[[str], str]:
    """``digest(prefix, text)`` as a function of ``text``, for many texts: the prefix is
    hashed once."""
    head = hashlib.sha256()
    _feed(head, prefix)
    copy = head.copy

    def after(text: str) -> str:
        h = copy()
        _feed(h, text)
        return h.hexdigest()[:32]

    return after


def digest_bytes(data: bytes) -> str:
    """A short stable digest of ``data`` (SHA-256, which CPUs compute fastest)."""
    return hashlib.sha256(data).hexdigest()[:32]


_LIBRARIES = {
    "jinja2": "jinja2",
    "markupsafe": "markupsafe",
    "markdown-it-py": "markdown_it",
    "mdit-py-plugins": "mdit_py_plugins",
    "pyyaml": "yaml",
}
"""The distributions the output depends on, and the module each installs."""
_CODE: list[str] = []


def library_version(name: str, module: str) -> str:
    """The installed version of distribution ``name``, which provides ``module``.

    Read from the module's ``__version__`` or from the name of the ``.dist-info`` folder beside
    it; ``importlib.metadata`` (whose import alone takes 20 ms) only when neither is there.
    """
    found = sys.modules.get(module) or importlib.import_module(module)
    version = vars(found).get("__version__")
    if isinstance(version, str):
        return version
    file = getattr(found, "__file__", None)
    if file is not None:
        folder = Path(file).parent.parent
        prefix = name.lower().replace("-", "_") + "-"
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                if entry.name.endswith(".dist-info") and entry.name.lower().startswith(prefix):
                    return entry.name[len(prefix) : -len(".dist-info")]
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def code_version() -> str:
    """A digest of the generator's own source and the versions of what it runs on."""
    if not _CODE:
        package = Path(__file__).resolve().parent
        parts: list[str | bytes] = [sys.version]
        for name, module in _LIBRARIES.items():
            parts.append(f"{name} {library_version(name, module)}")
        for path in sorted(package.glob("*.py")):
            parts += [path.name, path.read_bytes()]
        _CODE.append(digest(*parts))
    return _CODE[0]


# --- Sources: what changed since the last build -------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    """A source file as last seen: modification time and size on disk, digest of its bytes."""

    mtime_ns: int
    size: int
    digest: str


class SourceChanged(Exception):
    """A source file changed while the build was using it."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


@dataclass
class Scan:
    """The project's sources as found now: a stamp for each. Their text is not kept: it is read
    again where it is used, and checked against the stamp."""

    project: Path
    stamps: dict[str, Stamp]
    problems: dict[str, list[Diagnostic]]
    """Files that could not be read, by path."""
    started: float
    ignored: tuple[Diagnostic, ...] = ()
    """A warning for each file under ``content/`` that is not read."""

    def text(self, path: str) -> str:
        """The text of a source as the scan saw it (:class:`SourceChanged` if it changed)."""
        try:
            data = read_bytes(self.project / path)
        except OSError as exc:
            raise SourceChanged(path) from exc
        if digest_bytes(data) != self.stamps[path].digest:
            raise SourceChanged(path)
        return data.decode("utf-8")

    def trusted_stamps(self) -> dict[str, Stamp]:
        """The stamps to remember: those of files changed just before the scan are not kept."""
        limit = int((self.started - RACY_SECONDS) * 1e9)
        return {
            path: stamp if stamp.mtime_ns < limit else Stamp(-1, stamp.size, stamp.digest)
            for path, stamp in self.stamps.items()
        }


def scan_sources(project: Path, previous: Mapping[str, Stamp]) -> Scan:
    """Stat ``site.yaml`` and every content file; hash those that look changed."""
    scan = Scan(project, {}, {}, time.time())
    root = str(project)  # paths joined as strings: a Path per file costs more than its stat
    paths, problems, ignored = content_files(project)
    scan.ignored = tuple(ignored)
    for problem in problems:
        scan.problems[problem.path] = [problem]
    for path in [CONFIG_PATH, *paths]:
        try:
            info = os.stat(f"{root}/{path}")
        except FileNotFoundError:
            if path != CONFIG_PATH:
                scan.problems[path] = read_text(project, path)[1]
            continue
        except OSError:
            scan.problems[path] = read_text(project, path)[1]
            continue
        old = previous.get(path)
        if old is not None and old.mtime_ns == info.st_mtime_ns and old.size == info.st_size:
            scan.stamps[path] = old
            continue
        try:
            data = read_bytes(f"{root}/{path}", info.st_size)
            data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            scan.problems[path] = read_text(project, path)[1]
            continue
        scan.stamps[path] = Stamp(info.st_mtime_ns, info.st_size, digest_bytes(data))
    return scan


def folder_digest(folders: Iterable[Path]) -> str:
    """A digest of every file under ``folders`` (names and bytes): the templates and assets."""
    parts: list[str | bytes] = []
    for root in folders:
        parts.append(str(root))
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            parts += [path.relative_to(root).as_posix(), path.read_bytes()]
    return digest(*parts)


# --- Records: what the build made from each source ----------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """One source file parsed: its value (None if it has errors) and its problems."""

    digest: str
    value: Article | Entity | Note | None
    problems: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class FragmentRef:
    """Where an article's rendered lead and body are kept: a pack file, an offset, a length."""

    pack: str
    offset: int
    length: int


MentionFields = tuple[Any, ...]
"""A :class:`linker.Mention` as the tuple of its fields: cheaper to keep than the object."""


mention_fields: Callable[[Mention], MentionFields] = operator.attrgetter(
    *(f.name for f in fields(Mention))
)
_CONTEXT = [f.name for f in fields(Mention)].index("context")


def pack_mentions(mentions: Iterable[Mention]) -> bytes:
    """Mentions in a few bytes: a build keeps the first mentions of every article."""
    return pickle.dumps(tuple(mention_fields(m) for m in mentions), protocol=5)


_UNPACKED: dict[int, tuple[bytes, tuple[MentionFields, ...]]] = {}
UNPACKED_KEPT = 1 << 14


def unpack_mentions(packed: bytes) -> tuple[MentionFields, ...]:
    """The fields of the mentions that :func:`pack_mentions` packed. The latest are kept: the
    pages of entities list the same articles."""
    known = _UNPACKED.get(id(packed))
    if known is None or known[0] is not packed:
        if len(_UNPACKED) >= UNPACKED_KEPT:
            del _UNPACKED[next(iter(_UNPACKED))]
        known = _UNPACKED[id(packed)] = (packed, pickle.loads(packed))
    return known[1]


@dataclass(frozen=True)
class Annotated:
    """What annotating one document (an article, an entity's or a note's body) produced.

    ``html`` is the rendered body of an entity or note, and ``mentions`` its mentions; an
    article's lead, body and mentions are in the fragment store at ``fragment``, and ``first``
    holds the first mention of each entity it names. ``output`` is a digest of all that;
    ``summary`` a digest of the article as a list entry.
    """

    source: str
    notes: tuple[AttachedNote, ...]
    diagnostics: tuple[Diagnostic, ...]
    output: str
    summary: str = ""
    html: str = ""
    mentions: tuple[Mention, ...] = ()
    fragment: FragmentRef | None = None
    named: tuple[str, ...] = ()
    """The entities an article names, in order."""
    first: bytes = b""
    """The first mention of each of them, as :func:`pack_mentions` packs them."""
    backlink: str = ""
    """A digest of the article as entity pages list it: ``summary``, and what they show of
    ``first`` (each mention's entity and context, not its line, which an edit above it
    changes)."""
    full: str = ""
    """A digest of everything an article shows: its URL, its source and ``output``."""
    entry: str = ""
    """A digest of an article as a feed entry without its text: its URL and its source."""
    timeline: str = ""
    """A digest of what the timeline shows of an article: slug, title, URL, time and language."""
    links: tuple[DocumentLink, ...] = ()
    """The documents its text links to, with the URLs of their pages when it was annotated."""
    anchors: tuple[str, ...] = ()
    """The ids of the headings of its text."""

    @property
    def mentioned(self) -> tuple[str, ...]:
        if self.fragment is not None:
            return self.named
        return tuple(dict.fromkeys(m.slug for m in self.mentions))

    @property
    def note_slugs(self) -> tuple[str, ...]:
        return tuple(n.key for n in self.notes if not n.is_annotation)


@dataclass(frozen=True)
class OutputRecord:
    """A file of the built site: the key it was made from (None if it has none), its digest."""

    key: str | None
    digest: str
    indexed: str = ""
    """For an HTML page that marks content for the search index, the digest of what the index
    reads of it (:func:`generator.search.indexed_digest`); "" for other files, and for every
    file of a build without search (a build with search has other page keys: it renders every
    page again)."""


@dataclass(frozen=True)
class SiteStamp:
    """The output folder the outputs were written to, as it was right after the write."""

    path: str
    device: int
    inode: int


@dataclass
class State:
    """Everything the next build needs to know about the last one.

    It is kept in two parts: this head, and the documents (``parsed`` and ``annotated``) in
    shards that only a build that uses them reads (:func:`load_documents`), and that are written
    again only when one of their documents changed. The head's ``stamps`` and ``outputs`` are
    kept as base files and the changes since (``layers``): a build that changes a few of them
    does not write them all again.
    """

    format: int = FORMAT
    code: str = ""
    settings: str = ""
    """Digest of config, options and templates: a no-op rebuild needs it unchanged."""
    content_key: str = ""
    """Digest of code and config: parsed sources and annotations are valid only under it."""
    stamps: dict[str, Stamp] = field(default_factory=dict)
    parsed: dict[str, Parsed] = field(default_factory=dict)
    annotated: dict[str, Annotated] = field(default_factory=dict)
    shards: dict[int, str] = field(default_factory=dict)
    """The token of each shard file of the documents, as written with this head."""
    days: frozenset[date] = frozenset()
    """The timeline days the articles were annotated against."""
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    site: SiteStamp | None = None
    link_files: tuple[str, ...] = ()
    """The link journal's files that hold the links of the pages in ``outputs``, oldest first."""
    diagnostics: tuple[Diagnostic, ...] = ()
    ignored: tuple[Diagnostic, ...] = ()
    """The warnings of the files under ``content/`` that the build did not read."""
    pages: int = 0
    related: RelatedCounts | None = None
    """The related entities the last index counted (:class:`index.RelatedCounts`)."""
    layers: dict[str, Layer] = field(default_factory=dict)
    """How ``stamps`` and ``outputs`` are kept on disk, by name, as written with this head."""

    def head(self) -> State:
        return replace(self, parsed={}, annotated={}, stamps={}, outputs={})

    def forget_outputs(self) -> None:
        """Drop the record of the output folder (a build stopped while it changed it)."""
        self.outputs, self.site = {}, None
        self.layers = {name: layer for name, layer in self.layers.items() if name != "outputs"}


@dataclass(frozen=True)
class Layer:
    """One of the head's large mappings as kept on disk: the token of its base file, and the
    changes since the base was written (a key's new value, or None for a key removed)."""

    token: str
    changes: dict[str, Any]


LAYERED = ("stamps", "outputs")
"""The head's mappings kept as a base and its changes."""

LAYER_CHANGES = 512
"""A base is written again when the changes to it outnumber this or an eighth of its keys."""


SHARDS = 32


def _shard(path: str) -> int:
    return zlib.crc32(path.encode("utf-8")) % SHARDS


_KEPT: dict[str, tuple[tuple[int, int, int], State]] = {}
"""The states this process last saved, by cache folder: a process that builds again
(``serve``) need not read back what it wrote, as long as the file is the one it wrote. A
process keeps them from its second build on: one that builds once would only pay to free them."""
KEPT_STATES = 2
_SAVES = 0


def _file_stamp(path: Path) -> tuple[int, int, int]:
    info = os.stat(path)
    return info.st_ino, info.st_size, info.st_mtime_ns


def load_state(folder: Path) -> State:
    """The cached state's head, or an empty state when there is none usable."""
    with contextlib.suppress(OSError):
        kept = _KEPT.get(str(folder.resolve()))
        if kept is not None and kept[0] == _file_stamp(folder / "state.pickle"):
            state = replace(kept[1])
            if (folder / "writing").exists():
                state.forget_outputs()
            return state
    state = _load(folder / "state.pickle")
    if not isinstance(state, State) or state.format != FORMAT or state.code != code_version():
        return State()
    for name in LAYERED:
        layer = state.layers.get(name)
        mapping = None if layer is None else _load_layer(folder, name, layer)
        if mapping is None:
            return State()
        setattr(state, name, mapping)
    if (folder / "writing").exists():
        # A build stopped while it changed the output folder: its record of the output is void.
        state.forget_outputs()
    return state


def forget_state(folder: Path) -> None:
    """Make the next build start without the cached state (which names files of the cache
    that may be gone); the files are left to that build to replace or delete."""
    _KEPT.pop(str(folder.resolve()), None)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / "state.pickle")


def _load_layer(folder: Path, name: str, layer: Layer) -> dict[str, Any] | None:
    """A layered mapping: its base with the changes applied; None if the base is not the one
    ``layer`` was written with."""
    base = _load(folder / f"{name}.pickle")
    if not (isinstance(base, tuple) and len(base) == 2 and base[0] == layer.token):
        return None
    mapping: dict[str, Any] = base[1]
    for key, value in layer.changes.items():
        if value is None:
            mapping.pop(key, None)
        else:
            mapping[key] = value
    return mapping


def _save_layer(
    folder: Path, name: str, new: Mapping[str, Any], old: Mapping[str, Any], layer: Layer | None
) -> Layer:
    """Keep ``new`` as the changes from ``old`` (the mapping ``layer`` was written with) added
    to ``layer``'s; or, when there is no layer or the changes have grown, as a new base."""
    if layer is not None:
        changes = dict(layer.changes)
        get = old.get
        for key, value in new.items():
            was = get(key)
            if was is not value and was != value:
                changes[key] = value
        changes.update(dict.fromkeys(old.keys() - new.keys()))
        if len(changes) <= max(LAYER_CHANGES, len(new) // 8):
            return Layer(layer.token, changes)
    token = secrets.token_hex(8)
    _write_atomically(folder / f"{name}.pickle", pickle.dumps((token, dict(new)), protocol=5))
    return Layer(token, {})


def load_documents(folder: Path, state: State) -> bool:
    """Read the documents of ``state`` from their shards; False if they do not match its head."""
    if state.parsed or state.annotated:
        return True
    for number, token in state.shards.items():
        shard = _load(folder / "documents" / f"{number:02d}.pickle")
        if not (isinstance(shard, tuple) and len(shard) == 3 and shard[0] == token):
            state.parsed, state.annotated = {}, {}
            return False
        state.parsed.update(shard[1])
        state.annotated.update(shard[2])
    return True


def _load(path: Path) -> Any:
    try:
        with open(path, "rb") as handle, collector_paused():
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def save_state(folder: Path, state: State, previous: State) -> None:
    """Write the state: the shards whose documents differ from ``previous``, then the head.
    Fragment packs and link files that it no longer uses are deleted."""
    (folder / "documents").mkdir(parents=True, exist_ok=True)
    # The shards to write: those not written with the previous head, and those holding a
    # document that is not the very object read from it (made again, added or removed).
    changed = {n for n in range(SHARDS) if n not in previous.shards}
    for new, old in ((state.parsed, previous.parsed), (state.annotated, previous.annotated)):
        get = old.get
        changed.update(_shard(path) for path, value in new.items() if get(path) is not value)
        changed.update(_shard(path) for path in old.keys() - new.keys())
    groups: dict[int, tuple[dict[str, Parsed], dict[str, Annotated]]] = {
        n: ({}, {}) for n in changed
    }
    if changed:
        for path, parsed in state.parsed.items():
            group = groups.get(_shard(path))
            if group is not None:
                group[0][path] = parsed
        for path, annotated in state.annotated.items():
            group = groups.get(_shard(path))
            if group is not None:
                group[1][path] = annotated
    shards = {n: token for n, token in previous.shards.items() if n not in changed}
    with collector_paused():
        for number in sorted(changed):
            parsed, annotated = groups[number]
            token = secrets.token_hex(8)
            data = pickle.dumps((token, parsed, annotated), protocol=5)
            _write_atomically(folder / "documents" / f"{number:02d}.pickle", data)
            shards[number] = token
        state.shards = shards
        state.layers = {
            name: _save_layer(
                folder,
                name,
                getattr(state, name),
                getattr(previous, name),
                previous.layers.get(name),
            )
            for name in LAYERED
        }
        data = pickle.dumps(state.head(), protocol=5)
    _write_atomically(folder / "state.pickle", data)
    global _SAVES
    _SAVES += 1
    if _SAVES > 1:
        key = str(folder.resolve())
        _KEPT.pop(key, None)
        _KEPT[key] = (_file_stamp(folder / "state.pickle"), replace(state))
        while len(_KEPT) > KEPT_STATES:
            del _KEPT[next(iter(_KEPT))]
    used = {r.fragment.pack for r in state.annotated.values() if r.fragment is not None}
    for kind, keep in (("fragments", used), ("links", set(state.link_files))):
        if (folder / kind).is_dir():
            for path in (folder / kind).iterdir():
                if path.name not in keep and not path.name.startswith("."):
                    path.unlink(missing_ok=True)


def template_folder(folder: Path) -> Path:
    """Where Jinja2 keeps compiled templates (its ``FileSystemBytecodeCache``)."""
    return folder / "templates"


class LinkJournal:
    """The output paths that each page of the site links to, as the builds that rendered the
    pages found them. Each writing process appends to its own file; files are read in order, so
    that a page's latest entry wins."""

    COMPACT_AFTER = 32
    """More files than this are merged into one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "links"
        self._writer: Any = None
        self._writer_pid = 0

    def append(self, links: Mapping[str, tuple[str, ...]]) -> str:
        """Add the links of some pages to this process's file; returns the file's name."""
        if self._writer is None or self._writer_pid != os.getpid():
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{secrets.token_hex(8)}.pickle"
            self._writer = open(self.folder / name, "ab")  # noqa: SIM115 - kept open for appends
            self._writer_pid = os.getpid()
            self._writer.name_in_store = name
        with collector_paused():
            self._writer.write(pickle.dumps(dict(links), protocol=5))
        self._writer.flush()
        return str(self._writer.name_in_store)

    def read(self, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
        links: dict[str, tuple[str, ...]] = {}
        with collector_paused():
            for name in names:
                with open(self.folder / name, "rb") as handle:
                    while handle.peek(1):
                        links.update(pickle.load(handle))
        return links

    def close(self) -> None:
        if self._writer is not None and self._writer_pid == os.getpid():
            self._writer.close()
        self._writer = None

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            (self.folder / name).unlink(missing_ok=True)

    def compact(self, names: Sequence[str], pages: Container[str]) -> tuple[str, ...]:
        """The files to keep: ``names``, merged into one (of ``pages`` only) when too many."""
        if len(names) <= self.COMPACT_AFTER:
            return tuple(names)
        merged = {path: found for path, found in self.read(names).items() if path in pages}
        self.close()
        kept = (self.append(merged),)
        self.close()
        return kept


def mark_writing(folder: Path, writing: bool) -> None:
    """Note that the output folder is being changed, so that an interrupted write is noticed."""
    marker = folder / "writing"
    if writing:
        folder.mkdir(parents=True, exist_ok=True)
        marker.touch()
    else:
        marker.unlink(missing_ok=True)


LOCK_POLL_SECONDS = 0.05
"""How often a build that waits for another build of its project tries the lock again."""


@contextlib.contextmanager
def project_held(project: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """The project for this build alone, for the ``with`` block: every build of a project (a
    preview's rebuilds too) shares its cache, and two at once would each find the other's
    files changing under it. An exclusive ``flock`` on the project folder itself, so that no
    file is left behind; a build that finds it held calls ``waiting`` once, then waits for it.

    The kernel drops the lock when its holder ends, however it ends (``kill -9`` too); the
    build's forked workers share it, and are waited for before the build returns. The wait
    ends with Ctrl-C (the main thread's ``KeyboardInterrupt``), or with
    :data:`generator.parallel.STOP` (a preview that closes). A folder that cannot be opened is
    not locked (the build reports it), nor one on a file system that has no locks (``flock``
    fails with another error than "held"): there the build runs as it did before there was a
    lock.
    """
    try:
        fd = os.open(project, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        yield
        return
    try:
        held = _lock_held_elsewhere(fd)
        if held and waiting is not None:
            waiting()
        while held:
            check_stop()
            time.sleep(LOCK_POLL_SECONDS)
            held = _lock_held_elsewhere(fd)
        yield
    finally:
        os.close(fd)


def _lock_held_elsewhere(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` if nobody holds it: False if taken (or if the file
    system has no locks), True if another process holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        pass  # ENOLCK, EOPNOTSUPP…: no locks here; build unlocked
    return False


# --- The fragment store --------------------------------------------------------------------------

_HEADER = struct.Struct("<III")
RECENT_FRAGMENTS = 256
COMPACT_FROM = 64 << 20
"""Packs smaller than this together are never compacted."""


class FragmentStore:
    """Append-only pack files of articles' rendered lead and body and their mentions, one pack per
    writing process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "fragments"
        self._writer: Any = None
        self._writer_pid = 0
        self._readers: dict[str, int] = {}
        self._recent: dict[FragmentRef, tuple[str, str]] = {}

    def put(self, lead_html: str, body_html: str, mentions: bytes) -> FragmentRef:
        """Store one article's HTML and its mentions (as :func:`pack_mentions` packs them);
        :meth:`flush` before another process reads."""
        lead, body = lead_html.encode("utf-8"), body_html.encode("utf-8")
        return self._append(
            _HEADER.pack(len(lead), len(body), len(mentions)) + lead + body + mentions
        )

    def _append(self, data: bytes) -> FragmentRef:
        if self._writer is None or self._writer_pid != os.getpid():
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{secrets.token_hex(8)}.pack"
            self._writer = open(self.folder / name, "ab")  # noqa: SIM115 - kept open for appends
            self._writer_pid = os.getpid()
            self._writer.name_in_store = name
        offset = self._writer.tell()
        self._writer.write(data)
        return FragmentRef(self._writer.name_in_store, offset, len(data))

    def compacted(self, records: Mapping[str, Annotated]) -> dict[str, Annotated]:
        """``records``, their fragments copied into a new pack if the packs hold more than
        twice as many bytes as the records use (every edit leaves its old fragment behind)."""
        live = sum(r.fragment.length for r in records.values() if r.fragment is not None)
        total = sum(path.stat().st_size for path in self.folder.glob("*.pack"))
        if total <= max(2 * live, COMPACT_FROM):
            return dict(records)
        self.close()
        moved = {
            path: replace(r, fragment=self._append(self._read(r.fragment)[0]))
            if r.fragment is not None
            else r
            for path, r in records.items()
        }
        self.close()
        return moved

    def flush(self) -> None:
        if self._writer is not None and self._writer_pid == os.getpid():
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None and self._writer_pid == os.getpid():
            self._writer.close()
        self._writer = None
        for fd in self._readers.values():
            os.close(fd)
        self._readers.clear()

    def _read(self, ref: FragmentRef) -> tuple[bytes, int, int, int]:
        fd = self._readers.get(ref.pack)
        if fd is None:
            fd = self._readers[ref.pack] = os.open(self.folder / ref.pack, os.O_RDONLY)
        data = os.pread(fd, ref.length, ref.offset)
        return data, *_HEADER.unpack_from(data)

    def get(self, ref: FragmentRef) -> tuple[str, str]:
        """The lead and body HTML stored at ``ref``. The latest few are kept: a page asks for
        both, and the newest articles are in many feeds."""
        html = self._recent.get(ref)
        if html is None:
            data, lead, body, _found = self._read(ref)
            start = _HEADER.size
            html = (
                data[start : start + lead].decode("utf-8"),
                data[start + lead : start + lead + body].decode("utf-8"),
            )
            if len(self._recent) >= RECENT_FRAGMENTS:
                del self._recent[next(iter(self._recent))]
            self._recent[ref] = html
        return html

    def mentions(self, ref: FragmentRef) -> tuple[Mention, ...]:
        """The mentions stored at ``ref``."""
        data, lead, body, found = self._read(ref)
        start = _HEADER.size + lead + body
        return tuple(Mention(*f) for f in pickle.loads(data[start : start + found]))


class StoredArticle(AnnotatedArticle):
    """An annotated article whose lead and body HTML and mentions stay in the fragment store
    until a page uses them, so that a build holds the HTML of no more than the pages it renders.

    Made by :func:`stored_article`; it equals the :class:`AnnotatedArticle` it was stored from.
    The entities it names, and the first mention of each, are at hand without the store.
    """

    _store: FragmentStore
    _ref: FragmentRef
    _named: tuple[str, ...]
    _first: bytes

    @property  # type: ignore[override]
    def lead_html(self) -> str:
        return self._store.get(self._ref)[0]

    @property  # type: ignore[override]
    def body_html(self) -> str:
        return self._store.get(self._ref)[1]

    @property  # type: ignore[override]
    def mentions(self) -> tuple[Mention, ...]:
        return self._store.mentions(self._ref)

    @property
    def mentioned(self) -> tuple[str, ...]:
        return self._named

    def _first_fields(self, slug: str) -> MentionFields | None:
        if slug not in self._named:
            return None
        return unpack_mentions(self._first)[self._named.index(slug)]

    def first_mention(self, slug: str) -> Mention | None:
        found = self._first_fields(slug)
        return None if found is None else Mention(*found)

    def first_context(self, slug: str) -> str:
        # Without the Mention: an entity's pages ask this of every article they list.
        found = self._first_fields(slug)
        context: str = "" if found is None else found[_CONTEXT]
        return context


_STORED_FIELDS = frozenset(f.name for f in fields(AnnotatedArticle)) - {
    "lead_html",
    "body_html",
    "mentions",
}


def stored_article(
    article: Article, url: str, record: Annotated, store: FragmentStore
) -> StoredArticle:
    """The annotated article that ``record`` describes, its HTML read from ``store`` on use."""
    assert record.fragment is not None
    values = {
        "article": article,
        "url": url,
        "diagnostics": record.diagnostics,
        "notes": record.notes,
        "links": record.links,
        "anchors": record.anchors,
    }
    if values.keys() != _STORED_FIELDS:
        raise TypeError(f"AnnotatedArticle has fields the cache does not keep: {_STORED_FIELDS}")
    item = object.__new__(StoredArticle)
    item.__dict__.update(
        values, _store=store, _ref=record.fragment, _named=record.named, _first=record.first
    )
    return item


class SourcedArticle(Article):
    """An article whose Markdown body is read again from its source file when asked for, so
    that a build holds the bodies of no more articles than it is annotating.

    Made by :func:`sourced_article`; it equals the :class:`Article` it was made from. If the file
    no longer holds the text it was parsed from, reading the body raises
    :class:`SourceChanged`.
    """

    _file: str
    _source: str
    _body: str

    @property  # type: ignore[override]
    def body(self) -> str:
        try:
            data = read_bytes(Path(self._file))
        except OSError as exc:
            raise SourceChanged(self.path) from exc
        if digest_bytes(data) != self._source:
            raise SourceChanged(self.path)
        text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
        start = 0
        for _line in range(self.body_line - 1):
            start = text.find("\n", start) + 1
        body = text[start:]
        if digest(body) != self._body:
            # The body is not where the line count says (a file that ends at its front
            # matter's fence): split it as the parser did.
            front, _problems = split(text, self.path)
            body = front.body if front is not None else ""
        return body


_ARTICLE_FIELDS = frozenset(f.name for f in fields(Article)) - {"body"}


def sourced_article(article: Article, file: Path, source_digest: str) -> SourcedArticle:
    """``article``, parsed from ``file`` (whose bytes have ``source_digest``), without its
    body."""
    values = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
    item = object.__new__(SourcedArticle)
    item.__dict__.update(values, _file=str(file), _source=source_digest, _body=digest(article.body))
    return item
