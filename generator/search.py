"""Full-text search: a Pagefind bundle made from the rendered pages, as more output files.

Pagefind (the ``pagefind`` package from PyPI, which ships the binary) reads HTML from disk, so
the pages that carry ``data-pagefind-body`` (articles, entities, notes) are written to a
temporary folder, indexed there, and the bundle is read back as output files that the build
checks and writes with the rest of the site. Pagefind splits its index by each page's ``<html lang>`` and stems every
language it knows (Danish and English among them) with that language's stemmer.

Pagefind holds about 270 KB per page while it indexes (3 GB for 12,000 pages), so a large
archive is indexed in parts of at most ``search_shard_size`` pages, one Pagefind run each: the
first part is the bundle in ``pagefind/``, with Pagefind's scripts, and the others are bundles
of their index files only in ``pagefind/shard-N/``, which the search page merges in (Pagefind's
``mergeIndex``: every part is searched, and the results of all are ranked together by score). A
page's part is fixed by a hash of its path, so an edit indexes again only the parts whose pages
changed. ``pagefind/shards.json`` lists the parts.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from generator import urls
from generator.cache import digest_bytes
from generator.diagnostics import Diagnostic, error
from generator.render import OutputFile

BUNDLE = "pagefind/"
"""The folder of the search bundle in the site; Pagefind's own default name."""

INDEXED_MARKER = b"data-pagefind-body"
"""Only pages whose templates mark their main content are indexed."""

SEARCH_PATH = "search"
"""The diagnostic path of problems with indexing, which belong to no content file."""

SHARDS_FILE = "shards.json"
"""In the first part's folder: how many parts there are, and the folders of the others."""

MERGED_FILES = ("pagefind-entry.json", "index/", "fragment/", "filter/")
"""What a merged bundle is read for, with its ``.pf_meta`` file: Pagefind searches it with the
scripts and WebAssembly of the first part, so the rest of a Pagefind bundle is left out."""


_PAGEFIND_ATTRIBUTE = b"data-pagefind-"
_MARKING = re.compile(rb"(?:body|filter|meta|sort|weight|index-attrs|default-meta)\b")
"""The ``data-pagefind-`` attributes that mark content, filters or metadata (not ``ignore``)."""
_TAG = re.compile(rb"<([a-z][a-z0-9-]*)")
_VOID = frozenset(
    b"area base br col embed hr img input link meta source track wbr".split()
)  # elements with no end tag
_NOT_MARKUP = (b"<!--", b"<script", b"<style", b"<template", b"<textarea", b"<title", b"<xmp")
"""Where ``<tag`` or ``</tag`` may be text, not markup: a part that holds one is not scanned."""


def indexed_digest(data: bytes, scan: bool = True) -> str:
    """The digest of what Pagefind reads of a page that marks its content to index; "" for a
    page that does not.

    That is the page up to ``<body`` (its language, title and metadata) and each element with a
    ``data-pagefind-`` attribute that marks content, filters or metadata, whole. An entity's
    page changes with every article that names the entity, but its indexed part does not: so a
    new article indexes again only its own part of the index, not every part that holds one of
    the entities it names. The elements are found by counting start and end tags of their name,
    which is exact for the HTML the templates and the Markdown renderer write; where a part
    could hold a tag in text (a comment, a script), or with ``scan`` False (raw HTML in the
    content), the digest is the whole page's.
    """
    if INDEXED_MARKER not in data:
        return ""
    if not scan:
        return digest_bytes(data)
    lowered = data.lower()
    body = lowered.find(b"<body")
    if body == -1:
        return digest_bytes(data)
    found = hashlib.sha256(data[:body])
    done = body
    for at in _marking_attributes(lowered, body):
        if at < done:
            continue  # inside an element already taken whole
        start = lowered.rfind(b"<", done, at)
        tag = _TAG.match(lowered, start) if start != -1 else None
        end = _element_end(lowered, start, tag.group(1)) if tag is not None else None
        if end is None or any(marker in lowered[start:end] for marker in _NOT_MARKUP):
            return digest_bytes(data)
        found.update(b"%d:" % (end - start) + data[start:end])
        done = end
    return found.hexdigest()[:32]


