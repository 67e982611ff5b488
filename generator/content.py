"""Read content/ into Post, Page and Comment records, collecting every problem on the way."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from slugify import slugify

from generator.config import SiteConfig
from generator.errors import Problem, SiteError, did_you_mean, error, unknown_key, warning
from generator.frontmatter import Document, parse_document
from generator.inputs import source_version

DATED_FILENAME = re.compile(r"^\d{4}-\d{2}-\d{2}-")
COMMENT_TYPES = ("comment", "pingback", "trackback")
UNCATEGORIZED = "Uncategorized"


@dataclass(frozen=True)
class Post:
    """A post exactly as its author wrote it (nothing decided about publishing yet)."""

    source: str
    title: str
    date: datetime
    author: str
    category: str
    slug: str
    body: str
    body_line: int = 1
    tags: tuple[str, ...] = ()
    summary: str | None = None
    updated: datetime | None = None
    draft: bool = False
    disclaimer: bool | str | None = None
    comments: str | None = None
    id: str | None = None
    aliases: tuple[str, ...] = ()
    pinned: bool = False


@dataclass(frozen=True)
class Page:
    """A standalone page linked from the navigation."""

    source: str
    title: str
    slug: str
    body: str
    body_line: int = 1
    order: int = 0
    nav: bool = True
    draft: bool = False
    summary: str | None = None
    aliases: tuple[str, ...] = ()
    updated: datetime | None = None


@dataclass(frozen=True)
class Comment:
    """A reader's response to a post: a comment, pingback or trackback, stored as a file."""

    source: str
    post_slug: str
    key: str
    author: str
    date: datetime
    body: str
    body_line: int = 1
    type: str = "comment"
    url: str | None = None
    email: str | None = None
    in_reply_to: str | None = None
    line_of_reply: int = 1

    @property
    def anchor(self) -> str:
        """The fragment id of this response on its post's page (stable: the file name decides it)."""
        return f"comment-{unicode_slug(self.key) or 'x'}"


@dataclass(frozen=True)
class Content:
    """Everything under content/, sorted by source path so builds are deterministic."""

    posts: tuple[Post, ...]
    pages: tuple[Page, ...]
    comments: tuple[Comment, ...]
    static_files: tuple[str, ...]


def without_body(record: Post | Page | Comment) -> Post | Page | Comment:
    """A new record like `record` with an empty body: nothing after the Markdown stage reads one, and the
    sources of 10,000 posts are 57 MB. (Not dataclasses.replace(), which checks every field again.)"""
    bare = object.__new__(type(record))
    bare.__dict__.update(record.__dict__, body="")
    return bare


POST_KEYS = ("title", "date", "author", "category", "tags", "summary", "updated", "slug", "draft",
             "disclaimer", "comments", "id", "aliases", "pinned")
PAGE_KEYS = ("title", "slug", "order", "nav", "draft", "summary", "aliases", "updated")
COMMENT_KEYS = ("author", "date", "url", "email", "type", "in_reply_to")
FOLDER_KINDS = {"posts": "post", "pages": "page", "comments": "comment"}  # content/<folder>/ holds records of <kind>


LoadResult = tuple[Any, list[Problem]]  # one file's record (None when it has errors) and its problems
Loaded = tuple[str, LoadResult]  # a file's version (source_version of the bytes read) and what they gave
Recall = Callable[[str, list[str], Callable[[int], str], Callable[[list[int]], list[Loaded]]], list[LoadResult]]
Spread = Callable[[Callable[[int], Loaded], int], list[Loaded]]


def in_order(work: Callable[[int], Loaded], count: int) -> list[Loaded]:
    return [work(number) for number in range(count)]


def load_all_now(kind: str, rels: list[str], version_of: Callable[[int], str],
                 load: Callable[[list[int]], list[Loaded]]) -> list[LoadResult]:
    """Load every file: what a build without a cache does."""
    return [result for _, result in load(list(range(len(rels))))]


def read_source(path: Path) -> bytes:
    """Path.read_bytes() in half the system calls (no buffered file object): a cold build reads 18,500 files."""
    handle = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(handle).st_size
        data = os.read(handle, size + 1)
        while len(data) > size and (more := os.read(handle, 1 << 16)):  # it grew since: read on to its end
            data += more
        return data
    finally:
        os.close(handle)


