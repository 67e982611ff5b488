"""Add imported authors, categories and redirects to site.yaml by editing its text, so comments and order survive.

The file is only ever read with the safe loader; the edited text is read back and compared with
the intended result, so a layout this module does not understand fails loudly instead of corrupting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from generator.errors import SiteError, error

SECTIONS = ("authors", "categories", "redirects")


@dataclass(frozen=True)
class SiteYamlChange:
    text: str
    added: tuple[str, ...]
    replaced: tuple[str, ...]
    kept: tuple[str, ...]


def dump(data: Any) -> str:
    """YAML as people write it: block style, unicode kept, no line wrapping."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)


def new_site_yaml(settings: dict[str, Any], sections: dict[str, dict[str, dict]], source: str) -> str:
    """A complete site.yaml for a folder that had none."""
    header = (f"# Written by `deskpress import wordpress` from {source}.\n"
              "# WordPress exports carry UTC offsets, not a time zone: set `timezone` to yours (e.g. Europe/London).\n")
    return header + dump(settings) + "".join(dump({name: entries}) + "\n" for name, entries in sections.items() if entries)


def merge_site_yaml(text: str, sections: dict[str, dict[str, Any]], force: bool, path: str = "site.yaml") -> SiteYamlChange:
    """Add missing entries to each section; replace existing ones only when `force` is set."""
    original = yaml.safe_load(text) or {}
    if not isinstance(original, dict):
        raise SiteError([error(path, 1, "site.yaml is not a mapping of keys: cannot add what the import found")])
    added, replaced, kept = [], [], []
    expected = dict(original)
    for name, entries in sections.items():
        current = original.get(name) or {}
        if not isinstance(current, dict):
            raise SiteError([error(path, None, f"'{name}' in site.yaml is not a mapping: cannot add the imported {name}")])
        merged = dict(current)
        for key, value in entries.items():
            if key not in current:
                merged[key] = value
                added.append(f"{name}.{key}")
            elif force and current[key] != value:
                merged[key] = value
                replaced.append(f"{name}.{key}")
            elif current[key] != value:
                kept.append(f"{name}.{key}")
        if merged != current:
            text = _write_section(text, name, current, merged)
            expected[name] = merged
    if yaml.safe_load(text) != expected:
        raise SiteError([error(path, None, "could not add the imported authors, categories and redirects without disturbing "
                                           "site.yaml; add them by hand or start from an empty folder")])
    return SiteYamlChange(text, tuple(added), tuple(replaced), tuple(kept))


def _write_section(text: str, name: str, current: dict, merged: dict) -> str:
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(rf"{name}\s*:", line)), None)
    if start is None:
        return text + ("" if text.endswith("\n") or not text else "\n") + "\n" + dump({name: merged})
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    if re.match(rf"{name}\s*:\s*(#.*)?$", lines[start].rstrip("\n")) is None or not current:
        return "".join(lines[:start]) + dump({name: merged}) + "".join(lines[end:])
    indent = _child_indent(lines[start + 1 : end])
    body = lines[start + 1 : end]
    for key in [k for k in merged if k in current and merged[k] != current[k]]:
        body = _drop_entry(body, key, indent)
    new = [k for k in merged if k not in current or merged[k] != current[k]]
    block = "".join(" " * indent + line if line.strip() else line
                    for line in dump({k: merged[k] for k in new}).splitlines(keepends=True))
    body_text = "".join(body)
    if body_text and not body_text.endswith("\n"):
        body_text += "\n"
    return "".join(lines[: start + 1]) + body_text + block + "".join(lines[end:])


def _child_indent(body: list[str]) -> int:
    for line in body:
        if line.strip() and not line.lstrip().startswith("#"):
            return len(line) - len(line.lstrip(" "))
    return 2


def _drop_entry(body: list[str], key: str, indent: int) -> list[str]:
    """Remove `key:` and its nested lines from a section body."""
    pattern = re.compile(rf"^ {{{indent}}}(?:{re.escape(key)}|'{re.escape(key)}'|\"{re.escape(key)}\")\s*:")
    out, skipping = [], False
    for line in body:
        if pattern.match(line):
            skipping = True
            continue
        if skipping and (not line.strip() or len(line) - len(line.lstrip(" ")) > indent):
            continue
        skipping = False
        out.append(line)
    return out
