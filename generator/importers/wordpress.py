"""deskpress import wordpress: a WXR export in; posts, pages, comments, media and site.yaml out.

Two streaming passes over the export: the first learns slugs, page parents, attachments and
people; the second converts each item and stages its files. Nothing reaches the site folder
before everything has been converted, and a dry run stages nothing at all.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from slugify import slugify

from generator.config import CONFIG_FILE, SiteConfig, load_config
from generator.content import UNCATEGORIZED, Post
from generator.errors import Problem, warning
from generator.importers.report import ImportReport
from generator.importers.siteyaml import dump, merge_site_yaml, new_site_yaml
from generator.importers.wp_html import Media, MediaLibrary, convert_comment, convert_post, plain_text
from generator.importers.writer import ImportWriter
from generator.importers.wxr import Channel, Item, WxrComment, parse_moment, read_export
from generator.site import ARCHIVE_INDEX, alias_path, permalink, term_slug

SKIPPED_STATUSES = {"trash": "items in the trash", "auto-draft": "auto-drafts", "inherit": "revisions"}
DRAFT_STATUSES = ("draft", "pending", "private")
PING_TYPES = ("pingback", "trackback")
TAG_DOMAINS = ("post_tag", "tag")
UPLOADS_PATH = re.compile(r"/wp-content/uploads/(.+)$")
MAX_OFFSET = timedelta(hours=14)
RESERVED = frozenset(ARCHIVE_INDEX.values())


@dataclass(frozen=True)
class ImportOptions:
    export: Path
    site: Path
    uploads: Path | None = None
    dry_run: bool = False
    force: bool = False
    all_categories_as_tags: bool = False


@dataclass(frozen=True)
class ExportIndex:
    """What the first pass learns: every later decision needs some of it before the item comes."""

    channel: Channel
    slugs: dict[str, str]
    media: MediaLibrary
    creators: tuple[str, ...]
    categories: dict[str, str]


def import_wordpress(options: ImportOptions) -> ImportReport:
    """Import an export into a site folder; raise SiteError (site untouched) when the export is unusable."""
    index = index_export(options.export)
    site_yaml_path = options.site / CONFIG_FILE
    existing = site_yaml_path.read_text(encoding="utf-8") if site_yaml_path.is_file() else None
    config = _config_from(_site_yaml(index, options, existing, {}).text)
    writer = ImportWriter(options.site, options.dry_run)
    try:
        tally = _Importer(options, index, config, writer).run()
        yaml_change = _site_yaml(index, options, existing, tally.archive_redirects())
        _config_from(yaml_change.text)
        writer.add(CONFIG_FILE, yaml_change.text.encode("utf-8"), tracked=False)
        files = writer.commit()
    except BaseException:
        writer.abort()
        raise
    return tally.report(files, yaml_change, options.dry_run)


def index_export(path: Path) -> ExportIndex:
    """First pass: slugs (unique, pages named after their parents), attachments, authors and categories."""
    channel: Channel | None = None
    records: dict[str, Item] = {}
    by_id: dict[str, Media] = {}
    by_parent: dict[str, list[tuple[int, int, Media]]] = {}
    creators: Counter[str] = Counter()
    categories: dict[str, str] = {}
    for record in read_export(path):
        if isinstance(record, Channel):
            channel = record
            categories.update((plain_text(t.name), t.description) for t in record.categories if plain_text(t.name))
            continue
        if record.type == "attachment":
            media = Media(record.attachment_url, record.meta.get("_wp_attachment_image_alt", ""), plain_text(record.excerpt))
            by_id[record.id] = media
            by_parent.setdefault(record.parent, []).append((record.menu_order, _number(record.id), media))
        elif record.type in ("post", "page") and record.status not in SKIPPED_STATUSES:
            records[record.id] = _light(record)
            creators[record.creator] += 1
            for domain, _nicename, name in record.terms:
                if domain == "category" and plain_text(name):
                    categories.setdefault(plain_text(name), "")
    parents = {key: tuple(m for _, _, m in sorted(items, key=lambda t: (t[0], t[1]))) for key, items in by_parent.items()}
    return ExportIndex(channel or Channel("", "", "", "", "", (), ()), _unique_slugs(records), MediaLibrary(by_id, parents),
                       tuple(login for login, _ in creators.most_common() if login), categories)


def _light(item: Item) -> Item:
    """Keep what the first pass needs and let the body go, so memory stays small."""
    return Item(item.line, item.id, item.title, "", "", item.creator, "", "", item.date, "", "", item.name,
                item.status, item.parent, 0, item.type, "", False, "")


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _unique_slugs(records: dict[str, Item]) -> dict[str, str]:
    """Posts keep their slug; pages become parent-child; clashes get -2, -3 (their old URL stays an alias)."""
    taken: dict[str, set[str]] = {"post": set(), "page": set()}
    slugs: dict[str, str] = {}
    for item in sorted(records.values(), key=lambda i: (i.status != "publish", _number(i.id))):
        names = [_raw_slug(i) for i in _ancestry(item, records)] if item.type == "page" else [_raw_slug(item)]
        base = slugify("-".join(names), allow_unicode=True) or item.id
        base = f"{base}-page" if item.type == "page" and f"{base}/" in RESERVED else base
        slug, n = base, 2
        while slug in taken[item.type]:
            slug, n = f"{base}-{n}", n + 1
        taken[item.type].add(slug)
        slugs[item.id] = slug
    return slugs


def _raw_slug(item: Item) -> str:
    return unquote(item.name) or plain_text(item.title) or item.id


def _ancestry(item: Item, records: dict[str, Item]) -> list[Item]:
    chain = [item]
    while chain[-1].parent in records and len(chain) < 10 and records[chain[-1].parent] not in chain:
        chain.append(records[chain[-1].parent])
    return list(reversed(chain))


def _site_yaml(index: ExportIndex, options: ImportOptions, existing: str | None, redirects: dict[str, str]):
    """site.yaml with the export's people, categories and moved archives merged in (redirects are known only after pass 2)."""
    authors = {a.login: {"name": a.display_name} for a in index.channel.authors if a.login}
    authors.update({login: {"name": login} for login in index.creators if login not in authors})
    categories = {} if options.all_categories_as_tags else {
        name: ({"description": plain_text(text)} if text.strip() else {}) for name, text in index.categories.items()}
    sections = {"authors": authors, "categories": categories, "redirects": redirects}
    if existing is None:
        settings = _new_settings(index)
        existing = new_site_yaml(settings, {}, options.export.name)
    return merge_site_yaml(existing, sections, options.force)