def load_content(config: SiteConfig, read: Callable[[Path], bytes] = read_source,
                 parse: Callable[[str, bytes], Document] = parse_document,
                 recall: Recall = load_all_now, spread: Spread = in_order) -> tuple[Content, list[Problem]]:
    """Parse every source file; raise SiteError listing all errors, return warnings otherwise.

    `recall(kind, rels, version_of, load)` may answer for files it has seen with the same bytes (and
    this site.yaml) before, asking `version_of(position)` when it does not know a file's version, and
    calling `load` with the positions of the others (the build passes its cache); `load` reads and
    parses them and tells the versions it read. `spread(work, count)` runs work(0..count-1), in
    order or over several processes."""
    problems: list[Problem] = []
    root = config.content_dir
    posts, pages, comments = (_load_all(config, kind, _markdown_files(root / folder), problems, read, parse, recall, spread)
                              for folder, kind in FOLDER_KINDS.items())
    static_root = root / "static"
    static = tuple(sorted(p.relative_to(static_root).as_posix() for p in static_root.rglob("*") if p.is_file())) if static_root.is_dir() else ()
    if any(p.severity == "error" for p in problems):
        raise SiteError(problems)
    return Content(tuple(posts), tuple(pages), tuple(comments), static), problems


def _markdown_files(folder: Path) -> list[Path]:
    """Every .md file below `folder` not named like a hidden file, in path order; symlinked folders are not followed.

    What sorted(folder.rglob("*.md")) finds, at a third of its cost (os.scandir, no pattern matching)."""
    found: list[str] = []
    pending = [str(folder)]
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    elif entry.name.endswith(".md") and not entry.name.startswith(".") and entry.is_file():
                        found.append(entry.path)
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
    return [Path(path) for path in sorted(found, key=lambda path: path.split(os.sep))]


def _load_all(config: SiteConfig, kind: str, paths: list[Path], problems: list[Problem], read, parse,
              recall: Recall, spread: Spread) -> list:
    base = len(str(config.root / "x")) - 1  # the listing spells every path as the root's spelling + "/" + rel
    rels = [str(path)[base:].replace(os.sep, "/") for path in paths]
    records = []
    for record, found in load_sources(config, kind, paths, rels, read, parse, recall, spread):
        problems.extend(found)
        if record is not None:
            records.append(record)
    return records


def load_sources(config: SiteConfig, kind: str, paths: list[Path], rels: list[str], read=read_source,
                 parse=parse_document, recall: Recall = load_all_now, spread: Spread = in_order) -> list[LoadResult]:
    """Each file's record (None when it has errors) and problems, as load_content makes them (see there).

    `kind` is "post", "page" or "comment"; `rels` spell the paths relative to the site folder."""
    make = MAKERS[kind]
    raws: dict[int, bytes] = {}

    def version_of(position: int) -> str:
        raws[position] = read(paths[position])
        return source_version(raws[position])

    def load(positions: list[int]) -> list[Loaded]:
        def one(n: int) -> Loaded:
            position = positions[n]
            raw = raws[position] if position in raws else read(paths[position])
            return _load_one(config, make, parse, paths[position], rels[position], raw)
        return spread(one, len(positions))

    return recall(kind, rels, version_of, load)


def source_kind(config: SiteConfig, path: Path) -> str | None:
    """Which kind of record the file at `path` is loaded as ("post", "page", "comment"), or None."""
    try:
        folder = path.relative_to(config.content_dir).parts[0]
    except (ValueError, IndexError):
        return None
    return FOLDER_KINDS.get(folder) if path.suffix == ".md" and not path.name.startswith(".") else None


def _load_one(config: SiteConfig, make, parse, path: Path, rel: str, raw: bytes) -> Loaded:
    try:
        result = make(config, parse(rel, raw), path)
    except SiteError as exc:
        result = None, list(exc.problems)
    return source_version(raw), result


