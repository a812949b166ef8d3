"""Probes of the export job queue's routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.measure import Direct, Probe, Request, d1_batch, d1_body
from bench.probes import State, keep_cursor, rotate
from bench.settings import PAGE, RUNNER
from edgejobs.core import ids, states
from edgejobs.core.clock import now_ms
from edgejobs.core.db import Statement
from edgejobs.core.events import LIST_EVENTS_SQL
from edgejobs.exports import bodies as export_bodies
from edgejobs.exports import machine
from edgejobs.exports import model as export_model
from edgejobs.exports import sql as export_sql

EXPORT_BODY = {
    "project_id": 1,
    "type": "overlay",
    "input_video_key": "raw/1/bench.mp4",
    "params": {"highlight_regions": [[0.1, 0.2, 0.3, 0.4]], "fps": 30},
}


def list_request(query: dict[str, str]) -> Request:
    path = "/api/export-jobs" + (f"?{urlencode(query, safe=',')}" if query else "")
    return lambda i: ("GET", path, {})


def list_direct(query: dict[str, str]) -> Callable[[int], Direct]:
    """The first page's statement as the route builds it from the same query."""
    filters = export_model.parse_list_query(query)
    return lambda i: [d1_body(export_sql.list_statement(filters, None, PAGE + 1))]


def export_probes(state: State) -> list[Probe]:
    s = state.seeded
    project = str(s.biggest_project)
    processing = s.export_ids_by_status.get("processing", [])
    finished = s.export_ids_by_status.get("error", []) + s.export_ids_by_status.get("cancelled", [])
    some_export = s.export_ids_by_status.get("complete", []) + processing

    def create(key: str | None) -> Request:
        def request(i: int) -> tuple[str, str, dict[str, Any]]:
            headers = {"idempotency-key": key.format(i=i)} if key else {}
            return "POST", "/api/export-jobs", {"json": EXPORT_BODY, "headers": headers}

        return request

    def claim_body(types: list[str] | None = None) -> dict[str, Any]:
        return {"runner_id": RUNNER, "lease_seconds": 600, **({"types": types} if types else {})}

    def claim(types: list[str] | None = None) -> Request:
        return lambda i: ("POST", "/api/export-jobs/claim", {"json": claim_body(types)})

    def keep_claimed(i: int, r: httpx.Response) -> None:
        if r.status_code == 200:
            state.claimed.append(r.json()["id"])
            state.leases[r.json()["id"]] = r.json()["lease_id"]

    def claim_direct(i: int) -> Direct:
        """The claim's batch as the route builds it, for a claim that finds a job."""
        body = export_bodies.CLAIM.parse(claim_body())
        values = {**body, "max_jobs": 1, "now": now_ms(), "lease_token": ids.token()}
        rows = machine.next_claimable(None)
        return [d1_batch(states.transition_statements(machine.EXPORT_JOBS, machine.CLAIM, rows, values))]

    def on_claimed(action: str, body: dict[str, Any]) -> Request:
        def request(i: int) -> tuple[str, str, dict[str, Any]]:
            job_id = state.claimed.pop()
            lease = {"lease_id": state.leases.get(job_id)}
            return "POST", f"/api/export-jobs/{job_id}/{action}", {"json": {**body, **lease}}

        return request

    def on_first_claimed(body: Callable[[int], dict[str, Any]]) -> Request:
        def request(i: int) -> tuple[str, str, dict[str, Any]]:
            job_id = state.claimed[0]
            lease = {"lease_id": state.leases.get(job_id)}
            return "PATCH", f"/api/export-jobs/{job_id}", {"json": {**body(i), **lease}}

        return request

    def get_direct(i: int) -> Direct:
        return [d1_body(Statement(export_sql.GET_JOB_SQL, [some_export[i % len(some_export)]]))]

    def events_direct(i: int) -> Direct:
        job_id = some_export[i % len(some_export)]
        return [d1_body(Statement(LIST_EVENTS_SQL, [machine.EXPORT_JOBS.kind, job_id, 0, PAGE + 1]))]

    active = {"status": "active"}
    return [
        Probe("POST /api/export-jobs", create(None)),
        Probe("POST /api/export-jobs (Idempotency-Key, new)", create(f"{state.tag}-key-{{i}}")),
        Probe("POST /api/export-jobs (Idempotency-Key, replay)", create(f"{state.tag}-key-0")),
        Probe("GET /api/export-jobs/{id}", rotate(some_export, "/api/export-jobs/{}"), direct=get_direct),
        Probe(
            "GET /api/export-jobs (page 1)",
            list_request({}),
            keep_cursor(state, "cursor_export"),
            direct=list_direct({}),
        ),
        Probe(
            "GET /api/export-jobs (page 2, cursor)",
            lambda i: ("GET", "/api/export-jobs", {"params": {"cursor": state.cursor_export}}),
        ),
        Probe("GET /api/export-jobs?status=pending", list_request({"status": "pending"})),
        Probe("GET /api/export-jobs?status=active", list_request(active), direct=list_direct(active)),
        Probe(
            "GET /api/export-jobs?status=error,cancelled&type=overlay",
            list_request({"status": "error,cancelled", "type": "overlay"}),
        ),
        Probe("GET /api/export-jobs?type=framing", list_request({"type": "framing"})),
        Probe("GET /api/export-jobs?project_id=… (largest project)", list_request({"project_id": project})),
        Probe(
            "GET /api/export-jobs?project_id=…&type=framing",
            list_request({"project_id": project, "type": "framing"}),
        ),
        Probe(
            "GET /api/export-jobs?project_id=…&status=active&type=overlay",
            list_request({"project_id": project, "status": "active", "type": "overlay"}),
        ),
        Probe("POST /api/export-jobs/claim", claim(), keep_claimed, direct=claim_direct),
        Probe("POST /api/export-jobs/claim (types=[annotate])", claim(["annotate"]), keep_claimed),
        Probe(
            "PATCH /api/export-jobs/{id} (heartbeat)",
            on_first_claimed(lambda i: {"runner_id": RUNNER, "progress": i}),
        ),
        Probe(
            "PATCH /api/export-jobs/{id} (lease_lost 409)",
            on_first_claimed(lambda i: {"runner_id": "someone-else"}),
        ),
        Probe(
            "POST /api/export-jobs/{id}/complete",
            on_claimed("complete", {"runner_id": RUNNER, "output_video_key": "exports/x.mp4"}),
        ),
        Probe(
            "POST /api/export-jobs/{id}/fail",
            on_claimed("fail", {"runner_id": RUNNER, "error": "CUDA out of memory"}),
        ),
        Probe("POST /api/export-jobs/{id}/retry", rotate(finished, "/api/export-jobs/{}/retry", "POST")),
        Probe("POST /api/export-jobs/{id}/cancel", rotate(processing, "/api/export-jobs/{}/cancel", "POST")),
        Probe(
            "GET /api/export-jobs/{id}/events",
            rotate(some_export, "/api/export-jobs/{}/events"),
            direct=events_direct,
        ),
    ]
