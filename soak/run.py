"""One run: the clients started together, stopped at the deadline, then checked."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable

from soak.checks import verify
from soak.clients import CLIENTS
from soak.ledger import Api, Ledger
from soak.report import LoadReport
from soak.videos import setup_video_users
from soak.workload import COUNTERS, ROLES, TOGGLES, V_ONE, VIDEO_LIMIT, Shared
from tests.support.runtime import TEST_TOKEN, LocalRuntime

VIDEO_ROLES = ("creator", "renderer")


def run_load(
    url: str,
    *,
    seconds: float,
    token: str = TEST_TOKEN,
    local: LocalRuntime | None = None,
    fault_rate: float = 0.0,
    lose_rate: float = 0.0,
    cron_every: float = 2.5,
    seed: int | None = None,
) -> LoadReport:
    """Runs the load for `seconds`, then checks it. With `local` (a runtime started with
    test endpoints) lapsed leases are planted, faults injected and D1 read for the checks:
    `fault_rate` of D1 calls fail before they run, `lose_rate` run (a write commits) and then
    fail, so that the client cannot tell whether its request landed."""
    run = f"load-{uuid.uuid4().hex[:8]}"
    rng = random.Random(seed)
    ledger = Ledger()
    setup = Api(url, token, ledger, faults=False)
    if local:
        local.control()  # made once, before the clients share it
    counters = [f"{run}-counter-{i}" for i in range(COUNTERS)]
    for counter in counters:
        setup.call(
            V_ONE, "PUT", f"/api/veo/jobs/{counter}", (201,), json={"status": "processing", "count": 0}
        )
    shared = Shared(
        run=run,
        project=rng.randrange(1, 10**12),
        deadline=0.0,
        sql=local.sql if local else None,
        cron_every=cron_every,
        counters=counters,
        toggles=[f"{run}-toggle-{i}" for i in range(TOGGLES)],
        video_users=setup_video_users(setup, run),
        video_limit=VIDEO_LIMIT,
    )
    faulty = bool(local and (fault_rate or lose_rate))
    ledger.losing = faulty and bool(lose_rate)
    # The video checks are exact (a 503 means nothing happened): under lost answers they sit out.
    roles = [(role, n) for role, n in ROLES if not (ledger.losing and role in VIDEO_ROLES)]
    if local and faulty:
        local.set_d1_faults(rate=fault_rate, lose_rate=lose_rate)
    apis = [
        Api(url, token, ledger, faults=faulty and bool(fault_rate), losing=ledger.losing)
        for _ in range(sum(n for _, n in roles))
    ]
    injected: dict[str, int] = {}
    threads = []
    started = time.monotonic()
    shared.deadline = started + seconds
    try:
        index = 0
        for role, count in roles:
            for _ in range(count):
                thread = threading.Thread(
                    target=_guarded,
                    args=(CLIENTS[role], apis[index], shared, random.Random(rng.random()), index),
                    name=f"{role}-{index}",
                    daemon=True,
                )
                threads.append(thread)
                thread.start()
                index += 1
        for thread in threads:
            thread.join(timeout=max(1.0, shared.deadline + 90 - time.monotonic()))
    finally:
        if local and faulty:
            status = local.d1_faults()
            injected = {k: status[k] for k in ("calls", "failed", "lost")}
            local.set_d1_faults()
    elapsed = time.monotonic() - started
    stuck = [t.name for t in threads if t.is_alive()]
    for api in apis:
        api.close()
    problems = [f"client {name} did not stop" for name in stuck]
    checks: list[str] = []
    verify(setup, shared, ledger, local, problems, checks)
    setup.close()
    return LoadReport(elapsed, len(threads), fault_rate, ledger, problems, checks, lose_rate, injected)


def _guarded(client: Callable[..., None], api: Api, shared: Shared, rng: random.Random, me: int) -> None:
    try:
        client(api, shared, rng, me)
    except Exception as exc:  # noqa: BLE001 - a crashed client is a finding, not a hang
        with api.ledger.lock:
            api.ledger.unexpected.append(f"client {threading.current_thread().name} crashed: {exc!r}")
