"""`deskpress serve`: build into a private folder, serve it, rebuild on every save and reload open tabs.

A failed build never replaces the last good site: pages keep coming from it, with an overlay that
names the problems, and the next good save recovers. Live reload is a Server-Sent Events stream on
the same server; its script is injected into served HTML only, never into the built files.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import tempfile
import threading
import traceback
import webbrowser
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

import click

from generator.build import BuildResult, build, collector_paused
from generator.cache import BuildCache
from generator.errors import Problem, SiteError, error
from generator.watch import SiteWatcher

EVENTS_PATH = "/__deskpress/events"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
KEEPALIVE_SECONDS = 15
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".xml": "application/xml; charset=utf-8", ".txt": "text/plain; charset=utf-8", ".json": "application/json",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon", ".pdf": "application/pdf",
    ".woff": "font/woff", ".woff2": "font/woff2", ".mp4": "video/mp4", ".webm": "video/webm", ".mp3": "audio/mpeg",
    ".webmanifest": "application/manifest+json",
}
RELOAD_SCRIPT = """<script>(function () {{
  var events = new EventSource("{path}?since={version}");
  events.addEventListener("build", function () {{ location.reload(); }});
}})();</script>
"""
OVERLAY = """<div id="deskpress-overlay" role="alertdialog" aria-labelledby="deskpress-overlay-title" style="position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;background:rgba(40,0,0,.94);color:#fff;font:15px/1.5 ui-monospace,monospace">
<h2 id="deskpress-overlay-title" style="color:#ffb4b4">deskpress: the build failed</h2>
<p>{explanation} Fix the file and save: this page reloads by itself.</p>
<ul>{items}</ul>
<button type="button" onclick="this.parentNode.remove()">Hide</button>
</div>
"""


@dataclass(frozen=True)
class PreviewOptions:
    """What `deskpress serve` was asked for."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = False
    open_browser: bool = False
    output: Path | None = None


@dataclass(frozen=True)
class BuildOutcome:
    """One rebuild as the browser and the terminal learn about it."""

    version: int
    changes: tuple[str, ...]
    seconds: float = 0.0
    problems: tuple[Problem, ...] = ()
    files_changed: int = 0

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def as_event(self) -> str:
        data = {"version": self.version, "ok": self.ok, "changes": list(self.changes),
                "seconds": round(self.seconds, 3), "problems": [str(p) for p in self.problems]}
        return f"event: build\ndata: {json.dumps(data)}\n\n"


@dataclass
class PreviewState:
    """Shared between the rebuild thread and request threads: the latest outcome and who waits for it."""

    latest: BuildOutcome = BuildOutcome(0, ())
    has_good_site: bool = False
    base_path: str = "/"
    stopping: bool = False
    condition: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, outcome: BuildOutcome, base_path: str | None) -> None:
        with self.condition:
            self.latest = outcome
            self.has_good_site = self.has_good_site or outcome.ok
            self.base_path = base_path or self.base_path
            self.condition.notify_all()

    def wait_after(self, version: int, timeout: float) -> BuildOutcome | None:
        """The first outcome newer than `version`, or None on timeout or shutdown."""
        with self.condition:
            self.condition.wait_for(lambda: self.stopping or self.latest.version > version, timeout)
            return None if self.stopping or self.latest.version <= version else self.latest

    def stop(self) -> None:
        with self.condition:
            self.stopping = True
            self.condition.notify_all()


def rebuild(options: PreviewOptions, output: Path, now: datetime, cache: BuildCache,
            changed: frozenset[str] | None = None) -> BuildResult:
    """The one place the preview builds: the same pipeline as `deskpress build`, into the preview folder.

    The warm `cache` held across rebuilds is what makes a save re-render only what it affects, and
    `changed` (what the watcher saw since the last good build) what spares stat-ing every source.
    """
    return build(options.root, now, output=output, drafts=options.drafts, cache=cache, private_output=options.output is None,
                 changed=changed)


