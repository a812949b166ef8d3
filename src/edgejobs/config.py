"""Settings read from the Worker's env: `[vars]` in wrangler.toml and secrets.

Wrangler vars arrive as strings; each is parsed and bounds-checked here once, so a
bad value fails loudly at the first request instead of mid-transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

EnvLookup = Callable[[str], object]

DAY = 86_400


class Config:
    """Read-only settings. Each has its default here; `Config(name=value, …)` overrides some.
    (A plain class: a NamedTuple or dataclass of this size costs milliseconds to create at
    import in Pyodide.)"""

    api_token: str = ""
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 10 * 1024 * 1024
    veo_ttl_completed_seconds: int = 7 * DAY
    veo_ttl_failed_seconds: int = 2 * DAY
    veo_ttl_partial_seconds: int = 2 * DAY
    veo_ttl_default_seconds: int = 7 * DAY
    export_retry_base_seconds: int = 30
    export_retry_cap_seconds: int = 3600
    export_retention_seconds: int = 30 * DAY
    export_queue_ttl_seconds: int = 0
    idempotency_ttl_seconds: int = DAY
    maintenance_chunk_rows: int = 500
    maintenance_max_statements: int = 40
    maintenance_time_budget_ms: int = 20_000
    maintenance_run_retention_seconds: int = 30 * DAY

    def __init__(self, **overrides: Any) -> None:
        for name, value in overrides.items():
            if name not in FIELDS:
                raise TypeError(f"Config has no setting {name!r}")
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Config is read-only")

    @classmethod
    def from_env(cls, lookup: EnvLookup) -> Config:
        """Build from an env lookup (`name -> value | None`); absent names keep defaults."""
        values: dict[str, object] = {}
        for name in FIELDS:
            raw = lookup(name.upper())
            if raw is None:
                continue
            text = str(raw).strip()
            if name == "api_token":
                values[name] = str(raw)
            elif name == "cors_origins":
                values[name] = tuple(o.strip().rstrip("/") for o in text.split(",") if o.strip())
            elif text:
                try:
                    number = int(text)
                except ValueError:
                    raise ValueError(f"var {name.upper()} must be an integer, got {text!r}") from None
                if number < 0:
                    raise ValueError(f"var {name.upper()} must not be negative, got {number}")
                values[name] = number
        return cls(**values)


FIELDS = tuple(Config.__annotations__)  # the settings, in order; env var = upper-case name
ENV_NAMES = tuple(name.upper() for name in FIELDS)

_parsed: tuple[str, Config] | None = None  # the isolate's last settings text and its Config


def config_from_json(text: str) -> Config:
    """The settings from one JSON object of env name → raw value (the Worker's
    `JSON.stringify(env, ENV_NAMES)`), parsed only when the text differs from the last one:
    reading and parsing them on every request cost ~0.15 ms in Pyodide. Any change of a value
    changes the text; a bad value fails on every request, as it would uncached."""
    global _parsed
    if _parsed is None or _parsed[0] != text:
        values = json.loads(text)
        _parsed = (text, Config.from_env(values.get))
    return _parsed[1]
