"""The outbound HTTP seam over a fake transport: budget, concurrency, timeouts, errors, logs.
(test_outbound_loopback.py drives it over real sockets.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import pytest

from edgejobs.core.outbound import (
    Outbound,
    OutboundBudgetExhausted,
    OutboundError,
    OutboundInvalidJson,
    OutboundResponse,
    OutboundTimeout,
    gather_bounded,
    loggable_url,
)


class FakeTransport:
    """Answers every request with `answer`, after `hold` (an event to wait for) if given;
    records the calls and the most requests it had open at once."""

    def __init__(self, answer: tuple[int, Mapping[str, str], bytes] = (200, {}, b"{}")) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, dict[str, str], bytes | None, float]] = []
        self.hold: asyncio.Event | None = None
        self.open = 0
        self.most_open = 0

    async def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        self.calls.append((method, url, dict(headers), body, timeout))
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            if self.hold is not None:
                await self.hold.wait()
            return self.answer
        finally:
            self.open -= 1


class LogRecorder:
    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def __call__(self, level: str, msg: str, **fields: Any) -> None:
        self.lines.append({"level": level, "msg": msg, **fields})


async def test_request_hands_everything_to_the_transport_and_reads_the_answer() -> None:
    transport = FakeTransport((201, {"Content-Type": "application/json", "X-Id": "7"}, b'{"id": "p1"}'))
    outbound = Outbound(transport)
    response = await outbound.request(
        "POST", "https://api.example.com/v1/x", headers={"authorization": "Bearer t"}, body=b"{}", timeout=5
    )
    assert transport.calls == [
        ("POST", "https://api.example.com/v1/x", {"authorization": "Bearer t"}, b"{}", 5)
    ]
    assert (response.status, response.ok, response.json()) == (201, True, {"id": "p1"})
    assert response.headers == {"content-type": "application/json", "x-id": "7"}
    assert (outbound.used, outbound.remaining) == (1, 49)


@pytest.mark.parametrize("body", [b"", b"not json", b"\xff\xfe", b'{"a": NaN}', b"[Infinity]", b'{"a": 1'])
def test_json_is_strict(body: bytes) -> None:
    with pytest.raises(OutboundInvalidJson) as caught:
        OutboundResponse(200, {}, body).json()
    assert isinstance(caught.value, OutboundError) and isinstance(caught.value, ValueError)


def test_only_2xx_is_ok() -> None:
    assert [OutboundResponse(s, {}, b"").ok for s in (199, 200, 299, 302, 404, 500)] == [
        False, True, True, False, False, False,
    ]  # fmt: skip


async def test_the_budget_refuses_past_its_limit_without_sending() -> None:
    transport = FakeTransport()
    outbound = Outbound(transport, max_requests=3)
    for _ in range(3):
        await outbound.request("GET", "https://a.example/", timeout=1)
    with pytest.raises(OutboundBudgetExhausted):
        await outbound.request("GET", "https://a.example/", timeout=1)
    assert len(transport.calls) == 3
    assert (outbound.used, outbound.remaining) == (3, 0)


async def test_failed_requests_spend_the_budget_too() -> None:
    async def failing(*args: Any) -> tuple[int, Mapping[str, str], bytes]:
        raise OutboundError("connection refused")

    outbound = Outbound(failing, max_requests=2)
    for _ in range(2):
        with pytest.raises(OutboundError):
            await outbound.request("GET", "https://a.example/", timeout=1)
    with pytest.raises(OutboundBudgetExhausted):
        await outbound.request("GET", "https://a.example/", timeout=1)


async def test_a_zero_budget_sends_nothing() -> None:
    transport = FakeTransport()
    with pytest.raises(OutboundBudgetExhausted):
        await Outbound(transport, max_requests=0).request("GET", "https://a.example/", timeout=1)
    assert transport.calls == []


async def test_at_most_max_open_requests_are_open_at_once() -> None:
    transport = FakeTransport()
    transport.hold = asyncio.Event()
    outbound = Outbound(transport)
    running = [
        asyncio.create_task(outbound.request("GET", f"https://a.example/{i}", timeout=1)) for i in range(20)
    ]
    for _ in range(10):
        await asyncio.sleep(0)
    assert transport.open == 6  # the Workers limit, by default
    transport.hold.set()
    answers = await asyncio.gather(*running)
    assert len(answers) == 20 and transport.most_open == 6


async def test_a_request_waiting_for_a_slot_is_refused_when_the_budget_runs_out_meanwhile() -> None:
    transport = FakeTransport()
    transport.hold = asyncio.Event()
    outbound = Outbound(transport, max_requests=7, max_open=6)
    running = [
        asyncio.create_task(outbound.request("GET", "https://a.example/", timeout=1)) for _ in range(8)
    ]
    for _ in range(10):
        await asyncio.sleep(0)
    transport.hold.set()
    results = await asyncio.gather(*running, return_exceptions=True)
    assert sum(isinstance(r, OutboundResponse) for r in results) == 7
    assert sum(isinstance(r, OutboundBudgetExhausted) for r in results) == 1
    assert len(transport.calls) == 7


async def test_a_transport_that_ignores_its_timeout_is_stopped_soon_after() -> None:
    async def hangs(*args: Any) -> tuple[int, Mapping[str, str], bytes]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    log = LogRecorder()
    outbound = Outbound(hangs, log=log, timeout_grace=0.01)
    with pytest.raises(OutboundTimeout):
        await outbound.request("GET", "https://a.example/", timeout=0.02)
    assert log.lines[-1]["outcome"] == "timeout" and log.lines[-1]["level"] == "warning"


async def test_a_transport_timeout_passes_through_and_is_logged_as_one() -> None:
    async def times_out(*args: Any) -> tuple[int, Mapping[str, str], bytes]:
        raise OutboundTimeout("aborted after 2 s")

    log = LogRecorder()
    with pytest.raises(OutboundTimeout, match="aborted after 2 s"):
        await Outbound(times_out, log=log).request("GET", "https://a.example/", timeout=2)
    assert (log.lines[0]["outcome"], log.lines[0]["error"]) == ("timeout", "aborted after 2 s")


async def test_each_request_is_logged_without_query_credentials_headers_or_body() -> None:
    log = LogRecorder()
    outbound = Outbound(FakeTransport((202, {}, b"abc")), log=log)
    await outbound.request(
        "POST",
        "https://user:pw@api.example.com:8443/v2/run?key=s3cret",
        headers={"authorization": "Bearer k"},
        body=b"secret body",
        timeout=1,
    )
    (line,) = log.lines
    assert line["url"] == "https://api.example.com:8443/v2/run"
    assert (line["level"], line["msg"], line["method"], line["status"], line["bytes"]) == (
        "info", "outbound request", "POST", 202, 3,
    )  # fmt: skip
    assert isinstance(line["duration_ms"], float)
    assert "s3cret" not in str(line) and "Bearer" not in str(line) and "secret body" not in str(line)


async def test_a_secret_path_is_logged_as_its_origin_only() -> None:
    log = LogRecorder()
    await Outbound(FakeTransport(), log=log).request(
        "POST", "https://h.example/hook/t0ken", timeout=1, secret_path=True
    )
    assert log.lines[0]["url"] == "https://h.example"


async def test_the_logs_module_writes_the_lines_by_default_and_none_silences_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await Outbound(FakeTransport()).request("GET", "https://a.example/x?t=1", timeout=1)
    line = json.loads(capsys.readouterr().out)
    assert (line["level"], line["msg"], line["url"], line["status"]) == (
        "info", "outbound request", "https://a.example/x", 200,
    )  # fmt: skip
    await Outbound(FakeTransport(), log=None).request("GET", "https://a.example/x", timeout=1)
    assert capsys.readouterr() == ("", "")


async def test_failures_and_refusals_are_logged_as_warnings() -> None:
    async def refused(*args: Any) -> tuple[int, Mapping[str, str], bytes]:
        raise OutboundError("ECONNREFUSED")

    log = LogRecorder()
    outbound = Outbound(refused, log=log, max_requests=1)
    with pytest.raises(OutboundError, match="ECONNREFUSED"):
        await outbound.request("GET", "https://a.example/x", timeout=1)
    with pytest.raises(OutboundBudgetExhausted):
        await outbound.request("GET", "https://a.example/y", timeout=1)
    assert [(x["level"], x["msg"], x.get("outcome")) for x in log.lines] == [
        ("warning", "outbound request", "error"),
        ("warning", "outbound budget exhausted", None),
    ]
    assert log.lines[1]["limit"] == 1


@pytest.mark.parametrize(
    ("method", "url", "timeout", "body"),
    [
        ("GET", "https://a.example/", 0, None),
        ("GET", "https://a.example/", -1, None),
        ("GET", "ftp://a.example/", 1, None),
        ("GET", "/x", 1, None),
        ("GET", "https://a.example/", 1, b"{}"),
        ("head", "https://a.example/", 1, b""),
    ],
)
async def test_bad_arguments_are_refused_before_anything_is_spent(
    method: str, url: str, timeout: float, body: bytes | None
) -> None:
    outbound = Outbound(FakeTransport())
    with pytest.raises(ValueError):
        await outbound.request(method, url, timeout=timeout, body=body)
    assert outbound.used == 0


def test_loggable_url() -> None:
    assert loggable_url("http://127.0.0.1:8080/a/b?c=d#e") == "http://127.0.0.1:8080/a/b"
    assert loggable_url("https://u:p@x.example/a") == "https://x.example/a"
    assert loggable_url("https://x.example/a/tok", secret_path=True) == "https://x.example"


async def test_gather_bounded_keeps_order_hands_back_failures_and_respects_its_limit() -> None:
    open_now = most = 0

    async def call(i: int) -> int:
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        await asyncio.sleep(0.001 * (i % 3))
        open_now -= 1
        if i == 4:
            raise OutboundTimeout("slow")
        return i * 10

    results = await gather_bounded([lambda i=i: call(i) for i in range(15)], limit=4)  # type: ignore[misc]
    assert most == 4
    assert [r if isinstance(r, int) else type(r).__name__ for r in results] == [
        0, 10, 20, 30, "OutboundTimeout", 50, 60, 70, 80, 90, 100, 110, 120, 130, 140,
    ]  # fmt: skip
    assert await gather_bounded([]) == []
    with pytest.raises(ValueError):
        await gather_bounded([], limit=0)
