"""A local HTTP server that answers the Hugging Face hub's file API, for ``HF_ENDPOINT`` in tests.

What huggingface_hub asks a real hub for, and the stub answers the same way:

- ``GET /api/models/OWNER/REPO/tree/REV?recursive=...``: the file list (``oid``, ``size``, ``lfs``).
- ``HEAD /OWNER/REPO/resolve/REV/FILE``: a 302 to the "CDN" with ``X-Repo-Commit``,
  ``X-Linked-Etag`` (the sha256) and ``X-Linked-Size``, as the hub does for large (LFS) files.
- ``GET /cdn/SHA256``: the bytes, with ``Range`` (206 + ``Content-Range``). The CDN is addressed
  as ``localhost`` while the hub is ``127.0.0.1``: another host, so the token is not sent there.
- Unknown repository / file: 404 with ``X-Error-Code: RepoNotFound`` / ``EntryNotFound``.

Faults for tests: ``cut_after`` (send that many bytes of the next download, then drop the
connection and answer 503 until ``heal()``), ``wrong_sha`` (publish a wrong sha256).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class HubStub:
    """Serve ``repos`` = {"owner/name": {"path/in/repo.gguf": local_file}} like the hub's file API."""

    def __init__(self, repos: dict[str, dict[str, Path]]) -> None:
        self.repos = repos
        self.sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for files in repos.values() for p in files.values()}
        self.blobs = {sha: path for path, sha in self.sha.items()}
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        self.cut_after: int | None = None
        self.broken = False
        self.wrong_sha = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The hub's address (``HF_ENDPOINT``)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HubStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def heal(self) -> None:
        """Serve normally again after a ``cut_after`` fault."""
        self.cut_after, self.broken = None, False

    def ranges(self) -> list[str | None]:
        """The Range header of every download request, in order."""
        return [r for m, p, r in self.requests if m == "GET" and p.startswith("/cdn/")]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _error(self, status: int, code: str = "") -> None:
                self.send_response(status)
                if code:
                    self.send_header("X-Error-Code", code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve(head=False)

            def _serve(self, head: bool) -> None:
                path = unquote(urlsplit(self.path).path)
                stub.requests.append((self.command, path, self.headers.get("Range")))
                tree = re.match(r"^/api/models/([^/]+/[^/]+)/tree/([^/]+)/?$", path)
                resolve = re.match(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", path)
                if tree:
                    return self._tree(tree[1])
                if resolve:
                    return self._resolve(resolve[1], resolve[3])
                if path.startswith("/cdn/"):
                    return self._blob(path[5:], head)
                self._error(404)

            def _tree(self, repo: str) -> None:
                files = stub.repos.get(repo)
                if files is None:
                    return self._error(404, "RepoNotFound")
                rows = []
                for name, local in files.items():
                    size = local.stat().st_size
                    rows.append({"type": "file", "oid": hashlib.sha1(name.encode()).hexdigest(), "size": size,
                                 "path": name, "lfs": {"oid": stub.sha[local], "size": size, "pointerSize": 135}})
                body = json.dumps(rows).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _resolve(self, repo: str, name: str) -> None:
                files = stub.repos.get(repo)
                if files is None:
                    return self._error(404, "RepoNotFound")
                local = files.get(name)
                if local is None:
                    return self._error(404, "EntryNotFound")
                sha = stub.sha[local]
                published = ("f" * 64) if stub.wrong_sha else sha
                port = stub.server.server_address[1]
                self.send_response(302)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("X-Linked-Etag", f'"{published}"')
                self.send_header("X-Linked-Size", str(local.stat().st_size))
                self.send_header("ETag", f'"{hashlib.sha1(name.encode()).hexdigest()}"')
                self.send_header("Location", f"http://localhost:{port}/cdn/{sha}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _blob(self, sha: str, head: bool) -> None:
                local = stub.blobs.get(sha)
                if local is None:
                    return self._error(404)
                if stub.broken:
                    return self._error(503)
                data = local.read_bytes()
                start = 0
                rng = self.headers.get("Range")
                if rng:
                    start = int(re.match(r"bytes=(\d+)-", rng)[1])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                if head:
                    return
                body = data[start:]
                if stub.cut_after is not None:  # drop the connection mid-body, then refuse until healed
                    body = body[: stub.cut_after]
                    stub.broken = True
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        return Handler
