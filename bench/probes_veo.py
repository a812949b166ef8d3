"""Probes of the VEO job cache's routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from bench.measure import Direct, Probe, d1_batch, d1_body
from bench.probes import State, get, keep_cursor, rotate
from bench.rows import BENCH_USER
from bench.settings import CONFIG, PAGE
from edgejobs.core import codec
from edgejobs.core.clock import now_ms
from edgejobs.core.db import Statement
from edgejobs.veo import model as veo_model
from edgejobs.veo import sql as veo_sql
from tests.support.veo_payload import realistic_veo_job

_VEO_JOB = realistic_veo_job(scenes=10)


def veo_body(job_id: str, status: str = "completed") -> dict[str, Any]:
    return {**_VEO_JOB, "jobId": job_id, "status": status}


VEO_BODY_BYTES = len(codec.canonical_json(veo_body("veo_bench_size")))


def veo_probes(state: State) -> list[Probe]:
    s = state.seeded
    live = s.live_veo_ids
    video = s.video_ids[0] if s.video_ids else "none"

    def put_new(i: int) -> tuple[str, str, dict[str, Any]]:
        job_id = f"veo_{state.tag}_new_{i}"
        return "PUT", f"/api/veo/jobs/{job_id}", {"json": veo_body(job_id)}

    def keep_created(i: int, r: httpx.Response) -> None:
        state.created_veo.append(r.json()["job_id"])
        state.etags[r.json()["job_id"]] = r.headers.get("etag", "")

    def put_update(i: int) -> tuple[str, str, dict[str, Any]]:
        job_id = state.created_veo[0]
        return "PUT", f"/api/veo/jobs/{job_id}", {"json": veo_body(job_id, ("completed", "failed")[i % 2])}

    def put_update_direct(i: int) -> Direct:
        job_id = state.created_veo[0]
        obj = veo_body(job_id, ("completed", "failed")[i % 2])
        meta, now = veo_model.extract_metadata(obj), now_ms()
        statements = veo_sql.write_statements(
            job_id,
            meta,
            codec.encode_payload_sync(obj),
            veo_model.Precondition(),
            now,
            veo_model.expires_at(meta.status, now, CONFIG),
        )
        return [d1_batch(statements)]

    def put_if_match(i: int) -> tuple[str, str, dict[str, Any]]:
        job_id = state.created_veo[1]
        body = veo_body(job_id, ("completed", "partial")[i % 2])
        return "PUT", f"/api/veo/jobs/{job_id}", {"json": body, "headers": {"if-match": state.etags[job_id]}}

    def keep_etag(i: int, r: httpx.Response) -> None:
        state.etags[state.created_veo[1]] = r.headers.get("etag", "")

    def put_absent(i: int) -> tuple[str, str, dict[str, Any]]:
        job_id = f"veo_{state.tag}_absent_{i}"
        return "PUT", f"/api/veo/jobs/{job_id}", {"json": veo_body(job_id), "headers": {"if-none-match": "*"}}

    def list_direct(
        status: str | None = None, video_id: str | None = None, owner: str | None = None
    ) -> Callable[[int], Direct]:
        return lambda i: [d1_body(veo_sql.list_statement(now_ms(), status, video_id, [], PAGE + 1, owner))]

    def get_direct(i: int) -> Direct:
        return [d1_body(Statement(veo_sql.GET_SQL, [live[i % len(live)], now_ms(), None]))]

    return [
        Probe(f"PUT /api/veo/jobs/{{id}} create ({VEO_BODY_BYTES:,} B JSON)", put_new, keep_created),
        Probe("PUT /api/veo/jobs/{id} update", put_update, direct=put_update_direct),
        Probe("PUT /api/veo/jobs/{id} If-Match", put_if_match, keep_etag),
        Probe("PUT /api/veo/jobs/{id} If-None-Match: *", put_absent),
        Probe("GET /api/veo/jobs/{id}", rotate(live, "/api/veo/jobs/{}"), direct=get_direct),
        Probe("GET /api/veo/jobs/{id} (404)", lambda i: ("GET", f"/api/veo/jobs/veo_missing_{i}", {})),
        Probe(
            "GET /api/veo/jobs (page 1)",
            get("/api/veo/jobs"),
            keep_cursor(state, "cursor_veo"),
            list_direct(),
        ),
        Probe(
            "GET /api/veo/jobs (page 2, cursor)",
            lambda i: ("GET", "/api/veo/jobs", {"params": {"cursor": state.cursor_veo}}),
        ),
        Probe(
            "GET /api/veo/jobs?status=completed",
            get("/api/veo/jobs?status=completed"),
            direct=list_direct("completed"),
        ),
        Probe("GET /api/veo/jobs?status=partial", get("/api/veo/jobs?status=partial")),
        Probe("GET /api/veo/jobs?video_id=…", get(f"/api/veo/jobs?video_id={video}")),
        Probe(
            "GET /api/veo/jobs?status=completed&video_id=…",
            get(f"/api/veo/jobs?status=completed&video_id={video}"),
        ),
        Probe(
            "GET /api/veo/jobs?user_id=… (one user's list)",
            get(f"/api/veo/jobs?user_id={BENCH_USER}"),
            direct=list_direct(owner=BENCH_USER),
        ),
        Probe(
            "GET /api/veo/jobs?user_id=…&status=completed",
            get(f"/api/veo/jobs?user_id={BENCH_USER}&status=completed"),
            direct=list_direct("completed", owner=BENCH_USER),
        ),
        Probe(
            "DELETE /api/veo/jobs/{id}",
            lambda i: ("DELETE", f"/api/veo/jobs/{state.created_veo[-1 - i]}", {}),
        ),
    ]
