"""Parsers of the providers' settings."""

from __future__ import annotations

from urllib.parse import urlsplit


def base_url(text: str, env_name: str) -> str:
    """An http(s) URL without a trailing slash, query or fragment."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"var {env_name} must be an http(s) URL like https://api.example.com, got {text[:80]!r}"
        )
    return text.rstrip("/")


def positive_seconds(text: str, env_name: str) -> float:
    """A number of seconds > 0 (at most 60)."""
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"var {env_name} must be a number of seconds, got {text[:40]!r}") from None
    if not 0 < seconds <= 60:
        raise ValueError(f"var {env_name} must be more than 0 and at most 60 seconds, got {text[:40]!r}")
    return seconds


def optional_base_url(text: str, env_name: str) -> str:
    """`base_url`, or empty (not set)."""
    return base_url(text, env_name) if text else ""
