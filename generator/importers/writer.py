"""Write imported files all at once, and never over a file the user changed since the last import.

Every file is staged in a temporary folder first; nothing lands in the site until commit(). A
manifest of the hashes the importer wrote tells "unchanged since we wrote it" (safe to update)
from "edited by a person" (left alone and reported).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.errors import SiteError, error

MANIFEST = ".deskpress-import.json"


@dataclass(frozen=True)
class WriteOutcome:
    """What the import did (or, in a dry run, would do) to each file."""

    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    kept_edited: tuple[str, ...]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class ImportWriter:
    """Stages files under a temporary folder beside the site, then moves them in on commit()."""

    def __init__(self, root: Path, dry_run: bool):
        self.root, self.dry_run = root, dry_run
        self.previous = _read_manifest(root / MANIFEST)
        self.manifest = dict(self.previous)
        self.outcomes: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": [], "kept_edited": []}
        self.staged: list[str] = []
        self.seen: set[str] = set()
        self.stage: Path | None = None

    def add(self, rel: str, data: bytes, tracked: bool = True) -> None:
        """Plan `rel` to hold `data`; untracked files (site.yaml, merged in place) skip the edit check."""
        self._place(rel, digest(data), tracked, lambda target: target.write_bytes(data))

    def copy(self, rel: str, source: Path) -> None:
        """Plan a copy of a file (an upload) without reading it into memory."""
        self._place(rel, file_digest(source), True, lambda target: shutil.copyfile(source, target))

    def _place(self, rel: str, new_hash: str, tracked: bool, write) -> None:
        rel = _checked(rel)
        if rel in self.seen:
            raise SiteError([error(rel, None, "the import would write this file twice")])
        self.seen.add(rel)
        target = self.root / rel
        outcome = "created"
        if target.is_file():
            current = file_digest(target)
            if current == new_hash:
                outcome = "unchanged"
            elif tracked and self.previous.get(rel) != current:
                outcome = "kept_edited"
            else:
                outcome = "updated"
        self.outcomes[outcome].append(rel)
        if outcome in ("created", "updated", "unchanged") and tracked:
            self.manifest[rel] = new_hash
        if outcome in ("created", "updated") and not self.dry_run:
            staged = self._stage_dir() / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            write(staged)
            self.staged.append(rel)

    def _stage_dir(self) -> Path:
        if self.stage is None:
            anchor = self.root
            while not anchor.exists():
                anchor = anchor.parent
            self.stage = Path(tempfile.mkdtemp(prefix=".deskpress-import-", dir=anchor))
        return self.stage

    def commit(self) -> WriteOutcome:
        """Move every staged file into place and record what was written (a dry run moves nothing)."""
        if not self.dry_run:
            self.root.mkdir(parents=True, exist_ok=True)
            for rel in self.staged:
                target = self.root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self._stage_dir() / rel, target)
            text = json.dumps(dict(sorted(self.manifest.items())), indent=1) + "\n"
            (self.root / MANIFEST).write_text(text, encoding="utf-8")
        self.abort()
        return WriteOutcome(*(tuple(sorted(self.outcomes[k])) for k in ("created", "updated", "unchanged", "kept_edited")))

    def abort(self) -> None:
        """Drop the staged files: the site stays exactly as it was."""
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None


def _checked(rel: str) -> str:
    path = PurePosixPath(rel)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts):
        raise SiteError([error(rel, None, "refusing to write outside the site folder")])
    return path.as_posix()


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SiteError([error(path, None, f"unreadable import manifest ({exc}); delete it to import again")]) from None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