class Rebuilder:
    """Runs a rebuild for each batch of changes and reports it to the terminal and to open tabs."""

    def __init__(self, options: PreviewOptions, output: Path, state: PreviewState, clock: Callable[[], datetime]):
        self.options, self.output, self.state, self.clock = options, output, state, clock
        self.lock = threading.Lock()
        self.cache = BuildCache(options.root)
        self.unbuilt: set[str] | None = None  # changed since the last good build; None: not known (none yet)

    def __call__(self, changes: frozenset[str]) -> BuildOutcome:
        with self.lock, collector_paused():  # the cycles a build leaves are collected once tabs are told
            return self._rebuild(changes)

    def _rebuild(self, changes: frozenset[str]) -> BuildOutcome:
        version, changed, base_path = self.state.latest.version + 1, tuple(sorted(changes)), None
        if self.unbuilt is not None:
            self.unbuilt |= changes
        try:
            result = rebuild(self.options, self.output, self.clock(), self.cache,
                             None if self.unbuilt is None else frozenset(self.unbuilt))
            self.unbuilt = set()
            outcome = BuildOutcome(version, changed, result.seconds, result.warnings, result.written.changed)
            base_path = result.summary.base_path
        except SiteError as exc:
            outcome = BuildOutcome(version, changed, problems=exc.problems)
        except Exception as exc:  # a bug must not take the preview down; show it like any other failure
            where = traceback.extract_tb(exc.__traceback__)[-1]
            outcome = BuildOutcome(version, changed, problems=(error(where.filename, where.lineno, f"internal error: {exc!r}"),))
        self.report(outcome)
        self.state.publish(outcome, base_path)
        return outcome

    def report(self, outcome: BuildOutcome) -> None:
        stamp = self.clock().astimezone().strftime("%H:%M:%S")
        changed = describe_changes(outcome.changes)
        if outcome.ok:
            click.echo(f"[{stamp}] {changed}: rebuilt in {outcome.seconds:.2f}s, {outcome.files_changed} file(s) changed")
        else:
            click.secho(f"[{stamp}] {changed}: build failed; still serving the last good site", fg="red", err=True)
        for problem in outcome.problems:
            click.secho(f"  {problem}", fg="red" if problem.severity == "error" else "yellow", err=True)


def describe_changes(changes: tuple[str, ...]) -> str:
    if not changes:
        return "first build"
    shown = ", ".join(changes[:3])
    return shown + (f" and {len(changes) - 3} more" if len(changes) > 3 else "") + " changed"


def overlay_html(outcome: BuildOutcome, has_good_site: bool) -> str:
    """The problems, escaped, in a layer over the page; file and line first so the author can jump there."""
    items = "".join(f"<li>{escape(str(p))}</li>" for p in outcome.problems)
    explanation = "Below is the last good build of this page." if has_good_site else "There is no good build yet."
    return OVERLAY.format(explanation=explanation, items=items)


def inject(html: bytes, state: PreviewState) -> bytes:
    """Add the reload script (and the error overlay, if the last build failed) just before </body>."""
    latest = state.latest
    extra = RELOAD_SCRIPT.format(path=EVENTS_PATH, version=latest.version)
    if not latest.ok:
        extra = overlay_html(latest, state.has_good_site) + extra
    text = html.decode("utf-8", errors="replace")
    cut = text.lower().rfind("</body>")
    cut = len(text) if cut == -1 else cut
    return (text[:cut] + extra + text[cut:]).encode("utf-8")


@dataclass(frozen=True)
class Location:
    """Where a request path leads: a file to send, a redirect, or a refusal."""

    status: HTTPStatus
    file: Path | None = None
    redirect: str | None = None


def locate(output: Path, base_path: str, raw_path: str) -> Location:
    """Map a URL path to a file strictly inside `output`; '..' (even %2e%2e or %2f-encoded) is refused."""
    parts = urlsplit(raw_path)
    decoded = unquote(parts.path)
    query = f"?{parts.query}" if parts.query else ""
    if decoded + "/" == base_path:
        return Location(HTTPStatus.MOVED_PERMANENTLY, redirect=base_path + query)
    if "\x00" in decoded or "\\" in decoded or not decoded.startswith(base_path):
        return Location(HTTPStatus.NOT_FOUND)
    segments = decoded[len(base_path):].split("/")
    if any(s in (".", "..") for s in segments):
        return Location(HTTPStatus.FORBIDDEN)
    if any(s.startswith(".deskpress") for s in segments):
        return Location(HTTPStatus.NOT_FOUND)
    root = output.resolve()
    candidate = root.joinpath(*[s for s in segments if s])
    if segments[-1] == "":
        candidate = candidate / "index.html"
    elif candidate.is_dir():
        return Location(HTTPStatus.MOVED_PERMANENTLY, redirect=parts.path + "/" + query)
    if not candidate.resolve().is_relative_to(root):
        return Location(HTTPStatus.FORBIDDEN)
    return Location(HTTPStatus.OK, candidate) if candidate.is_file() else Location(HTTPStatus.NOT_FOUND)


