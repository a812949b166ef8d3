"""Videos, `/api/videos`, and monthly quotas, `/api/quotas`: one request to a video model per
video, charged to its owner's month in the batch that creates it, every change of status
through the state machine with its event, counts kept for the stats (README "Videos")."""

from ..core.capability import Capability
from .api import ROUTES, SCHEMAS
from .settings import SETTINGS

CAPABILITY = Capability("videos", routes=ROUTES, schemas=SCHEMAS, settings=SETTINGS)
