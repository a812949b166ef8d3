"""`GET /api/stats`: counts kept by the writes themselves (core/counters.py), read in one batch
of a few dozen rows at any table size."""

from ..core.capability import Capability
from .api import ROUTES, SCHEMAS
from .tasks import TASKS

CAPABILITY = Capability("stats", routes=ROUTES, schemas=SCHEMAS, tasks=TASKS)
