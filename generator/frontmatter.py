"""Split a Markdown file into YAML front matter and body, keeping line numbers for diagnostics."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    line, rather than the YAML library raising an error without either."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.MULTILINE)


@dataclass(frozen=True)
class FrontMatter:
    """The parsed front matter, the line of each top-level key, and where the body starts."""

    data: Mapping[str, Any]
    lines: Mapping[str, int]
    start_line: int
    body: str
    body_line: int


def load_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, list[Diagnostic]]:
    """Load YAML; a syntax error becomes a diagnostic at the line of the error."""
    try:
        return yaml.load(text, Loader=_Loader), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or "malformed YAML"
        if (
            exc.context
            and exc.context_mark
            and exc.context_mark.line != (mark.line if mark else -1)
        ):
            problem += f" ({exc.context} that starts on line {first_line + exc.context_mark.line})"
        return None, [error(path, line, f"invalid YAML: {problem}")]
    except yaml.YAMLError as exc:
        return None, [error(path, first_line, f"invalid YAML: {exc}")]


def key_lines(yaml_text: str, first_line: int) -> dict[str, int]:
    """The file line of each top-level key in a YAML mapping."""
    lines: dict[str, int] = {}
    for match in _TOP_KEY.finditer(yaml_text):
        line = first_line + yaml_text.count("\n", 0, match.start())
        lines.setdefault(match.group(1), line)
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
    data, diagnostics = load_yaml(yaml_text, path, first_line=2)
    if diagnostics:
        return None, diagnostics
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [error(path, 2, "front matter must be a mapping of keys to values")]
    fm = FrontMatter(data, key_lines(yaml_text, 2), 1, body, body_line)
    return fm, []


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean "x"?)' hint for a misspelt key, or ''."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


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
