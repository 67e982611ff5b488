"""Skip a whole build when nothing it reads has changed since the last successful one.

Even with every page cached, a rebuild still reads, parses and keys every source and output file
(30 s on 10,000 posts). A manifest lets it stop after looking only at file metadata. It records,
for one output folder:

- the build's parameters (output folder, drafts flag, fast Markdown, the generator's code, the
  renderer and library versions, Python), which must all be equal;
- the stat of every file the build may read (`site.yaml`, everything under `content/` and
  `themes/`, the bundled theme) as (size, mtime_ns, ctime_ns, inode). The ctime cannot be set
  from user space, so `touch -d` or `os.utime` restoring an old mtime is still noticed;
- a content digest of every *racy* input: one modified less than RACY_NS before its stat was taken
  could be modified again within the file system's timestamp granularity and keep an identical
  stat (git's "racy index" problem). Those are compared by content too. Stats and digests are
  taken before the build reads any file (site.yaml included), so an edit made while the build
  runs shows as a change next time;
- every file in the output folder as (size, mtime_ns, ctime_ns, inode) right after the build: a
  file edited, added or deleted there means a full build, which restores it;
- the moment the build was made for (`now`) and `valid_until` (Site.changes_at): the output only
  holds from `now` until a scheduled post is due or comments close;
- the summary and warnings the build reported, so the shortcut reports them again;
- the version (content digest) of every content file the build loaded: a build that finds a file
  unchanged since then by the rules above recalls its record without reading it.

Anything unequal, missing or unreadable means a full build, which is never wrong, only slower.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import metadata
from pathlib import Path
from stat import S_ISDIR, S_ISLNK
from typing import Callable, Iterable

from generator.config import SiteConfig
from generator.content import source_version
from generator.errors import Problem
from generator.output import Stat, WriteReport

MANIFEST_FORMAT = "1"
RACY_NS = 2_000_000_000
LIBRARIES = ("jinja2", "markdown-it-py", "mdit-py-plugins", "markdown-it-pyrs", "feedgen", "pyyaml", "pygments",
             "nh3", "python-slugify", "babel", "lxml", "tzdata")



@dataclass(frozen=True)
class BuildSummary:
    """What a build reports besides its warnings: the counts the CLI prints, and what `serve` needs."""

    posts: int
    pages: int
    feeds: int
    files: int
    next_scheduled: datetime | None
    base_path: str = "/"

    def unchanged(self) -> WriteReport:
        """The write report of a build that found every file already right."""
        return WriteReport(self.files, 0, 0, self.feeds)


@dataclass(frozen=True)
class Inputs:
    """Every file a build may read, stat'ed (and the racy ones digested) before the build reads any."""

    stats: dict[str, Stat]
    taken_at_ns: int
    digests: dict[str, str | None] = field(default_factory=dict)
    through_links: bool = False  # some file was reached through a symbolic link, which watchers do not follow

    def racy(self) -> list[str]:
        """Files changed so recently that a further change could leave their stat as it is."""
        limit = self.taken_at_ns - RACY_NS
        return [path for path, (_, mtime, ctime, _) in self.stats.items() if max(mtime, ctime) >= limit]

    def updated(self, root: Path, changed: Iterable[str]) -> Inputs | None:
        """These inputs with only the files `changed` (paths relative to `root`) stat'ed again: what take_inputs
        would find when a watcher saw every change since these were taken. `serve` uses it instead of
        stat-ing 18,500 files after each save. None when a folder or a symlink changed or came (walk again), or
        a file was reached through a symlink (the watcher sees no change there)."""
        if self.through_links:
            return None
        base, stats, taken_at = _prefix(root), dict(self.stats), time.time_ns()
        for rel in changed:
            path = base + rel
            try:
                stat = os.lstat(path)
            except FileNotFoundError:
                below = path + os.sep
                for gone in [known for known in stats if known == path or known.startswith(below)]:
                    del stats[gone]
                continue
            except OSError:
                return None
            if S_ISDIR(stat.st_mode) or S_ISLNK(stat.st_mode):
                return None
            stats[path] = stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino
        return _with_racy_digests(Inputs(stats, taken_at))

    def matches(self, current: Inputs) -> bool:
        """Same files with the same stats, and the ones racy when recorded still have the recorded contents."""
        return self.stats == current.stats and all(
            (current.digests[path] if path in current.digests else file_digest(path)) == recorded
            for path, recorded in self.digests.items())


