"""Assembles the app: every resource's routes, schemas and maintenance tasks, in one
place a newcomer can read top to bottom."""

from __future__ import annotations

from . import export_jobs, maintenance, service, veo_jobs
from .app import App, Env
from .clock import now_ms
from .db import Database
from .routing import Route

# What each cron run does, within one shared budget; repairs of live work come first.
MAINTENANCE_TASKS: list[tuple[str, maintenance.Task]] = [
    ("export_leases_recovered", export_jobs.recover_expired_leases),
    ("veo_jobs_expired", veo_jobs.expire_veo_jobs),
    ("export_jobs_queue_expired", export_jobs.expire_stale_pending),
    ("export_jobs_purged", export_jobs.purge_finished_export_jobs),
    ("idempotency_keys_deleted", export_jobs.delete_expired_idempotency_keys),
    ("maintenance_runs_pruned", maintenance.prune_maintenance_runs),
]

API_ROUTES: list[Route] = [
    service.HEALTH_ROUTE,
    *veo_jobs.ROUTES,
    *export_jobs.ROUTES,
    *maintenance.ROUTES,
    maintenance.run_now_route(MAINTENANCE_TASKS),
]
SCHEMAS: dict[str, object] = {
    **maintenance.SCHEMAS,
    **veo_jobs.SCHEMAS,
    **export_jobs.SCHEMAS,
}

ROUTES = [*API_ROUTES, service.openapi_route(API_ROUTES, SCHEMAS)]

app = App(ROUTES)


async def run_scheduled(env: Env, cron: str) -> maintenance.RunRecord:
    """The cron trigger: one bounded maintenance run."""
    return await maintenance.run_maintenance(
        Database(env.db_binding), env.config(), cron or "manual", now_ms(), MAINTENANCE_TASKS
    )
