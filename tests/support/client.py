"""The app in CPython, over the fake D1: requests go straight to `app.handle`, no runtime.

    client = InProcessClient()                      # a migrated fake D1, API_TOKEN "t"
    response = await client.get("/api/veo/jobs")
    assert response.status == 200 and client.json(response)["items"] == []

Settings come from `vars` (env names → text, as wrangler gives them) and may be changed
between requests (`client.vars["API_TOKEN"] = "rotated"`), as a redeploy would.

`AppClient` is the same client set up for tests of who may do what: a service token and a
JWT secret configured, `call(..., token=None)` sending no credentials at all, and the JWKS
fetch and signature check replaceable.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from edgejobs.core.app import Env
from edgejobs.core.config import Config
from edgejobs.core.http import HttpRequest, HttpResponse
from edgejobs.core.jwks import FetchJson
from edgejobs.core.jwt import AsymmetricVerify
from edgejobs.main import app
from tests.support.fake_d1 import FakeD1

IN_PROCESS_TOKEN = "t"
SERVICE_TOKEN = "service-token-for-tests"
SECRET = "a-jwt-secret-of-at-least-32-bytes!!"
NO_CREDENTIALS = object()
"""As `token`: the request carries no authorization header."""


class InProcessClient:
    """Sends requests to the app with a bearer token (`token`, by default the configured one)."""

    def __init__(
        self,
        fake: FakeD1 | None = None,
        vars: dict[str, str] | None = None,
        *,
        fetch_json: FetchJson | None = None,
        verify_signature: AsymmetricVerify | None = None,
    ) -> None:
        self.fake = fake if fake is not None else FakeD1.migrated()
        self.vars: dict[str, str] = {"API_TOKEN": IN_PROCESS_TOKEN} if vars is None else dict(vars)
        self.fetch_json = fetch_json
        self.verify_signature = verify_signature

    def env(self) -> Env:
        return Env(
            self.fake,
            lambda: Config.from_env(self.vars.get),
            fetch_json=self.fetch_json,
            verify_signature=self.verify_signature,
        )

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        token: str | object | None = None,
        **headers: str,
    ) -> HttpResponse:
        """`body` is sent as JSON (None: no body); header names may use `_` for `-`. `token`:
        the bearer token (None: the configured one; NO_CREDENTIALS: none)."""
        data = json.dumps(body).encode() if body is not None else b""

        async def read_body() -> bytes:
            return data

        bearer = self.vars.get("API_TOKEN", "") if token is None else token
        all_headers = {"content-type": "application/json"}
        if bearer is not NO_CREDENTIALS:
            all_headers["authorization"] = f"Bearer {bearer}"
        all_headers.update({name.replace("_", "-"): value for name, value in headers.items()})
        query = "?" + urlencode(params) if params else ""
        request = HttpRequest(method, f"http://edge.test{path}{query}", all_headers, read_body)
        return await app.handle(request, self.env())

    async def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return await self.request("GET", path, **kwargs)

    @staticmethod
    def json(response: HttpResponse) -> Any:
        return json.loads(response.body)


class AppClient(InProcessClient):
    """The client for tests of identity and ownership (see the module's docstring)."""

    def __init__(
        self,
        fake: FakeD1 | None = None,
        *,
        fetch_json: FetchJson | None = None,
        verify_signature: AsymmetricVerify | None = None,
        **vars: str,
    ) -> None:
        settings = {"API_TOKEN": SERVICE_TOKEN, "JWT_SECRET": SECRET, **vars}
        super().__init__(fake, settings, fetch_json=fetch_json, verify_signature=verify_signature)

    async def call(
        self, method: str, path: str, body: Any = None, *, token: str | None = SERVICE_TOKEN, **headers: str
    ) -> HttpResponse:
        """`token`: the bearer token sent (None: no authorization header)."""
        sent = NO_CREDENTIALS if token is None else token
        return await self.request(method, path, body, token=sent, **headers)


def body_of(response: HttpResponse) -> Any:
    return json.loads(response.body) if response.body else None