class _Fields:
    """Typed access to a document's metadata that records a located Problem for each bad value."""

    def __init__(self, config: SiteConfig, doc: Document, known: tuple[str, ...]):
        self.config, self.doc = config, doc
        self.problems: list[Problem] = [
            unknown_key(doc.path, doc.line_of(key), key, known) for key in doc.meta if key not in known
        ]

    def fail(self, key: str, message: str) -> None:
        self.problems.append(error(self.doc.path, self.doc.line_of(key), message))

    def text(self, key: str, required: bool = False, default: str | None = None) -> str | None:
        value = self.doc.meta.get(key)
        if value is None:
            if required:
                self.problems.append(error(self.doc.path, 1, f"missing required field '{key}'"))
            return default
        if isinstance(value, (dict, list, bool)):
            self.fail(key, f"'{key}' must be text, not {value!r}")
            return default
        text = str(value).strip()
        if required and not text:
            self.fail(key, f"'{key}' must not be empty")
        return text or default

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.doc.meta.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"'{key}' must be true or false, not {value!r}")
            return default
        return value

    def integer(self, key: str, default: int = 0) -> int:
        value = self.doc.meta.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"'{key}' must be a whole number, not {value!r}")
            return default
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.doc.meta.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [part for part in value.split(",")]
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) or v is None for v in value):
            self.fail(key, f"'{key}' must be a list, such as [one, two]")
            return ()
        return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))

    def web_url(self, key: str) -> str | None:
        """Accept only absolute http(s) URLs; anything else (javascript:, data:) is dropped with a warning."""
        value = self.text(key)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c in value for c in "\"'<> \n"):
            self.problems.append(warning(self.doc.path, self.doc.line_of(key), f"'{key}' ignored: {value!r} is not an http(s) URL"))
            return None
        return value

    def moment(self, key: str, required: bool = False) -> datetime | None:
        value = self.doc.meta.get(key)
        if value is None:
            if required:
                self.problems.append(error(self.doc.path, 1, f"missing required field '{key}'"))
            return None
        parsed = parse_moment(value, self.config)
        if parsed is None:
            self.fail(key, f"'{key}' is not a valid date: {value!r} (use YYYY-MM-DD or YYYY-MM-DD HH:MM[+HH:MM])")
        return parsed

    def slug(self, fallback_stem: str) -> str:
        raw = self.doc.meta.get("slug")
        if raw is None:
            raw = DATED_FILENAME.sub("", fallback_stem)
        raw = str(raw)
        if "/" in raw or "\\" in raw or ".." in raw or raw.startswith("."):
            self.fail("slug", f"slug {raw!r} would leave its folder: use letters, digits and dashes only")
            return ""
        slug = slugify(raw, allow_unicode=True)
        if not slug:
            self.fail("slug", f"cannot make a URL slug from {raw!r}: set 'slug' explicitly")
        return slug


