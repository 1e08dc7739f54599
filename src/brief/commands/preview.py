"""``brief preview``: the typeset pages in a browser, rebuilt as you save.

A small HTTP server on the loopback interface serves one page (pages as images, page
count, build time, warnings), the current PDF, and a stream of server-sent events. A
watcher thread rebuilds in this warm process when briefs/, data/ or templates/ (or an
overlay) change; imports, fonts and the chart cache stay loaded, so a narrative edit is
on screen in about a second. A failed build shows its error, file and line, and keeps the
last good pages. Only the preview's own routes are served: no file from disk, so no path
can reach outside.
"""

from __future__ import annotations

import html
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from brief.errors import BriefError
from brief.model.request import BuildRequest
from brief.pipeline.prepare import prepare, typeset_job
from brief.pipeline.typeset import Reuse, TypesetJob, lay_out, write_pdf


@dataclass
class Edition:
    """The latest build of one audience: good pages, and the last error if the last build failed."""

    pages: list[bytes] = field(default_factory=list)
    page_ids: list[str] = field(default_factory=list)  # a digest of each page, its name in URLs
    document: Any = None  # the laid-out WeasyPrint document of the good pages
    job: TypesetJob | None = None  # what it was laid out from
    pdf: bytes = b""  # written from it on the first download, as `brief build` writes it
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    version: int = 0
    started: float = 0.0  # wall-clock time the build began (to match a page to a save)
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage of the last build


class Previewer:
    """Builds audiences in this process, with the pipeline's own stages, and keeps their
    latest pages. *say* prints a line in the terminal (each rebuild and each error)."""

    def __init__(
        self, request: BuildRequest, say: Callable[[str], None] = lambda line: None, scale: float = 1.25
    ) -> None:
        self.request = request
        self.root = request.root
        self.say = say
        self.scale = scale
        self.editions: dict[str, Edition] = {}
        self.changed = threading.Condition()
        self.version = 0
        self._reuse = Reuse()  # fonts and chart images stay parsed between rebuilds
        self._lock = threading.Lock()
        self.viewing: str | None = None  # the audience the page asked for last

    def close(self) -> None:
        """Remove the kept fonts' folder: WeasyPrint's own clean-up never runs in a command that
        leaves with os._exit(), so the folder would outlive the preview."""
        with self._lock:
            self._reuse.close()

    def audiences(self) -> list[str]:
        """The brief's audiences, in the brief file's order."""
        from brief.pipeline.resolve import pick_brief
        from brief.workspace.load import load_workspace

        try:
            return list(pick_brief(load_workspace(self.root), self.request.brief).audiences)
        except BriefError:
            return list(self.editions) or [self.request.audience]

    def build(self, audience: str) -> Edition:
        """Rebuild *audience*; on failure keep its last good pages and record the error. Any
        failure, ours or not, is shown: the preview outlives every mistake in a template."""
        with self._lock:
            edition = self.editions.setdefault(audience, Edition())
            began = time.time()
            started = time.perf_counter()
            stages: dict[str, float] = {}
            try:
                job, document, warnings = self._lay_out(audience, stages)
                # A plain PDF is enough to draw the pages (tags change nothing on screen) and
                # quicker to write; the tagged one is written only if someone downloads it.
                with _timed(stages, "pdf"):
                    drawable = write_pdf(document, job, variant=False)
                with _timed(stages, "rasterise"):
                    edition.pages = self._rasterise(drawable)
                edition.page_ids = [page_id(p) for p in edition.pages]
                edition.document, edition.job, edition.pdf = document, job, b""
                edition.warnings = warnings
                edition.error = None
            except BriefError as exc:
                edition.error = "\n".join(p.problem(self.root).format() for p in exc.problems)
            except RecursionError:
                edition.error = f"error: {audience}: a template calls itself without end (a recursive macro or include)"
            except Exception as exc:  # a bug of ours or a library's: shown, never the end of the preview
                edition.error = f"error: {audience}: internal error: {type(exc).__name__}: {exc} — please report it"
            edition.seconds = time.perf_counter() - started
            edition.stages = stages
            edition.started = began  # published with the pages it describes
            self.say(
                edition.error
                or f"{audience}: {len(edition.pages)} pages in {edition.seconds:.2f} s"
                + "".join(f"\n{w}" for w in edition.warnings)
            )
            with self.changed:
                self.version += 1
                edition.version = self.version
                self.changed.notify_all()
            return edition

    def pdf(self, edition: Edition) -> bytes:
        """The edition's PDF as ``brief build`` writes it (PDF/UA-1), written on first request."""
        with self._lock:  # WeasyPrint is not thread-safe: never write while a build lays out
            if not edition.pdf and edition.document is not None and edition.job is not None:
                edition.pdf = write_pdf(edition.document, edition.job)
            return edition.pdf

    def _lay_out(self, audience: str, stages: dict[str, float]) -> tuple[TypesetJob, Any, list[str]]:
        with _timed(stages, "prepare"):
            prepared = prepare(self.request.for_audience(self.request.brief, audience, self.request.variant))
            job = typeset_job(prepared)
        with _timed(stages, "layout"):
            document = lay_out(job, self._reuse)
        return job, document, [w.problem(self.root).format() for w in prepared.warnings]

    def _rasterise(self, pdf: bytes) -> list[bytes]:
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(pdf)
        try:
            pages = []
            for index in range(len(document)):
                image = document[index].render(scale=self.scale, draw_annots=False).to_pil()
                buffer = io.BytesIO()
                # BMP: lossless like PNG, but 5 ms for four pages instead of 80 ms to compress
                # them; the bytes only cross the loopback interface.
                image.save(buffer, format="BMP")
                pages.append(buffer.getvalue())
            return pages
        finally:
            document.close()

    def watch(self, stop: threading.Event) -> None:
        """Rebuild every audience shown so far whenever an input changes, until *stop* is set."""
        import watchfiles

        paths = [str(self.root / d) for d in ("briefs", "data", "templates") if (self.root / d).is_dir()]
        if self.request.overlay:
            paths.append(str(self.request.overlay))
        for _changes in watchfiles.watch(*paths, stop_event=stop, debounce=50, step=10, rust_timeout=200):
            for audience in self.rebuild_order():
                self.build(audience)

    def rebuild_order(self) -> list[str]:
        """The audiences shown so far, the one on screen first (the one whoever saved looks at)."""
        return sorted(self.editions, key=lambda audience: audience != self.viewing)  # a stable sort


