"""The loopback fake server that outbound tests script (tests/support/fake_http.py)."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.fake_http import FakeHttp, Received, Reply


@pytest.fixture
def server() -> Iterator[FakeHttp]:
    with FakeHttp() as fake:
        yield fake


def test_replies_come_in_turn_and_the_last_repeats(server: FakeHttp) -> None:
    route = server.on("POST", "/hook", Reply(status=500), Reply(status=410), Reply(status=204))
    with httpx.Client(base_url=server.url) as client:
        statuses = [client.post("/hook", content=b"x").status_code for _ in range(5)]
    assert statuses == [500, 410, 204, 204, 204]
    assert route.served == 5


def test_a_responder_sees_the_request_and_its_path_parameters(server: FakeHttp) -> None:
    def echo(seen: Received) -> Reply:
        return Reply(
            json={"id": seen.params["id"], "q": seen.query, "sent": seen.json()}, headers={"X-A": "b"}
        )

    server.on("PUT", "/v2/{endpoint}/status/{id}", echo)
    answer = httpx.put(f"{server.url}/v2/ep/status/j-1?a=1&b=", json={"k": [1]})
    assert answer.json() == {"id": "j-1", "q": {"a": "1", "b": ""}, "sent": {"k": [1]}}
    assert answer.headers["x-a"] == "b" and answer.headers["content-type"] == "application/json"
    (seen,) = server.received("PUT")
    assert seen.params == {"endpoint": "ep", "id": "j-1"} and seen.path == "/v2/ep/status/j-1"


def test_an_unscripted_request_is_a_404_kept_apart(server: FakeHttp) -> None:
    server.on("GET", "/known", body=b"ok")
    assert httpx.get(f"{server.url}/unknown").status_code == 404
    assert httpx.post(f"{server.url}/known").status_code == 404  # another method
    assert [(seen.method, seen.path) for seen in server.unmatched] == [
        ("GET", "/unknown"),
        ("POST", "/known"),
    ]
    assert len(server.received()) == 2


def test_a_later_script_replaces_the_route_and_a_path_matches_whole(server: FakeHttp) -> None:
    server.on("GET", "/a", status=500)
    server.on("GET", "/a", status=200, body=b"new")
    assert httpx.get(f"{server.url}/a").content == b"new"
    assert httpx.get(f"{server.url}/a/b").status_code == 404


def test_head_has_no_body_and_a_chunked_request_body_is_read(server: FakeHttp) -> None:
    server.on("HEAD", "/h", body=b"hello")
    server.on("POST", "/c", status=202)
    head = httpx.head(f"{server.url}/h")
    assert (head.status_code, head.headers["content-length"], head.content) == (200, "5", b"")
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=5)
    connection.request("POST", "/c", body=iter([b"ab", b"cde"]), encode_chunked=True)
    assert connection.getresponse().status == 202
    connection.close()
    assert server.received("POST", "/c")[0].body == b"abcde"


def test_wait_for_waits_for_requests_sent_in_the_background(server: FakeHttp) -> None:
    server.on("POST", "/hook", status=204)
    sender = threading.Timer(0.1, lambda: httpx.post(f"{server.url}/hook", content=b"{}"))
    sender.start()
    (seen,) = server.wait_for(1, "POST", "/hook", timeout=5)
    sender.join()
    assert seen.body == b"{}"
    with pytest.raises(AssertionError, match="1 of 2 requests"):
        server.wait_for(2, "POST", "/hook", timeout=0.1)


def test_a_dropped_connection_has_no_answer(server: FakeHttp) -> None:
    server.on("GET", "/drop", drop=True)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/drop")


def test_stopping_ends_a_delayed_answer_at_once() -> None:
    outcome: list[str] = []

    def call(url: str) -> None:
        try:
            outcome.append(str(httpx.get(url, timeout=30).status_code))
        except httpx.TransportError as exc:
            outcome.append(type(exc).__name__)

    with FakeHttp() as fake:
        fake.on("GET", "/slow", delay=60)
        caller = threading.Thread(target=call, args=(f"{fake.url}/slow",))
        caller.start()
        fake.wait_for(1, "GET", "/slow")
    caller.join(timeout=5)
    assert outcome == ["RemoteProtocolError"]


def test_one_client_asking_in_turn_is_never_two_requests_at_once(
    server: FakeHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request stops counting as being answered before its answer goes out: the client may
    send its next request the moment it has the answer, before the server's thread runs again.
    (That thread is made slow to uncount here, as a loaded machine makes it now and then.)"""
    count = FakeHttp._count

    def slow_to_uncount(fake: FakeHttp, route: Any, change: int) -> None:
        if change < 0:
            time.sleep(0.02)
        count(fake, route, change)

    monkeypatch.setattr(FakeHttp, "_count", slow_to_uncount)
    route = server.on("GET", "/turn", json={"ok": True})
    parts = urlsplit(server.url)
    for _ in range(20):  # each on a connection of its own, as a pool's next request may go
        connection = http.client.HTTPConnection(parts.hostname, parts.port)
        try:
            connection.request("GET", "/turn")
            connection.getresponse().read()
        finally:
            connection.close()
    assert route.served == 20 and route.max_in_flight == 1 and server.max_in_flight == 1
