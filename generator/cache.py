"""Remember what earlier builds computed, so a rebuild only redoes the work its changes affect.

Every result is stored under a digest of *all* its inputs (see generator/keys.py), so a stale entry
can never be found: a changed input is a different key. Two kinds of results are kept:

- values (a parsed source file, a rendered Markdown body), reused instead of recomputed;
- output files: for each file of the built site, the key of the inputs it was made from and the size
  and mtime it had after the build. When the key is unchanged and the file on disk still has that
  size and mtime, the file is kept as it is without rendering it again.

A BuildCache lives in memory (warm reuse when one process calls build() repeatedly, as `serve`
does) and, unless made with `persistent=False`, in `.deskpress-cache/cache.sqlite` under the site
folder. Nothing is saved until a build has succeeded. It also keeps, per output folder, the
manifest of the last successful build (generator/manifest.py) and its snapshot
(generator/snapshot.py), saved in the same transaction (as files the database names, see
generator/cache_files.py).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import pickle
import sqlite3
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import jinja2

from generator.aside import ComputedAside
from generator.cache_files import CacheFiles
from generator.config import SiteConfig
from generator.content import Loaded, LoadResult
from generator.keys import code_version, digest, fingerprint
from generator.manifest import Manifest
from generator.output import KEEP, Stat, Unchanged
from generator.site import Site
from generator.snapshot import Snapshot, responses_swapped, site_bytes

CACHE_DIR = ".deskpress-cache"
ENSURE_BATCH = 4000  # values computed at once: 10,000 posts' HTML is 85 MB
ASIDE_LIMIT = 1000  # posts from which a site is pickled aside (see pickling_aside): forking costs more below


class StoredValues(Mapping[str, Any]):
    """Values the cache holds (see BuildCache.ensure), by name, each read from the cache when first asked for.

    The Markdown stage's HTML for 10,000 posts is 100 MB: a rebuild only reads the bodies of the
    pages and feeds it renders again, in whichever process renders them."""

    RECENT = 64  # a post's page asks for its body three or four times (content, description, reading time)

    def __init__(self, cache: BuildCache, keys: dict[str, str]):
        self.cache, self.keys = cache, keys
        self.recent: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        key = self.keys[name]
        if key in self.recent:
            return self.recent[key]
        value = self.cache.lookup(key, keep=False)
        if value is None:
            raise KeyError(name)
        if len(self.recent) >= self.RECENT:
            del self.recent[next(iter(self.recent))]
        self.recent[key] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


class ValueFile:
    """Pickled values kept in an unnamed temporary file instead of in memory, each read when asked for.

    The Markdown stage's HTML for 10,000 posts is 85 MB: held in memory, it would also be copied into
    every forked process making pages, as each touches the bodies it shows. Reads use os.pread,
    which leaves the file offset (shared with forked processes) alone; only this process writes."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.where: dict[str, tuple[int, int]] = {}  # key -> offset and length of its pickle
        self._file: Any = None
        self._end = 0

    def __contains__(self, key: str) -> bool:
        return key in self.where

    def put(self, key: str, data: bytes) -> None:
        if self._file is None:
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
            self._file = tempfile.TemporaryFile(dir=self.folder)
        os.pwrite(self._file.fileno(), data, self._end)
        self.where[key] = (self._end, len(data))
        self._end += len(data)

    def get(self, key: str) -> bytes | None:
        found = self.where.get(key)
        return None if found is None else os.pread(self._file.fileno(), found[1], found[0])

    def keep_only(self, keys: set[str]) -> None:
        self.where = {key: place for key, place in self.where.items() if key in keys}


@dataclass(frozen=True)
class OutputStamp:
    """What an output file was made from, and how it looked on disk right after the build."""

    key: str
    size: int
    mtime_ns: int


