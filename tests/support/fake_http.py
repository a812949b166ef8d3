"""A loopback HTTP server with scripted answers, for tests of outbound HTTP (providers, a JWKS,
webhook receivers): a threaded `http.server` on 127.0.0.1 and a free port.

    with FakeHttp() as server:
        server.on("GET", "/v1/predictions/{id}", json={"status": "processing"})
        server.on("POST", "/hook", Reply(status=500), Reply(status=204))  # in turn; last repeats
        server.on("GET", "/slow", delay=2.0)           # answers after 2 s (a client times out)
        server.on("GET", "/stall", body=b"x", body_delay=2.0)  # headers at once, body after 2 s
        server.on("GET", "/gone", drop=True)           # closes the connection, no answer
        jobs = server.on("GET", "/v2/{ep}/status/{id}", lambda seen: Reply(json={"id": seen.params["id"]}))
        ... call server.url + "/v1/predictions/abc" ...
        assert server.received("GET", "/v1/predictions/abc")[0].headers["authorization"] == "Bearer t"
        assert jobs.served == 3 and jobs.max_in_flight <= 6

`on` returns the `Route`: how many requests it answered and the most it answered at one time.

Paths may hold `{name}` segments (their values are in `Received.params`); the query string is
not part of the match (it is in `Received.query`). A request nothing matches is answered 404
and kept in `unmatched`. Every request is recorded in arrival order, matched or not.
"""

from __future__ import annotations

import json as jsonlib
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_NO_JSON: Any = object()


@dataclass(frozen=True)
class Reply:
    """One scripted answer: `json` (encoded, with its content type) or raw `body`; `delay`
    seconds before answering; `body_delay` seconds between the headers and the body (a body
    that stalls); `drop` closes the connection instead of answering."""

    status: int = 200
    json: Any = _NO_JSON
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body_delay: float = 0.0
    drop: bool = False

    def encoded(self) -> tuple[dict[str, str], bytes]:
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.json is _NO_JSON:
            return headers, self.body
        headers.setdefault("content-type", "application/json")
        return headers, jsonlib.dumps(self.json).encode()


@dataclass(frozen=True)
class Received:
    """A request as the server read it; header names lower-case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return jsonlib.loads(self.body)


Responder = Callable[[Received], Reply]


class Route:
    """A scripted route, as `FakeHttp.on` returns it: how many requests it answered and the
    most it was answering at one time."""

    def __init__(self, method: str, path: str, replies: list[Reply | Responder]) -> None:
        self.method = method.upper()
        pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path))
        self.pattern = re.compile(pattern + r"\Z")
        self.replies = replies
        self.served = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def next_reply(self, seen: Received) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply(seen) if callable(reply) else reply


class FakeHttp:
    """The server; a context manager (start on enter, stop on exit). See the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # wait_for reads `received` while holding it
        self._arrived = threading.Condition(self._lock)
        self._routes: list[Route] = []
        self._received: list[Received] = []
        self._unmatched: list[Received] = []
        self._in_flight = 0
        self.max_in_flight = 0  # the most requests being answered at one time, on any route
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler, bind_and_activate=True)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.fake = self  # type: ignore[attr-defined]
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeHttp:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()  # delayed answers give up at once
        self._server.shutdown()
        self._server.server_close()

    def on(self, method: str, path: str, *replies: Reply | Responder, **reply: Any) -> Route:
        """Script the answers to `method path`: the replies in turn, the last one repeating; or,
        given none, one `Reply(**reply)`. A later `on` for the same route replaces it."""
        if not replies:
            replies = (Reply(**reply),)
        elif reply:
            raise TypeError("give Reply objects or Reply fields, not both")
        route = Route(method, path, list(replies))
        with self._lock:
            self._routes = [r for r in self._routes if (r.method, r.pattern) != (route.method, route.pattern)]
            self._routes.append(route)
        return route

    def received(self, method: str | None = None, path: str | None = None) -> list[Received]:
        """The requests so far, in arrival order; only those of `method` and/or `path` if given."""
        with self._lock:
            return [
                seen
                for seen in self._received
                if (method is None or seen.method == method.upper()) and (path is None or seen.path == path)
            ]

    @property
    def unmatched(self) -> list[Received]:
        with self._lock:
            return list(self._unmatched)

    def wait_for(
        self, count: int, method: str | None = None, path: str | None = None, timeout: float = 10.0
    ) -> list[Received]:
        """Wait until `count` such requests have arrived (for requests sent in the background);
        AssertionError when they have not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(found := self.received(method, path)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} of {count} requests arrived in {timeout} s")
                self._arrived.wait(left)
        return found

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no request is being answered (one the client gave up on may still be,
        for as long as its scripted delay); AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self._in_flight} requests still being answered after {timeout} s")
                self._arrived.wait(left)

    def _answer_for(self, seen: Received) -> tuple[Route | None, Reply]:
        with self._lock:
            self._received.append(seen)
            self._arrived.notify_all()
            for route in reversed(self._routes):
                found = route.pattern.match(seen.path)
                if route.method == seen.method and found:
                    seen.params.update(found.groupdict())
                    return route, route.next_reply(seen)
            self._unmatched.append(seen)
        return None, Reply(status=404, json={"error": f"nothing scripted for {seen.method} {seen.path}"})

    def _count(self, route: Route | None, change: int) -> None:
        """A request of `route` starts (+1) or ends (-1) being answered."""
        with self._lock:
            self._in_flight += change
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self._arrived.notify_all()  # for wait_idle
            if route is not None:
                route.in_flight += change
                route.max_in_flight = max(route.max_in_flight, route.in_flight)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real services answer
    timeout = 30  # an idle kept-alive connection's thread ends after this
    # Headers and body go out in separate writes: with Nagle's algorithm on, the body waited
    # for the client's delayed ACK (~40 ms per request on loopback).
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        fake: FakeHttp = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        seen = Received(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self._read_body(),
        )
        route, reply = fake._answer_for(seen)
        fake._count(route, +1)
        uncounted = False

        def answered() -> None:
            # Called before the answer's last bytes go out (once): the client may send its next
            # request, on another connection, the moment it has them, before this thread runs
            # again, and that request must not be counted beside this one.
            nonlocal uncounted
            if not uncounted:
                uncounted = True
                fake._count(route, -1)

        try:
            self._send(reply, fake.stopping, answered)
        finally:
            answered()

    def _send(self, reply: Reply, stopping: threading.Event, answered: Callable[[], None]) -> None:
        if reply.delay and stopping.wait(reply.delay):
            reply = Reply(drop=True)  # the server is stopping: give up at once
        if reply.drop:
            self.close_connection = True
            answered()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        headers, body = reply.encoded()
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        if reply.body_delay:
            self.end_headers()  # the headers now, the body later
            if stopping.wait(reply.body_delay):
                self.close_connection = True
                return
            answered()
        else:
            answered()
            self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests assert on `received` instead


def refused_url() -> str:
    """A loopback URL nothing listens on (a port just freed), for connection failures."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
