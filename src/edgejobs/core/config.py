"""Settings read from the Worker's env: `[vars]` in wrangler.toml and secrets.

Each capability declares its own settings (`Setting`: name, default, parser) in its
`Capability`; the core declares the ones every request needs. Wrangler vars arrive as
strings; each is parsed and bounds-checked here once, so a bad value fails loudly at the
first request instead of mid-transaction. The env var of a setting is its name upper-cased.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

EnvLookup = Callable[[str], object]

DAY = 86_400


def non_negative_int(text: str, env_name: str) -> int:
    """A whole number ≥ 0."""
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"var {env_name} must be an integer, got {text!r}") from None
    if number < 0:
        raise ValueError(f"var {env_name} must not be negative, got {number}")
    return number


def boolean(text: str, env_name: str) -> bool:
    """`true`/`false` (also 1/0, yes/no; any case)."""
    value = text.lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValueError(f"var {env_name} must be true or false, got {text[:40]!r}")


def origin_list(text: str, env_name: str) -> tuple[str, ...]:
    """Comma-separated origins, without trailing slashes."""
    return tuple(o.strip().rstrip("/") for o in text.split(",") if o.strip())


class Setting(NamedTuple):
    """One setting: `name` (lower-case; the env var is `name.upper()`), its default, and how
    its env text becomes a value (`parse(stripped_text, env_name)`; None: the raw text as it
    is, for secrets, whose whitespace is the user's)."""

    name: str
    default: object
    parse: Callable[[str, str], object] | None = non_negative_int


SETTINGS: dict[str, Setting] = {}
"""Every declared setting, by name (filled by `declare`, from the capabilities' declarations)."""


def declare(settings: Iterable[Setting]) -> None:
    """Make `settings` known (idempotent for the same declaration; a name declared twice with
    another default is a bug)."""
    for setting in settings:
        known = SETTINGS.get(setting.name)
        if known is not None and known != setting:
            raise ValueError(f"setting {setting.name!r} is declared twice, differently")
        SETTINGS[setting.name] = setting


class Config:
    """Read-only settings: each declared setting's value, or its default.
    `Config(name=value, …)` overrides some; an undeclared name is a TypeError."""

    __slots__ = ("_values",)

    def __init__(self, **overrides: Any) -> None:
        for name in overrides:
            if name not in SETTINGS:
                raise TypeError(f"Config has no setting {name!r}")
        object.__setattr__(self, "_values", overrides)

    def __getattr__(self, name: str) -> Any:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        setting = SETTINGS.get(name)
        if setting is None:
            raise AttributeError(f"Config has no setting {name!r}")
        return setting.default

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Config is read-only")

    @classmethod
    def from_env(cls, lookup: EnvLookup) -> Config:
        """Build from an env lookup (`NAME -> value | None`); absent names keep defaults."""
        values: dict[str, object] = {}
        for name, setting in SETTINGS.items():
            env_name = name.upper()
            raw = lookup(env_name)
            if raw is None:
                continue
            if setting.parse is None:
                values[name] = str(raw)
                continue
            text = str(raw).strip()
            if text:  # an empty var keeps the default
                values[name] = setting.parse(text, env_name)
        return cls(**values)


def env_names() -> tuple[str, ...]:
    """The env vars the settings are read from (the Worker reads only these from its env)."""
    return tuple(name.upper() for name in SETTINGS)


CORE_SETTINGS = (
    Setting("api_token", "", None),
    Setting("cursor_secret", "", None),
    Setting("cors_origins", (), origin_list),
    Setting("max_body_bytes", 10 * 1024 * 1024),
)
declare(CORE_SETTINGS)

_parsed: tuple[str, Config] | None = None  # the isolate's last settings text and its Config


def config_from_json(text: str) -> Config:
    """The settings from one JSON object of env name → raw value (the Worker's
    `JSON.stringify(env, env_names())`), parsed only when the text differs from the last one:
    reading and parsing them on every request cost ~0.15 ms in Pyodide. Any change of a value
    changes the text; a bad value fails on every request, as it would uncached."""
    global _parsed
    if _parsed is None or _parsed[0] != text:
        values: Mapping[str, object] = json.loads(text)
        _parsed = (text, Config.from_env(values.get))
    return _parsed[1]
