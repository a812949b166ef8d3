"""The local runtime's `--cpu-timing` (what `make bench` reads): each response carries the
Worker's CPU time, D1 excluded; a runtime started without the flag adds nothing."""

from __future__ import annotations

import httpx

from bench.cpu import CPU_HEADER, RUNTIME_ARGS, veo_put_body
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime


def test_every_response_carries_the_workers_cpu_time() -> None:
    with local_runtime(vars={"API_TOKEN": TEST_TOKEN}, extra_args=RUNTIME_ARGS) as rt:
        auth = {"authorization": f"Bearer {TEST_TOKEN}", "content-type": "application/json"}
        with httpx.Client(base_url=rt.url, headers=auth, timeout=60) as client:
            put = client.put("/api/veo/jobs/veo_bench_cpu", content=veo_put_body(scenes=20))
            missing = client.get("/api/veo/jobs/none")
            unauthorised = client.get("/api/veo/jobs", headers={"authorization": ""})
    assert put.status_code == 201
    for response in (put, missing, unauthorised):
        assert 0 < float(response.headers[CPU_HEADER]) < 10_000


def test_no_header_without_the_flag(client: httpx.Client, local: LocalRuntime) -> None:
    assert CPU_HEADER not in client.get("/health").headers
