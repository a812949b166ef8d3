"""Assembles the service: the capabilities it is made of, in one list a newcomer can read.

Each capability declares its routes, OpenAPI schemas, cron tasks and settings in its own
package (`<capability>/__init__.py`); adding one is one line here.
"""

from __future__ import annotations

from . import (
    exports,
    generations,
    jobruns,
    maintenance,
    providers,
    reports,
    service,
    stats,
    tokens,
    veo,
    videos,
    webhooks,
)
from .core.app import App, Env
from .core.capability import Registry
from .core.clock import now_ms
from .core.db import Database
from .core.outbound import Outbound
from .core.services import use
from .maintenance.runs import RunRecord, run_maintenance

REGISTRY = Registry(
    [
        service.CAPABILITY,
        veo.CAPABILITY,
        providers.CAPABILITY,  # before exports: a RunPod answer beats a lapsed lease
        exports.CAPABILITY,
        maintenance.CAPABILITY,
        tokens.CAPABILITY,
        videos.CAPABILITY,
        generations.CAPABILITY,
        jobruns.CAPABILITY,
        reports.CAPABILITY,
        stats.CAPABILITY,
        webhooks.CAPABILITY,
    ]
)
app = App(REGISTRY)


async def run_scheduled(env: Env, cron: str) -> RunRecord:
    """The cron trigger: one bounded maintenance run of every capability's tasks."""
    outbound = Outbound(env.transport) if env.transport is not None else None
    with use(env.services):  # cron tasks that call out (webhooks) read them
        return await run_maintenance(
            Database(env.db_binding), env.config(), cron or "manual", now_ms(), REGISTRY.tasks, outbound
        )
