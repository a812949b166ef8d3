"""The run's settings, what its clients share, and the routes they call (by name)."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from soak.ledger import Ledger
from tests.support import consistency
from tests.support.runtime import TEST_JWT_SECRET, TEST_TOKEN

TYPES = ("framing", "overlay", "annotate")
# A dedicated runtime retries failed export jobs after 1–2 s, so retried jobs cycle back
# into the queue within a short run.
# JWT_SECRET: the video users' tokens (minted by the Worker).
RUNTIME_VARS = {
    "API_TOKEN": TEST_TOKEN,
    "JWT_SECRET": TEST_JWT_SECRET,
    "EXPORT_RETRY_BASE_SECONDS": "1",
    "EXPORT_RETRY_CAP_SECONDS": "2",
}
ROLES = (("veo", 3), ("producer", 4), ("runner", 6), ("operator", 2), ("observer", 1),
         ("creator", 2), ("renderer", 1))  # fmt: skip
VIDEO_LIMIT = 4  # each video user's monthly limit at the start: reached within seconds
VIDEO_LIMIT_STEP = 2  # the renderer raises every limit by this every VIDEO_RAISE_SECONDS
VIDEO_RAISE_SECONDS = 3.0
COUNTERS = 3
TOGGLES = 3
LEASE_SECONDS = 30


@dataclass
class Shared:
    """What the clients share: ids, the run's project, and how to stop."""

    run: str
    project: int
    deadline: float
    sql: consistency.Sql | None
    cron_every: float
    counters: list[str]
    toggles: list[str]
    fresh_keys: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    video_users: dict[str, str] = field(default_factory=dict)  # user id → bearer token
    to_render: list[tuple[float, str]] = field(default_factory=list)  # (made at, video), to render
    video_limit: int = 0  # every video user's limit, as last set (0 until the setup sets it)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def known_job(self, ledger: Ledger, rng: random.Random) -> str | None:
        with ledger.lock:
            return rng.choice(sorted(ledger.jobs)) if ledger.jobs else None


V_ONE = "PUT /api/veo/jobs/{id}"
V_GET = "GET /api/veo/jobs/{id}"
V_LIST = "GET /api/veo/jobs"
V_DELETE = "DELETE /api/veo/jobs/{id}"
E_CREATE = "POST /api/export-jobs"
E_LIST = "GET /api/export-jobs"
E_GET = "GET /api/export-jobs/{id}"
E_CLAIM = "POST /api/export-jobs/claim"
E_HEARTBEAT = "PATCH /api/export-jobs/{id}"
E_COMPLETE = "POST /api/export-jobs/{id}/complete"
E_FAIL = "POST /api/export-jobs/{id}/fail"
E_RETRY = "POST /api/export-jobs/{id}/retry"
E_CANCEL = "POST /api/export-jobs/{id}/cancel"
E_EVENTS = "GET /api/export-jobs/{id}/events"
VID_CREATE = "POST /api/videos"
VID_GET = "GET /api/videos/{id}"
VID_LIST = "GET /api/videos"
VID_PATCH = "PATCH /api/videos/{id}"
VID_CANCEL = "POST /api/videos/{id}/cancel"
VID_STATS = "GET /api/videos/stats"
QUOTA_ME = "GET /api/quotas/me"
QUOTA_SET = "PUT /api/quotas/{user_id}"
GEN_CREATE = "POST /api/generations"
GEN_GET = "GET /api/generations/{id}"
M_RUNS = "GET /api/maintenance/runs"
HEALTH = "GET /health"
CRON_ROUTE = "CRON GET /cdn-cgi/handler/scheduled"
ALL_ROUTES = (
    V_ONE,
    V_GET,
    V_LIST,
    V_DELETE,
    E_CREATE,
    E_LIST,
    E_GET,
    E_CLAIM,
    E_HEARTBEAT,
    E_COMPLETE,
    E_FAIL,
    E_RETRY,
    E_CANCEL,
    E_EVENTS,
    VID_CREATE,
    VID_GET,
    VID_LIST,
    VID_PATCH,
    VID_CANCEL,
    VID_STATS,
    QUOTA_ME,
    QUOTA_SET,
    GEN_CREATE,
    GEN_GET,
    M_RUNS,
    HEALTH,
    CRON_ROUTE,
)
