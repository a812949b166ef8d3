"""Field validation shared by every resource (request bodies are parsed by `strict_json`).

Unknown fields are rejected, types are strict (`true` is not an integer), strings are
stripped and capped, and every message names the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from .errors import ValidationError

MAX_ECHO_CHARS = 64  # of a client's input quoted back in an error (a name, a value)
REQUIRED: Any = object()  # the "default" of a field that must be sent


def clip(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """`text` cut to `limit` characters (marked with …): error messages quote a client's input,
    never all of an unbounded one."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def expect_object(value: Any, what: str = "The request body") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(f"{what} must be a JSON object.")
    return value


def reject_unknown(body: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        name = clip(unknown[0])
        allowed_list = ", ".join(sorted(allowed)) or "none"
        raise ValidationError(f"Unknown field {name!r}; allowed fields: {allowed_list}.", field=name)


def check_query(keys: Iterable[str], allowed: Iterable[str]) -> None:
    """A query string names only declared parameters, each at most once (400 otherwise):
    a typo (`?stauts=`) or a repeat (`?limit=1&limit=500`) is refused, not silently ignored."""
    allowed = set(allowed)
    seen: set[str] = set()
    for key in keys:
        name = clip(key)
        if key not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            raise ValidationError(f"Unknown query parameter {name!r}; allowed: {listed}.", field=name)
        if key in seen:
            raise ValidationError(f"Query parameter {name!r} is given more than once.", field=name)
        seen.add(key)


def _absent(body: Mapping[str, Any], name: str, default: Any) -> bool:
    """True when the field is left out (absent, or null where it has a default); a 400 when it
    is required and left out."""
    if name in body and (body[name] is not None or default is REQUIRED):
        return False
    if default is REQUIRED:
        raise ValidationError(f"Field {name!r} is required.", field=name)
    return True


def get_int(
    body: Mapping[str, Any],
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    default: Any = REQUIRED,
) -> Any:
    if _absent(body, name, default):
        return default
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"Field {name!r} must be an integer.", field=name)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValidationError(
            f"Field {name!r} must be between {minimum} and {maximum}; got {clip(str(value))}.", field=name
        )
    return value


def get_str(
    body: Mapping[str, Any],
    name: str,
    *,
    max_length: int = 1024,
    pattern: re.Pattern[str] | None = None,
    choices: Iterable[str] | None = None,
    default: Any = REQUIRED,
) -> Any:
    if _absent(body, name, default):
        return default
    return check_str(body[name], name, max_length=max_length, pattern=pattern, choices=choices)


def check_str(
    value: Any,
    name: str,
    *,
    max_length: int = 1024,
    pattern: re.Pattern[str] | None = None,
    choices: Iterable[str] | None = None,
) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"Field {name!r} must be a string.", field=name)
    value = value.strip()
    if not value:
        raise ValidationError(f"Field {name!r} must not be empty.", field=name)
    if len(value) > max_length:
        raise ValidationError(f"Field {name!r} must be at most {max_length} characters.", field=name)
    if "\x00" in value:
        raise ValidationError(f"Field {name!r} must not contain NUL characters.", field=name)
    if not is_unicode(value):
        raise ValidationError(f"Field {name!r} must not contain unpaired surrogates.", field=name)
    if pattern is not None and not pattern.fullmatch(value):
        raise ValidationError(f"Field {name!r} has an invalid format.", field=name)
    if choices is not None:
        options = list(choices)
        if value not in options:
            raise ValidationError(
                f"Field {name!r} must be one of: {', '.join(options)}; got {value[:40]!r}.", field=name
            )
    return value


def is_unicode(text: str) -> bool:
    """False for text holding an unpaired surrogate (a legal JSON escape such as `"\\ud800"`,
    but not encodable as UTF-8, so neither storable as D1 text nor sendable back)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def path_param(raw: str, name: str) -> str:
    """A path segment as the router captured it (still percent-encoded), decoded; a 400
    naming it when the escapes are not UTF-8. Callers then check the decoded value."""
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise ValidationError(
            f"Path parameter {name!r} is not valid percent-encoded UTF-8.", field=name
        ) from None


def get_bool(body: Mapping[str, Any], name: str, *, default: Any = REQUIRED) -> Any:
    if _absent(body, name, default):
        return default
    value = body[name]
    if not isinstance(value, bool):
        raise ValidationError(f"Field {name!r} must be true or false.", field=name)
    return value


def query_int(query: Mapping[str, str], name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise ValidationError(f"Query parameter {name!r} must be a whole number.", field=name)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise ValidationError(
            f"Query parameter {name!r} must be between {minimum} and {maximum}; got {value}.",
            field=name,
        )
    return value