class BuildCache:
    """Memoised values and output stamps; hold one across build() calls to reuse work in memory."""

    def __init__(self, root: Path | None = None, persistent: bool = True):
        self.path = root / CACHE_DIR / "cache.sqlite" if root is not None and persistent else None
        self.files = CacheFiles(root / CACHE_DIR / "records") if self.path is not None else None
        self.values: dict[str, Any] = {}
        self.stamps: dict[str, dict[str, OutputStamp]] = {}  # output folder -> file -> stamp
        self._used: set[str] = set()
        self._new: dict[str, Any] = {}
        self.spilled = ValueFile(self.path.parent if self.path is not None else None)
        self._new_spilled: list[str] = []
        self._keys: dict[str, str] = {}  # this build's output files (one folder) -> key
        self._kept: set[str] = set()
        self._remade: frozenset[str] | None = None  # see remaking()
        self._some_stamps: dict[str, OutputStamp] = {}
        self._connection: sqlite3.Connection | None = None
        self._connected_in = 0
        self.manifests: dict[str, Manifest] = {}
        self.snapshots: dict[str, Snapshot] = {}
        self.in_memory_only: set[str] = set()  # output folders whose records are never saved (see keep_in_memory())
        self._site_aside: tuple[Site, ComputedAside[bytes]] | None = None

    def value(self, key: str, compute: Callable[[], Any]) -> Any:
        """The value stored under `key`, computing and remembering it when there is none."""
        found = self.lookup(key)
        if found is not None:
            return found
        result = compute()
        self.store(key, result)
        return result

    def compile_templates_once(self, environment: jinja2.Environment) -> None:
        """Keep compiled templates next to the cache (Jinja2 checks each template's source before reuse)."""
        if self.path is not None:
            folder = self.path.parent / "templates"
            folder.mkdir(parents=True, exist_ok=True)
            environment.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))

    def many(self, keys: list[str], items: list[Any], compute: Callable[[list[Any]], list[Any]]) -> list[Any]:
        """Values for many keys at once; `compute` gets the items whose keys are missing, in one batch."""
        self.prefetch(keys)
        found = [self.lookup(key) for key in keys]
        missing = [index for index, value in enumerate(found) if value is None]
        for index, value in zip(missing, compute([items[index] for index in missing])):
            self.store(keys[index], value)
            found[index] = value
        return found

    def ensure(self, keys: list[str], items: list[Any], compute: Callable[[list[Any]], list[bytes]]) -> None:
        """Make sure a value is stored under each key, computing the missing ones in batches of
        ENSURE_BATCH, without loading the stored ones: they are read when asked for (see StoredValues).
        `compute` gives each value pickled, by whichever process computed it, and each batch is put out
        of memory (see ValueFile) before the next is computed."""
        self._used.update(keys)
        missing = [index for index, key in enumerate(keys) if key not in self.values and key not in self.spilled]
        if missing:
            stored = {key for (key,) in self._select("key", [keys[index] for index in missing])}
            missing = [index for index in missing if keys[index] not in stored]
        for start in range(0, len(missing), ENSURE_BATCH):
            batch = missing[start : start + ENSURE_BATCH]
            for index, data in zip(batch, compute([items[index] for index in batch])):
                self._spill(keys[index], data)

    def lookup(self, key: str, keep: bool = True) -> Any | None:
        """The value stored under `key`, or None. One read from the database stays in memory, unless not
        `keep`: a rendered body is read by the one page and the feeds showing it (see StoredValues)."""
        self._used.add(key)
        if key in self.values:
            return self.values[key]
        if key in self.spilled:
            return pickle.loads(self.spilled.get(key))
        if self.path is not None and self.path.exists():
            row = self._db().execute("SELECT value FROM memo WHERE key = ?", (key,)).fetchone()
            if row is not None:
                value = pickle.loads(row[0])
                if keep:
                    self.values[key] = value
                return value
        return None

    def prefetch(self, keys: list[str]) -> None:
        """Read many stored values in a few queries (one query per key was a quarter of a rebuild)."""
        for key, value in self._select("key, value", [key for key in keys if key not in self.values]):
            self.values[key] = pickle.loads(value)

    def _select(self, columns: str, keys: list[str]) -> Iterator[tuple]:
        """The stored rows among `keys`, 500 keys to a query."""
        if not keys or self.path is None or not self.path.exists():
            return
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            yield from self._db().execute(f"SELECT {columns} FROM memo WHERE key IN ({','.join('?' * len(batch))})", batch)

    def store(self, key: str, value: Any) -> None:
        self._used.add(key)
        self.values[key] = value
        self._new[key] = value

    def store_out_of_memory(self, key: str, value: Any) -> None:
        """Store `value` pickled (see ValueFile), for values read once a build: a loaded source's record
        holds its body, which the site leaves out after the Markdown stage (prepare.bodies_dropped)."""
        self._spill(key, pickle.dumps(value, protocol=5))

    def _spill(self, key: str, data: bytes) -> None:
        self._used.add(key)
        self.spilled.put(key, data)
        self._new_spilled.append(key)

    def output(self, out: Path, on_disk: dict[str, Stat], rel: str, key: str | None,
               produce: Callable[[], bytes]) -> bytes | Unchanged:
        """The bytes of output file `rel`, or KEEP when the file on disk was made from the same inputs.

        `on_disk` is the output folder's stats as the build found them (Staging.existing)."""
        if key is None:
            return produce()
        self._keys[rel] = key
        known = self._some_stamps if self._remade is not None and str(out) not in self.stamps else self._stamps_of(str(out))
        stamp = known.get(rel)
        if stamp is not None and stamp.key == key and on_disk.get(rel, (-1, -1))[:2] == (stamp.size, stamp.mtime_ns):
            self._kept.add(rel)
            return KEEP
        self._kept.discard(rel)
        return produce()

    def remaking(self, out: Path, rels: Iterable[str]) -> None:
        """Only these files of `out` are made again, the others staying as the last build left them (a
        build taking up its snapshot): read just their stamps, and keep every other stamp as it is."""
        folder = str(out)
        self._remade = frozenset(rels)
        if folder not in self.stamps and self.path is not None and self.path.exists():
            found = self._select_stamps(folder, sorted(self._remade))
            self._some_stamps = {rel: OutputStamp(key, size, mtime) for rel, key, size, mtime in found}

    def manifest(self, out: Path) -> Manifest | None:
        """The manifest of the last successful build into `out`, or None (also when it cannot be read).

        Only a manifest written by this very code is unpickled: another version's may not even load."""
        if str(out) in self.manifests:
            return self.manifests[str(out)]
        if self.path is None or not self.path.exists():
            return None
        try:
            row = self._db().execute("SELECT file FROM manifests WHERE folder = ? AND code = ?",
                                     (str(out), code_version())).fetchone()
            found = pickle.loads(self.files.read(row[0])) if row is not None else None
        except Exception:  # damaged: a full build will replace it
            return None
        return found if isinstance(found, Manifest) else None

    def replace_manifest(self, out: Path, manifest: Manifest) -> None:
        """Keep a refreshed manifest for `out`, after a build that found nothing changed (nothing else is saved)."""
        self.manifests[str(out)] = manifest
        if self.path is not None:
            written = self.files.write(pickle.dumps(manifest, protocol=5))
            with self._files_swapped([written]) as replaced, self._db() as db:
                replaced += _files_named(db, "manifests", str(out))
                db.execute("INSERT OR REPLACE INTO manifests VALUES (?, ?, ?)", (str(out), code_version(), written))

    def keep_in_memory(self, out: Path) -> None:
        """Save nothing about output folder `out` (its stamps, manifest, snapshot) to the database, only
        the values its builds make: `serve`'s own preview folder, gone when it stops, which only
        this process builds. Saving 15 MB of records after each edit was a fifth of a rebuild."""
        self.in_memory_only.add(str(out))

    def snapshot(self, out: Path) -> Snapshot | None:
        """The snapshot the last successful build into `out` left (generator/snapshot.py), or None.

        Like the manifest, only one written by this very code is read."""
        if str(out) in self.snapshots:
            return self.snapshots[str(out)]
        if self.path is None or not self.path.exists():
            return None
        try:
            parts = {part: self.files.read(name) for part, name in self._db().execute(
                "SELECT part, file FROM snapshots WHERE folder = ? AND code = ?", (str(out), code_version()))}
            depends, slugs, hidden, responses = pickle.loads(parts["structure"])
            site = responses_swapped(pickle.loads(parts["site"]), responses)
            found = Snapshot(site, depends, slugs, hidden, *pickle.loads(parts["keys"]), responses)
        except Exception:  # missing, damaged or not consistent: a full build will replace it
            return None
        self.snapshots[str(out)] = found
        return found

    def drop_snapshot(self, out: Path) -> None:
        """Forget the snapshot held in memory for `out` (the one saved stays until a build replaces it)."""
        self.snapshots.pop(str(out), None)

    def pickling_aside(self, out: Path, site: Site, responses: tuple) -> None:
        """Have a forked process pickle `site` for committed() to save, when the next snapshot of `out` (with
        these responses swapped in) is to be saved whole (a post added): 0.2 s at 10,000 posts. Started
        before the build's pages are made, it is done by the time they are, rather than holding up the
        end of the build. A small site is pickled in committed()."""
        self.dropped_aside()
        folder, previous = str(out), self.snapshots.get(str(out))
        if (self.path is not None and folder not in self.in_memory_only and len(site.entries) >= ASIDE_LIMIT
                and _saved_whole(site, responses, previous)):
            self._site_aside = (site, ComputedAside(lambda: site_bytes(site)))

    def dropped_aside(self) -> None:
        """Forget (and stop) the pickling started by pickling_aside(), when the build fails before committed()."""
        if self._site_aside is not None:
            self._site_aside[1].stop()
            self._site_aside = None

    def committed(self, out: Path, written: Iterable[str], on_disk: dict[str, Stat], manifest: Manifest | None = None,
                  snapshot: Snapshot | None = None, keep_unused: bool = False) -> None:
        """Record the files of a successful build as they now are on disk (`on_disk`: their stats), then save everything.

        `manifest` and `snapshot` (None: forget any earlier one for `out`) are saved in the same
        transaction. The stored values this build did not use are forgotten, unless `keep_unused`: a
        build that took up its snapshot used a few values, and every other one is still good; a
        preview's build (`serve`) must not drop what the next `deskpress build` will need."""
        folder = str(out)
        if self._remade is None:
            before = self._stamps_of(folder)
            after = {}
            for rel in written:
                if rel in self._kept and rel in before:
                    after[rel] = before[rel]
                elif rel in self._keys:
                    after[rel] = OutputStamp(self._keys[rel], *on_disk[rel][:2])
            self.stamps[folder] = after
            gone = [rel for rel in before if rel not in after]
            changed = {rel: s for rel, s in after.items() if before.get(rel) is not s}
        else:
            gone = [rel for rel in self._remade if rel not in self._keys]
            changed = {rel: OutputStamp(key, *on_disk[rel][:2]) for rel, key in self._keys.items() if rel not in self._kept}
            if folder in self.stamps:
                self.stamps[folder] = {rel: s for rel, s in self.stamps[folder].items() if rel not in gone} | changed
        self.manifests.pop(folder, None)
        if manifest is not None:
            self.manifests[folder] = manifest
        previous = self.snapshots.pop(folder, None)
        if self._site_aside is not None and (snapshot is None or self._site_aside[0] is not snapshot.site):
            self.dropped_aside()  # pickling some other site: its process is stopped, not left behind
        aside, self._site_aside = self._site_aside, None
        if snapshot is None or folder in self.in_memory_only:
            parts = []
        else:
            parts = snapshot_parts(snapshot, previous, aside[1] if aside is not None else None)
        if snapshot is not None:
            if any(part == "site" for part, _ in parts):
                snapshot = dataclasses.replace(snapshot, responses=())  # swapped into the site as saved
            self.snapshots[folder] = snapshot
        if not keep_unused:
            self.values = {k: v for k, v in self.values.items() if k in self._used}
            self.spilled.keep_only(self._used)
        self._save(gone, changed, folder, manifest, snapshot, parts, collect=not keep_unused)
        self._used, self._new, self._new_spilled, self._keys, self._kept = set(), {}, [], {}, set()
        self._remade, self._some_stamps = None, {}

    def _db(self) -> sqlite3.Connection:
        """The connection of this process: a forked worker reading values opens its own (SQLite's rule)."""
        assert self.path is not None
        if self._connection is not None and self._connected_in == os.getpid():
            return self._connection
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = _open(self.path)
        except sqlite3.DatabaseError:
            self.path.unlink()
            self._connection = _open(self.path)
        self._connected_in = os.getpid()
        return self._connection

    def _select_stamps(self, folder: str, rels: list[str]) -> Iterator[tuple]:
        for start in range(0, len(rels), 500):
            batch = rels[start : start + 500]
            yield from self._db().execute("SELECT rel, key, size, mtime FROM stamps WHERE folder = ? AND rel IN "
                                          f"({','.join('?' * len(batch))})", [folder, *batch])

    def _stamps_of(self, folder: str) -> dict[str, OutputStamp]:
        """The stamps of the files in output folder `folder`, read from the database once."""
        if folder not in self.stamps:
            self.stamps[folder] = {}
            if self.path is not None and self.path.exists():
                rows = self._db().execute("SELECT rel, key, size, mtime FROM stamps WHERE folder = ?", (folder,))
                self.stamps[folder] = {rel: OutputStamp(key, size, mtime) for rel, key, size, mtime in rows}
        return self.stamps[folder]

    def _save(self, gone: list[str], changed: dict[str, OutputStamp], folder: str,
              manifest: Manifest | None, snapshot: Snapshot | None, parts: list[tuple[str, bytes]], collect: bool) -> None:
        if self.path is None:
            return
        saved = folder not in self.in_memory_only
        if saved and snapshot is not None:
            keys = (snapshot.records, snapshot.bodies, snapshot.comments, snapshot.fingerprints)
            part_files = {part: self.files.write(data) for part, data in [("keys", pickle.dumps(keys, protocol=5)), *parts]}
        else:
            part_files = {}
        manifest_file = self.files.write(pickle.dumps(manifest, protocol=5)) if saved and manifest is not None else None
        written = [name for name in (*part_files.values(), manifest_file) if name is not None]
        with self._files_swapped(written) as replaced, self._db() as db:
            db.executemany("INSERT OR REPLACE INTO memo VALUES (?, ?)", itertools.chain(
                ((k, pickle.dumps(v, protocol=5)) for k, v in self._new.items()),
                ((k, self.spilled.get(k)) for k in self._new_spilled)))
            if collect:
                db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                db.execute("DELETE FROM used")
                db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in self._used))
                db.execute("DELETE FROM memo WHERE key NOT IN (SELECT key FROM used)")
            if not saved:
                return
            db.executemany("DELETE FROM stamps WHERE folder = ? AND rel = ?", ((folder, rel) for rel in gone))
            db.executemany("INSERT OR REPLACE INTO stamps VALUES (?, ?, ?, ?, ?)",
                           ((folder, rel, s.key, s.size, s.mtime_ns) for rel, s in changed.items()))
            replaced += _files_named(db, "manifests", folder)
            db.execute("DELETE FROM manifests WHERE folder = ?", (folder,))
            if manifest_file is not None:
                db.execute("INSERT INTO manifests VALUES (?, ?, ?)", (folder, code_version(), manifest_file))
            replaced += self._forget_folders_gone(db)
            if snapshot is None:
                replaced += _files_named(db, "snapshots", folder)
                db.execute("DELETE FROM snapshots WHERE folder = ?", (folder,))
                return
            replaced += _files_named(db, "snapshots", folder, list(part_files))
            db.executemany("INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)",
                           ((folder, part, code_version(), name) for part, name in part_files.items()))

    @contextmanager
    def _files_swapped(self, written: list[str]) -> Iterator[list[str]]:
        """Around a transaction naming the files `written` instead of those it adds to the list given: once
        it commits, remove those (and, when it wrote any, every file left by a build that stopped before
        committing: a preview's build writes none); when it fails, remove the files written."""
        replaced: list[str] = []
        try:
            yield replaced
        except BaseException:
            self.files.remove(written)
            raise
        self.files.remove(replaced)
        if not written:
            return
        db = self._db()
        self.files.remove_orphans({name for table in ("manifests", "snapshots")
                                   for (name,) in db.execute(f"SELECT file FROM {table}")})

    def _forget_folders_gone(self, db: sqlite3.Connection) -> list[str]:
        """Drop what is recorded of output folders that no longer exist (each `serve` session builds into a
        folder of its own, removed when it stops): their records would only weigh on every build. The
        files that held their manifests and snapshots are returned, for removal once this commits."""
        gone = [(folder,) for (folder,) in db.execute("SELECT folder FROM manifests") if not Path(folder).is_dir()]
        files = [name for (folder,) in gone for table in ("manifests", "snapshots") for name in _files_named(db, table, folder)]
        for table in ("stamps", "manifests", "snapshots"):
            db.executemany(f"DELETE FROM {table} WHERE folder = ?", gone)
        for (folder,) in gone:
            self.stamps.pop(folder, None)
            self.manifests.pop(folder, None)
            self.snapshots.pop(folder, None)
        return files