@contextmanager
def _timed(stages: dict[str, float], stage: str) -> Iterator[None]:
    # Where a rebuild's time goes, for the page's state (benchmarks/preview.py reads it).
    started = time.perf_counter()
    yield
    stages[stage] = round(time.perf_counter() - started, 4)


def page_id(image: bytes) -> str:
    """A page image's name: a digest of its bytes, so an unchanged page keeps its URL."""
    import hashlib

    return hashlib.sha256(image).hexdigest()[:16]


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>brief preview</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; background: #e9ecef; color: #1c2330; }
header { position: sticky; top: 0; background: #1f3a5f; color: white; padding: 0.6rem 1rem;
  display: flex; gap: 1rem; align-items: center; }
header a, header select { color: inherit; font: inherit; }
header select { background: #1f3a5f; border: 1px solid #aeb5bf; }
#status { margin-left: auto; }
#error { display: none; white-space: pre-wrap; background: #fdecea; color: #7a1020; border-left: 4px solid #b4283b;
  margin: 1rem auto; max-width: 52rem; padding: 0.8rem 1rem; font-family: ui-monospace, monospace; }
#warnings { max-width: 52rem; margin: 0.5rem auto; color: #6b5200; white-space: pre-wrap; }
main { display: flex; flex-direction: column; align-items: center; gap: 1rem; padding: 1rem; }
main img { width: min(52rem, 100%); box-shadow: 0 1px 4px rgba(0,0,0,0.3); background: white; }
</style></head>
<body>
<header><strong>brief preview</strong>
<label>Audience <select id="audience">__OPTIONS__</select></label>
<a id="download" href="#">Download PDF</a>
<span id="status" role="status">building…</span></header>
<div id="error" role="alert"></div>
<div id="warnings"></div>
<main id="pages"></main>
<script>
const select = document.getElementById("audience");
async function show() {
  const audience = select.value;
  const state = await (await fetch(`state.json?audience=${encodeURIComponent(audience)}`)).json();
  const error = document.getElementById("error");
  error.style.display = state.error ? "block" : "none";
  error.textContent = state.error || "";
  document.getElementById("warnings").textContent = state.warnings.join("\\n");
  document.getElementById("download").href = `brief.pdf?audience=${encodeURIComponent(audience)}&v=${state.version}`;
  document.getElementById("status").textContent = state.pages
    ? `${state.pages} page${state.pages === 1 ? "" : "s"} · built in ${state.seconds.toFixed(2)} s`
      + (state.error ? " · last build failed" : "")
    : "no pages yet";
  const main = document.getElementById("pages");
  // A page whose image has not changed keeps its element: only changed pages are fetched.
  const shown = Array.from(main.children);
  const images = state.page_ids.map((id, i) => {
    const img = shown[i] && shown[i].dataset.id === id ? shown[i] : new Image();
    img.alt = `Page ${i + 1} of ${state.pages}`;
    if (img.dataset.id !== id) {
      img.dataset.id = id;
      img.src = `page.bmp?audience=${encodeURIComponent(audience)}&n=${i + 1}&id=${id}`;
    }
    return img;
  });
  main.replaceChildren(...images);
  await Promise.all(images.map(i => i.decode().catch(() => null)));
  document.body.dataset.version = state.version;
  document.body.dataset.started = state.started;
}
select.addEventListener("change", show);
new EventSource("events").onmessage = show;
show();
</script></body></html>
"""


class PreviewHandler(BaseHTTPRequestHandler):
    """The preview's routes: the page, its state, page images, the PDF and the event stream."""

    previewer: Previewer
    audiences: list[str]
    server_version = "brief-preview"

    def log_message(self, *args: object) -> None:  # keep the terminal for build messages
        pass

    def _send(
        self, body: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK, cache: str = "no-store"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):  # the browser went away: its choice
            self.wfile.write(body)

    def _edition(self, query: dict[str, list[str]]) -> tuple[str, Edition] | None:
        audience = query.get("audience", [self.audiences[0]])[0]
        if audience not in self.audiences:
            self._send(b"unknown audience", "text/plain", HTTPStatus.NOT_FOUND)
            return None
        edition = self.previewer.editions.get(audience) or self.previewer.build(audience)
        return audience, edition

    def _from_this_machine(self) -> bool:
        # DNS rebinding: a web page elsewhere may reach 127.0.0.1 under its own host name.
        # Only the names the preview is served under are answered, and no other origin.
        port = self.server.server_address[1]  # type: ignore[index]
        allowed = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}
        origin = self.headers.get("Origin")
        return self.headers.get("Host") in allowed and origin in (None, *(f"http://{a}" for a in allowed))

    def do_GET(self) -> None:
        if not self._from_this_machine():
            self._send(
                b"forbidden: the preview answers only http://127.0.0.1 on its own port",
                "text/plain",
                HTTPStatus.FORBIDDEN,
            )
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/":
            options = "".join(f'<option value="{html.escape(a)}">{html.escape(a)}</option>' for a in self.audiences)
            self._send(PAGE.replace("__OPTIONS__", options).encode(), "text/html; charset=utf-8")
        elif url.path == "/state.json":
            found = self._edition(query)
            if found:
                self.previewer.viewing, e = found
                state = {
                    "pages": len(e.pages),
                    "seconds": e.seconds,
                    "warnings": e.warnings,
                    "error": e.error,
                    "version": e.version,
                    "started": e.started,
                    "page_ids": e.page_ids,
                    "stages": e.stages,
                }
                self._send(json.dumps(state).encode(), "application/json")
        elif url.path == "/page.bmp":
            found = self._edition(query)
            if found:
                pages, ids = found[1].pages, found[1].page_ids
                try:
                    number = int(query.get("n", ["1"])[0])
                except ValueError:
                    number = 0
                wanted = query.get("id", [None])[0]
                if 1 <= number <= len(pages) and wanted in (None, ids[number - 1]):
                    # Named by its content, so the browser may keep it.
                    self._send(pages[number - 1], "image/bmp", cache="max-age=3600, immutable")
                else:
                    self._send(b"no such page", "text/plain", HTTPStatus.NOT_FOUND)
        elif url.path == "/brief.pdf":
            found = self._edition(query)
            pdf = self.previewer.pdf(found[1]) if found else b""
            if found and pdf:
                self._send(pdf, "application/pdf")
            elif found:
                self._send(b"not built yet", "text/plain", HTTPStatus.NOT_FOUND)
        elif url.path == "/events":
            self._events()
        else:
            self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = self.previewer.version

        def moved() -> bool:
            return self.previewer.version != seen

        try:
            while not getattr(self.server, "stopping", False):
                with self.previewer.changed:
                    self.previewer.changed.wait_for(moved, timeout=15)
                if self.previewer.version != seen:
                    seen = self.previewer.version
                    self.wfile.write(f"data: {seen}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def make_handler(previewer: Previewer, audiences: list[str]) -> type[BaseHTTPRequestHandler]:
    """The request handler for *previewer*, offering *audiences*."""
    return type("Handler", (PreviewHandler,), {"previewer": previewer, "audiences": audiences})


def serve(request: BuildRequest, port: int, say: Callable[[str], None], stop: threading.Event | None = None) -> None:
    """Serve the preview on 127.0.0.1:*port* (0 picks a free port) until *stop* is set or Ctrl-C;
    *say* prints a line in the terminal."""
    previewer = Previewer(request, say)
    audiences = previewer.audiences()
    if request.audience in audiences:
        audiences.remove(request.audience)
        audiences.insert(0, request.audience)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(previewer, audiences))
    server.daemon_threads = True
    say(f"preview at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)")
    stop = stop or threading.Event()
    # Watching starts before the first build, so a file saved during it is not missed.
    watcher = threading.Thread(target=previewer.watch, args=(stop,), daemon=True)
    watcher.start()
    previewer.build(audiences[0])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        say("stopped")
    finally:
        stop.set()
        server.stopping = True  # type: ignore[attr-defined]
        with previewer.changed:
            previewer.changed.notify_all()
        server.shutdown()
        server.server_close()
        previewer.close()
