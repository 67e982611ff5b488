"""The blog as data: what is published, at which URL, in which archives, with which comments."""

from __future__ import annotations

import dataclasses
import functools
import heapq
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable
from urllib.parse import quote, urlsplit

from generator.config import Author, SiteConfig
from generator.content import Comment, Content, Page, Post, unicode_slug
from generator.disclaimer import Footer, decide_footer
from generator.errors import Problem, error, raise_if_errors
from generator.localise import month_title

ARCHIVE_KINDS = ("category", "tag", "author", "month")
ARCHIVE_INDEX = {"category": "categories/", "tag": "tags/", "author": "authors/", "month": "archives/"}
ARCHIVE_PLURAL = {"category": "Categories", "tag": "Tags", "author": "Authors", "month": "Archives"}


@dataclass(frozen=True)
class Link:
    """A titled site-relative URL (no leading slash: '' is the home page)."""

    title: str
    url: str


ATOM_TYPE, RSS_TYPE = "application/atom+xml", "application/rss+xml"
FEED_FORMATS = {ATOM_TYPE: "Atom", RSS_TYPE: "RSS"}
ARCHIVE_FEED_NAMES = {"category": "posts in {}", "tag": "posts tagged {}", "author": "posts by {}"}
URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")  # what urllib's quote() leaves alone by default


@dataclass(frozen=True)
class FeedLink:
    """A feed as pages advertise it in <link rel="alternate">; `name` is the feed's own title."""

    name: str
    url: str
    type: str

    @property
    def title(self) -> str:
        return f"{self.name} ({FEED_FORMATS[self.type]})"


def feed_links(name: str, folder: str) -> tuple[FeedLink, FeedLink]:
    """Every feed is published twice in one folder: Atom as atom.xml, RSS 2.0 as feed.xml."""
    atom, rss = feed_files(folder)
    return FeedLink(name, atom, ATOM_TYPE), FeedLink(name, rss, RSS_TYPE)


def feed_files(folder: str) -> tuple[str, str]:
    """The two files of the feed in `folder` (see feed_links)."""
    return folder + "atom.xml", folder + "feed.xml"


def site_feed_links(config: SiteConfig) -> tuple[FeedLink, ...]:
    """The feeds every page advertises: the site's posts and every comment on the site."""
    return feed_links(config.title, "") + feed_links(f"Comments on {config.title}", "comments/")


def archive_feed_links(config: SiteConfig, kind: str, name: str, url: str) -> tuple[FeedLink, ...]:
    """A category's, tag's or author's feeds, in its archive folder (months have none)."""
    if kind not in ARCHIVE_FEED_NAMES:
        return ()
    return feed_links(f"{config.title}: {ARCHIVE_FEED_NAMES[kind].format(name)}", url)


@dataclass(frozen=True)
class Thread:
    """A comment with its replies, oldest first."""

    comment: Comment
    replies: tuple["Thread", ...] = ()


@dataclass(frozen=True)
class Entry:
    """A post as published: its URL, feed id, people, archives, footer and responses."""

    post: Post
    url: str
    feed_id: str
    author: Author
    author_link: Link
    category: Link
    tags: tuple[Link, ...]
    month: Link
    footer: Footer
    threads: tuple[Thread, ...]
    pings: tuple[Comment, ...]
    comments: tuple[Comment, ...]
    comments_open: bool
    status: str = "published"
    older: Link | None = None
    newer: Link | None = None

    @property
    def updated(self) -> datetime:
        """When subscribers should consider the post changed: only an explicit `updated` moves it."""
        return self.post.updated or self.post.date

    @property
    def has_comment_feed(self) -> bool:
        return bool(self.comments) or self.comments_open

    @property
    def comment_feeds(self) -> tuple[FeedLink, ...]:
        """This post's comment feeds, beside its page; none when it has no comments and takes none."""
        return feed_links(f"Comments on {self.post.title}", self.comment_feeds_folder) if self.has_comment_feed else ()

    @property
    def comment_feeds_folder(self) -> str:
        return self.url + "comments/"

    def made_from(self) -> tuple:
        """What assemble_site() made this entry from, besides the settings: its post and responses, its
        status and comment state at the build's moment, and its neighbours' links (see _entry and
        _link_neighbours). Equal values give an equal entry, so the cache names an entry by these,
        its post and responses standing for their source files, instead of pickling every field."""
        return (self.post, self.comments, self.status, self.comments_open, self.older, self.newer)


