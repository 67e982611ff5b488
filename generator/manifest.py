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

import sys
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Callable

from generator.config import SiteConfig
from generator.errors import Problem
from generator.inputs import Inputs, file_digest, path_prefix
from generator.output import Stat, WriteReport

MANIFEST_FORMAT = "1"
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
        base = path_prefix(root)
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
        base = path_prefix(root)

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
