"""What a build leaves for the next one, so a rebuild after edits to posts and comments skips the whole-site work.

assemble_site() never reads a body: archives, URLs, neighbours, statuses and threads follow from
the records' other fields, and bodies reach pages and feeds only as the Markdown stage's HTML,
looked up by source. So when every file changed since the last build differs from its last version
in its body alone (same fields, same problems), the last build's Site is, field for field, the Site
this build would assemble, and only the output files whose inputs held a changed source can differ.
A post's responses decide its own entry alone, so changed responses swap that one entry in; such a
build saves the swaps rather than the whole site, and the next build, loading the site saved, swaps
them in again (responses_swapped).

A Snapshot keeps that Site, every record the build loaded (bodies left out), for each output file
the sources its inputs hold (`depends`, gathered by the fingerprints as each file is keyed), and the
cache keys that name every record, body and fingerprint. Other edits (a new post, a changed title)
assemble the site again from these records, without reading the unchanged files.
"""

from __future__ import annotations

import copyreg
import dataclasses
import io
import pickle
from dataclasses import dataclass
from typing import Any, Iterable

from generator.content import Comment, LoadResult, Page, Post
from generator.site import Site, with_responses


@dataclass(frozen=True)
class Snapshot:
    """The last successful build into one output folder, as the next build may take it up."""

    site: Site
    depends: dict[str, tuple[str, ...]]  # output file -> the sources its inputs hold
    slugs: dict[str, int]  # post slug -> how many posts (drafts and scheduled ones too) have it
    hidden: tuple  # the records the site leaves out (drafts, scheduled posts, comments on them)
    records: dict[str, str]  # every loaded source -> its record's key (generator.cache.SourceRecall)
    bodies: dict[str, str]  # post or page source -> the key of its rendered body
    comments: dict[str, str]  # comment source -> the key of its rendered HTML
    fingerprints: dict[str, str]  # entry (by its post's source) or archive (by its URL) -> its fingerprint
    responses: tuple[tuple[str, tuple[Comment, ...]], ...] = ()  # swapped into the site saved (responses_swapped)

    def affected(self, sources: Iterable[str]) -> frozenset[str]:
        """The output files whose inputs hold any of `sources`: all a body edit to them can change.

        Kept by file rather than by source, a build remaking a few files updates their entries alone
        instead of every source's (30,000 of them at 10,000 posts); this look takes 5 ms."""
        wanted = set(sources)
        return frozenset(rel for rel, held in self.depends.items() if not wanted.isdisjoint(held))

    def all_records(self) -> Iterable[Post | Page | Comment]:
        """Every record the last build loaded: those its Site holds (the fingerprints name each by its key)
        and those it leaves out."""
        for entry in self.site.entries:
            yield entry.post
            yield from entry.comments
        for page in self.site.pages:
            yield page.page
        yield from self.hidden


RESPONSES_KEPT_APART = 16  # swaps saved apart from the site before it is saved whole again (each costs 2 ms to redo)


def responses_swapped(site: Site, responses: tuple[tuple[str, tuple[Comment, ...]], ...]) -> Site:
    """`site` with each post's (by source) responses swapped in, in order, as the builds that swapped them did:
    a build that only changed responses saves these swaps instead of the whole site (0.2 s at 10,000
    posts), and the next build loads the site it swapped them into and does them again. Raise
    ValueError when one cannot be done again (the snapshot is then not used)."""
    if not responses:
        return site
    position = {entry.post.source: number for number, entry in enumerate(site.entries)}  # a swap keeps the order
    for source, replies in responses:
        swapped = with_responses(site, site.entries[position[source]], replies) if source in position else None
        if swapped is None:
            raise ValueError(f"the responses to {source} cannot be swapped in again")
        site = swapped
    return site


def only_bodies_differ(before: LoadResult, after: LoadResult) -> bool:
    """Did a source file change in its body alone: the same record otherwise, with the same problems?"""
    (old, old_problems), (new, new_problems) = before, after
    if old is None or new is None or type(old) is not type(new) or old_problems != new_problems:
        return False
    return dataclasses.replace(old, body="") == dataclasses.replace(new, body="")


def site_bytes(site: Any) -> bytes:
    """The site (and what goes with it) pickled without the records' bodies: nothing after the Markdown
    stage reads one."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = {**copyreg.dispatch_table, Post: _without_body, Page: _without_body, Comment: _without_body}
    pickler.dump(site)
    return buffer.getvalue()


def _without_body(record: Any) -> Any:
    """What pickle makes of a frozen dataclass, with an empty body (dataclasses.replace() would build a
    new record and check every field: 18,000 of them were a third of saving a snapshot)."""
    return copyreg.__newobj__, (type(record),), {**record.__dict__, "body": ""}
