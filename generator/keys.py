"""What each result is stored under: a digest of *all* its inputs, so a stale result is never found.

- digest() names bytes; code_version() names the generator's own code;
- fingerprint() and Fingerprints name the values passed between stages (entries, archives, records
  standing for their digests), and note which sources each one holds;
- output_memo() keys every page and feed by its template, inputs, settings, theme and renderer, and
  per_entry_memo() keys per-post values; both keep what they find in a BuildCache (cache.py);
- templates_where() tells from the templates' syntax trees which ones read more than their own inputs.
"""

from __future__ import annotations

import copyreg
import functools
import hashlib
import io
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import jinja2
import jinja2.meta

from generator.content import Comment, Page, Post
from generator.output import Stat, Unchanged
from generator.presentation import HELPERS_READING_OTHER_POSTS
from generator.related import related_posts
from generator.render import HELPERS_RENDERING_TEMPLATES, Each, Memo
from generator.site import Archive, Entry, Site
from generator.theme import Theme

if TYPE_CHECKING:
    from generator.cache import BuildCache


def digest(*parts: bytes | str) -> str:
    """A short, collision-safe name for some bytes (blake2b, 128 bits)."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def fingerprint(value: Any) -> str | None:
    """The digest of a value's full contents, or None when it cannot be pickled (then it is not cached).

    Pickling records every field of the frozen dataclasses passed between stages, so equal digests
    mean equal inputs; equal inputs may rarely pickle differently, which only costs a cache miss.
    """
    return Fingerprints().of(value)


class Fingerprints:
    """Fingerprints for one build: an entry or archive met again (a post on many listings and feeds, a
    category on each of its pages) is pickled once and stands for its digest afterwards. An entry is
    pickled as what it was made from (Entry.made_from), which decides all its fields.

    `records` (SourceRecall.keys) names loaded posts, pages and comments by their cache keys, which
    digest their source bytes already: their bodies are then never pickled again. After each of(),
    `met` holds the sources of every record inside the value: what an output made from it depends on."""

    def __init__(self, records: dict[int, tuple[Any, str]] | None = None) -> None:
        self.known: dict[int, tuple[Entry | Archive, str | None, frozenset[str]]] = {}
        self.records = records or {}
        self.met: set[str] = set()
        self.by_source = {**copyreg.dispatch_table, Post: self._record, Page: self._record, Comment: self._record}

    def of(self, value: Any) -> str | None:
        """The digest of `value`'s pickle, with every entry and archive inside it standing for its own digest.

        The pickler runs in "fast" mode (no memo): equal values give equal bytes however objects are
        shared, so a value parsed now and the same value loaded from the cache have one fingerprint.
        Only entries, archives and source records reach Python code (a dispatch table, not a per-object hook)."""
        self.met = set()
        return self._of(value)

    def entry(self, entry: Entry) -> str:
        """The fingerprint of one entry, as it stands for the entry inside other values."""
        return self._shared(entry)

    def recalled(self, obj: Entry | Archive, found: str, sources: frozenset[str]) -> None:
        """Take `found` as the fingerprint of an entry or archive, as an earlier build of the same sources
        worked it out, and `sources` as the sources inside it (none, when a build keeps the last one's
        record of what each output holds)."""
        self.known[id(obj)] = (obj, found, sources)

    def named(self) -> dict[str, str]:
        """Every fingerprint of an entry (by its post's source) or archive (by its URL) worked out so far."""
        return {obj.post.source if type(obj) is Entry else obj.url: found
                for obj, found, _ in self.known.values() if found is not None}

    def _of(self, value: Any) -> str | None:
        def shared(obj: Entry | Archive) -> Any:
            return obj.__reduce_ex__(5) if obj is value else (SharedDigest, (self._shared(obj),))

        return _pickle_digest(value, {**self.by_source, Entry: shared, Archive: shared})

    def _shared(self, obj: Entry | Archive) -> str:
        known = self.known.get(id(obj))
        if known is None:
            outer, self.met = self.met, set()
            found = _pickle_digest(obj.made_from(), self.by_source) if type(obj) is Entry else self._of(obj)
            known = self.known[id(obj)] = (obj, found, frozenset(self.met))
            self.met = outer
        if known[1] is None:
            raise pickle.PicklingError("an entry or archive that cannot be fingerprinted")
        self.met |= known[2]
        return known[1]

    def _record(self, record: Post | Page | Comment) -> Any:
        self.met.add(record.source)
        known, key = self.records.get(id(record), (None, ""))
        return (SharedDigest, (key,)) if known is record else record.__reduce_ex__(5)


def _pickle_digest(value: Any, dispatch_table: dict) -> str | None:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    if dispatch_table:
        pickler.dispatch_table = dispatch_table
    try:
        pickler.dump(value)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return digest(buffer.getvalue())


class SharedDigest(str):
    """Stands for an entry, archive or source record inside a fingerprint: the digest that names its contents."""


def per_entry_memo(cache: BuildCache, fingerprints: Fingerprints, salt: str) -> Each:
    """Remember per-entry values under each entry's fingerprint and `salt` (whatever else decides them)."""
    def each(kind: str, entries: list[Entry], compute: Callable[[list[Entry]], list]) -> list[Any]:
        prefix = digest(kind, salt)  # and the fingerprint, a digest of fixed length, makes the key: no hashing per entry
        keys = [prefix + fingerprints.entry(entry) for entry in entries]
        return cache.many(keys, entries, compute)

    return each


def output_memo(cache: BuildCache, out: Path, on_disk: dict[str, Stat], site: Site, theme: Theme, environment: jinja2.Environment,
                rendered_with: str, fingerprints: Fingerprints, depends: dict[str, tuple[str, ...]]
                ) -> tuple[Memo, Callable[[str], str | None]]:
    """Skip rendering a page or feed whose inputs (and settings, theme, code, Markdown renderer) match the file on disk.

    Each file keyed is entered in `depends` with the sources its inputs hold (see generator/snapshot.py).
    Also returned: what a template's results are keyed by besides their own inputs (None: they cannot
    be), for values a template makes that are no file (a teaser). The template globals are read at the
    first call, once the page renderer has set them."""
    themed = theme_version(theme.folders)
    whole_site, other_posts, _ = templates_reading(cache, theme, environment)

    @functools.cache
    def shared() -> str | None:
        plain_globals = {k: v for k, v in environment.globals.items() if k != "site" and not callable(v)}
        return fingerprint((code_version(), rendered_with, themed, site.config, site.drafts_shown, plain_globals))

    @functools.cache
    def related_everywhere() -> str | None:
        return fingerprint(related_posts(site))

    def beyond_inputs(template: str) -> tuple[str | None, str | None]:
        return shared(), (fingerprints.of(site) if template in whole_site
                          else related_everywhere() if template in other_posts else "")

    def salt(template: str) -> str | None:
        parts = beyond_inputs(template)
        return digest(template, *parts) if all(part is not None for part in parts) else None  # type: ignore[arg-type]

    last_inputs: Any = None
    last_digest: tuple[str | None, tuple[str, ...]] = (None, ())

    def of_inputs(inputs: Any) -> tuple[str | None, tuple[str, ...]]:
        """Both formats of a feed come with the very same inputs, one after the other: pickle them once.
        The sources come as a tuple, which both share: 37,000 sets of them were 20 MB."""
        nonlocal last_inputs, last_digest
        if last_inputs is not inputs:
            last_inputs, last_digest = inputs, (fingerprints.of(inputs), tuple(fingerprints.met))
        return last_digest

    def memo(rel: str, template: str, inputs: Any, produce: Callable[[], bytes]) -> bytes | Unchanged:
        common, extra = beyond_inputs(template)
        sources = set(fingerprints.met) if template in whole_site else None
        found, held = of_inputs(inputs)
        depends[rel] = tuple(sources.union(held)) if sources else held
        parts = (common, extra, found)
        key = digest(rel, template, *parts) if all(part is not None for part in parts) else None  # type: ignore[arg-type]
        return cache.output(out, on_disk, rel, key, produce)

    return memo, salt


def templates_reading(cache: BuildCache, theme: Theme, environment: jinja2.Environment
                      ) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The templates reading the whole site, those calling helpers that read other posts, and those
    showing teasers with teaser_html() (see templates_where)."""
    return cache.value(digest("templates reading other posts", code_version(), theme_version(theme.folders)), lambda: (
        templates_where(environment, _reads_site), templates_where(environment, _calls_helpers_reading_other_posts),
        templates_where(environment, _shows_teasers)))


@functools.cache
def code_version() -> str:
    """The generator's own code: a changed deskpress (even a local edit) never reuses old results."""
    package = Path(__file__).parent
    return digest(*(path.read_bytes() for path in sorted(package.glob("*.py"))))


def theme_version(folders: Iterable[Path]) -> str:
    """Every template of the theme, by name and bytes: editing one re-renders pages (not Markdown)."""
    parts: list[str | bytes] = []
    for folder in folders:
        for path in sorted((folder / "templates").rglob("*")):
            if path.is_file():
                parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return digest(*parts)


SITE_PARTS_EVERY_PAGE_MAY_READ = frozenset({"config", "drafts_shown"})


def templates_where(environment: jinja2.Environment, reads: Callable[[jinja2.nodes.Template], bool]) -> frozenset[str]:
    """Templates whose syntax tree `reads` (say, more of `site` than its settings), directly or through
    what they extend, include, import or have a helper render (`teaser_html`); a template naming
    another by a variable counts too."""
    asts = {name: environment.parse(environment.loader.get_source(environment, name)[0])
            for name in environment.list_templates()}
    direct = {name for name, tree in asts.items() if reads(tree)}
    uses = {name: set(jinja2.meta.find_referenced_templates(tree)) | _rendered_by_helpers(tree)
            for name, tree in asts.items()}
    reading = set(direct) | {name for name, refs in uses.items() if None in refs}
    changed = True
    while changed:
        grown = {name for name, refs in uses.items() if refs & reading} - reading
        reading |= grown
        changed = bool(grown)
    return frozenset(reading)


def _rendered_by_helpers(tree: jinja2.nodes.Template) -> set[str]:
    return {HELPERS_RENDERING_TEMPLATES[node.name] for node in tree.find_all(jinja2.nodes.Name)
            if node.name in HELPERS_RENDERING_TEMPLATES}


def _calls_helpers_reading_other_posts(tree: jinja2.nodes.Template) -> bool:
    """A template calling related_posts() may show any post's title and link: its pages depend on them all."""
    return any(node.name in HELPERS_READING_OTHER_POSTS for node in tree.find_all(jinja2.nodes.Name))


def _shows_teasers(tree: jinja2.nodes.Template) -> bool:
    return any(node.name == "teaser_html" for node in tree.find_all(jinja2.nodes.Name))


def _reads_site(tree: jinja2.nodes.Template) -> bool:
    names = sum(1 for node in tree.find_all(jinja2.nodes.Name) if node.name == "site")
    safe = sum(1 for node in tree.find_all(jinja2.nodes.Getattr)
               if isinstance(node.node, jinja2.nodes.Name) and node.node.name == "site"
               and node.attr in SITE_PARTS_EVERY_PAGE_MAY_READ)
    return names > safe
