"""Read site.yaml into a typed, validated SiteConfig (unknown keys warn, wrong types fail)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import parse_pattern

from generator.errors import Problem, SiteError, error, raise_if_errors, unknown_key
from generator.frontmatter import load_yaml_mapping, normalise_text

CONFIG_FILE = "site.yaml"
DEFAULT_DISCLAIMER = "The views expressed here are {author}'s own and do not necessarily represent those of {employer}."


@dataclass(frozen=True)
class Author:
    """A person who writes on the blog; `disclaimer` is their rule (None = no opinion)."""

    key: str
    name: str
    employer: str | None = None
    url: str | None = None
    bio: str | None = None
    disclaimer: bool | None = None


@dataclass(frozen=True)
class CategoryRule:
    """A category's settings as written in site.yaml."""

    name: str
    disclaimer: bool | None = None
    description: str | None = None


@dataclass(frozen=True)
class DisclaimerSettings:
    text: str = DEFAULT_DISCLAIMER
    default: bool = False


@dataclass(frozen=True)
class FeedSettings:
    limit: int = 20


@dataclass(frozen=True)
class CommentSettings:
    reply: str | None = None
    close_after_days: int | None = None


@dataclass(frozen=True)
class PolicySettings:
    require_disclaimer_for: tuple[str, ...] = ()
    flag_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShareSettings:
    """Plain share links under posts (no third-party script); `drafts` also shows them on previews."""

    links: tuple[str, ...] = ("mastodon", "linkedin", "bluesky", "email")
    mastodon: str = "mastodon.social"
    drafts: bool = False


