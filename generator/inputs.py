"""The stat of every file a build may read, taken before it reads any: what the manifest compares.

Light on imports (no Jinja2, YAML or Markdown): `deskpress build` takes them in a forked process
while Python loads the rest of the pipeline (inputs_taken_aside).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from stat import S_ISDIR, S_ISLNK
from typing import TYPE_CHECKING, Iterable

from generator.aside import ComputedAside

if TYPE_CHECKING:
    from generator.output import Stat

RACY_NS = 2_000_000_000


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
        base, stats, taken_at = path_prefix(root), dict(self.stats), time.time_ns()
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


DEFAULT_THEME = "default"


def default_theme_dir() -> Path:
    """The bundled theme, read by every build: packaged inside the wheel, or the repository's themes/default in a checkout."""
    packaged = Path(__file__).parent / "_theme"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "themes" / DEFAULT_THEME


def take_inputs(root: Path, theme_folders: tuple[Path, ...]) -> Inputs:
    """Stat site.yaml, content/, themes/ and the bundled theme folders, then digest the racy files.

    Call it before the build reads anything: what it records must not be newer than what the build used.
    Paths are recorded absolute, so `deskpress build` and `deskpress build --site PATH` share one record."""
    root = root.resolve()
    taken_at = time.time_ns()
    stats: dict[str, Stat] = {}
    try:
        with os.scandir(root) as entries:
            stats.update((entry.path, _stat(entry)) for entry in entries if entry.name == "site.yaml")
    except FileNotFoundError:  # no site folder: reading its site.yaml says so
        pass
    seen: set[tuple[int, int]] = set()
    through_links = False
    for folder in (root / "content", root / "themes", *theme_folders):
        through_links |= _walk_inputs(folder, stats, seen)
    return _with_racy_digests(Inputs(stats, taken_at, through_links=through_links))


def inputs_taken_aside(root: Path) -> ComputedAside[Inputs]:
    """take_inputs(root) with the bundled theme, by a forked process: call the result to have them.

    `deskpress build` starts it before importing the pipeline, so that stat-ing 18,500 files (0.15 s at
    10,000 posts) happens on another core while Python loads 0.15 s of modules, not after."""
    return ComputedAside(lambda: take_inputs(root, (default_theme_dir(),)))


def _with_racy_digests(inputs: Inputs) -> Inputs:
    return replace(inputs, digests={path: file_digest(path) for path in inputs.racy()})


def path_prefix(root: Path) -> str:
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


def source_version(raw: bytes) -> str:
    """Names a source file's bytes; a recalled record is only ever found under the version it was made from."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()
