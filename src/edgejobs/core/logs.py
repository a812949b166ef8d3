"""Structured log lines: one JSON object per line (Workers Logs and `wrangler tail` index them).

Nothing secret is ever passed here: no tokens, no request bodies.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(level: str, msg: str, **fields: Any) -> None:
    stream = sys.stdout if level in ("debug", "info") else sys.stderr
    print(json.dumps({"level": level, "msg": msg, **fields}, default=str), file=stream)