@dataclass(frozen=True)
class PageEntry:
    page: Page
    url: str
    status: str = "published"


@dataclass(frozen=True)
class Archive:
    """One category, tag, author or month, with its posts newest first."""

    kind: str
    key: str
    name: str
    url: str
    entries: tuple[Entry, ...]
    description: str | None = None


@dataclass(frozen=True)
class ArchiveHeading:
    """What a listing page shows about its archive: its posts arrive page by page (ListingPage), so an
    edit to one post re-renders only the pages showing it, not every page of its archives. (No count of
    its posts: every page would show a new one whenever a post is added.)"""

    kind: str
    key: str
    name: str
    url: str
    description: str | None


def archive_heading(archive: Archive) -> ArchiveHeading:
    return ArchiveHeading(archive.kind, archive.key, archive.name, archive.url, archive.description)


@dataclass(frozen=True)
class ListingPage:
    """One page of a paginated listing, with the links a reader (and rel=prev/next) needs. `number` is the
    one in its URL (1 for the first page); see _pages for how pages are cut."""

    number: int
    url: str
    entries: tuple[Entry, ...]
    newer_url: str | None
    older_url: str | None


def paginate(entries: tuple[Entry, ...], first_url: str, config: SiteConfig) -> list[ListingPage]:
    """Split a listing (newest first) into pages: the first at `first_url`, the rest at `first_url/page/N/`."""
    pages = _pages(first_url, len(entries), config)
    urls = [url for _, url, _ in pages]
    return [ListingPage(number, url, entries[cut], urls[n - 1] if n > 0 else None, urls[n + 1] if n + 1 < len(urls) else None)
            for n, (number, url, cut) in enumerate(pages)]


def page_urls(first_url: str, count: int, config: SiteConfig) -> list[str]:
    """The URLs of the pages paginate() makes of `count` posts, in reading order."""
    return [url for _, url, _ in _pages(first_url, count, config)]


def page_slices(first_url: str, count: int, config: SiteConfig) -> list[tuple[str, slice]]:
    """Each page's URL and which of the listing's `count` posts it holds, as paginate() makes them."""
    return [(url, cut) for _, url, cut in _pages(first_url, count, config)]


def _pages(first_url: str, count: int, config: SiteConfig) -> list[tuple[int, str, slice]]:
    """The number in each page's URL (1: the first page, at `first_url`), the URL, and the posts it holds.

    The first page holds the newest `paginate` posts. With `pagination: stable` (the default) the
    pages after it are cut from the oldest post up and numbered from the oldest (page/2/ holds the
    oldest posts), so each keeps its posts, its address and its links as posts are added: only the
    page after the first fills up, until a new one starts. Adding a post to a 10,000-post blog then
    changes two of its 1,000 home pages (and a deploy uploads two), not all of them. With
    `pagination: shifting` page N holds the `paginate` posts after page N-1, as on WordPress: each
    new post moves every page's posts."""
    per_page = config.paginate
    if config.pagination == "shifting" or count <= per_page:
        starts = list(range(0, max(count, 1), per_page))
        numbers = range(1, len(starts) + 1)
    else:
        after_first = (count - per_page - 1) % per_page + 1  # on the page after the first: 1 to per_page posts
        starts = [0, per_page, *range(per_page + after_first, count, per_page)]
        numbers = [1, *range(len(starts), 1, -1)]
    return [(number, first_url if number == 1 else f"{first_url}page/{number}/", slice(start, stop))
            for number, start, stop in zip(numbers, starts, [*starts[1:], count])]