def _files_named(db: sqlite3.Connection, table: str, folder: str, parts: list[str] | None = None) -> list[str]:
    """The files that `table`'s rows for `folder` (only those of `parts`, if given) name."""
    if parts is None:
        return [name for (name,) in db.execute(f"SELECT file FROM {table} WHERE folder = ?", (folder,))]
    return [name for (name,) in db.execute(f"SELECT file FROM {table} WHERE folder = ? AND part IN "
                                           f"({','.join('?' * len(parts))})", (folder, *parts))]


def snapshot_parts(snapshot: Snapshot, previous: Snapshot | None,
                   site_pickled: Callable[[], bytes] | None = None) -> list[tuple[str, bytes]]:
    """The parts of `snapshot` to save besides its keys, when `previous` (the one the build took up, if
    any) is the one saved: the site (pickled already by `site_pickled`, if given), unless it is the saved
    one or made from it by swapping responses in (then those swaps are saved, see
    snapshot.responses_swapped), and what goes with it."""
    if (previous is not None and previous.site is snapshot.site and previous.depends is snapshot.depends
            and previous.responses == snapshot.responses):
        return []
    whole = _saved_whole(snapshot.site, snapshot.responses, previous)
    structure = (snapshot.depends, snapshot.slugs, snapshot.hidden, () if whole else snapshot.responses)
    site = [("site", site_pickled() if site_pickled is not None else site_bytes(snapshot.site))] if whole else []
    return site + [("structure", site_bytes(structure))]


