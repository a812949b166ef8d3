"""Job runs, `/api/job-runs`: executions of scheduled jobs that run elsewhere (the user's own
crons), each with the report of its date when one is stored."""

from ..core.capability import Capability
from .api import ROUTES, SCHEMAS

CAPABILITY = Capability("job_runs", routes=ROUTES, schemas=SCHEMAS)
