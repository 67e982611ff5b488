"""`deskpress serve` over real HTTP in a subprocess, and the debounced watcher with real file operations."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator.serve import locate
from generator import watch
from generator.watch import SiteWatcher
from tests.conftest import SiteFolder

POST = "content/posts/2026-01-15-hello.md"
POST_URL = "/2026/01/15/hello/"


class Preview:
    """A `deskpress serve` subprocess with its output lines collected in the background."""

    def __init__(self, root: Path, *args: str):
        env = dict(os.environ, PYTHONUNBUFFERED="1", NO_COLOR="1", PYTHONFAULTHANDLER="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--site", str(root), "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.stdout.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr.append), daemon=True).start()
        self.port = self._wait_for_port()

    @staticmethod
    def _pump(stream, sink) -> None:
        for line in stream:
            sink(line)

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                line = self.stdout.get(timeout=0.5)
            except queue.Empty:
                assert self.process.poll() is None, "".join(self.stderr)
                continue
            if line.startswith("Serving http://"):
                return int(line.split(":")[2].split("/")[0])
        raise AssertionError("serve did not start: " + "".join(self.stderr))

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def wait_for(self, path: str, predicate, timeout: float = 5.0) -> tuple[float, str]:
        """Poll until the page satisfies `predicate`; return the seconds it took and the page."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            _status, _headers, body = self.get(path)
            if predicate(body):
                return time.monotonic() - started, body
            time.sleep(0.02)
        raise AssertionError(f"{path} never changed as expected; stderr: {''.join(self.stderr)}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack to stderr
            self.process.wait(timeout=10)
            raise AssertionError("serve did not stop on Ctrl-C; where it was:\n" + "".join(self.stderr)) from None


class EventStream:
    """Reads the live-reload Server-Sent Events stream in the background."""

    def __init__(self, port: int, since: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.connection.request("GET", f"/__deskpress/events?since={since}")
        self.response = self.connection.getresponse()
        self.events: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("data: "):
                    self.events.put(line[6:])
        except (OSError, ValueError):
            return

    def next_event(self, timeout: float = 5.0) -> dict:
        return json.loads(self.events.get(timeout=timeout))


def title_of(body: str) -> str:
    return BeautifulSoup(body, "html.parser").find("h1").get_text()


@pytest.fixture
def preview(site: SiteFolder, tmp_path: Path):
    site.post("2026-01-15-hello", title="Hello", body="First words.")
    site.post("2026-01-10-older", title="Older", date="2026-01-10 09:00")
    running = Preview(site.root, "--output", str(tmp_path / "preview"))
    yield running
    running.stop()


def test_edits_reload_errors_overlay_and_recovery(site: SiteFolder, preview: Preview, tmp_path: Path):
    status, headers, body = preview.get(POST_URL)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert title_of(body) == "Hello" and "/__deskpress/events" in body
    built = (tmp_path / "preview" / "2026/01/15/hello/index.html").read_text(encoding="utf-8")
    assert "__deskpress" not in built, "the reload script must never reach the built files"

    stream = EventStream(preview.port, since=1)
    site.post("2026-01-15-hello", title="Hello again", body="Second words.")
    seconds, body = preview.wait_for(POST_URL, lambda b: title_of(b) == "Hello again")
    assert seconds < 2.0
    event = stream.next_event()
    assert event["ok"] is True and POST in event["changes"]

    site.file(POST, "---\ntitle: [unclosed\ndate: 2026-01-15\n---\nBroken.\n")
    event = stream.next_event()
    assert event["ok"] is False and any(f"{POST}:" in p for p in event["problems"])
    status, _headers, body = preview.get(POST_URL)
    page = BeautifulSoup(body, "html.parser")
    overlay = page.find(id="deskpress-overlay")
    assert status == 200 and overlay is not None and f"{POST}:" in overlay.get_text()
    assert title_of(body) == "Hello again", "the last good page keeps being served under the overlay"
    assert preview.get("/2026/01/10/older/")[0] == 200

    site.post("2026-01-15-hello", title="Hello, repaired")
    assert stream.next_event()["ok"] is True
    body = preview.get(POST_URL)[2]
    assert title_of(body) == "Hello, repaired" and BeautifulSoup(body, "html.parser").find(id="deskpress-overlay") is None

    assert preview.stop() == 0
    time.sleep(0.1)
    output = "".join(preview.stdout.queue)
    errors = "".join(preview.stderr)
    assert "Stopped." in output and "Traceback" not in errors + output
    assert "content/posts/2026-01-15-hello.md changed: rebuilt in" in output
    assert f"{POST}:3: invalid YAML" in errors, "the terminal names the broken file and line"


def test_static_serving_is_confined_to_the_output(site: SiteFolder, preview: Preview):
    (site.root / "secret.txt").write_text("do not serve me")
    for path in ("/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/2026/..%2F..%2F..%2Fsecret.txt",
                 "/%2e%2e%2f%2e%2e%2fsecret.txt", "/.deskpress-output"):
        status, _headers, body = preview.get(path)
        assert status in (403, 404), path
        assert "do not serve me" not in body

    status, headers, _body = preview.get("/2026/01/15/hello")
    assert status == 301 and headers["location"] == "/2026/01/15/hello/"
    status, _headers, body = preview.get("/no/such/page/")
    assert status == 404 and "Page not found" in body
    assert preview.get("/theme/style.css")[1]["content-type"].startswith("text/css")
    assert preview.get("/atom.xml")[1]["content-type"].startswith("application/xml")


def test_drafts_are_marked_and_other_hosts_warned_about(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.post("2026-02-01-unfinished", title="Unfinished", draft="true", date="2026-02-01")
    site.post("2027-01-01-later", title="Later", date="2099-01-01 09:00")
    preview = Preview(site.root, "--drafts", "--host", "0.0.0.0")
    try:
        _status, _headers, body = preview.get("/2026/02/01/unfinished/")
        assert "Draft" in BeautifulSoup(body, "html.parser").select_one(".status-draft").get_text()
        _status, _headers, body = preview.get("/2099/01/01/later/")
        assert BeautifulSoup(body, "html.parser").select_one(".status-scheduled") is not None
    finally:
        assert preview.stop() == 0
    warnings = [line for line in preview.stderr if "0.0.0.0" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning:")


def test_a_site_broken_from_the_start_shows_the_overlay_until_fixed(site: SiteFolder):
    site.file(POST, "---\ntitle: Hello\ndate: <script>alert(1)</script>\n---\nText.\n")
    preview = Preview(site.root)
    try:
        status, _headers, body = preview.get("/")
        overlay = BeautifulSoup(body, "html.parser").find(id="deskpress-overlay")
        assert status == 503 and f"{POST}:3: 'date' is not a valid date: '<script>alert(1)</script>'" in overlay.get_text()
        assert overlay.find("script") is None, "problem text is escaped, never markup"
        site.post("2026-01-15-hello", title="Fixed")
        preview.wait_for(POST_URL, lambda b: "Fixed" in b)
    finally:
        assert preview.stop() == 0


def test_locate_refuses_paths_outside_the_output(tmp_path: Path):
    out = tmp_path / "out"
    (out / "a" / "b").mkdir(parents=True)
    (out / "a" / "b" / "index.html").write_text("hi")
    (tmp_path / "outside.txt").write_text("secret")
    (out / "link.txt").symlink_to(tmp_path / "outside.txt")
    assert locate(out, "/", "/a/b/").file == out.resolve() / "a/b/index.html"
    assert locate(out, "/", "/a/b?x=1").redirect == "/a/b/?x=1"
    assert locate(out, "/blog/", "/blog").redirect == "/blog/"
    assert locate(out, "/blog/", "/a/b/").status == 404
    assert locate(out, "/", "/link.txt").status == 403
    assert locate(out, "/", "/a/%2e%2e/%2e%2e/outside.txt").status == 403
    assert locate(out, "/", "/a\\..\\..\\outside.txt").status == 404


def wait_for_batches(batches: list, count: int, quiet: float) -> None:
    deadline = time.monotonic() + 5
    while len(batches) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(quiet * 2)


def test_a_save_storm_is_one_batch(site: SiteFolder):
    posts = site.root / "content" / "posts"
    target = posts / "2026-01-15-hello.md"
    target.write_text("---\ntitle: A\ndate: 2026-01-15\n---\nA\n")
    batches: list[frozenset[str]] = []
    with SiteWatcher(site.root, batches.append, quiet=0.2):
        time.sleep(0.2)
        swap = posts / ".2026-01-15-hello.md.swp"
        swap.write_text("swap")
        temp = posts / "2026-01-15-hello.md.tmp"
        temp.write_text("---\ntitle: B\ndate: 2026-01-15\n---\nB\n")
        os.replace(temp, target)
        os.utime(target)
        swap.unlink()
        wait_for_batches(batches, 1, 0.2)
        assert batches == [frozenset({"content/posts/2026-01-15-hello.md"})]

        (site.root / "site.yaml").touch()
        wait_for_batches(batches, 2, 0.2)
        assert batches[1] == frozenset({"site.yaml"})


def test_stopping_the_watcher_does_not_wait_for_a_stuck_watchdog_thread(site: SiteFolder):
    stuck = threading.Event()
    watcher = SiteWatcher(site.root, lambda _batch: None)
    watcher.observer.stop = stuck.wait  # as watchdog's Observer.stop() joining an emitter that never ends
    started = time.monotonic()
    with watcher:
        pass
    assert time.monotonic() - started < 2 * watch.STOP_SECONDS + 1
    assert not watcher.debouncer.worker.is_alive(), "no batch may start once the watcher is stopped"
    stuck.set()
    type(watcher.observer).stop(watcher.observer)
