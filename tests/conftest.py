"""Shared fixtures.

HTTP tests run against a local runtime started once per session (real Pyodide, real
D1, fresh database). Set `EDGEJOBS_BASE_URL` (and `EDGEJOBS_API_TOKEN`) to run them
against a real `pywrangler dev` or a deployed Worker instead; tests that need to
control the runtime itself (plant rows, inject faults, restart with other vars) are
then skipped, and say so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.runtime import TEST_JWT_SECRET, TEST_TOKEN, LocalRuntime, local_runtime
from tests.support.settings import ALLOWED_ORIGIN, BASE_URL, TOKEN


@pytest.fixture(scope="session")
def runtime() -> Iterator[LocalRuntime | None]:
    """The session's local runtime, or None when testing a remote base URL."""
    if BASE_URL:
        yield None
        return
    with local_runtime(
        vars={
            "API_TOKEN": TEST_TOKEN,
            "CORS_ORIGINS": ALLOWED_ORIGIN,
            "JWT_SECRET": TEST_JWT_SECRET,
            # Nobody subscribes to webhooks here: writes never look for subscriptions, so every
            # request makes the same D1 calls each time (the fault sweeps count them). The
            # webhooks tests run a runtime of their own.
            "WEBHOOK_SEND_AFTER_WRITE": "false",
        }
    ) as rt:
        yield rt


@pytest.fixture(scope="session")
def base_url(runtime: LocalRuntime | None) -> str:
    return BASE_URL or (runtime.url if runtime else "")


@pytest.fixture
def local(runtime: LocalRuntime | None) -> LocalRuntime:
    """The local runtime itself, for tests that plant rows or inject faults."""
    if runtime is None:
        pytest.skip("needs the local runtime's control endpoints (EDGEJOBS_BASE_URL is set)")
    return runtime


@pytest.fixture(scope="session")
def client(base_url: str) -> Iterator[httpx.Client]:
    """An authorised client."""
    with httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {TOKEN}"}, timeout=60) as c:
        yield c


@pytest.fixture(scope="session")
def anon(base_url: str) -> Iterator[httpx.Client]:
    """A client without credentials."""
    with httpx.Client(base_url=base_url, timeout=60) as c:
        yield c


@pytest.fixture(scope="session")
def user_tokens(client: httpx.Client) -> Callable[[str], str]:
    """`user_tokens(sub)`: a user token for `sub`, minted by the Worker (POST /api/tokens)."""
    minted: dict[str, str] = {}

    def token_for(sub: str) -> str:
        if sub not in minted:
            answer = client.post("/api/tokens", json={"sub": sub, "ttl_seconds": 3600})
            assert answer.status_code == 201, answer.text
            minted[sub] = answer.json()["token"]
        return minted[sub]

    return token_for
