"""The route probes: every route, called `n` times on a seeded dataset.

The probes come in groups, one per capability (`service_probes` here, probes_veo.py,
probes_exports.py, probes_videos.py), listed in `scales.PROBE_GROUPS`; a new route gets a
`Probe` in its group.
A probe with `direct` also sends the handler's own statements, built by the app's own SQL
builders, straight to D1: the difference is the handler's overhead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import seeding
from bench.measure import Bench, Direct, Probe, Request
from bench.settings import RUNNER
from edgejobs import service
from edgejobs.maintenance import runs as maintenance_runs


@dataclass
class State:
    """The dataset's ids, and what probes learn for later ones (created ids, ETags, cursors)."""

    seeded: seeding.Seeded
    scale: int
    created_veo: list[str] = field(default_factory=list)
    etags: dict[str, str] = field(default_factory=dict)
    claimed: list[str] = field(default_factory=list)
    leases: dict[str, str] = field(default_factory=dict)  # claimed job id → its claim's lease_id
    cursor_veo: str = ""
    cursor_runs: str = ""
    cursor_export: str = ""
    export_created: list[str] = field(default_factory=list)
    created_videos: list[str] = field(default_factory=list)
    cursor_videos: str = ""
    generations_created: list[str] = field(default_factory=list)

    @property
    def tag(self) -> str:
        """A prefix that keeps this dataset's new ids apart from the seeded ones."""
        return f"b{self.scale}"


def rotate(ids: list[str], fmt: str, method: str = "GET", **kwargs: Any) -> Request:
    """Call i addresses `ids[i % len(ids)]`."""
    return lambda i: (method, fmt.format(ids[i % len(ids)]), kwargs)


def get(path: str, **kwargs: Any) -> Request:
    return lambda i: ("GET", path, kwargs)


def keep_cursor(state: State, attribute: str) -> Callable[[int, Any], None]:
    return lambda i, response: setattr(state, attribute, response.json()["next_cursor"])


def service_probes(state: State) -> list[Probe]:
    def health_direct(i: int) -> Direct:
        return [{"sql": service.LAST_MIGRATION_SQL}, {"sql": maintenance_runs.LAST_RUN_SQL}]

    return [
        Probe("GET /health", get("/health"), direct=health_direct),
        Probe("GET /openapi.json", get("/openapi.json")),
        Probe("GET /api/stats", get("/api/stats")),
        Probe("GET /api/maintenance/runs", get("/api/maintenance/runs"), keep_cursor(state, "cursor_runs")),
        Probe(
            "GET /api/maintenance/runs (page 2, cursor)",
            lambda i: ("GET", "/api/maintenance/runs", {"params": {"cursor": state.cursor_runs}}),
        ),
    ]


def claim_some(bench: Bench, count: int) -> None:
    """Unmeasured claims, so that complete/fail have jobs held by the bench runner."""
    for _ in range(count):
        response = bench.api.post("/api/export-jobs/claim", json={"runner_id": RUNNER, "lease_seconds": 600})
        if response.status_code == 200:
            bench.claimed_extra.append(response.json()["id"])
            bench.leases[response.json()["id"]] = response.json()["lease_id"]