def _saved_whole(site: Site, responses: tuple, previous: Snapshot | None) -> bool:
    return previous is None or (previous.site is not site and not responses)


def _open(path: Path) -> sqlite3.Connection:
    """The cache database; a damaged file raises DatabaseError, and the caller starts afresh.

    `serve` rebuilds on a watcher thread, one build at a time, so the connection may change threads.
    """
    connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
    connection.executescript(
        "CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, value BLOB);"
        "CREATE TABLE IF NOT EXISTS stamps (folder TEXT, rel TEXT, key TEXT, size INTEGER, mtime INTEGER,"
        " PRIMARY KEY (folder, rel));"
        "CREATE TABLE IF NOT EXISTS manifests (folder TEXT PRIMARY KEY, code TEXT, file TEXT);"
        "CREATE TABLE IF NOT EXISTS snapshots (folder TEXT, part TEXT, code TEXT, file TEXT, PRIMARY KEY (folder, part));"
        "DROP TABLE IF EXISTS build_manifest;"  # the tables before 2026-12: the pickles themselves, not files
        "DROP TABLE IF EXISTS snapshot;"
    )
    return connection


class SourceRecall:
    """Loaded source files remembered by their path, bytes, site.yaml (as parsed) and the generator's code.

    `known` gives the versions (content digests) of files the manifest shows unchanged since the
    last build, so those are not even read. After the build's loading, `versions` holds every
    source's version (for the next manifest) and `keys` each loaded record's cache key, by id():
    the key names the record's whole contents, so fingerprints use it instead of pickling the body."""

    def __init__(self, cache: BuildCache, config: SiteConfig, known: dict[str, str] | None = None):
        self.cache, self.known = cache, known or {}
        self.settings = fingerprint(config)
        self.versions: dict[str, str] = {}
        self.keys: dict[int, tuple[Any, str]] = {}

    def __call__(self, kind: str, rels: list[str], version_of: Callable[[int], str],
                 load: Callable[[list[int]], list[Loaded]]) -> list[LoadResult]:
        if self.settings is None:
            return [result for _, result in load(list(range(len(rels))))]
        versions = [self.known.get(rel) or version_of(position) for position, rel in enumerate(rels)]
        keys = [self._key(kind, rel, version) for rel, version in zip(rels, versions)]
        self.cache.prefetch(keys)
        found = [self.cache.lookup(key) for key in keys]
        missing = [position for position, result in enumerate(found) if result is None]
        for position, (version, result) in zip(missing, load(missing)):
            versions[position], keys[position] = version, self._key(kind, rels[position], version)
            self.cache.store_out_of_memory(keys[position], result)
            found[position] = result
        self.versions.update(zip(rels, versions))
        self.keys.update((id(result[0]), (result[0], key)) for key, result in zip(keys, found) if result[0] is not None)
        return found

    def _key(self, kind: str, rel: str, version: str) -> str:
        return digest("source", kind, code_version(), self.settings, rel, version)