@dataclass(frozen=True)
class Manifest:
    """One successful build into one output folder: enough to tell that a rebuild would change nothing."""

    parameters: tuple
    inputs: Inputs
    outputs: dict[str, Stat]
    built_for: datetime
    valid_until: datetime | None
    summary: BuildSummary
    warnings: tuple[Problem, ...]
    sources: dict[str, str] = field(default_factory=dict)

    def still_holds(self, parameters: tuple, inputs: Inputs, now: datetime, in_output: Callable[[], dict[str, Stat]]) -> bool:
        """Would a build with these parameters, inputs and `now` write exactly what the output folder holds
        (`in_output()`: the stat of each of its files)?"""
        return (self.parameters == parameters and self.holds_at(now)
                and self.inputs.matches(inputs)
                and in_output() == self.outputs)

    def holds_at(self, now: datetime) -> bool:
        """Is `now` in the span this build's output is right for (no scheduled post due, no comments closing)?"""
        return self.built_for <= now and (self.valid_until is None or now < self.valid_until)

    def unchanged_sources(self, current: Inputs, root: Path) -> dict[str, str]:
        """The versions of the content files (by path relative to `root`) that have not changed since this build.

        A file counts when its stat is the recorded one and it was not racy then (a racy file could
        have changed without changing its stat); one racy now was digested before the build began."""
        base = _prefix(root)
        unchanged = {rel: version for rel, version in self.sources.items()
                     if (path := base + rel) not in self.inputs.digests
                     and self.inputs.stats.get(path, ()) == current.stats.get(path)}
        unchanged.update((path[len(base):], version) for path, version in current.digests.items()
                         if version is not None and path.startswith(base))
        return unchanged

    def changes(self, current: Inputs, root: Path) -> tuple[list[str], list[str], list[str]]:
        """The input files (by path relative to `root`, in path order) whose contents may differ from this
        build's, the files added since and the files gone.

        A file whose stat is the recorded one and was not racy then is unchanged; any other is compared
        by content with the version this build recorded, and counts as changed when there is none."""
        base = _prefix(root)

        def relative(path: str) -> str:
            return path[len(base):] if path.startswith(base) else path

        changed = []
        for path, stat in current.stats.items():
            if path not in self.inputs.stats or (stat == self.inputs.stats[path] and path not in self.inputs.digests):
                continue
            before = self.inputs.digests.get(path) or self.sources.get(relative(path))
            if before is None or before != (current.digests[path] if path in current.digests else file_digest(path)):
                changed.append(relative(path))
        added = [relative(path) for path in current.stats if path not in self.inputs.stats]
        gone = [relative(path) for path in self.inputs.stats if path not in current.stats]
        return sorted(changed), sorted(added), sorted(gone)

    def settled(self, current: Inputs) -> Manifest | None:
        """This manifest with `current` (matching) inputs, when files racy at recording time no longer are.

        Their contents were just found unchanged and their stat is now trustworthy, so the next
        check need not read them again (after a git clone, that is every file). None: no gain."""
        if set(self.inputs.digests) <= set(current.digests):
            return None
        return replace(self, inputs=current)


def build_parameters(config: SiteConfig, out: Path, drafts: bool, fast: bool, code: str, renderer: str) -> tuple:
    """Everything besides the input files and `now` that decides the output bytes."""
    return (MANIFEST_FORMAT, str(out), drafts, fast, code, renderer, config.base_path, sys.version,
            tuple(_version(name) for name in LIBRARIES))


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def take_inputs(root: Path, theme_folders: tuple[Path, ...]) -> Inputs:
    """Stat site.yaml, content/, themes/ and the bundled theme folders, then digest the racy files.

    Call it before the build reads anything: what it records must not be newer than what the build used.
    Paths are recorded absolute, so `deskpress build` and `deskpress build --site PATH` share one record."""
    root = root.resolve()
    taken_at = time.time_ns()
    stats: dict[str, Stat] = {}
    with os.scandir(root) as entries:
        stats.update((entry.path, _stat(entry)) for entry in entries if entry.name == "site.yaml")
    seen: set[tuple[int, int]] = set()
    through_links = False
    for folder in (root / "content", root / "themes", *theme_folders):
        through_links |= _walk_inputs(folder, stats, seen)
    return _with_racy_digests(Inputs(stats, taken_at, through_links=through_links))


def _with_racy_digests(inputs: Inputs) -> Inputs:
    return replace(inputs, digests={path: file_digest(path) for path in inputs.racy()})


def _prefix(root: Path) -> str:
    """How take_inputs spells the paths of files under `root` (absolute), less their path relative to it."""
    return str(root.resolve() / "x")[:-1]


def _walk_inputs(top: Path, stats: dict[str, Stat], seen: set[tuple[int, int]]) -> bool:
    """Every file below `top`, following symlinks as the build's own globbing does (each folder once);
    True when some file or folder was reached through a symlink (one pointing nowhere is no file)."""
    pending, through_links = [str(top)], False
    while pending:
        folder = pending.pop()
        try:
            identity = os.stat(folder)
            if (identity.st_dev, identity.st_ino) in seen:
                continue
            seen.add((identity.st_dev, identity.st_ino))
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir():
                        pending.append(entry.path)
                        through_links = through_links or entry.is_symlink()
                    else:
                        stats[entry.path] = _stat(entry)
                        through_links = through_links or (entry.is_symlink() and entry.is_file())
        except OSError:
            continue
    return through_links


def _stat(entry: os.DirEntry) -> Stat:
    """The file's stat through a symlink, or the link's own when it points nowhere."""
    try:
        stat = entry.stat()
    except OSError:
        stat = entry.stat(follow_symlinks=False)
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino


def file_digest(path: str) -> str | None:
    """The file's version (as content loading names it, so a racy file's digest is its version), or None when unreadable."""
    try:
        with open(path, "rb") as handle:
            return source_version(handle.read())
    except OSError:
        return None
