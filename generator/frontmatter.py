"""Split a Markdown file into YAML front matter and body, keeping line numbers for diagnostics."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.diagnostics import Diagnostic, error

try:
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader, but a scalar that looks like a timestamp and is not a real one
    (``2024-13-45``) stays the text it is, so that the key that holds it reports it, at its
    line, rather than the YAML library raising an error without either.

    A key that a mapping repeats is noted in ``duplicates`` (the later value still wins, as
    the YAML library has it, so that loading goes on and every repeat is found)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []
        """(the key as written, its 0-based line, the 0-based line of its first occurrence)"""
        self._checked: set[int] = set()
        self.nodes: dict[int, tuple[Any, yaml.Node]] = {}
        """By ``id``, each mapping and list made and the node it was made from, whose marks
        give the lines of its keys and entries. The value is kept so its id stays its."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # Check the keys as written, before merges (``<<:``) add theirs: a key that overrides
        # a merged one is what merges are for.
        if id(node) not in self._checked:
            self._checked.add(id(node))
            self._note_duplicates(node)
        super().flatten_mapping(node)

    def _note_duplicates(self, node: yaml.MappingNode) -> None:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = "=" if key_node.tag == _VALUE_TAG else self.construct_object(key_node)
            try:
                first = seen.get(key)
            except TypeError:  # unhashable: the mapping reports it when it is built
                continue
            if first is None:
                seen[key] = key_node.start_mark.line
            else:
                self.duplicates.append((key_node.value, key_node.start_mark.line, first))


_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_BYTE_POSITIONS = _Base is not yaml.SafeLoader
"""libyaml reports the position of a bad character in UTF-8 bytes, PyYAML in characters."""
_BREAKS = {
    "\x85": 'character U+0085 (NEL) is a line break in YAML; it is often a mis-encoded "…"; '
    "type the character you meant",
    "\u2028": "character U+2028 (LINE SEPARATOR) is a line break in YAML; "
    "replace it with a space or a real line break",
    "\u2029": "character U+2029 (PARAGRAPH SEPARATOR) is a line break in YAML; "
    "replace it with a space or a real line break",
}


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
    """A mapping, as the safe loader makes it, noted in the loader with its node."""
    data: dict[Any, Any] = {}
    yield data
    data.update(loader.construct_mapping(node))
    loader.nodes[id(data)] = (data, node)


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> Iterator[list[Any]]:
    """A list, as the safe loader makes it, noted in the loader with its node."""
    data: list[Any] = []
    yield data
    data.extend(loader.construct_sequence(node))
    loader.nodes[id(data)] = (data, node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)
_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.MULTILINE)


ItemLines = Mapping[tuple[str, int], Mapping[str, int]]
"""By (top-level key, position in its list), the file line of each key of a list entry that is a
mapping, and under ``""`` the line the entry starts on."""


@dataclass(frozen=True)
class FrontMatter:
    """The parsed front matter, the line of each top-level key and of the keys of list entries
    (as ``sources:`` holds), and where the body starts."""

    data: Mapping[str, Any]
    lines: Mapping[str, int]
    start_line: int
    body: str
    body_line: int
    item_lines: ItemLines = field(default_factory=dict)


def load_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, list[Diagnostic]]:
    """Load YAML; a syntax error, a repeated key or a character YAML cannot take becomes a
    one-line diagnostic at the file line of the problem (``text`` starts at ``first_line``).

    Only repeated keys leave the data loaded (the later value of each kept), so that a caller
    can check the rest of it too; after any other problem the data is None."""
    data, problems, _lines = _load(text, path, first_line)
    return data, problems


def _load(text: str, path: str, first_line: int) -> tuple[Any, list[Diagnostic], ItemLines]:
    """:func:`load_yaml`, and the lines of the keys of the entries of top-level lists."""
    if any(char in text for char in _BREAKS):
        problems = [
            error(path, first_line + text.count("\n", 0, index), _BREAKS[char])
            for index, char in enumerate(text)
            if char in _BREAKS
        ]
        # The line numbers of any other error would be off by the breaks YAML sees here:
        # look for those with the breaks made spaces.
        clean = text.translate({ord(char): " " for char in _BREAKS})
        return None, problems + load_yaml(clean, path, first_line)[1], {}
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        problems = [*_duplicates(loader, path, first_line), _marked(exc, text, path, first_line)]
        return None, problems, {}
    except yaml.reader.ReaderError as exc:
        return None, [_reader(exc, text, path, first_line)], {}
    except yaml.YAMLError as exc:
        return None, [error(path, first_line, f"invalid YAML: {_one_line(str(exc))}")], {}
    finally:
        loader.dispose()
    return data, _duplicates(loader, path, first_line), _item_lines(data, loader, first_line)


def _item_lines(
    data: Any, loader: _Loader, first_line: int
) -> dict[tuple[str, int], dict[str, int]]:
    found: dict[tuple[str, int], dict[str, int]] = {}
    if not isinstance(data, dict):
        return found
    for key, value in data.items():
        made = loader.nodes.get(id(value))
        if made is None or made[0] is not value or not isinstance(made[1], yaml.SequenceNode):
            continue
        for number, (item, item_node) in enumerate(zip(value, made[1].value, strict=True)):
            lines = {"": first_line + item_node.start_mark.line}
            entry = loader.nodes.get(id(item))
            if entry is not None and entry[0] is item and isinstance(entry[1], yaml.MappingNode):
                for key_node, _value in entry[1].value:
                    if isinstance(key_node, yaml.ScalarNode):
                        # Of a key written twice, the later, whose value is the one kept.
                        lines[key_node.value] = first_line + key_node.start_mark.line
            found[(str(key), number)] = lines
    return found