def parse_moment(value: Any, config: SiteConfig) -> datetime | None:
    """Turn a YAML date or date-time into an aware datetime; times without offset are in the site's zone."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=config.tz)
    return moment


def _post(config: SiteConfig, doc: Document, path: Path) -> tuple[Post | None, list[Problem]]:
    f = _Fields(config, doc, POST_KEYS)
    title = f.text("title", required=True)
    moment = f.moment("date", required=True)
    author = f.text("author", default=config.default_author)
    if author is not None and author not in config.authors:
        f.fail("author", f"unknown author {author!r} (known: {', '.join(sorted(config.authors))})")
    disclaimer = doc.meta.get("disclaimer")
    if disclaimer == "" or (disclaimer is not None and not isinstance(disclaimer, (bool, str))):
        f.fail("disclaimer", "'disclaimer' must be true, false or the text of this post's footer")
        disclaimer = None
    comments = f.text("comments")
    if comments not in (None, "open", "closed"):
        f.fail("comments", f"'comments' must be 'open' or 'closed', not {comments!r}")
        comments = None
    feed_id = f.text("id")
    if feed_id and any(c.isspace() for c in feed_id):
        f.fail("id", f"'id' must not contain spaces: {feed_id!r} (feed readers compare IDs character by character)")
    post = Post(
        source=doc.path, title=title or "", date=moment or datetime.min, author=author or "",
        category=_category(f, config), slug=f.slug(path.stem),
        body=doc.body, body_line=doc.body_line, tags=f.text_list("tags"), summary=f.text("summary"),
        updated=f.moment("updated"), draft=f.flag("draft"), disclaimer=disclaimer, comments=comments,
        id=feed_id, aliases=f.text_list("aliases"), pinned=f.flag("pinned"),
    )
    return _result(post, f)


@functools.lru_cache(maxsize=65536)
def unicode_slug(text: str) -> str:
    """slugify, remembered: builds slug the same category, tag and author names thousands of times."""
    return slugify(text, allow_unicode=True)


@functools.lru_cache(maxsize=8)
def _category_slugs(names: tuple[str, ...]) -> dict[str, str]:
    """Slugging every known category again for each post was a tenth of a 10,000-post build."""
    return {slugify(known, allow_unicode=True): known for known in names}


def _category(f: _Fields, config: SiteConfig) -> str:
    """The category as site.yaml spells it ('policy' files under 'Policy' and gets its rule); warn when
    site.yaml lists categories and this is none of them, since a typo would silently skip a disclaimer rule."""
    name = f.text("category", default=UNCATEGORIZED) or UNCATEGORIZED
    canonical = _category_slugs(tuple(config.categories)).get(unicode_slug(name))
    if canonical is None and config.categories and name != UNCATEGORIZED:
        f.problems.append(warning(f.doc.path, f.doc.line_of("category"), f"category {name!r} is not in site.yaml, "
                                  f"so no category rule applies{did_you_mean(name, config.categories)}"))
    return canonical or name


def _page(config: SiteConfig, doc: Document, path: Path) -> tuple[Page | None, list[Problem]]:
    f = _Fields(config, doc, PAGE_KEYS)
    page = Page(
        source=doc.path, title=f.text("title", required=True) or "", slug=f.slug(path.stem), body=doc.body,
        body_line=doc.body_line, order=f.integer("order"), nav=f.flag("nav", True), draft=f.flag("draft"),
        summary=f.text("summary"), aliases=f.text_list("aliases"), updated=f.moment("updated"),
    )
    return _result(page, f)


def read_comment(config: SiteConfig, path: Path, data: bytes) -> tuple[Comment | None, list[Problem]]:
    """Parse one comment file exactly as a build would, so a tool can check a comment before writing it."""
    try:
        document = parse_document(path.relative_to(config.root).as_posix(), data)
    except SiteError as exc:
        return None, list(exc.problems)
    return _comment(config, document, path)


def _comment(config: SiteConfig, doc: Document, path: Path) -> tuple[Comment | None, list[Problem]]:
    f = _Fields(config, doc, COMMENT_KEYS)
    post_folder = path.parent.relative_to(config.content_dir / "comments").as_posix()
    if post_folder == ".":
        f.problems.append(error(doc.path, 1, "comments belong in content/comments/<post-slug>/"))
    kind = f.text("type", default="comment")
    if kind not in COMMENT_TYPES:
        f.fail("type", f"'type' must be one of {', '.join(COMMENT_TYPES)}, not {kind!r}")
    if kind in ("pingback", "trackback") and doc.meta.get("in_reply_to") is not None:
        f.fail("in_reply_to", f"a {kind} cannot reply to a comment: remove 'in_reply_to'")
    url = f.web_url("url")
    if kind in ("pingback", "trackback") and url is None:
        f.fail("url", f"a {kind} needs the 'url' of the page that links here")
    comment = Comment(
        source=doc.path, post_slug=post_folder, key=path.stem, author=f.text("author", required=True) or "",
        date=f.moment("date", required=True) or datetime.min, body=doc.body, body_line=doc.body_line,
        type=kind or "comment", url=url, email=f.text("email"), in_reply_to=f.text("in_reply_to"),
        line_of_reply=doc.line_of("in_reply_to"),
    )
    return _result(comment, f)


MAKERS = {"post": _post, "page": _page, "comment": _comment}


def _result(record, fields: _Fields):
    if any(p.severity == "error" for p in fields.problems):
        return None, fields.problems
    return record, fields.problems