def _marking_attributes(html: bytes, start: int) -> Iterator[int]:
    """Where each marking ``data-pagefind-`` attribute after ``start`` begins (found with
    ``bytes.find``, many times faster here than a pattern that starts with a space)."""
    at = html.find(_PAGEFIND_ATTRIBUTE, start)
    while at != -1:
        after = at + len(_PAGEFIND_ATTRIBUTE)
        if html[at - 1 : at] in _SPACES and _MARKING.match(html, after):
            yield at
        at = html.find(_PAGEFIND_ATTRIBUTE, after)


_SPACES = frozenset((b" ", b"\t", b"\n", b"\r", b"\f"))


def _element_end(html: bytes, start: int, name: bytes) -> int | None:
    """Where the element whose start tag is at ``start`` ends, or None if it does not."""
    tag_end = html.find(b">", start)
    if tag_end == -1:
        return None
    if name in _VOID or html[tag_end - 1 : tag_end] == b"/":
        return tag_end + 1
    opening, closing = b"<" + name, b"</" + name
    depth, at = 1, tag_end + 1
    while depth:
        close = html.find(closing, at)
        if close == -1:
            return None
        open_ = html.find(opening, at, close)
        if open_ != -1:
            after = html[open_ + len(opening) : open_ + len(opening) + 1]
            if after in _SPACES or after in (b">", b"/"):
                depth += 1
            at = open_ + len(opening)
            continue
        after = html[close + len(closing) : close + len(closing) + 1]
        if after in _SPACES or after == b">":
            depth -= 1
        at = close + len(closing)
    end = html.find(b">", at)
    return None if end == -1 else end + 1


def pagefind_executable() -> Path | None:
    """The Pagefind binary that the ``pagefind`` package ships or finds, if any."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    return get_executable()


def indexed_pages(files: Sequence[OutputFile]) -> list[OutputFile]:
    """The HTML pages that mark content to index; every page when none does (a site with no
    articles or entities yet, or templates without the marker), as Pagefind itself would."""
    pages = [f for f in files if f.path.endswith(".html") and f.path != urls.NOT_FOUND]
    return [f for f in pages if INDEXED_MARKER in f.data] or pages


def shard_count(pages: int, shard_size: int) -> int:
    """Into how many parts the index of ``pages`` pages is split: the smallest power of two
    that leaves about ``shard_size`` pages or fewer in each. Powers of two keep the parts of
    most pages when the archive grows past a size; each doubling indexes every part again."""
    count = 1
    while pages > count * shard_size:
        count *= 2
    return count


def shard_of(path: str, count: int) -> int:
    """The part of the index that the page at ``path`` is in: a hash of the path, so that the
    parts are the same size on average and a page stays in its part as others come and go."""
    if count == 1:
        return 0
    return int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "big") % count


def shard_folders(shards: Sequence[int]) -> dict[int, str]:
    """The folder of each part that has pages, by part: the first in :data:`BUNDLE`, where the
    search page loads Pagefind's scripts from, the others in ``BUNDLE/shard-N/``."""
    ordered = sorted(shards)
    return {n: BUNDLE if i == 0 else f"{BUNDLE}shard-{n}/" for i, n in enumerate(ordered)}


def shards_manifest(count: int, folders: dict[int, str]) -> bytes:
    """:data:`SHARDS_FILE`: the number of parts, and the folders to merge relative to the first
    part's, which the search page reads."""
    merged = [folders[n].removeprefix(BUNDLE) for n in sorted(folders) if folders[n] != BUNDLE]
    return json.dumps({"shards": count, "merge": merged}, sort_keys=True).encode("utf-8")


def bundle_folder(path: str) -> str:
    """The folder of the part of the index that a file of the bundle belongs to."""
    rest = path.removeprefix(BUNDLE)
    if rest.startswith("shard-") and "/" in rest:
        return BUNDLE + rest.split("/", 1)[0] + "/"
    return BUNDLE


def pagefind_command(binary: Path, site: Path, keep_index_url: bool) -> list[str]:
    """The Pagefind command line that indexes ``site`` into ``site/pagefind/``."""
    command = [str(binary), "--site", str(site), "--output-subdir", BUNDLE.rstrip("/"), "--quiet"]
    if keep_index_url:
        command.append("--keep-index-url")
    return command