def _duplicates(loader: _Loader, path: str, first_line: int) -> list[Diagnostic]:
    """One error per repeated key, in the order of the file."""
    problems = []
    for key, line, first in sorted(loader.duplicates, key=lambda d: (d[1], d[2])):
        where = "earlier on this line" if first == line else f"on line {first_line + first}"
        problems.append(
            error(
                path,
                first_line + line,
                f'duplicate key "{_one_line(key)}" (first {where}); keep one',
            )
        )
    return problems


_PASTED_SPACE = re.compile("^[ \u00a0]*\u00a0|:\u00a0")
"""A non-breaking space where YAML needs a space: in the indentation or after a key's colon."""


def _marked(exc: yaml.MarkedYAMLError, text: str, path: str, first_line: int) -> Diagnostic:
    """A syntax error at its line, with a hint at the usual causes: a tab, a non-breaking space
    pasted from a web page, or a colon in a value without quotes."""
    mark = exc.problem_mark or exc.context_mark
    at = mark.line if mark else 0
    lines = text.split("\n")
    start = min(at, exc.context_mark.line if exc.context_mark else at)
    pasted = next(
        (n for n in range(start, min(at, len(lines) - 1) + 1) if _PASTED_SPACE.search(lines[n])),
        None,
    )
    if pasted is not None:
        return error(
            path,
            first_line + pasted,
            "invalid YAML: the line has a non-breaking space (U+00A0), as pasted from a web page "
            "or a word processor, where YAML needs a normal space; retype the space",
        )
    problem = _one_line(exc.problem or "malformed YAML")
    if exc.context and exc.context_mark and exc.context_mark.line != at:
        context = _one_line(exc.context)
        problem += f" ({context} that starts on line {first_line + exc.context_mark.line})"
    if "\t" in (lines[at] if at < len(lines) else "") and "tab" not in problem:
        problem += "; the line has a tab: YAML indents with spaces only"
    elif problem.startswith("mapping values are not allowed"):
        problem += '; a value with ": " in it needs quotes, as in title: "Putin: …"'
    return error(path, first_line + at, f"invalid YAML: {problem}")


def _reader(exc: yaml.reader.ReaderError, text: str, path: str, first_line: int) -> Diagnostic:
    """A character YAML does not allow (a NUL byte, a form feed, …), at its line."""
    before = text.encode("utf-8")[: exc.position] if _BYTE_POSITIONS else text[: exc.position]
    line = first_line + before.count(b"\n" if isinstance(before, bytes) else "\n")
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
    if code < 0x20 or 0x7F <= code <= 0x9F:
        what = f"control character '\\x{code:02x}'"
    else:
        what = f"character U+{code:04X}"
    return error(path, line, f"invalid YAML: {what} is not allowed; remove it")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def key_lines(yaml_text: str, first_line: int) -> dict[str, int]:
    """The file line of each top-level key in a YAML mapping; of a key written twice, the later,
    whose value is the one YAML keeps."""
    lines: dict[str, int] = {}
    for match in _TOP_KEY.finditer(yaml_text):
        line = first_line + yaml_text.count("\n", 0, match.start())
        lines[match.group(1)] = line
    return lines


def split(text: str, path: str) -> tuple[FrontMatter | None, list[Diagnostic]]:
    """Split ``---``-fenced YAML front matter from the Markdown body."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.startswith("---") or text[3:4] not in ("\n", "\r"):
        return None, [error(path, 1, "missing front matter: the file must start with a '---' line")]
    text = text.replace("\r\n", "\n")
    end = re.search(r"^---[ \t]*$", text[4:], re.MULTILINE)
    if end is None:
        return None, [error(path, 1, "front matter is not closed by a '---' line")]
    yaml_text = text[4 : 4 + end.start()]
    body_start = 4 + end.end() + 1
    body = text[body_start:]
    body_line = 1 + text.count("\n", 0, min(body_start, len(text)))
    data, diagnostics, item_lines = _load(yaml_text, path, first_line=2)
    if diagnostics:
        return None, diagnostics
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [error(path, 2, "front matter must be a mapping of keys to values")]
    fm = FrontMatter(data, key_lines(yaml_text, 2), 1, body, body_line, item_lines)
    return fm, []


def did_you_mean(word: str, choices: Iterable[str], mark: str = "") -> str:
    """A ' (did you mean "x"?)' hint for a misspelt key, or ''; ``mark`` is written before the
    choice (``#`` for an id)."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f' (did you mean "{mark}{close[0]}"?)' if close else ""


def unknown_keys(
    data: Mapping[str, Any], allowed: Iterable[str], lines: Mapping[str, int], path: str, what: str
) -> list[Diagnostic]:
    """One error per key that is not allowed, with a did-you-mean hint."""
    allowed = tuple(allowed)
    return [
        error(
            path,
            lines.get(str(key)),
            f'unknown {what} key "{key}"{did_you_mean(str(key), allowed)}',
        )
        for key in data
        if key not in allowed
    ]