@dataclass(frozen=True)
class Site:
    """Everything the renderers need, decided once."""

    config: SiteConfig
    entries: tuple[Entry, ...]
    pages: tuple[PageEntry, ...]
    archives: dict[str, tuple[Archive, ...]]
    static_files: tuple[str, ...]
    next_scheduled: datetime | None
    drafts_shown: bool = False
    changes_at: datetime | None = None

    @property
    def home_listing(self) -> tuple[Entry, ...]:
        """The home page's listing: every post, newest first, with the pinned ones before the rest."""
        if not any(entry.post.pinned for entry in self.entries):
            return self.entries
        return tuple(sorted(self.entries, key=lambda e: not e.post.pinned))

    @property
    def listings(self) -> list[tuple[str, tuple[Entry, ...]]]:
        """Every paginated listing as its first page's URL and its posts in order: the home page's, then each archive's."""
        return [("", self.home_listing)] + [(archive.url, archive.entries) for kind in self.archives.values() for archive in kind]

    @property
    def nav_pages(self) -> tuple[PageEntry, ...]:
        return tuple(p for p in self.pages if p.page.nav)

    def newest_comments(self, count: int) -> list[tuple[Entry, Comment]]:
        """The `count` newest published responses on the site, newest first (for the site-wide comments feed)."""
        pairs = ((entry, c) for entry in self.entries for c in entry.comments)
        return heapq.nlargest(count, pairs, key=lambda pair: (pair[1].date, pair[1].source))


def href(config: SiteConfig, url: str) -> str:
    """A root-relative link that works when the site lives under a path of its domain."""
    return config.base_path + quote(url, safe="/#?=&%")


def absolute(config: SiteConfig, url: str) -> str:
    """The absolute, percent-encoded URL that feeds, sitemaps and canonical links need."""
    return config.base_url + quote(url, safe="/#?=&%").removeprefix("/")


def output_path(url: str) -> str:
    """The file a site-relative URL is served from ('a/b/' -> 'a/b/index.html')."""
    return url + "index.html" if url == "" or url.endswith("/") else url


def alias_path(alias: str) -> str | None:
    """The folder an old URL's redirect page lives in, or None when it cannot be a file (a query string)."""
    parts = urlsplit(alias)
    segments = [s for s in parts.path.split("/") if s]
    if parts.query or not segments or any(s in (".", "..") for s in segments):
        return None
    return "/".join(segments) + "/"


@functools.lru_cache(maxsize=65536)
def term_slug(name: str) -> str:
    """A category's, tag's or author's URL segment; remembered, as each name recurs across thousands of posts."""
    return unicode_slug(name) or "untitled"


def assemble_site(config: SiteConfig, content: Content, now: datetime, include_drafts: bool = False,
                  earlier: Site | None = None) -> Site:
    """Decide what is published as of `now`, and build the archives, threads and links between posts.

    `earlier`, a site assembled before from mostly the same record objects, lends the entries and
    archives that come out equal (same post, responses, status and neighbours; same entries): a
    rebuild after adding a post to 10,000 builds three entries, and a reused entry is also known
    unchanged at a glance (`is`) by whatever compares the two sites."""
    if earlier is not None and (earlier.config != config or earlier.drafts_shown != include_drafts):
        earlier = None
    problems: list[Problem] = []
    visible, next_scheduled = _visible_posts(content.posts, now, include_drafts)
    responses = _responses_by_post(content, problems)
    lent = {entry.post.source: entry for entry in earlier.entries} if earlier is not None else {}
    entries = _EntryBuilder(config, now, problems).entries(visible, responses, lent)
    pages = tuple(
        PageEntry(page, f"{page.slug}/", "draft" if page.draft else "published")
        for page in sorted(content.pages, key=lambda p: (p.order, p.title.casefold(), p.source))
        if include_drafts or not page.draft
    )
    archives = _archives(config, entries, earlier.archives if earlier is not None else {})
    _check_unique_urls(entries, pages, archives, problems)
    raise_if_errors(problems)
    return Site(config, tuple(entries), pages, archives, content.static_files, next_scheduled, include_drafts,
                changes_at(config, entries, next_scheduled, now))


