"""What job runs and reports share: the type name (a report's type is its job's type), the
trigger source and the metadata object."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..core import codec
from ..core.errors import ValidationError

JOB_TYPE = re.compile(r"[a-z0-9_.-]{1,64}")
JOB_TYPE_RULE = "1–64 characters of a–z, 0–9, '_', '.' and '-'"
MAX_TRIGGER_CHARS = 64
MAX_METADATA_BYTES = 16 * 1024


def check_job_type(value: object, name: str = "job_type") -> str:
    if not isinstance(value, str) or not JOB_TYPE.fullmatch(value):
        raise ValidationError(f"{name!r} must be {JOB_TYPE_RULE}.", field=name)
    return value


def parse_metadata(body: Mapping[str, Any]) -> str | None:
    """`metadata`: a JSON object of at most 16 KiB, kept as compact JSON text (None if absent)."""
    value = body.get("metadata")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError("Field 'metadata' must be a JSON object.", field="metadata")
    text = codec.canonical_json(value)
    if len(text) > MAX_METADATA_BYTES:
        raise ValidationError(
            f"Field 'metadata' is {len(text):,} bytes as JSON; at most {MAX_METADATA_BYTES:,}.",
            field="metadata",
        )
    return text.decode()