def handler_for(output: Path, state: PreviewState) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one preview (the standard library wants a class)."""

    class PreviewHandler(BaseHTTPRequestHandler):
        server_version = "deskpress-preview"

        def do_GET(self) -> None:
            if urlsplit(self.path).path == EVENTS_PATH:
                self.stream_events()
            else:
                self.send_site_file(with_body=True)

        def do_HEAD(self) -> None:
            self.send_site_file(with_body=False)

        def send_site_file(self, with_body: bool) -> None:
            location = locate(output, state.base_path, self.path)
            if location.redirect is not None:
                self.respond(location.status, b"", "text/plain", {"Location": location.redirect}, with_body)
                return
            status, file = location.status, location.file
            if file is None:
                file = output / "404.html"
            try:
                body = file.read_bytes()
            except OSError:
                body = b"<!DOCTYPE html><title>Not found</title><body><h1>Not found</h1></body>"
            content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
            if content_type.startswith("text/html"):
                body = inject(body, state)
                if not state.has_good_site:
                    status = HTTPStatus.SERVICE_UNAVAILABLE
            self.respond(status, body, content_type, {}, with_body)

        def respond(self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str], with_body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def stream_events(self) -> None:
            """Server-Sent Events: one 'build' event per rebuild, comments in between to notice closed tabs."""
            since = parse_qs(urlsplit(self.path).query).get("since", ["0"])[0]
            seen = int(since) if since.isdigit() else state.latest.version
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            try:
                self.wfile.write(b"retry: 500\n\n")
                self.wfile.flush()
                while not state.stopping:
                    outcome = state.wait_after(seen, KEEPALIVE_SECONDS)
                    message = outcome.as_event() if outcome else ": still here\n\n"
                    seen = outcome.version if outcome else seen
                    self.wfile.write(message.encode("utf-8"))
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

        def log_message(self, format: str, *args: object) -> None:
            """Requests are not news to the author; rebuilds are."""

    return PreviewHandler


def make_server(host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True

    try:
        return Server((host, port), handler)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc} (try another --port, or --port 0)") from None


def run_preview(options: PreviewOptions, clock: Callable[[], datetime]) -> None:
    """Build, serve and watch until Ctrl-C; the private build folder is removed on the way out."""
    if options.host not in LOOPBACK:
        click.secho(f"warning: serving on {options.host} lets other machines see this preview, drafts included", fg="yellow", err=True)
    private = options.output is None
    output = Path(tempfile.mkdtemp(prefix="deskpress-serve-")) if private else options.output
    state = PreviewState()
    rebuilder = Rebuilder(options, output, state, clock)
    signal.signal(signal.SIGTERM, stop_on_terminate)
    try:
        server = make_server(options.host, options.port, handler_for(output, state))
        with server, SiteWatcher(options.root, rebuilder, ignore=output):
            rebuilder(frozenset())
            announce(server, state, options)
            server.serve_forever()
    except KeyboardInterrupt:
        click.echo("\nStopped.")
    finally:
        state.stop()
        if private:
            shutil.rmtree(output, ignore_errors=True)


def stop_on_terminate(_signum: int, _frame: object) -> None:
    """`kill` stops the preview as cleanly as Ctrl-C (the private folder is removed)."""
    raise KeyboardInterrupt


def announce(server: ThreadingHTTPServer, state: PreviewState, options: PreviewOptions) -> None:
    """Print where the preview is (under base_url's path, so root-relative links work as online)."""
    host, port = server.server_address[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}{state.base_path}"
    click.echo(f"Serving {url} (Ctrl-C to stop){' with drafts and future posts' if options.drafts else ''}")
    if options.open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