def with_responses(site: Site, entry: Entry, responses: Iterable[Comment]) -> Site | None:
    """`site` with these responses (comments, pingbacks, trackbacks) on `entry`, as assemble_site() would make
    it from the same records; None when they have problems (a full build reports them) or when the post
    would gain or lose its comment feeds (the site's files would change).

    A post's responses decide its own entry alone (threads, pings, the comment count): no other entry,
    archive or URL follows from them, so the rest of the site stands as it is."""
    problems: list[Problem] = []
    ordered = tuple(sorted(responses, key=lambda c: (c.date, c.source)))
    _check_unique_anchors(list(ordered), problems)
    comments = tuple(c for c in ordered if c.type == "comment")
    threads = _threads(comments, problems) if comments else ()
    replaced = dataclasses.replace(entry, comments=ordered, threads=threads, pings=tuple(c for c in ordered if c.type != "comment"))
    if problems or replaced.has_comment_feed != entry.has_comment_feed:
        return None
    holding = {entry.category.url, entry.author_link.url, entry.month.url, *(tag.url for tag in entry.tags)}

    def swapped(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        return tuple([replaced if e is entry else e for e in entries])

    archives = {kind: tuple([dataclasses.replace(a, entries=swapped(a.entries)) if a.url in holding else a for a in listing])
                for kind, listing in site.archives.items()}
    return dataclasses.replace(site, entries=swapped(site.entries), archives=archives)


def changes_at(config: SiteConfig, entries: Iterable[Entry], next_scheduled: datetime | None, now: datetime) -> datetime | None:
    """The first moment after `now` at which the same content would build differently, or None if never.

    Only two things depend on the time of the build: a scheduled post goes out at its date, and a
    post's comments close just after `close_after_days` (see _comments_open). A build reused
    (deskpress build with nothing changed) is right until then and no longer.
    """
    moments = [next_scheduled] if next_scheduled is not None else []
    limit = config.comments.close_after_days
    if limit is not None:
        closing = timedelta(days=limit, microseconds=1)
        moments += [_later(entry.post.date, closing) for entry in entries if entry.post.comments is None]
    return min((moment for moment in moments if moment is not None and moment > now), default=None)


def _later(moment: datetime, delay: timedelta) -> datetime | None:
    try:
        return moment + delay
    except OverflowError:  # after the year 9999: never, as far as datetime can tell
        return None


def _visible_posts(posts: Iterable[Post], now: datetime, include_drafts: bool):
    visible, upcoming = [], []
    for post in posts:
        status = "draft" if post.draft else "scheduled" if post.date > now else "published"
        if status == "scheduled" and not post.draft:
            upcoming.append(post.date)
        if status == "published" or include_drafts:
            visible.append((post, status))
    visible.sort(key=lambda pair: (pair[0].date, pair[0].source), reverse=True)
    return visible, min(upcoming, default=None)


class _EntryBuilder:
    """Builds the entries of one build, with what every post shares worked out once (the zone, the domain
    and path of feed IDs) rather than once per post.

    The links to archives are made once each and shared by the entries filed there, and so are the
    footers (both frozen): 10,000 posts held 55,000 links and 10,000 footers, with their strings a third
    of the objects a snapshot pickles and loads."""

    def __init__(self, config: SiteConfig, now: datetime, problems: list[Problem]):
        self.config, self.now, self.problems = config, now, problems
        self.zone = config.tz
        self.host = urlsplit(config.base_url).hostname
        self.base_path = config.base_path
        self.links: dict[tuple, Link] = {}
        self.footers: dict[tuple, Footer] = {}

    def archive_link(self, title: str, kind: str, key: str) -> Link:
        found = self.links.get((kind, key, title))
        if found is None:
            found = self.links[(kind, key, title)] = Link(title, f"{kind}/{term_slug(key)}/")
        return found

    def footer(self, post: Post) -> Footer:
        """decide_footer() for the post, once for each disclaimer setting, category and author it is
        decided by (a pure function of them: the footers are shared like the links)."""
        decided_by = (post.disclaimer, post.category, post.author)
        found = self.footers.get(decided_by)
        if found is None:
            config = self.config
            found = self.footers[decided_by] = decide_footer(post.disclaimer, config.categories.get(post.category),
                                                             config.authors[post.author], config.disclaimer)
        return found

    def month_link(self, year: int, month: int) -> Link:
        found = self.links.get((year, month))
        if found is None:
            padded = _padded_date(year, month, 1)
            found = self.links[(year, month)] = Link(month_title(year, month, self.config.language),
                                                     f"{padded[0]}/{padded[1]}/")
        return found

    def entries(self, visible: list[tuple[Post, str]], responses: dict[str, tuple[Comment, ...]],
                lent: dict[str, Entry]) -> list[Entry]:
        """Every visible post's entry, newest first, each built once with its neighbours' links: their URLs
        are worked out first (building entries and then replacing each to link it cost a third of the stage).
        An entry in `lent` (by source) made from the same values is taken as it is (see assemble_site)."""
        before = [lent.get(post.source) for post, _ in visible]
        before = [old if old is not None and old.post is post else None for old, (post, _) in zip(before, visible)]
        urls = [old.url if old is not None else permalink(self.config, post, post.date.astimezone(self.zone),
                                                          term_slug(post.category))
                for old, (post, _) in zip(before, visible)]
        last, entries = len(visible) - 1, []
        for i, ((post, status), old) in enumerate(zip(visible, before)):
            replies = responses.get(post.slug, ())
            newer = (visible[i - 1][0].title, urls[i - 1]) if i > 0 else None
            older = (visible[i + 1][0].title, urls[i + 1]) if i < last else None
            if (old is not None and old.status == status and old.comments == replies and _links(old.newer) == newer
                    and _links(old.older) == older and old.comments_open == _comments_open(self.config, post, self.now)):
                entries.append(old)
            else:
                entries.append(self.entry(post, status, post.date.astimezone(self.zone), urls[i], replies,
                                          Link(*newer) if newer else None, Link(*older) if older else None))
        return entries

    def entry(self, post: Post, status: str, local: datetime, url: str, responses: tuple[Comment, ...],
              newer: Link | None, older: Link | None) -> Entry:
        """One post as published; `local` is its date in the site's zone, `url` its permalink."""
        config = self.config
        author = config.authors[post.author]
        comments = tuple(c for c in responses if c.type == "comment") if responses else ()
        return Entry(
            post=post,
            url=url,
            feed_id=_feed_id(post, local, self.host, self.base_path),
            author=author,
            author_link=self.archive_link(author.name, "author", author.key),
            category=self.archive_link(post.category, "category", post.category),
            tags=tuple([self.archive_link(tag, "tag", tag) for tag in post.tags]),
            month=self.month_link(local.year, local.month),
            footer=self.footer(post),
            threads=_threads(comments, self.problems) if comments else (),
            pings=tuple(c for c in responses if c.type != "comment") if responses else (),
            comments=responses,
            comments_open=_comments_open(config, post, self.now),
            status=status,
            older=older,
            newer=newer,
        )


def _links(link: Link | None) -> tuple[str, str] | None:
    return (link.title, link.url) if link is not None else None


def permalink(config: SiteConfig, post: Post, local: datetime, category_slug: str) -> str:
    """Fill the site's permalink pattern; every piece is a slug, so the URL cannot leave the site."""
    year, month, day = _padded_date(local.year, local.month, local.day)
    return config.permalink.format(
        year=year, month=month, day=day, slug=post.slug, category=category_slug, author=term_slug(post.author),
    ).lstrip("/")


@functools.lru_cache(maxsize=65536)
def _padded_date(year: int, month: int, day: int) -> tuple[str, str, str]:
    """A day as URLs write it ('2026', '03', '02'): posts share days, and looking them up beats formatting them."""
    return f"{year:04d}", f"{month:02d}", f"{day:02d}"


def post_feed_id(config: SiteConfig, post: Post) -> str:
    """A tag: URI from the domain, the publication day and the slug: never from title, body or build time.

    A frontmatter `id` that is a URI is used as it is (to keep an ID from an old blog); any other `id`
    replaces the slug, so a post whose slug changed keeps its ID by naming its old slug.
    """
    return _feed_id(post, post.date.astimezone(config.tz), urlsplit(config.base_url).hostname, config.base_path)


def _feed_id(post: Post, local: datetime, host: str | None, base_path: str) -> str:
    """post_feed_id with the site's domain and path already taken apart and the date already in its zone."""
    if post.id and URI_SCHEME.match(post.id):
        return post.id
    return f"tag:{host},{_day(local.year, local.month, local.day)}:{_quote_path(base_path + (post.id or post.slug))}"


@functools.lru_cache(maxsize=65536)
def _day(year: int, month: int, day: int) -> str:
    """A feed ID's day as strftime writes it (years before 1000 unpadded); posts share days, and strftime is slow."""
    return f"{date(year, month, day):%Y-%m-%d}"


def _quote_path(path: str) -> str:
    """quote(path), skipped for the usual plain-ASCII path that it would return unchanged, at some cost."""
    return path if _UNRESERVED_PATH.fullmatch(path) else quote(path)


def comment_feed_id(entry: Entry, comment: Comment) -> str:
    """A response's ID hangs off its post's ID, so it survives the same changes (the file name is its key)."""
    return f"{entry.feed_id}#{comment.anchor}"


def _comments_open(config: SiteConfig, post: Post, now: datetime) -> bool:
    if post.comments is not None:
        return post.comments == "open"
    limit = config.comments.close_after_days
    return limit is None or now - post.date <= timedelta(days=limit)


def _responses_by_post(content: Content, problems: list[Problem]) -> dict[str, tuple[Comment, ...]]:
    slugs: dict[str, int] = defaultdict(int)
    for post in content.posts:
        slugs[post.slug] += 1
    grouped: dict[str, list[Comment]] = defaultdict(list)
    for comment in content.comments:
        if slugs.get(comment.post_slug, 0) == 0:
            problems.append(error(comment.source, 1, f"comment on a post that does not exist: no post has the slug {comment.post_slug!r}"))
        elif slugs[comment.post_slug] > 1:
            problems.append(error(comment.source, 1, f"several posts have the slug {comment.post_slug!r}: give them distinct slugs"))
        else:
            grouped[comment.post_slug].append(comment)
    for items in grouped.values():
        _check_unique_anchors(items, problems)
    return {slug: tuple(sorted(items, key=lambda c: (c.date, c.source))) for slug, items in grouped.items()}


def _check_unique_anchors(comments: list[Comment], problems: list[Problem]) -> None:
    """Two file names that differ only in case or punctuation would share a permalink and a feed ID."""
    seen: dict[str, str] = {}
    for comment in comments:
        anchor = comment.anchor
        if anchor in seen:
            problems.append(error(comment.source, 1, f"same permalink #{anchor} as {seen[anchor]}: rename one file"))
        seen.setdefault(anchor, comment.source)


def _threads(comments: tuple[Comment, ...], problems: list[Problem]) -> tuple[Thread, ...]:
    """Nest replies under their parents; report replies to unknown comments and reply loops."""
    by_key = {c.key: c for c in comments}
    children: dict[str | None, list[Comment]] = defaultdict(list)
    for comment in comments:
        parent = comment.in_reply_to
        if parent is not None and parent not in by_key:
            problems.append(error(comment.source, comment.line_of_reply, f"in_reply_to {parent!r}: no such comment on this post"))
            parent = None
        elif parent is not None and _in_loop(comment, by_key):
            problems.append(error(comment.source, comment.line_of_reply, f"in_reply_to {parent!r} makes a reply loop"))
            parent = None
        children[parent].append(comment)
    return tuple([_thread(root, children) for root in children[None]])


def _thread(comment: Comment, children: dict[str | None, list[Comment]]) -> Thread:
    """A comment with its replies nested; not a closure in _threads, which would be a reference cycle per post."""
    return Thread(comment, tuple([_thread(child, children) for child in children.get(comment.key, ())]))


def _in_loop(comment: Comment, by_key: dict[str, Comment]) -> bool:
    seen = {comment.key}
    current = comment
    while current.in_reply_to is not None and current.in_reply_to in by_key:
        if current.in_reply_to in seen:
            return True
        seen.add(current.in_reply_to)
        current = by_key[current.in_reply_to]
    return False


def _archives(config: SiteConfig, entries: list[Entry], lent: dict[str, tuple[Archive, ...]]
              ) -> dict[str, tuple[Archive, ...]]:
    """Every category, tag, author and month with its entries; each archive takes its name and URL from
    the first (newest) entry that links to it. An archive in `lent` holding the same entries is taken instead (_lent)."""
    earlier = {archive.url: archive for listing in lent.values() for archive in listing}
    groups: dict[str, dict[str, tuple[str, list[Entry]]]] = {kind: {} for kind in ARCHIVE_KINDS}
    categories, tags, authors, months = (groups[kind] for kind in ARCHIVE_KINDS)
    for entry in entries:
        filed = [(categories, entry.category), (authors, entry.author_link), (months, entry.month)]
        filed += [(tags, tag) for tag in entry.tags]
        for group, link in filed:
            members = group.get(link.url)
            if members is None:
                group[link.url] = members = (link.title, [])
            members[1].append(entry)
    result = {}
    for kind, by_url in groups.items():
        archives = [_lent(earlier.get(url), Archive(kind, url, name, url, tuple(items), _description(config, kind, name)))
                    for url, (name, items) in by_url.items()]
        if kind == "month":
            archives.sort(key=lambda a: a.url, reverse=True)
        else:
            archives.sort(key=lambda a: (a.name.casefold(), a.url))
        result[kind] = tuple(archives)
    return result


def _lent(old: Archive | None, new: Archive) -> Archive:
    """The archive lent, when it is the new one with the very same entry objects (an equal entry made
    again would leave the archive holding another object than the site's entries, which with_responses
    relies on being one)."""
    if (old is None or (old.kind, old.name, old.description) != (new.kind, new.name, new.description)
            or len(old.entries) != len(new.entries) or not all(a is b for a, b in zip(old.entries, new.entries))):
        return new
    return old


def _description(config: SiteConfig, kind: str, name: str) -> str | None:
    if kind == "category" and name in config.categories:
        return config.categories[name].description
    if kind == "author":
        return next((a.bio for a in config.authors.values() if a.name == name), None)
    return None


def _check_unique_urls(entries, pages, archives, problems: list[Problem]) -> None:
    """Two sources must never write the same page; name both so the author can pick one to change."""
    claimed: dict[str, str] = {}
    for kind, listing in archives.items():
        claimed[ARCHIVE_INDEX[kind]] = f"the {kind} index"
        for archive in listing:
            claimed[archive.url] = f"the {kind} archive '{archive.name}'"
    sources = [(e.url, e.post.source) for e in entries] + [(p.url, p.page.source) for p in pages]
    sources += [(alias_path(alias), record.source) for record in [e.post for e in entries] + [p.page for p in pages]
                for alias in record.aliases if alias_path(alias)]
    for url, source in sources:
        if url in claimed:
            other = claimed[url]
            problems.append(error(source, 1, f"URL /{url} is also used by {other}"))
        else:
            claimed[url] = source
