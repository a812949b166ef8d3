"""The foundation over HTTP, through the real runtime: routing, auth, errors, headers,
CORS, the scheduled handler and D1 plumbing."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edgejobs.main import REGISTRY
from tests.support.assertions import assert_error
from tests.support.runtime import MIGRATIONS_DIR, LocalRuntime, local_runtime
from tests.support.settings import ALLOWED_ORIGIN, TOKEN

# Path parameters filled with plausible values: a VEO job id, an export job UUID.
PATH_VALUES = {
    "job_id": "some-job",
    "id": "0190f2e4-1b2c-7d3e-8f40-5a6b7c8d9e0f",
    "type": "not-a-type",  # no configured type: a 404 (these tests must not pause a queue)
    "report_type": "nightly-report",
    "scheduled_date": "2026-11-30",
    "delivery_id": "0190f2e4-1b2c-7d3e-8f40-5a6b7c8d9e10",
    "token": "some-token",
    "user_id": "some-user",
    "file_id": "some-file",
}


def fill_path(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m[1]], template)


# Every /api/ operation the Worker serves (the routes /openapi.json is built from).
API_PATHS = [(r.method, fill_path(r.template)) for r in REGISTRY.routes if r.template.startswith("/api/")]
# Public /api/ routes (providers' webhooks) check their callers themselves, with their own secret.
PUBLIC_API_PATHS = [(r.method, fill_path(r.template)) for r in REGISTRY.routes if r.public]
ALL_PATHS = [(r.method, fill_path(r.template)) for r in REGISTRY.routes]


def test_unknown_path_is_404(client: httpx.Client) -> None:
    assert_error(client.get("/nope"), 404, "not_found")
    assert_error(client.get("/api/nope"), 404, "not_found")


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    response = client.post("/health")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"
    response = client.patch("/api/veo/jobs/abc", json={})
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].split(", ")) == {"GET", "PUT", "DELETE"}


@pytest.mark.parametrize(("method", "path"), API_PATHS)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token",
        "Bearer",
        "Basic dGVzdA==",
        "test-token",
        "",  # (an empty token, "Bearer ", reaches the Worker as "Bearer": HTTP trims header values)
        'Bearer ""',
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer x{TOKEN}",
        f"Bearer {TOKEN.upper()}",
        f"Token {TOKEN}",
        f"Bearer {TOKEN} {TOKEN}",
        f"Bearer {TOKEN}, Bearer {TOKEN}",
    ],
)
def test_api_refuses_missing_or_wrong_token(
    anon: httpx.Client, method: str, path: str, authorization: str | None
) -> None:
    headers = {"authorization": authorization} if authorization is not None else {}
    response = anon.request(method, path, headers=headers, json={})
    error = assert_error(response, 401, "unauthorized")
    assert TOKEN not in response.text
    assert "traceback" not in response.text.lower()
    assert error["message"]


def test_a_second_authorization_header_does_not_help(anon: httpx.Client) -> None:
    for pair in ((f"Bearer {TOKEN}", "Bearer wrong"), ("Bearer wrong", f"Bearer {TOKEN}")):
        headers = [("authorization", pair[0]), ("authorization", pair[1])]
        assert_error(anon.get("/api/veo/jobs", headers=headers), 401, "unauthorized")


def test_public_routes_need_no_token(anon: httpx.Client) -> None:
    assert anon.get("/health").status_code == 200
    assert anon.get("/openapi.json").json()["openapi"].startswith("3.1")


@pytest.fixture(scope="module")
def locked_runtime(
    runtime: LocalRuntime | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalRuntime]:
    """A runtime with no API_TOKEN configured at all."""
    if runtime is None:
        pytest.skip("starts its own local runtime without API_TOKEN")
    persist: Path = tmp_path_factory.mktemp("locked-d1")
    with local_runtime(persist_to=persist) as locked:
        yield locked


def test_without_configured_token_the_api_fails_closed(locked_runtime: LocalRuntime) -> None:
    with httpx.Client(base_url=locked_runtime.url, timeout=30) as c:
        for method, path in API_PATHS:
            for authorization in ("Bearer anything", "Bearer", "", None):
                headers = {"authorization": authorization} if authorization is not None else {}
                response = c.request(method, path, headers=headers, json={})
                error = assert_error(response, 401, "unauthorized")
                if (method, path) not in PUBLIC_API_PATHS:
                    assert "API_TOKEN" in error["message"]
                else:  # closed too, until their own secret is set
                    assert (
                        "REPLICATE_WEBHOOK_SECRET" in error["message"]
                        or "RUNPOD_WEBHOOK_TOKEN" in error["message"]
                    )
        assert c.get("/openapi.json").status_code == 200
        assert c.get("/health").status_code in (200, 503)  # public either way; this D1 is unmigrated


def test_invalid_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/api/export-jobs/claim", content=b'{"runner_id": ', headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "invalid_json")


def test_non_json_content_type_is_415(client: httpx.Client) -> None:
    response = client.post(
        "/api/export-jobs/claim", content=b'{"runner_id": "r"}', headers={"content-type": "text/plain"}
    )
    assert_error(response, 415, "unsupported_media_type")


def test_oversized_body_is_413_before_parsing(client: httpx.Client) -> None:
    body = b'{"x": "' + b"a" * (10 * 1024 * 1024 + 10) + b'"}'
    response = client.put(
        f"/api/veo/jobs/big-{uuid.uuid4().hex}", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")


def test_internal_error_is_500_without_traceback(client: httpx.Client, local: LocalRuntime) -> None:
    # A SQL bug (here: a table that is suddenly missing) must become a clean 500.
    local.sql("ALTER TABLE maintenance_runs RENAME TO maintenance_runs_hidden")
    try:
        mark = len(local.output)
        response = client.get("/api/maintenance/runs", headers={"x-request-id": "boom-1"})
    finally:
        local.sql("ALTER TABLE maintenance_runs_hidden RENAME TO maintenance_runs")
    assert_error(response, 500, "internal_error")
    assert "Traceback" not in response.text and "no such table" not in response.text
    assert response.headers["x-request-id"] == "boom-1"
    logged = "\n".join(local.logs_since(mark, until="no such table"))
    assert "no such table" in logged  # the cause is logged, not sent


def test_request_id_is_echoed_or_generated(client: httpx.Client) -> None:
    assert client.get("/health", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = client.get("/health").headers["x-request-id"]
    assert len(generated) >= 16
    # An id that could break log lines is replaced, not echoed.
    assert client.get("/health", headers={"x-request-id": 'a b"c'}).headers["x-request-id"] != 'a b"c'


def test_d1_stats_header_counts_d1_work(client: httpx.Client) -> None:
    stats = dict(part.split("=") for part in client.get("/health").headers["x-d1-stats"].split("; "))
    assert int(stats["queries"]) >= 1
    assert int(stats["rows_read"]) >= 1
    assert client.get("/openapi.json").headers["x-d1-stats"] == "queries=0; rows_read=0; rows_written=0"


def test_security_headers(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "python" not in response.headers.get("server", "").lower()
    assert "x-powered-by" not in response.headers


STACK_NAMES = re.compile(r"python|pyodide|node|express|undici|miniflare|workerd|wrangler|uvicorn", re.I)


def assert_no_banner_and_nosniff(response: httpx.Response) -> None:
    context = (response.request.method, response.request.url.path, response.status_code)
    assert response.headers.get("x-content-type-options") == "nosniff", context
    assert not STACK_NAMES.search(response.headers.get("server", "")), context
    assert "x-powered-by" not in response.headers, context
    assert "x-aspnet-version" not in response.headers, context


@pytest.mark.parametrize(("method", "path"), ALL_PATHS)
def test_every_response_is_nosniff_without_a_server_banner(
    client: httpx.Client, anon: httpx.Client, method: str, path: str
) -> None:
    """Success or error, with or without a token, on every route and off them."""
    body = b"{}" if method in ("PUT", "POST", "PATCH") else None
    headers = {"content-type": "application/json"} if body else {}
    for c in (client, anon):
        assert_no_banner_and_nosniff(c.request(method, path, content=body, headers=headers))
        assert_no_banner_and_nosniff(c.request("TRACE", path))  # 405 (401 without a token on /api/)
        assert_no_banner_and_nosniff(c.request("HEAD", path))
    assert_no_banner_and_nosniff(client.get(path + "/nope"))  # 404
    if path == "/api/veo/jobs/some-job":
        client.delete(path)


def test_the_token_never_reaches_responses_or_logs(
    client: httpx.Client, anon: httpx.Client, local: LocalRuntime
) -> None:
    """Every route is called with the real token and with wrong ones, successes and errors
    (an internal error too); neither any response nor any log line carries a token."""
    wrong = f"wrong-{secrets.token_hex(12)}"
    secrets_sent = [TOKEN, wrong]
    mark = len(local.output)
    responses: list[httpx.Response] = []
    for method, path in ALL_PATHS:
        body = b'{"status": "running"}' if method == "PUT" else b"{}" if method in ("POST", "PATCH") else None
        headers = {"content-type": "application/json"} if body else {}
        for authorization in (f"Bearer {TOKEN}", f"Bearer {wrong}", wrong, f"Basic {wrong}"):
            responses.append(
                anon.request(method, path, content=body, headers={**headers, "authorization": authorization})
            )
    client.delete("/api/veo/jobs/some-job")
    # An unhandled error logs a traceback: it must not carry the request's credentials either.
    local.sql("ALTER TABLE maintenance_runs RENAME TO maintenance_runs_hidden")
    try:
        crashed = client.get("/api/maintenance/runs", headers={"x-request-id": "token-scan-500"})
    finally:
        local.sql("ALTER TABLE maintenance_runs_hidden RENAME TO maintenance_runs")
    assert crashed.status_code == 500
    responses.append(crashed)
    last = client.get("/health", headers={"x-request-id": "token-scan-end"})
    logged = "\n".join(local.logs_since(mark, until="token-scan-end"))
    assert "token-scan-500" in logged and "token-scan-end" in logged
    assert "Traceback" in logged  # the crash was logged, with its cause
    for secret in secrets_sent:
        assert secret not in logged
        for response in [*responses, last]:
            assert secret not in response.text and secret not in str(response.headers)


def test_cors_preflight_for_allowed_origin_only(anon: httpx.Client) -> None:
    preflight = {"origin": ALLOWED_ORIGIN, "access-control-request-method": "PUT"}
    response = anon.options("/api/veo/jobs/abc", headers=preflight)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "PUT" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"]

    other = anon.options(
        "/api/veo/jobs/abc",
        headers={"origin": "https://evil.example", "access-control-request-method": "PUT"},
    )
    assert "access-control-allow-origin" not in other.headers
    assert other.status_code >= 400

    simple = anon.get("/health", headers={"origin": ALLOWED_ORIGIN})
    assert simple.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "x-request-id" in simple.headers["access-control-expose-headers"]
    assert (
        "access-control-allow-origin"
        not in anon.get("/health", headers={"origin": "https://evil.example"}).headers
    )


def test_health_reports_database_and_schema_version(anon: httpx.Client) -> None:
    body = anon.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    migrations = sorted(p.stem for p in MIGRATIONS_DIR.glob("*.sql"))
    assert body["schema_version"] == migrations[-1]


def test_scheduled_route_runs_maintenance(base_url: str, client: httpx.Client, local: LocalRuntime) -> None:
    cron = "*/5 * * * *"
    before = client.get("/api/maintenance/runs", params={"limit": 1}).json()["items"]
    response = httpx.get(f"{base_url}/cdn-cgi/handler/scheduled", params={"cron": cron}, timeout=120)
    assert response.status_code == 200, response.text
    runs = client.get("/api/maintenance/runs", params={"limit": 1}).json()["items"]
    assert runs and runs[0]["trigger"] == cron
    assert not before or runs[0]["id"] > before[0]["id"]
    assert runs[0]["finished_at"] is not None
    assert runs[0]["error"] is None
