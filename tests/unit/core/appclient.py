"""The whole app in-process over a fake D1 migrated with every migration: for tests of who may
do what (auth, ownership) without the local runtime."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgejobs.core.app import Env
from edgejobs.core.config import Config
from edgejobs.core.http import HttpRequest, HttpResponse
from edgejobs.core.jwks import FetchJson
from edgejobs.core.jwt import AsymmetricVerify
from edgejobs.main import app
from tests.support.fake_d1 import FakeD1

MIGRATIONS = sorted((Path(__file__).parents[3] / "migrations").glob("*.sql"))
SERVICE_TOKEN = "service-token-for-tests"
SECRET = "a-jwt-secret-of-at-least-32-bytes!!"


def migrated_fake() -> FakeD1:
    binding = FakeD1()
    for migration in MIGRATIONS:
        binding.conn.executescript(migration.read_text())
    return binding


class AppClient:
    """Calls `app.handle` with these env vars; `token` is sent as the bearer token."""

    def __init__(
        self,
        fake: FakeD1 | None = None,
        *,
        fetch_json: FetchJson | None = None,
        verify_signature: AsymmetricVerify | None = None,
        **vars: str,
    ) -> None:
        self.fake = fake or migrated_fake()
        self.vars = {"API_TOKEN": SERVICE_TOKEN, "JWT_SECRET": SECRET, **vars}
        self.fetch_json = fetch_json
        self.verify_signature = verify_signature

    async def call(
        self, method: str, path: str, body: Any = None, *, token: str | None = SERVICE_TOKEN, **headers: str
    ) -> HttpResponse:
        data = json.dumps(body).encode() if body is not None else b""

        async def read_body() -> bytes:
            return data

        sent = {"content-type": "application/json"} if body is not None else {}
        if token is not None:
            sent["authorization"] = f"Bearer {token}"
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        request = HttpRequest(method, f"http://edge.test{path}", sent, read_body)
        env = Env(
            self.fake,
            lambda: Config.from_env(self.vars.get),
            fetch_json=self.fetch_json,
            verify_signature=self.verify_signature,
        )
        return await app.handle(request, env)


def body_of(response: HttpResponse) -> Any:
    return json.loads(response.body) if response.body else None
