"""The outbound HTTP seam over real sockets: the loopback fake server, reached through a urllib
transport (the Worker's own transport is tested in Pyodide: tests/integration)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from edgejobs.core.outbound import Outbound, OutboundError, OutboundTimeout
from tests.support.fake_http import FakeHttp, Reply, refused_url
from tests.support.urllib_transport import urllib_transport


@pytest.fixture
def server() -> Iterator[FakeHttp]:
    with FakeHttp() as fake:
        yield fake


async def test_a_round_trip_over_a_socket(server: FakeHttp) -> None:
    server.on(
        "POST", "/v1/models/{owner}/{name}/predictions", status=201, json={"id": "p1"}, headers={"X-Rq": "1"}
    )
    outbound = Outbound(urllib_transport)
    response = await outbound.request(
        "POST",
        f"{server.url}/v1/models/acme/vid/predictions?wait=0",
        headers={"authorization": "Bearer t", "content-type": "application/json"},
        body=b'{"input": {}}',
        timeout=5,
    )
    assert (response.status, response.json(), response.headers["x-rq"]) == (201, {"id": "p1"}, "1")
    (seen,) = server.received()
    assert (seen.method, seen.path, seen.query, seen.params) == (
        "POST", "/v1/models/acme/vid/predictions", {"wait": "0"}, {"owner": "acme", "name": "vid"},
    )  # fmt: skip
    assert seen.headers["authorization"] == "Bearer t" and seen.json() == {"input": {}}


async def test_an_error_status_or_a_redirect_is_an_answer_never_followed(server: FakeHttp) -> None:
    server.on("GET", "/moved", status=302, headers={"location": "/elsewhere"})
    server.on("GET", "/busy", status=503, body=b"try later")
    outbound = Outbound(urllib_transport)
    moved = await outbound.request("GET", f"{server.url}/moved", timeout=5)
    busy = await outbound.request("GET", f"{server.url}/busy", timeout=5)
    assert (moved.status, moved.headers["location"]) == (302, "/elsewhere")
    assert (busy.status, busy.body) == (503, b"try later")
    assert [seen.path for seen in server.received()] == ["/moved", "/busy"]


async def test_a_slow_server_times_out(server: FakeHttp) -> None:
    server.on("GET", "/slow", delay=5)
    with pytest.raises(OutboundTimeout):
        await Outbound(urllib_transport).request("GET", f"{server.url}/slow", timeout=0.2)


async def test_a_dropped_or_refused_connection_is_an_outbound_error(server: FakeHttp) -> None:
    server.on("GET", "/drop", drop=True)
    outbound = Outbound(urllib_transport)
    for url in (f"{server.url}/drop", refused_url() + "/x"):
        with pytest.raises(OutboundError) as caught:
            await outbound.request("GET", url, timeout=5)
        assert not isinstance(caught.value, OutboundTimeout)


async def test_the_server_sees_at_most_max_open_at_once_and_the_budget_in_all(server: FakeHttp) -> None:
    # max_open below the thread pool's size (6 on two cores), so the limit seen is Outbound's own.
    server.on("GET", "/poll/{id}", Reply(json={"status": "processing"}, delay=0.3))
    outbound = Outbound(urllib_transport, max_open=3, max_requests=8)
    results = await outbound.gather_bounded(
        [lambda i=i: outbound.request("GET", f"{server.url}/poll/{i}", timeout=5) for i in range(10)]  # type: ignore[misc]
    )
    assert server.max_in_flight == 3
    assert [type(r).__name__ for r in results] == ["OutboundResponse"] * 8 + ["OutboundBudgetExhausted"] * 2
    assert len(server.received()) == 8