def search_bundle(
    files: Sequence[OutputFile], keep_index_url: bool = True, into: str = BUNDLE
) -> tuple[list[OutputFile], list[Diagnostic]]:
    """Index the pages among ``files``; the bundle's files under ``into``, or a problem. A
    bundle in another folder than :data:`BUNDLE` is one to merge, and has only the files that
    merging reads (:data:`MERGED_FILES`).

    ``keep_index_url`` makes results link to ``…/index.html``, like every other internal link
    of a site built without ``directory_links``.
    """
    binary = pagefind_executable()
    if binary is None:
        return [], [
            error(
                SEARCH_PATH,
                None,
                'Pagefind is not installed (pip install "pagefind[extended]"); '
                "build with --no-search to skip the search index",
            )
        ]
    with tempfile.TemporaryDirectory(prefix="explainer-search-") as folder:
        site = Path(folder) / "site"
        for page in indexed_pages(files):
            target = site / page.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(page.data)
        site.mkdir(exist_ok=True)
        done = subprocess.run(
            pagefind_command(binary, site, keep_index_url),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            output = (done.stderr.strip() or done.stdout.strip()).splitlines()
            return [], [
                error(
                    SEARCH_PATH,
                    None,
                    f"Pagefind failed with exit code {done.returncode}: "
                    + (output[-1] if output else "no output"),
                )
            ]
        bundle = site / BUNDLE
        found = {
            path.relative_to(bundle).as_posix(): path.read_bytes()
            for path in sorted(bundle.rglob("*"))
            if path.is_file()
        }
    files_of_bundle = list(stable_bundle(found).items())
    if into != BUNDLE:
        files_of_bundle = [(n, d) for n, d in files_of_bundle if _read_when_merged(n)]
    return [OutputFile(into + name, data) for name, data in files_of_bundle], []


def _read_when_merged(name: str) -> bool:
    return name.startswith(MERGED_FILES) or (
        name.startswith("pagefind.") and name.endswith(".pf_meta")
    )


# Pagefind writes its filter indexes from hash maps, in an order that changes from run to run
# (upstream knows: its fragments are stable, "other files will still change"), and names files
# by a hash of their content. The functions below put the filter values and the list of filters
# in sorted order and rename what changed by a hash of the sorted content, so that the same site
# always gives the same bundle. Pagefind's files are gzipped CBOR after a ``pagefind_dcd``
# signature; only the small subset of CBOR that Pagefind writes is read.

SIGNATURE = b"pagefind_dcd"


class CborMap(list):
    """A CBOR map as its (key, value) pairs in the order they were read."""


_SIMPLE = {20: False, 21: True, 22: None}


def cbor_decode(data: bytes, pos: int = 0) -> tuple[Any, int]:
    """One CBOR item at ``pos``: the value and the position after it."""
    head = data[pos]
    major, info = head >> 5, head & 31
    pos += 1
    if major == 7:
        if info not in _SIMPLE:
            raise ValueError(f"unsupported CBOR simple value {info}")
        return _SIMPLE[info], pos
    if info < 24:
        argument = info
    elif info <= 27:
        size = 1 << (info - 24)
        argument = int.from_bytes(data[pos : pos + size], "big")
        pos += size
    else:
        raise ValueError(f"unsupported CBOR length {info}")
    if major == 0:
        return argument, pos
    if major == 1:
        return -1 - argument, pos
    if major in (2, 3):
        chunk = data[pos : pos + argument]
        return (bytes(chunk) if major == 2 else chunk.decode("utf-8")), pos + argument
    items: list[Any] = []
    for _ in range(argument * (2 if major == 5 else 1)):
        item, pos = cbor_decode(data, pos)
        items.append(item)
    if major == 4:
        return items, pos
    if major == 5:
        return CborMap(zip(items[::2], items[1::2], strict=True)), pos
    raise ValueError(f"unsupported CBOR major type {major}")


def _cbor_head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise ValueError("CBOR argument too large")


def cbor_encode(value: Any) -> bytes:
    """The shortest CBOR encoding of ``value``, as Pagefind writes it."""
    if value is None or isinstance(value, bool):
        return bytes([0xE0 | {False: 20, True: 21, None: 22}[value]])
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return _cbor_head(3, len(encoded)) + encoded
    if isinstance(value, CborMap):
        return _cbor_head(5, len(value)) + b"".join(
            cbor_encode(k) + cbor_encode(v) for k, v in value
        )
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(cbor_encode(item) for item in value)
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def read_pagefind_file(data: bytes) -> Any:
    """The value in a Pagefind index file; ValueError unless it reads back exactly."""
    raw = gzip.decompress(data)
    if not raw.startswith(SIGNATURE):
        raise ValueError("not a Pagefind index file")
    value, end = cbor_decode(raw, len(SIGNATURE))
    if end != len(raw) or cbor_encode(value) != raw[len(SIGNATURE) :]:
        raise ValueError("Pagefind index file does not read back exactly")
    return value


def write_pagefind_file(value: Any) -> bytes:
    """A Pagefind index file holding ``value``, gzipped the same way every time."""
    return gzip.compress(SIGNATURE + cbor_encode(value), compresslevel=9, mtime=0)


def _renamed(name: str, data: bytes, digits: int) -> str:
    """``filter/da_1a2b3c4.pf_filter`` renamed by a hash of ``data``, keeping the language."""
    old = _hash_of(name)
    language = old.rsplit("_", 1)[0]
    return name.replace(old, f"{language}_{hashlib.sha256(data).hexdigest()[:digits]}")


def _replace_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, CborMap):
        return CborMap((k, _replace_strings(v, change)) for k, v in value)
    if isinstance(value, list):
        return [_replace_strings(item, change) for item in value]
    return value


