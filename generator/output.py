"""Write the built site: stage every changed file, then move them into place only if the build succeeded.

This module knows bytes and paths only. Unchanged files are not rewritten (their mtimes stay, which
keeps rsync and CDN uploads small) and files that no longer belong are removed.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.errors import SiteError, error

MARKER = ".deskpress-output"
STAGE = ".deskpress-stage"


class Unchanged:
    """Stands for a file's bytes when the output folder already holds exactly what would be written."""


KEEP = Unchanged()


@dataclass(frozen=True)
class WriteReport:
    files: int
    changed: int
    removed: int
    feeds: int


class Staging:
    """Collects files for one build; nothing in the output folder changes before commit()."""

    def __init__(self, out_dir: Path):
        self.out = out_dir
        self.stage = out_dir / STAGE
        self.written: set[str] = set()
        self.changed: list[str] = []
        _check_ownership(out_dir)
        self.existed = out_dir.exists()
        if self.stage.exists():
            shutil.rmtree(self.stage)

    def write(self, rel: str, data: bytes | Unchanged) -> None:
        """Stage `data` for `rel`, unless the output already holds exactly these bytes (or `data` is KEEP)."""
        rel = _safe_relative(rel)
        if rel in self.written:
            raise SiteError([error(rel, None, "two parts of the site write this same file (a page and a generated page share a URL?)")])
        self.written.add(rel)
        if isinstance(data, Unchanged):
            return
        current = self.out / rel
        try:
            if current.stat().st_size == len(data) and current.read_bytes() == data:
                return
        except (FileNotFoundError, NotADirectoryError):
            pass
        if not self.changed:
            self.stage.mkdir(parents=True)
        (self.stage / str(len(self.changed))).write_bytes(data)
        self.changed.append(rel)

    def commit(self) -> WriteReport:
        """Move staged files into place and delete files this build no longer produces."""
        self.out.mkdir(parents=True, exist_ok=True)
        marker = self.out / MARKER
        if not marker.exists():
            marker.write_text("This folder is written by deskpress build; its contents are replaced on every build.\n")
        ready: set[Path] = set()
        for number, rel in enumerate(self.changed):
            target = self.out / rel
            if target.parent not in ready:
                _clear_way(self.out, target.parent)
                target.parent.mkdir(parents=True, exist_ok=True)
                ready.add(target.parent)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(self.stage / str(number), target)
        self.abort()
        removed = self._remove_stale()
        feeds = sum(1 for rel in self.written if rel.endswith(("atom.xml", "feed.xml")))
        return WriteReport(len(self.written), len(self.changed), removed, feeds)

    def abort(self) -> None:
        """Forget the staged files; the output folder stays as it was (or absent, if it was)."""
        if self.stage.exists():
            shutil.rmtree(self.stage)
        if not self.existed and self.out.is_dir() and not any(self.out.iterdir()):
            self.out.rmdir()

    def _remove_stale(self) -> int:
        removed = 0
        root = str(self.out)
        for folder, folders, files in os.walk(root, topdown=False):
            prefix = folder[len(root) + 1 :].replace(os.sep, "/") + "/" if folder != root else ""
            links = [name for name in folders if os.path.islink(os.path.join(folder, name))]
            for name in files + links:
                rel = prefix + name
                if rel != MARKER and rel not in self.written:
                    os.unlink(os.path.join(folder, name))
                    removed += 1
            if prefix and not os.listdir(folder):
                os.rmdir(folder)
        return removed


def _safe_relative(rel: str) -> str:
    path = PurePosixPath(rel)
    if path.is_absolute() or any(part in ("..", "") for part in path.parts) or not path.parts or path.parts[0] in (STAGE, MARKER):
        raise SiteError([error(rel, None, "refusing to write outside the output folder")])
    return path.as_posix()


def _clear_way(root: Path, folder: Path) -> None:
    """A file may stand where a folder is now needed after URLs change (folders in the way are removed by the caller)."""
    for parent in [folder.relative_to(root), *folder.relative_to(root).parents]:
        candidate = root / parent
        if parent != Path(".") and candidate.is_file():
            candidate.unlink()


def _check_ownership(out_dir: Path) -> None:
    """Never delete files in a folder deskpress did not create: that folder might be someone's home."""
    if out_dir.exists() and not out_dir.is_dir():
        raise SiteError([error(str(out_dir), None, "the output path exists and is not a folder")])
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise SiteError([error(str(out_dir), None, "refusing to build into a folder that is not empty and was not made by deskpress; "
                                                   "choose another --output or empty it first")])
