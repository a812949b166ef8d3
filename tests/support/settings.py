"""Where the HTTP tests send requests and with which credentials.

`EDGEJOBS_BASE_URL` (and `EDGEJOBS_API_TOKEN`) point the HTTP tests at a real `pywrangler dev`
or a deployed Worker instead of the local runtime the session starts.
"""

from __future__ import annotations

import os

from tests.support.runtime import TEST_TOKEN

BASE_URL = os.environ.get("EDGEJOBS_BASE_URL", "").rstrip("/")
TOKEN = os.environ.get("EDGEJOBS_API_TOKEN", TEST_TOKEN if not BASE_URL else "dev-token")
ALLOWED_ORIGIN = "https://app.example.com"
