"""Start a post or page in one command: a file with complete frontmatter, ready to write in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from slugify import slugify

from generator.config import SiteConfig, load_config
from generator.errors import SiteError, error
from generator.frontmatter import normalise_text, parse_document

TEMPLATES_DIR = "_templates"
FIXED_KEYS = ("title", "date")


@dataclass(frozen=True)
class NewDocument:
    """What the author asked for on the command line."""

    title: str
    page: bool = False
    category: str | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()


def create(root: Path, request: NewDocument, now: datetime) -> Path:
    """Write the new file and return its path; never overwrite, so a typo cannot destroy a post."""
    config, _warnings = load_config(root)
    slug = slugify(request.title, allow_unicode=True)
    if not slug:
        raise SiteError([error("title", None, f"cannot make a file name from the title {request.title!r}")])
    author = request.author or config.default_author
    if author not in config.authors:
        raise SiteError([error("--author", None, f"unknown author {author!r} (known: {', '.join(sorted(config.authors))})")])
    local = now.astimezone(config.tz).replace(microsecond=0)
    path = target_path(config, request, slug, local)
    text = document_text(config, request, author, local, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise SiteError([error(path.relative_to(root).as_posix(), None, "already exists; choose another title")]) from None
    return path


def target_path(config: SiteConfig, request: NewDocument, slug: str, local: datetime) -> Path:
    """Posts are named after their day so they sort by date in any file browser; pages by slug alone."""
    if request.page:
        return config.content_dir / "pages" / f"{slug}.md"
    return config.content_dir / "posts" / f"{local:%Y-%m-%d}-{slug}.md"


def document_text(config: SiteConfig, request: NewDocument, author: str, local: datetime, slug: str) -> str:
    """Frontmatter from defaults, then the archetype, then the command line; the archetype's body follows."""
    archetype_meta, body = read_archetype(config, "page" if request.page else "post")
    meta: dict[str, Any] = default_meta(request, author, local)
    meta.update({key: value for key, value in archetype_meta.items() if key not in FIXED_KEYS})
    meta.update(requested_meta(request))
    placeholders = {"{title}": request.title, "{author}": config.authors[author].name, "{slug}": slug,
                    "{date}": local.strftime("%Y-%m-%d")}
    for placeholder, value in placeholders.items():
        body = body.replace(placeholder, value)
    lines = ["---"] + [f"{key}: {yaml_value(value)}" for key, value in meta.items()] + ["---", "", ""]
    return "\n".join(lines) + body.lstrip("\n")


def default_meta(request: NewDocument, author: str, local: datetime) -> dict[str, Any]:
    """Every field an author usually fills in, so nobody has to remember the names."""
    if request.page:
        return {"title": request.title, "summary": "", "order": 0, "nav": True, "draft": True}
    return {"title": request.title, "date": local, "author": author,
            "category": "", "tags": [], "summary": "", "draft": True}


def requested_meta(request: NewDocument) -> dict[str, Any]:
    """Only what was given on the command line overrides the archetype."""
    if request.page:
        return {}
    given = {"author": request.author, "category": request.category, "tags": list(request.tags) or None}
    return {key: value for key, value in given.items() if value}


def read_archetype(config: SiteConfig, kind: str) -> tuple[dict[str, Any], str]:
    """The site's `content/_templates/<kind>.md`, parsed by the same reader as posts (empty when absent)."""
    path = config.content_dir / TEMPLATES_DIR / f"{kind}.md"
    if not path.is_file():
        return {}, ""
    rel = path.relative_to(config.root).as_posix()
    text = normalise_text(rel, path.read_bytes())
    if not text.startswith("---\n"):
        return {}, text
    document = parse_document(rel, text)
    return document.meta, document.body


def yaml_value(value: Any) -> str:
    """One YAML scalar or flow list on one line, quoted only where YAML needs it."""
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1_000_000).removesuffix("\n...\n").strip()
