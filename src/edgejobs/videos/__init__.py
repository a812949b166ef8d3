"""Videos, `/api/videos`, and monthly quotas, `/api/quotas`: one request to a video model per
video, charged to its owner's month in the batch that creates it, every change of status
through the state machine with its event, counts kept for the stats (README "Videos").
Provider-backed videos are submitted on create, polled by the cron, refreshed on read and
moved by their provider's webhooks (README "Providers")."""

from ..core.capability import Capability
from ..core.chunks import CronTask
from ..providers import targets
from . import provider_sync
from .api import ROUTES, SCHEMAS
from .settings import SETTINGS
from .sync_task import sync_videos

# The providers' webhooks hand a job no export job carries to the video carrying it.
targets.TARGETS.append(provider_sync.TARGET)

TASKS = (CronTask("videos_synced", sync_videos, repairs=True),)

CAPABILITY = Capability("videos", routes=ROUTES, schemas=SCHEMAS, tasks=TASKS, settings=SETTINGS)
