"""Time deskpress on synthetic blogs: each scenario of docs/performance.md, a few runs each.

    python benchmarks/run.py --posts 1000 10000 --repeat 3 [--pelican] [--work /tmp/deskpress-bench]

Prints the median wall time and the peak memory of each scenario, for the reference renderer
(markdown-it-py) and, when installed, the fast one (markdown-it-pyrs). Memory is measured three
ways: the largest single process (getrusage of the children, the operating system's own
accounting), and the sum over the build's process tree of RSS and of PSS (which shares pages the
forked workers have in common with the parent fairly), sampled from /proc every 50 ms (PSS every
200 ms: reading it walks page tables). With --pelican the same corpus is also built by Pelican,
installed into a throwaway virtual environment, once.

Each size starts with the issue's yardstick (benchmarks/yardstick.py): the VM's speed that day, for
comparing figures across days. Cold builds go into new folders, and what the benchmark deletes (an
earlier run's copies of the corpus, the floor's files) is deleted at its end: on the project's VMs,
creating files after deleting 40,000 others costs several times the build itself, minutes later
still. Last for each size, one more cold build, into the folder of the first one just deleted, shows
that cost (see "Benchmark" in docs/performance.md).
"""

from __future__ import annotations

import argparse
import compileall
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import CATEGORIES, TAGS, write_corpus  # noqa: E402
from benchmarks.pelican import pelican_build  # noqa: E402
from benchmarks.yardstick import ISSUE_MS_PER_POST, machine_factor, pipeline_ms_per_post  # noqa: E402

MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the build and every process it forked and waited for
print(json.dumps({"wall": wall, "rss_mb": usage.ru_maxrss / 1024, "user": usage.ru_utime, "sys": usage.ru_stime,
                  "code": code}))
