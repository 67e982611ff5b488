"""`deskpress comment add`: turn a reply received by email or form into a correctly named comment file.

A moderator should never hand-write frontmatter, so everything the build would reject is refused here,
before anything is written, and the file is parsed back exactly as the build will read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from slugify import slugify

from generator.config import SiteConfig, load_config
from generator.content import Comment, Content, load_content, parse_moment, read_comment
from generator.errors import Problem, SiteError, error, raise_if_errors

AUTHOR_SLUG_LENGTH = 40


@dataclass(frozen=True)
class NewComment:
    """A response as the moderator received it; `date` is as typed (None = now)."""

    post_slug: str
    author: str
    body: str
    type: str = "comment"
    url: str | None = None
    email: str | None = None
    in_reply_to: str | None = None
    date: str | None = None


def add_comment(root: Path, new: NewComment, now: datetime) -> Path:
    """Write `new` under content/comments/<slug>/ and return its path; raise SiteError if it would not build."""
    config, _ = load_config(root)
    content, _ = load_content(config)
    where = f"content/comments/{new.post_slug}"
    moment = parse_moment(new.date, config) if new.date else now.astimezone(config.tz).replace(microsecond=0)
    problems = check_comment(new, content, where)
    if moment is None:
        problems.append(error(where, None, f"--date {new.date!r} is not a valid date (use YYYY-MM-DD or YYYY-MM-DD HH:MM[+HH:MM])"))
    raise_if_errors(problems)
    folder = config.content_dir / "comments" / new.post_slug
    path = free_path(folder, file_stem(new.author, moment, config))
    data = comment_file(new, moment, config).encode("utf-8")
    _parse_back(config, path, data)
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        handle.write(data)
    return path


def check_comment(new: NewComment, content: Content, where: str) -> list[Problem]:
    """Every reason the build would refuse this comment, found before a file exists."""
    slugs = {post.slug for post in content.posts}
    if new.post_slug not in slugs:
        return [error(where, None, f"no post has the slug {new.post_slug!r}: check the post's URL or its 'slug' field")]
    problems = []
    if not new.author.strip() or "\n" in new.author:
        problems.append(error(where, None, "--author must be one non-empty line"))
    if new.url is not None and not is_web_url(new.url):
        problems.append(error(where, None, f"--url {new.url!r} is not an http(s) URL"))
    if new.url is None and new.type != "comment":
        problems.append(error(where, None, f"a {new.type} needs --url, the page that links to the post"))
    if new.email is not None and ("@" not in new.email or any(c.isspace() for c in new.email)):
        problems.append(error(where, None, f"--email {new.email!r} is not an email address"))
    if not new.body.strip():
        problems.append(error(where, None, "the comment body (read from standard input) is empty"))
    if new.in_reply_to is not None and new.in_reply_to not in _comment_keys(content.comments, new.post_slug):
        problems.append(error(where, None, f"--in-reply-to {new.in_reply_to!r}: no such comment on this post"))
    return problems


def is_web_url(value: str) -> bool:
    """Only absolute http(s) URLs may become an author link (no javascript:, data:, quotes or spaces)."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c in value for c in "\"'<> \n\t")


def file_stem(author: str, moment: datetime, config: SiteConfig) -> str:
    """Names sort by time and say who wrote them; the same input always gives the same name."""
    who = slugify(author, max_length=AUTHOR_SLUG_LENGTH, word_boundary=True) or "anonymous"
    return f"{moment.astimezone(config.tz):%Y-%m-%d-%H%M%S}-{who}"


def free_path(folder: Path, stem: str) -> Path:
    """The first of stem.md, stem-2.md, ... whose permalink no existing comment of the post uses."""
    taken = {slugify(p.stem, allow_unicode=True) for p in folder.glob("*.md")} if folder.is_dir() else set()
    candidate, number = stem, 1
    while slugify(candidate, allow_unicode=True) in taken:
        number += 1
        candidate = f"{stem}-{number}"
    return folder / f"{candidate}.md"


def comment_file(new: NewComment, moment: datetime, config: SiteConfig) -> str:
    """The file's text: YAML written by the YAML library (so any name is quoted safely), then the body."""
    meta = {"author": new.author.strip(), "date": moment.astimezone(config.tz).isoformat(sep=" ")}
    optional = {"type": new.type if new.type != "comment" else None, "url": new.url, "email": new.email,
                "in_reply_to": new.in_reply_to}
    meta.update({key: value for key, value in optional.items() if value is not None})
    frontmatter = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
    body = "\n".join(line.rstrip() for line in new.body.replace("\r\n", "\n").strip("\n").split("\n"))
    return f"---\n{frontmatter}---\n{body}\n"


def _parse_back(config: SiteConfig, path: Path, data: bytes) -> None:
    comment, problems = read_comment(config, path, data)
    if comment is None or problems:
        raise SiteError(problems or [error(path.relative_to(config.root), None, "the comment could not be read back")])


def _comment_keys(comments: tuple[Comment, ...], post_slug: str) -> set[str]:
    return {c.key for c in comments if c.post_slug == post_slug and c.type == "comment"}