def _new_settings(index: ExportIndex) -> dict[str, Any]:
    channel = index.channel
    parts = urlsplit(channel.link)
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/" if parts.scheme in ("http", "https") and parts.netloc \
        else "https://example.com/"
    logins = [a.login for a in channel.authors if a.login] + list(index.creators)
    settings = {"title": plain_text(channel.title) or "My blog", "tagline": plain_text(channel.description),
                "base_url": base, "language": channel.language or "en", "timezone": "UTC",
                "permalink": "/{year}/{month}/{day}/{slug}/"}
    if index.creators or logins:
        settings["default_author"] = (index.creators or logins)[0]
    return settings


def _config_from(text: str) -> SiteConfig:
    """The site's settings as the build will read them, to know the new URL of every post."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / CONFIG_FILE).write_text(text, encoding="utf-8")
        config, _ = load_config(Path(folder))
    return config


def moment(local: str, gmt: str) -> datetime | None:
    """The local time with the offset WordPress stored beside it; offset-less when the GMT copy is missing."""
    when, utc = parse_moment(local), parse_moment(gmt)
    if when is None:
        return utc.replace(tzinfo=timezone.utc) if utc else None
    if utc is None:
        return when
    offset = when - utc
    if abs(offset) > MAX_OFFSET or offset.total_seconds() % 60:
        return when
    return when.replace(tzinfo=timezone(offset))


@dataclass
class _Tally:
    """Counts kept while converting; frozen into an ImportReport at the end."""

    posts: int = 0
    pages: int = 0
    drafts: int = 0
    scheduled: int = 0
    comments: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    kept_html: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    remote_media: set[str] = field(default_factory=set)
    copied: dict[str, Path] = field(default_factory=dict)
    old_archives: dict[str, str] = field(default_factory=dict)
    new_archives: dict[str, str] = field(default_factory=dict)
    archive_paths: set[str] = field(default_factory=set)

    def archive_moves(self) -> dict[str, str]:
        """Each old archive that moved: WordPress slugged it differently ('C#' -> c-sharp), or a category became a tag."""
        return {old: self.new_archives[name] for old, name in sorted(self.old_archives.items())
                if name in self.new_archives and old not in self.archive_paths}

    def archive_redirects(self) -> dict[str, str]:
        """The moves for site.yaml, each with its feed, so subscribers of the old archive keep getting posts."""
        found: dict[str, str] = {}
        for old, new in self.archive_moves().items():
            found |= {old: new, f"{old}feed/": f"{new}feed.xml"}
        return found

    def lost_archives(self) -> tuple[str, ...]:
        """Old archives no imported post files under any more: nothing to send their readers to."""
        return tuple(sorted(old for old, name in self.old_archives.items()
                            if name not in self.new_archives and old not in self.archive_paths))

    def report(self, files, yaml_change, dry_run: bool) -> ImportReport:
        moved = tuple(f"{old} -> {new}" for old, new in self.archive_moves().items())
        return ImportReport(
            self.posts, self.pages, self.drafts, self.scheduled, tuple(sorted(self.comments.items())),
            tuple(sorted((+self.skipped).items())), tuple(self.kept_html), tuple(sorted(self.remote_media)),
            len(self.copied), moved, self.lost_archives(), tuple(self.warnings), files, yaml_change, dry_run,
        )


class _Importer:
    """Second pass: one item at a time into Markdown files handed to the writer."""

    def __init__(self, options: ImportOptions, index: ExportIndex, config: SiteConfig, writer: ImportWriter):
        self.options, self.index, self.config, self.writer = options, index, config, writer
        self.tally = _Tally()
        self.old_base = urlsplit(index.channel.link).path.rstrip("/") + "/"
        self.default_author = config.default_author or ""

    def run(self) -> _Tally:
        for record in read_export(self.options.export):
            if isinstance(record, Item):
                self.item(record)
        for rel, source in sorted(self.tally.copied.items()):
            self.writer.copy(f"content/static/wp-content/uploads/{rel}", source)
        return self.tally

    def item(self, item: Item) -> None:
        if item.type not in ("post", "page"):
            if item.type != "attachment":
                self.tally.skipped[f"{item.type} items (not posts or pages)"] += 1
            return
        if item.status in SKIPPED_STATUSES:
            self.tally.skipped[SKIPPED_STATUSES[item.status]] += 1
            return
        when = moment(item.date, item.date_gmt)
        if when is None:
            self.tally.skipped["items without a date"] += 1
            self.tally.warnings.append(warning(self.options.export, item.line, f"{item.type} {item.id} has no date: skipped"))
            return
        if item.type == "page":
            self.page(item, when)
        else:
            self.post(item, when)

    def common(self, item: Item, rel: str) -> tuple[dict[str, Any], str, bool]:
        """Title, body and draft state: the parts posts and pages share."""
        title = plain_text(item.title)
        if not title:
            title = "Untitled"
            self.warn(item, f"{item.type} {item.id} has no title: called it 'Untitled'")
        converted = convert_post(item.content, item.id, self.index.media, self.media_url)
        self.tally.kept_html += [f"{rel}: {note}" for note in dict.fromkeys(converted.notes)]
        draft = item.status in DRAFT_STATUSES
        if item.password:
            draft = True
            self.warn(item, f"'{title}' was password-protected: imported as a draft (a static site cannot ask for a password)")
        self.tally.drafts += draft and item.type == "post"
        return {"title": title}, converted.markdown, draft

    def post(self, item: Item, when: datetime) -> None:
        slug = self.index.slugs[item.id]
        rel = f"content/posts/{when:%Y-%m-%d}-{slug}.md"
        meta, body, draft = self.common(item, rel)
        category, tags = self.terms(item)
        meta.update(date=when, author=item.creator or self.default_author)
        if category != UNCATEGORIZED:
            meta["category"] = category
        if tags:
            meta["tags"] = list(tags)
        meta["slug"] = slug
        if item.excerpt.strip():
            meta["summary"] = plain_text(item.excerpt)
        if item.guid:
            meta["id"] = item.guid
        post = Post("", meta["title"], self.aware(when), meta["author"], category, slug, "")
        new_url = permalink(self.config, post, post.date.astimezone(self.config.tz), term_slug(category))
        aliases = self.aliases(item, new_url, "p", item.content.count("<!--nextpage-->"))
        if aliases:
            meta["aliases"] = aliases
        if draft:
            meta["draft"] = True
        if item.sticky:
            meta["pinned"] = True
        if item.comment_status == "closed":
            meta["comments"] = "closed"
        self.tally.posts += 1
        self.tally.scheduled += item.status == "future"
        self.writer.add(rel, document(meta, body))
        self.comments(item, slug)

    def page(self, item: Item, when: datetime) -> None:
        slug = self.index.slugs[item.id]
        rel = f"content/pages/{slug}.md"
        meta, body, draft = self.common(item, rel)
        meta.update(slug=slug, order=item.menu_order, nav=item.parent in ("", "0"))
        if item.excerpt.strip():
            meta["summary"] = plain_text(item.excerpt)
        aliases = self.aliases(item, f"{slug}/", "page_id", 0)
        if aliases:
            meta["aliases"] = aliases
        if draft:
            meta["draft"] = True
        self.tally.pages += 1
        self.tally.skipped["comments on pages (deskpress pages take no comments)"] += sum(
            c.approved == "1" for c in item.comments)
        self.writer.add(rel, document(meta, body))

    def terms(self, item: Item) -> tuple[str, tuple[str, ...]]:
        """The first category is the category; later ones become tags (all do with --all-categories-as-tags)."""
        named = [(domain, nicename, plain_text(name)) for domain, nicename, name in item.terms if plain_text(name)]
        categories = list(dict.fromkeys(name for domain, _, name in named if domain == "category"))
        tags = [name for domain, _, name in named if domain in TAG_DOMAINS]
        if self.options.all_categories_as_tags:
            category, tags = UNCATEGORIZED, tuple(dict.fromkeys(categories + tags))
        else:
            category = categories[0] if categories else UNCATEGORIZED
            tags = tuple(t for t in dict.fromkeys(categories[1:] + tags) if t != category)
        self.note_archives(named, category, tags)
        return category, tags

    def note_archives(self, named: list[tuple[str, str, str]], category: str, tags: tuple[str, ...]) -> None:
        """Remember old and new archive addresses: WordPress slugs terms its own way ('C#' -> c-sharp)."""
        for domain, nicename, name in named:
            if nicename and (domain == "category" or domain in TAG_DOMAINS):
                self.tally.old_archives[f"/{'category' if domain == 'category' else 'tag'}/{unquote(nicename)}/"] = name
        for kind, name in [("category", category)] + [("tag", tag) for tag in tags]:
            path = f"/{kind}/{term_slug(name)}/"
            self.tally.archive_paths.add(path)
            self.tally.new_archives[name] = path if kind == "category" else self.tally.new_archives.get(name, path)

    def aliases(self, item: Item, new_url: str, query_key: str, extra_pages: int) -> list[str]:
        """Every old address of a published item that differs from its new one."""
        if item.status != "publish":
            return []
        found = [f"/?{query_key}={item.id}"]
        old = self.old_path(item.link)
        if old:
            found.insert(0, old)
            if old.endswith("/") and "?" not in old:
                found += [f"{old}{n}/" for n in range(2, extra_pages + 2)]
        return [alias for alias in dict.fromkeys(found)
                if alias_path(alias) != new_url and alias != f"/{new_url}" and alias_path(alias) not in RESERVED]

    def old_path(self, link: str) -> str:
        parts = urlsplit(link)
        path = parts.path
        if path.startswith(self.old_base):
            path = "/" + path[len(self.old_base):]
        return path + (f"?{parts.query}" if parts.query else "") if path != "/" or parts.query else ""

    def comments(self, item: Item, slug: str) -> None:
        """Approved responses become files; a reply can only hang under an imported comment (not a ping)."""
        approved = {c.id for c in item.comments if c.approved == "1" and _kind(c) == "comment"}
        for comment in item.comments:
            kind = _kind(comment)
            if comment.approved != "1":
                reason = "spam comments" if comment.approved == "spam" else "unapproved or trashed comments"
                self.tally.skipped[reason] += 1
            elif kind is None:
                self.tally.skipped[f"responses of type '{comment.type}'"] += 1
            elif kind != "comment" and not _web_url(comment.url):
                self.tally.skipped["pingbacks and trackbacks without the address of the linking page"] += 1
            else:
                self.writer.add(f"content/comments/{slug}/{comment.id}.md",
                                self.comment_document(item, comment, kind, approved))
                self.tally.comments[kind] += 1

    def comment_document(self, item: Item, comment: WxrComment, kind: str, approved: set[str]) -> bytes:
        when = moment(comment.date, comment.date_gmt) or moment(item.date, item.date_gmt)
        meta: dict[str, Any] = {"author": plain_text(comment.author) or "Anonymous", "date": when}
        if _web_url(comment.url):
            meta["url"] = comment.url
        if comment.email:
            meta["email"] = comment.email
        if kind != "comment":
            meta["type"] = kind
        if comment.parent not in ("", "0") and kind == "comment":
            if comment.parent in approved:
                meta["in_reply_to"] = comment.parent
            else:
                self.warn(item, f"comment {comment.id} replies to a ping or to a comment that was not imported: shown as a new thread")
        return document(meta, convert_comment(comment.content))

    def media_url(self, url: str) -> str:
        """Point uploads at the copy under content/static/ when --uploads has it, else keep and list the URL."""
        parts = urlsplit(url)
        match = UPLOADS_PATH.search(parts.path)
        if parts.hostname and parts.hostname.endswith(".files.wordpress.com"):
            rel = unquote(parts.path.lstrip("/"))
        elif match:
            rel = unquote(match.group(1))
        else:
            return url
        source = self.options.uploads / rel if self.options.uploads else None
        if source is None or ".." in rel.split("/") or not source.is_file():
            self.tally.remote_media.add(url)
            return url
        self.tally.copied[rel] = source
        return f"/wp-content/uploads/{quote(rel)}"

    def aware(self, when: datetime) -> datetime:
        return when if when.tzinfo else when.replace(tzinfo=self.config.tz)

    def warn(self, item: Item, message: str) -> None:
        self.tally.warnings.append(warning(self.options.export, item.line, message))


def _kind(comment: WxrComment) -> str | None:
    if comment.type in PING_TYPES:
        return comment.type
    return "comment" if comment.type in ("", "comment") else None


def _web_url(url: str) -> bool:
    """The check content.py makes, done here so an import never writes a file the build rejects."""
    return urlsplit(url).scheme in ("http", "https") and bool(urlsplit(url).netloc) and not re.search(r"[\s\"'<>]", url)


def document(meta: dict[str, Any], body: str) -> bytes:
    """A Markdown file with YAML frontmatter, as content.py reads it."""
    return f"---\n{dump(meta)}---\n{body}".encode("utf-8")