"""

SERVE = """
import json, shutil, sys, tempfile, time
from datetime import datetime, timezone
from pathlib import Path
from generator.build import build, collector_paused
from generator.cache import BuildCache
root, runs, fast, filed = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "fast", sys.argv[4]
now = datetime(2030, 1, 1, tzinfo=timezone.utc)
cache = BuildCache(root)
preview = Path(tempfile.mkdtemp(prefix="deskpress-bench-serve-"))  # as serve does: its own folder
build(root, now, output=preview, cache=cache, fast_markdown=fast, private_output=True)
post = sorted((root / "content" / "posts").glob("*.md"))[len(list((root / "content" / "posts").glob("*.md"))) // 2]
times = {"edit one post": [], "add a post": []}


def rebuilt(scenario, rel):
    with collector_paused():  # as serve's Rebuilder: the tabs are told before the build's cycles are collected
        started = time.perf_counter()
        build(root, now, output=preview, cache=cache, fast_markdown=fast, private_output=True,
              changed=frozenset({rel}))  # what the watcher reports
        times[scenario].append(time.perf_counter() - started)


for run in range(runs):
    with post.open("a", encoding="utf-8") as stream:
        stream.write(f"\\nEdited in process, run {run}.\\n")
    rebuilt("edit one post", post.relative_to(root).as_posix())
for run in range(runs):
    rel = f"content/posts/2026-02-0{run + 1}-served-{run}.md"
    (root / rel).write_text(f"---\\ntitle: Served {run}\\ndate: 2026-02-0{run + 1} 10:00\\n{filed}---\\nA new post.\\n",
                            encoding="utf-8")
    rebuilt("add a post", rel)
shutil.rmtree(preview)
print(json.dumps(times))
"""


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (Linux /proc): each process's children file, when the kernel
    has them, else a scan of every process's parent (ten times the work, taken from the build's cores)."""
    if not Path(f"/proc/{pid}/task/{pid}/children").exists():
        return _process_tree_by_scan(pid)
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        try:
            todo += [int(child) for child in Path(f"/proc/{found[-1]}/task/{found[-1]}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def _process_tree_by_scan(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(stat[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def tree_rss_mb(pids: list[int]) -> float:
    """Summed resident memory: a page shared by forked workers counts once per process."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def tree_pss_mb(pids: list[int]) -> float:
    """Summed proportional memory: a shared page is divided among the processes sharing it, so this is
    what the tree really occupies. Reading it walks page tables, so it is sampled less often."""
    total = 0
    for pid in pids:
        try:
            total += next(int(line.split()[1]) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
                          if line.startswith("Pss:"))
        except (OSError, StopIteration, ValueError):
            continue
    return total / 1024


def measure(command: list[str], cwd: Path) -> dict:
    """Run one command; its wall time, largest process and the peak memory of its process tree."""
    process = subprocess.Popen([sys.executable, "-c", MEASURE, *command], cwd=cwd, stdout=subprocess.PIPE, text=True)
    peak, peak_pss = 0.0, 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        tick = 0
        while not done.is_set():
            pids = process_tree(process.pid)
            peak = max(peak, tree_rss_mb(pids))
            if tick % 4 == 0:
                peak_pss = max(peak_pss, tree_pss_mb(pids))
            tick += 1
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    result = json.loads(output.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}")
    return {**result, "tree_mb": peak, "tree_pss_mb": peak_pss}


def deskpress(fast: bool, *options: str) -> list[str]:
    return [sys.executable, "-m", "generator", "build", *options] + ([] if fast else ["--reference-markdown"])


def settling_seconds() -> float:
    """How long ext4 without a journal (the project's VMs) keeps freed inodes from being reused: it skips
    each inode deleted within the last dirty_expire_centisecs (+5 s while its block is dirty), one by
    one, for every file and folder it creates. Waiting that long is not enough on these VMs, though:
    a cold 10,000-post build 100 s after deleting the last output still spent 21 s in the kernel,
    against 3.7 s into a new folder with nothing deleted before. Journaled file systems (a laptop's)
    show neither."""
    try:
        expire = int(Path("/proc/sys/vm/dirty_expire_centisecs").read_text()) / 100
    except (OSError, ValueError):
        return 0.0
    return expire + 6


def deleted(*folders: Path, settle: float) -> None:
    """Delete the folders, then wait until the file system reuses their inodes as it would anyone's."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    os.sync()
    time.sleep(settle)


AFTER_DELETING = "cold, into the first cold build's folder just deleted (this VM's file system)"


def scenarios(site: Path, fast: bool, repeat: int) -> dict[str, list[dict]]:
    """Each row of the targets table, `repeat` times, on a fresh copy of the corpus at `site`: cold builds
    into new folders (site/cold-N), then the rest into site/public."""
    results: dict[str, list[dict]] = {name: [] for name in ("cold", "first build, filling the cache", "no change",
                                                             "edit one post", "add a post", "add a comment")}
    posts = sorted((site / "content" / "posts").glob("*.md"))
    for run in range(repeat):
        results["cold"].append(measure(deskpress(fast, "--no-cache", "-o", str(site / f"cold-{run}")), site))
    results["first build, filling the cache"].append(measure(deskpress(fast), site))
    for run in range(repeat):
        results["no change"].append(measure(deskpress(fast), site))
        with posts[len(posts) // 3].open("a", encoding="utf-8") as stream:
            stream.write(f"\nAn edit, run {run}.\n")
        results["edit one post"].append(measure(deskpress(fast), site))
        (site / "content" / "posts" / f"2026-01-0{run + 1}-new-{run}.md").write_text(
            f"---\ntitle: New post {run}\ndate: 2026-01-0{run + 1} 10:00\n{new_post_filing(run)}---\nA new post.\n",
            encoding="utf-8")
        results["add a post"].append(measure(deskpress(fast), site))
        slug = posts[len(posts) // 2].stem[11:]
        comment = site / "content" / "comments" / slug / f"bench-{run}.md"
        comment.parent.mkdir(parents=True, exist_ok=True)
        comment.write_text(f"---\nauthor: Bench\ndate: 2026-02-0{run + 1} 10:00\n---\nA new comment.\n", encoding="utf-8")
        results["add a comment"].append(measure(deskpress(fast), site))
    return results


def new_post_filing(run: int) -> str:
    """The frontmatter lines filing an added post as the corpus's posts are: a category and two tags."""
    return f"category: {CATEGORIES[run]}\ntags: [{TAGS[run]}, {TAGS[run + 10]}]\n"


def cold_after_deleting(site: Path, fast: bool, settle: float) -> dict:
    """A cold build into site/cold-0 `settle` seconds after deleting what the first cold build wrote there:
    what this VM's file system adds to a cold build after a mass deletion (see settling_seconds)."""
    deleted(site / "cold-0", settle=settle)
    return measure(deskpress(fast, "--no-cache", "-o", str(site / "cold-0")), site)


def in_process_rebuilds(site: Path, fast: bool, repeat: int) -> dict[str, list[float]]:
    """What `serve` sees: one process holding its cache, rebuilding after each edit of one post, then after
    each post added (filed as the command-line scenario's are)."""
    output = subprocess.run([sys.executable, "-c", SERVE, str(site), str(repeat), "fast" if fast else "reference",
                             new_post_filing(0)], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _write_share(target: Path, files: list[tuple[str, bytes]], share: int, jobs: int) -> None:
    made: set[str] = set()
    for rel, data in files[share::jobs]:
        folder = os.path.dirname(rel)
        if folder not in made:
            os.makedirs(target / folder, exist_ok=True)
            made.add(folder)
        with open(target / rel, "wb") as stream:
            stream.write(data)


def write_floor(built: Path, target: Path) -> float:
    """Seconds to write the files of a built site into a new folder over every core, with no rendering at
    all: the file system's share of a cold build (on the project's VMs creating a file or a folder costs
    a few tenths of a millisecond of kernel time, so 37,000 files and 30,000 folders are seconds)."""
    files = sorted((p.relative_to(built).as_posix(), p.read_bytes()) for p in built.rglob("*") if p.is_file())
    shutil.rmtree(target, ignore_errors=True)
    jobs = os.cpu_count() or 1
    started = time.perf_counter()
    workers = [multiprocessing.get_context("fork").Process(target=_write_share, args=(target, files, share, jobs))
               for share in range(jobs)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def report(posts: int, renderer: str, results: dict[str, list[dict]], serve: dict[str, list[float]] | None = None) -> None:
    for name, runs in results.items():
        wall = statistics.median(r["wall"] for r in runs)
        user, system = statistics.median(r["user"] for r in runs), statistics.median(r["sys"] for r in runs)
        print(f"| {posts} | {renderer} | {name} | {wall:.2f} s | {max(r['rss_mb'] for r in runs):.0f} MB | "
              f"{max(r['tree_mb'] for r in runs):.0f} MB | {max(r['tree_pss_mb'] for r in runs):.0f} MB | "
              f"{user:.2f} s + {system:.2f} s |", flush=True)
    for name, times in (serve or {}).items():
        print(f"| {posts} | {renderer} | {name}, in process (serve) | {statistics.median(times) * 1000:.0f} ms | | | | |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--renderers", nargs="+", default=["fast", "reference"], choices=["fast", "reference"])
    parser.add_argument("--pelican", action="store_true", help="also build each corpus with Pelican (slow)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/deskpress-bench"))
    parser.add_argument("--settle", type=float, default=settling_seconds(),
                        help="seconds to wait after deleting an output before the last cold build (default: see settling_seconds)")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")])
    bytecode_compiled()
    print(f"machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}, Python {sys.version.split()[0]}; "
          f"cold builds into new folders, the last one {args.settle:.0f} s after deleting the first; bytecode compiled")
    print("| posts | renderer | scenario | median wall | largest process | process tree (RSS) | process tree (PSS) "
          "| CPU: user + system (median) |\n| --- | --- | --- | --- | --- | --- | --- | --- |")
    trash = args.work / f"deleted-at-the-end-{os.getpid()}"
    try:
        for posts in args.posts:
            measure_size(args, posts, trash)
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def measure_size(args: argparse.Namespace, posts: int, trash: Path) -> None:
    """Every row for one corpus size. What an earlier run left is moved into `trash`, deleted at the end."""
    corpus = args.work / f"corpus-{posts}"
    if not (corpus / "site.yaml").exists():
        write_corpus(corpus, posts)
    yardstick = pipeline_ms_per_post(corpus)
    print(f"| {posts} | none | the issue's yardstick: frontmatter, markdown-it-py, a template, a file, one process "
          f"(the issue's machine: {ISSUE_MS_PER_POST} ms) | {yardstick:.2f} ms/post "
          f"({machine_factor(yardstick):.2f}x) | | | | |", flush=True)
    cold = {}
    for renderer in args.renderers:
        site = set_aside(args.work / f"site-{posts}-{renderer}", trash)
        shutil.copytree(corpus, site)
        results = scenarios(site, renderer == "fast", args.repeat)
        report(posts, renderer, results, in_process_rebuilds(site, renderer == "fast", args.repeat))
        cold[renderer] = statistics.median(r["wall"] for r in results["cold"])
    floor = write_floor(site / "public", set_aside(args.work / "floor", trash))
    set_aside(args.work / "floor", trash)
    print(f"| {posts} | none | writing the built files only (the file system's floor) | {floor:.2f} s | | | | |", flush=True)
    if args.pelican:
        seconds = pelican_build(corpus, args.work)
        ratios = ", ".join(f"{name} {wall / seconds:.2f}" for name, wall in cold.items())
        print(f"| {posts} | Pelican | cold | {seconds:.2f} s | | | | deskpress/Pelican: {ratios}", flush=True)
    for renderer in args.renderers:  # last: deleting 40,000 files slows every build after it on these VMs
        report(posts, renderer, {AFTER_DELETING: [cold_after_deleting(args.work / f"site-{posts}-{renderer}",
                                                                      renderer == "fast", args.settle)]})


def bytecode_compiled() -> None:
    """Compile deskpress's modules as `pip install` does: run from a checkout with PYTHONDONTWRITEBYTECODE
    set (as on the project's VMs), every timed command would first compile its 7,000 lines (0.075 s)."""
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "generator", quiet=1)


def set_aside(folder: Path, trash: Path) -> Path:
    """Move `folder`, if it exists, into `trash` (a rename: nothing is deleted before the builds are timed)."""
    if folder.exists():
        trash.mkdir(parents=True, exist_ok=True)
        folder.rename(trash / f"{folder.name}-{len(os.listdir(trash))}")
    return folder

if __name__ == "__main__":
    main()
