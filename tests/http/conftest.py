"""Fixtures shared by the HTTP test modules of one area (export jobs, faults, hostile input)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.exports import Jobs
from tests.support.factories import export_job_body
from tests.support.faults import World, assert_no_claimable_jobs
from tests.support.hostile import VEO_PROBE, state
from tests.support.providers import ProvidersWorld, providers_world
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime
from tests.support.settings import BASE_URL
from tests.support.webhooks import WEBHOOK_VARS, Subscriptions, receiver


# --- export jobs (test_exports*.py) ----------------------------------------------------------
@pytest.fixture
def jobs(client: httpx.Client) -> Iterator[Jobs]:
    """Makes export jobs for one test; cancels those still pending or processing after it."""
    made = Jobs(client)
    yield made
    made.cleanup()


@pytest.fixture
def runner() -> Callable[[], str]:
    """A new runner id on each call."""
    return lambda: f"runner-{secrets.token_hex(4)}"


# --- faults (test_faults*.py) ---------------------------------------------------------------
@pytest.fixture
def world(client: httpx.Client, local: LocalRuntime) -> Iterator[World]:
    """This test's world (faults cleared and what it made cleaned up afterwards)."""
    made = World(client, local)
    assert_no_claimable_jobs(local)
    try:
        yield made
    finally:
        local.set_d1_faults()
        made.cleanup()


# --- hostile input (test_hostile_*.py): the things hostile requests must not change -------------
@pytest.fixture
def ledger(runtime: LocalRuntime | None, client: httpx.Client) -> Iterator[None]:
    """Fails the test if anything was stored, changed or deleted while it ran."""
    before = state(runtime, client)
    yield
    assert state(runtime, client) == before, "a refused request changed what is stored"


@pytest.fixture(scope="module")
def export_job(client: httpx.Client) -> Iterator[str]:
    """A live pending export job: the `{id}` that hostile runner requests aim at."""
    created = client.post("/api/export-jobs", json=export_job_body(project_id=6, type="annotate"))
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    yield job_id
    client.post(f"/api/export-jobs/{job_id}/cancel")  # claim tests share this D1


@pytest.fixture(scope="module")
def veo_jobs(client: httpx.Client) -> Iterator[list[str]]:
    """Two live VEO jobs (so lists have a second page and a real cursor exists)."""
    ids = [VEO_PROBE, f"hostile-{uuid.uuid4().hex[:12]}"]
    for job_id in ids:
        assert client.put(f"/api/veo/jobs/{job_id}", json={"status": "running"}).status_code in (200, 201)
    yield ids
    for job_id in ids:
        client.delete(f"/api/veo/jobs/{job_id}")


@pytest.fixture
def fill(export_job: str, veo_jobs: list[str]) -> Any:
    """`template` → a concrete path naming the live probe jobs."""

    def fill_path(template: str) -> str:
        path = (
            template.replace("{job_id}", VEO_PROBE).replace("{id}", export_job).replace("{type}", "framing")
        )
        path = path.replace("{report_type}", "hostile-probe").replace("{scheduled_date}", "2026-11-30")
        return path.replace("{delivery_id}", "0190f2e4-1b2c-7d3e-8f40-5a6b7c8d9e10")

    return fill_path


@pytest.fixture(scope="module")
def real_cursor(client: httpx.Client, veo_jobs: list[str]) -> str:
    """A genuine cursor of the VEO list (a second page exists)."""
    page = client.get("/api/veo/jobs", params={"limit": 1}).json()
    assert page["next_cursor"], page
    return str(page["next_cursor"])


# --- webhooks (test_webhooks*.py): a runtime of their own -------------------------------------
@pytest.fixture(scope="session")
def webhook_runtime() -> Iterator[LocalRuntime]:
    """A local runtime with http to loopback allowed and a retry schedule of seconds (its own
    D1: its subscriptions, deliveries and injected faults touch no other test)."""
    if BASE_URL:
        pytest.skip("needs a local runtime started with the webhook test settings")
    with local_runtime(vars={"API_TOKEN": TEST_TOKEN, **WEBHOOK_VARS}) as started:
        yield started


@pytest.fixture(scope="session")
def hooks_client(webhook_runtime: LocalRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=webhook_runtime.url, headers={"authorization": f"Bearer {TEST_TOKEN}"}, timeout=60
    ) as made:
        yield made


@pytest.fixture
def hooks(hooks_client: httpx.Client) -> Iterator[Subscriptions]:
    """A loopback receiver that verifies every signature, and this test's subscriptions."""
    with receiver() as made:
        subscriptions = Subscriptions(hooks_client, made)
        try:
            yield subscriptions
        finally:
            subscriptions.cleanup()


# --- providers (test_providers_*.py): one runtime pointed at the loopback fakes -----------------
@pytest.fixture(scope="session")
def providers_session() -> Iterator[ProvidersWorld]:
    if BASE_URL:
        pytest.skip("needs a local runtime pointed at the loopback provider fakes (EDGEJOBS_BASE_URL is set)")
    with providers_world() as world:
        yield world


@pytest.fixture
def providers(providers_session: ProvidersWorld) -> Iterator[ProvidersWorld]:
    """The providers' world, with nothing pending from an earlier test."""
    providers_session.settle()
    yield providers_session
    providers_session.settle()
