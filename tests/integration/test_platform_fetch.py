"""The Worker's outbound transport (src/edgejobs/platform/fetch.py) in the real Pyodide, whose
`js.fetch` is Node's, against the loopback fake server: one Pyodide run does every scenario
(it takes seconds to load), and each test checks one of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.fake_http import FakeHttp, Reply, Route, refused_url
from tests.support.pyodide import run_in_pyodide

SNIPPET = """
import asyncio, json
from edgejobs.core.outbound import Outbound
from edgejobs.platform.fetch import js_transport

BASE, REFUSED = {base!r}, {refused!r}
results = {{}}

async def attempt(name, method, url, headers=None, body=None, timeout=5.0):
    try:
        status, names, answer = await js_transport(method, url, headers or {{}}, body, timeout)
        results[name] = {{"status": status, "headers": names, "body": answer.hex()}}
    except Exception as exc:
        results[name] = {{"error": type(exc).__name__, "message": str(exc)}}

body = bytes(range(256))
await attempt("round_trip", "POST", BASE + "/v1/run?x=1",
              {{"Authorization": "Bearer k", "Content-Type": "application/octet-stream"}}, body)
await attempt("no_content", "DELETE", BASE + "/v1/thing")
await attempt("redirect", "GET", BASE + "/moved")
await attempt("server_error", "GET", BASE + "/busy")
await attempt("timeout", "GET", BASE + "/slow", timeout=0.3)
await attempt("stalled_body", "GET", BASE + "/stall", timeout=0.3)
await attempt("dropped", "GET", BASE + "/drop")
await attempt("refused", "GET", REFUSED + "/x")

outbound = Outbound(js_transport, max_requests=8)
polled = await outbound.gather_bounded(
    [lambda i=i: outbound.request("GET", f"{{BASE}}/poll/{{i}}", timeout=5) for i in range(10)]
)
async def hangs(*args):  # a transport that never times out by itself
    await asyncio.Event().wait()

try:
    await Outbound(hangs, timeout_grace=0.05).request("GET", BASE + "/never", timeout=0.05)
except Exception as exc:
    results["backstop"] = type(exc).__name__

results["outbound"] = [
    r.json() if hasattr(r, "json") else type(r).__name__ for r in polled
]
json.dumps(results)
"""


@dataclass
class Run:
    server: FakeHttp
    poll: Route
    results: dict[str, Any]


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with FakeHttp() as server:
        server.on("POST", "/v1/run", status=201, json={"id": "r1"}, headers={"X-Request-Id": "abc"})
        server.on("DELETE", "/v1/thing", status=204)
        server.on("GET", "/moved", status=301, headers={"location": server.url + "/elsewhere"})
        server.on("GET", "/busy", status=503, body=b"later")
        server.on("GET", "/slow", delay=5)
        server.on("GET", "/stall", Reply(body=b"late", body_delay=5))
        server.on("GET", "/drop", drop=True)
        poll = server.on("GET", "/poll/{id}", lambda seen: Reply(json={"id": seen.params["id"]}, delay=0.3))
        yield Run(server, poll, run_in_pyodide(SNIPPET.format(base=server.url, refused=refused_url())))


def test_a_round_trip_sends_headers_and_bytes_and_reads_the_answer(run: Run) -> None:
    answer = run.results["round_trip"]
    assert answer["status"] == 201
    assert json.loads(bytes.fromhex(answer["body"])) == {"id": "r1"}
    assert answer["headers"]["x-request-id"] == "abc"
    assert answer["headers"]["content-type"] == "application/json"
    (seen,) = run.server.received("POST", "/v1/run")
    assert seen.body == bytes(range(256)) and seen.query == {"x": "1"}
    assert seen.headers["authorization"] == "Bearer k"
    assert seen.headers["content-type"] == "application/octet-stream"


def test_an_empty_answer_an_error_status_and_a_redirect_are_answers(run: Run) -> None:
    assert (run.results["no_content"]["status"], run.results["no_content"]["body"]) == (204, "")
    busy = run.results["server_error"]
    assert (busy["status"], bytes.fromhex(busy["body"])) == (503, b"later")
    moved = run.results["redirect"]
    assert (moved["status"], moved["headers"]["location"]) == (301, run.server.url + "/elsewhere")
    assert run.server.received("GET", "/elsewhere") == []  # not followed


def test_no_answer_in_time_is_a_timeout_even_when_the_body_stalls(run: Run) -> None:
    assert run.results["timeout"]["error"] == "OutboundTimeout"
    assert run.results["stalled_body"]["error"] == "OutboundTimeout"


def test_a_dropped_or_refused_connection_is_an_outbound_error(run: Run) -> None:
    assert run.results["dropped"]["error"] == "OutboundError"
    assert run.results["refused"]["error"] == "OutboundError"
    assert "fetch failed" in run.results["refused"]["message"]


def test_outbound_over_js_fetch_keeps_six_open_and_its_budget(run: Run) -> None:
    assert run.results["outbound"] == [{"id": str(i)} for i in range(8)] + ["OutboundBudgetExhausted"] * 2
    assert (run.poll.served, run.poll.max_in_flight) == (8, 6)


def test_outbound_stops_waiting_for_a_hung_transport_in_pyodide_too(run: Run) -> None:
    assert run.results["backstop"] == "OutboundTimeout"