def _sort_filter_lists(value: Any, filter_hashes: set[str]) -> Any:
    """Sort every list of ``[name, filter hash]`` pairs by name."""
    if isinstance(value, list) and not isinstance(value, CborMap):
        items = [_sort_filter_lists(item, filter_hashes) for item in value]
        pairs = all(isinstance(i, list) and len(i) == 2 and i[1] in filter_hashes for i in items)
        return sorted(items, key=lambda pair: pair[0]) if items and pairs else items
    return value


def stable_bundle(files: dict[str, bytes]) -> dict[str, bytes]:
    """The bundle with its filter indexes (and so its metadata) in a canonical order.

    A bundle that is not laid out as expected is returned as it is: search still works.
    """
    try:
        return _stable_bundle(files)
    except (ValueError, KeyError, OSError, EOFError, TypeError, IndexError):
        return files


def _stable_bundle(files: dict[str, bytes]) -> dict[str, bytes]:
    result = dict(files)
    filter_names: dict[str, str] = {}
    for name, data in files.items():
        if name.startswith("filter/") and name.endswith(".pf_filter"):
            filter_name, values = read_pagefind_file(data)
            canonical = write_pagefind_file([filter_name, sorted(values, key=lambda v: v[0])])
            new_name = _renamed(name, gzip.decompress(canonical), 7)
            del result[name]
            result[new_name] = canonical
            filter_names[_hash_of(name)] = _hash_of(new_name)
    meta_names: dict[str, str] = {}
    for name, data in files.items():
        if name.startswith("pagefind.") and name.endswith(".pf_meta"):
            meta = _replace_strings(read_pagefind_file(data), lambda s: filter_names.get(s, s))
            canonical = write_pagefind_file(_sort_filter_lists(meta, set(filter_names.values())))
            new_name = _renamed(name, gzip.decompress(canonical), 10)
            del result[name]
            result[new_name] = canonical
            meta_names[_hash_of(name)] = _hash_of(new_name)
    entry = "pagefind-entry.json"
    if entry in result:
        text = result[entry].decode("utf-8")
        for old, new in meta_names.items():
            text = text.replace(f'"{old}"', f'"{new}"')
        result[entry] = text.encode("utf-8")
    return dict(sorted(result.items()))


def _hash_of(name: str) -> str:
    """The hash Pagefind refers to a file by: ``da_1a2b3c4`` of ``filter/da_1a2b3c4.pf_filter``."""
    file = name.rpartition("/")[2].removeprefix("pagefind.")
    return file.rpartition(".")[0]
