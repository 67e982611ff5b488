"""Split a Markdown file into YAML frontmatter and body, keeping each key's line number."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.errors import SiteError, error


@dataclass(frozen=True)
class Document:
    """A parsed source file: metadata, the line each key sits on, and the Markdown body."""

    path: str
    meta: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1

    def line_of(self, key: str) -> int:
        """The line a key was written on (or the first line), for precise error messages."""
        return self.lines.get(key, 1)


class _LenientDates:
    """The safe loader, except that an impossible date (2026-02-30) stays text, so the field
    that holds it can be reported with its line instead of crashing the build."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


class _SafeLoader(_LenientDates, yaml.SafeLoader):
    pass


class _FastSafeLoader(_LenientDates, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The same rules on libyaml's parser, when PyYAML was built with it."""


for _loader in (_SafeLoader, _FastSafeLoader):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _loader.construct_yaml_timestamp)
    # YAML 1.2 booleans: only true/false. A category called "On" or a language "no" stays text.
    _loader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def normalise_text(path: str, raw: bytes | str) -> str:
    """Decode and drop the BOM and CRLF line endings so every later stage sees one form."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise SiteError([error(path, None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")]) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_document(path: str, raw: bytes | str) -> Document:
    """Parse a file with `---` delimited frontmatter; raise SiteError pointing at the bad line."""
    text = normalise_text(path, raw)
    if not text.startswith("---\n"):
        raise SiteError([error(path, 1, "missing frontmatter: the file must start with a '---' line")])
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise SiteError([error(path, 1, "frontmatter is not closed: add a '---' line after it")])
    yaml_text = text[4 : end + 1]
    body = text[end + 5 :]
    body_line = yaml_text.count("\n") + 3
    meta, lines = load_yaml_mapping(path, yaml_text, first_line=2)
    return Document(path, meta, lines, body, body_line)


def load_yaml_mapping(path: str, text: str, first_line: int = 1) -> tuple[dict[str, Any], dict[str, int]]:
    """Load a YAML mapping with the safe loader, returning it with the line of each top-level key.

    libyaml's safe loader is ten times faster; when it rejects the text, the pure-Python loader
    parses it again so that error messages stay the same whichever is installed.
    """
    try:
        return _load_mapping(path, text, first_line, _FastSafeLoader)
    except SiteError:
        if _FastSafeLoader is _SafeLoader:
            raise
        return _load_mapping(path, text, first_line, _SafeLoader)


def _load_mapping(path: str, text: str, first_line: int, loader_class: type) -> tuple[dict[str, Any], dict[str, int]]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        if not isinstance(node, yaml.MappingNode):
            raise SiteError([error(path, node.start_mark.line + first_line, "expected 'key: value' lines")])
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + first_line if mark else first_line
        reason = getattr(exc, "problem", None) or str(exc)
        raise SiteError([error(path, line, f"invalid YAML: {reason}")])
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    _record_key_lines(node, "", first_line, lines)
    return {str(k): v for k, v in data.items()}, lines


def _record_key_lines(node: yaml.Node, prefix: str, first_line: int, lines: dict[str, int]) -> None:
    """Map dotted key paths ('authors.ana.name') to lines, so nested errors can point at them."""
    if not isinstance(node, yaml.MappingNode):
        return
    for key, value in node.value:
        dotted = f"{prefix}{key.value}"
        lines.setdefault(dotted, key.start_mark.line + first_line)
        _record_key_lines(value, dotted + ".", first_line, lines)