@dataclass(frozen=True)
class SiteConfig:
    """Everything site.yaml says, typed and defaulted; `root` is the site folder."""

    root: Path
    title: str = "My blog"
    tagline: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    paginate: int = 10
    pagination: str = "stable"
    output_dir: str = "public"
    permalink: str = "/{year}/{month}/{day}/{slug}/"
    default_author: str | None = None
    authors: dict[str, Author] = field(default_factory=dict)
    categories: dict[str, CategoryRule] = field(default_factory=dict)
    disclaimer: DisclaimerSettings = DisclaimerSettings()
    theme: str = "default"
    feeds: FeedSettings = FeedSettings()
    comments: CommentSettings = CommentSettings()
    policy: PolicySettings = PolicySettings()
    date_format: str = "long"
    share: ShareSettings = ShareSettings()
    humans_txt: bool = False
    redirects: dict[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, always with a trailing slash ('/' or '/blog/')."""
        return urlsplit(self.base_url).path or "/"

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def themes_dir(self) -> Path:
        return self.root / "themes"


# Each section: key -> (accepted types, human name of the type).
_STR = ((str,), "text")
_BOOL = ((bool,), "true or false")
_INT = ((int,), "a whole number")
_STR_LIST = ((list,), "a list of text")
_SECTION = ((dict,), "a mapping of keys")

TOP_LEVEL = {
    "title": _STR, "tagline": _STR, "base_url": _STR, "language": _STR, "timezone": _STR,
    "paginate": _INT, "pagination": _STR, "output_dir": _STR, "permalink": _STR, "default_author": _STR,
    "authors": _SECTION, "categories": _SECTION, "disclaimer": _SECTION, "theme": _STR,
    "feeds": _SECTION, "comments": _SECTION, "policy": _SECTION,
    "date_format": _STR, "share": _SECTION, "humans_txt": _BOOL, "redirects": _SECTION,
}
AUTHOR_KEYS = {"name": _STR, "employer": _STR, "url": _STR, "bio": _STR, "disclaimer": _BOOL}
CATEGORY_KEYS = {"disclaimer": _BOOL, "description": _STR}
DISCLAIMER_KEYS = {"text": _STR, "default": _BOOL}
FEED_KEYS = {"limit": _INT}
COMMENT_KEYS = {"reply": _STR, "close_after_days": _INT}
POLICY_KEYS = {"require_disclaimer_for": _STR_LIST, "flag_terms": _STR_LIST}
SHARE_KEYS = {"links": _STR_LIST, "mastodon": _STR, "drafts": _BOOL}
SHARE_NETWORKS = ("mastodon", "linkedin", "bluesky", "email")
DATE_STYLES = ("short", "medium", "long", "full")
PAGINATION_STYLES = ("stable", "shifting")
PERMALINK_FIELDS = ("{year}", "{month}", "{day}", "{slug}", "{category}", "{author}")


class _Reader:
    """Checks mappings against a key spec, collecting Problems with file and line."""

    def __init__(self, path: str, lines: dict[str, int]):
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    def line(self, dotted: str) -> int:
        while dotted and dotted not in self.lines:
            dotted = dotted.rpartition(".")[0]
        return self.lines.get(dotted, 1)

    def fail(self, dotted: str, message: str) -> None:
        self.problems.append(error(self.path, self.line(dotted), message))

    def section(self, data: Any, spec: dict, where: str) -> dict[str, Any]:
        """Return the known, correctly typed keys of `data`; report the rest."""
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.fail(where.rstrip("."), f"'{where.rstrip('.')}' must be a mapping of keys")
            return {}
        accepted: dict[str, Any] = {}
        for key, value in data.items():
            dotted = f"{where}{key}"
            if key not in spec:
                self.problems.append(unknown_key(self.path, self.line(dotted), dotted, [where + k for k in spec]))
                continue
            types, type_name = spec[key]
            if value is None:
                continue
            if not isinstance(value, types) or (bool in types) != isinstance(value, bool):
                self.fail(dotted, f"'{dotted}' must be {type_name}, not {value!r}")
                continue
            if types == (list,) and not all(isinstance(item, str) for item in value):
                self.fail(dotted, f"'{dotted}' must be {type_name}")
                continue
            accepted[str(key)] = value
        return accepted


def load_config(root: Path) -> tuple[SiteConfig, list[Problem]]:
    """Read `root/site.yaml`; raise SiteError on errors, return warnings alongside the config."""
    path = root / CONFIG_FILE
    if not path.is_file():
        raise SiteError([error(CONFIG_FILE, None, f"no {CONFIG_FILE} in {root} (is this a deskpress site folder?)")])
    data, lines = load_yaml_mapping(CONFIG_FILE, normalise_text(CONFIG_FILE, path.read_bytes()))
    reader = _Reader(CONFIG_FILE, lines)
    top = reader.section(data, TOP_LEVEL, "")
    authors = {str(key): _author(reader, str(key), value) for key, value in (top.pop("authors", None) or {}).items()}
    top.setdefault("default_author", next(iter(authors), None))
    categories = {
        str(name): CategoryRule(str(name), **reader.section(value, CATEGORY_KEYS, f"categories.{name}."))
        for name, value in (top.pop("categories", None) or {}).items()
    }
    config = SiteConfig(
        root=root,
        authors=authors,
        categories=categories,
        disclaimer=DisclaimerSettings(**reader.section(top.pop("disclaimer", None), DISCLAIMER_KEYS, "disclaimer.")),
        feeds=FeedSettings(**reader.section(top.pop("feeds", None), FEED_KEYS, "feeds.")),
        comments=CommentSettings(**reader.section(top.pop("comments", None), COMMENT_KEYS, "comments.")),
        policy=PolicySettings(**{k: tuple(v) for k, v in reader.section(top.pop("policy", None), POLICY_KEYS, "policy.").items()}),
        share=_share(reader, top.pop("share", None)),
        redirects=_redirects(reader, top.pop("redirects", None) or {}),
        **top,
    )
    _check_values(reader, config)
    _check_locale(reader, config)
    raise_if_errors(reader.problems)
    return config, reader.problems


def _author(reader: _Reader, key: str, value: Any) -> Author:
    fields = reader.section(value, AUTHOR_KEYS, f"authors.{key}.")
    fields.setdefault("name", key)
    return Author(key=key, **fields)


def _share(reader: _Reader, value: Any) -> ShareSettings:
    fields = reader.section(value, SHARE_KEYS, "share.")
    if "links" in fields:
        unknown = [name for name in fields["links"] if name not in SHARE_NETWORKS]
        if unknown:
            reader.fail("share.links", f"'share.links' may only name {', '.join(SHARE_NETWORKS)}, not {', '.join(unknown)}")
        fields["links"] = tuple(dict.fromkeys(name for name in fields["links"] if name in SHARE_NETWORKS))
    mastodon = fields.get("mastodon")
    if mastodon is not None and not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", mastodon, re.IGNORECASE):
        reader.fail("share.mastodon", f"'share.mastodon' must be a server's host name such as 'mastodon.social', not {mastodon!r}")
        fields.pop("mastodon")
    return ShareSettings(**fields)


def _redirects(reader: _Reader, value: dict) -> dict[str, str]:
    """Old site-relative path -> new path or http(s) URL; bad entries are reported and left out."""
    accepted: dict[str, str] = {}
    for old, new in value.items():
        dotted = f"redirects.{old}"
        problem = _redirect_problem(old, new)
        if problem:
            reader.fail(dotted, f"'{dotted}': {problem}")
        else:
            accepted[old.removeprefix("/")] = new if _is_web_url(new) else new.removeprefix("/")
    return accepted


def _redirect_problem(old: Any, new: Any) -> str | None:
    """Why an entry cannot be a redirect: the old side becomes a file, so it must stay inside the output folder."""
    if not isinstance(old, str) or not isinstance(new, str):
        return f"old and new addresses must be text, not {old!r}: {new!r}"
    if not old.startswith("/") or urlsplit(old).netloc or "#" in old:
        return "the old address must be a path on this site starting with '/' (no host, no '#')"
    if _leaves_site(old):
        return "the old address must not contain '.' or '..' segments (it would leave the output folder)"
    if old == "/":
        return "the home page cannot be redirected"
    if re.search(r"\s", old + new):
        return "addresses must not contain spaces (write %20)"
    if _is_web_url(new):
        return None
    if not new.startswith("/") or new.startswith("//") or _leaves_site(new):
        return f"the new address must be a path on this site starting with '/' or an absolute http(s) URL, not {new!r}"
    return None


def _is_web_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _leaves_site(path: str) -> bool:
    return any(segment in (".", "..") for segment in urlsplit(path).path.replace("\\", "/").split("/"))


def _check_locale(reader: _Reader, config: SiteConfig) -> None:
    """Dates are written with Babel, so the language and date format must be ones it understands."""
    try:
        Locale.parse(config.language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        reader.fail("language", f"unknown language {config.language!r} (use a code such as 'en', 'fr' or 'en-GB')")
    if config.date_format not in DATE_STYLES and not _is_date_pattern(config.date_format):
        reader.fail("date_format", f"'date_format' must be one of {', '.join(DATE_STYLES)} or a date pattern such as 'd MMMM y'")


def _is_date_pattern(text: str) -> bool:
    """A CLDR pattern with a day, month or year field that Babel can actually apply."""
    try:
        parse_pattern(text).apply(datetime(2000, 1, 2, tzinfo=timezone.utc), Locale("en"))
    except (ValueError, KeyError, AttributeError, IndexError):
        return False
    return bool(re.search(r"[dMyLE]", text))


def _check_values(reader: _Reader, config: SiteConfig) -> None:
    """Checks that need more than a type: URLs, time zones, ranges, references."""
    parts = urlsplit(config.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        reader.fail("base_url", f"'base_url' must be an absolute http(s) URL, not {config.base_url!r}")
    elif not config.base_url.endswith("/"):
        reader.fail("base_url", f"'base_url' must end with '/': {config.base_url + '/'!r}")
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        reader.fail("timezone", f"unknown time zone {config.timezone!r} (use an IANA name such as 'Europe/London')")
    if config.paginate < 1:
        reader.fail("paginate", "'paginate' must be at least 1")
    if config.pagination not in PAGINATION_STYLES:
        reader.fail("pagination", f"'pagination' must be one of {', '.join(PAGINATION_STYLES)}, not {config.pagination!r}")
    if config.feeds.limit < 1:
        reader.fail("feeds.limit", "'feeds.limit' must be at least 1")
    if "{slug}" not in config.permalink or not config.permalink.startswith("/") or not config.permalink.endswith("/"):
        reader.fail("permalink", "'permalink' must start and end with '/' and contain {slug}")
    stripped = config.permalink
    for placeholder in PERMALINK_FIELDS:
        stripped = stripped.replace(placeholder, "")
    if "{" in stripped or "}" in stripped or ".." in stripped:
        reader.fail("permalink", f"'permalink' may only use {', '.join(PERMALINK_FIELDS)}")
    if config.default_author and config.default_author not in config.authors:
        reader.fail("default_author", f"default_author {config.default_author!r} is not one of the authors")
    if not config.authors:
        reader.fail("authors", "site.yaml must define at least one author under 'authors'")
    reply = config.comments.reply
    if reply and not (reply.startswith("mailto:") or urlsplit(reply).scheme in ("http", "https")):
        reader.fail("comments.reply", "'comments.reply' must be a mailto: address or an http(s) form URL")
