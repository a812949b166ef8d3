"""Report snapshots: dates, content limits and versions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from edgejobs.core.errors import PayloadTooLarge, ValidationError
from edgejobs.reports.model import MAX_CONTENT_BYTES, NewReport, etag, parse_date, parse_put


def put(body: dict[str, Any]) -> NewReport:
    return asyncio.run(parse_put(body))


NOW = 1_764_532_800_000  # 2025-11-30T20:00:00.000Z


def test_report_content_is_any_json_but_null_up_to_a_mebibyte() -> None:
    assert put({"content": [1, "a"]}).content.canonical == b'[1,"a"]'
    assert put({"content": False}).content.canonical == b"false"
    with pytest.raises(ValidationError):
        put({"content": None})
    with pytest.raises(PayloadTooLarge):
        put({"content": "x" * MAX_CONTENT_BYTES})


def test_every_version_of_a_report_has_its_own_etag() -> None:
    tags = {etag({"id": i, "revision": r}) for i in (1, 2, 12) for r in (1, 2, 21)}
    assert len(tags) == 9 and all(t.startswith('"') and t.endswith('"') for t in tags)


def test_report_dates_refuse_latest_for_writes() -> None:
    assert parse_date("latest", latest_allowed=True) == "latest"
    with pytest.raises(ValidationError):
        parse_date("latest")
    assert parse_date("2025-11-30") == "2025-11-30"
