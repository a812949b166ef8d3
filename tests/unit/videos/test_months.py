"""Months through the clock seam (`core.clock.now_ms`), in CPython over the fake D1: a burst of
creates straddling midnight at the month's end, the 429's reset time, and the month on the usage
row never going back. (The same over real D1, with the month planted on the row:
tests/http/test_videos_quota.py.)"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from edgejobs.core import clock
from edgejobs.videos.settings import video_models
from edgejobs.videos.usage import next_month_start, period_of
from tests.support.client import InProcessClient

NOV_END = int(datetime(2026, 11, 30, 23, 59, 59, 990_000, tzinfo=UTC).timestamp() * 1000)
DEC_START = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp() * 1000)


def test_periods_and_resets() -> None:
    assert period_of(NOV_END) == "2026-11" and period_of(DEC_START) == "2026-12"
    assert next_month_start(NOV_END) == DEC_START
    assert next_month_start(DEC_START) == int(datetime(2027, 1, 1, tzinfo=UTC).timestamp() * 1000)


def test_models_var_is_checked() -> None:
    models = video_models('{"m": {"cents_per_second": 3, "max_seconds": 9, "provider": "replicate"}}', "X")
    assert models["m"].provider == "replicate" and models["m"].cents_per_second == 3
    for bad in ("[]", "{}", '{"m": {"cents_per_second": true, "max_seconds": 1}}', '{"m": {"x": 1}}',
                '{"m": {"cents_per_second": 1, "max_seconds": 1, "provider": "other"}}'):  # fmt: skip
        with pytest.raises(ValueError):
            video_models(bad, "VIDEO_MODELS")


def test_a_burst_across_midnight(monkeypatch: pytest.MonkeyPatch) -> None:
    client = InProcessClient(vars={"API_TOKEN": "t", "QUOTA_VIDEOS_PER_MONTH": "10"})
    body = {"model": "sora-2", "prompt": "p", "user_id": "midnight"}
    instant = {"now": NOV_END}
    monkeypatch.setattr(clock, "now_ms", lambda: instant["now"])

    async def burst(count: int) -> list[int]:
        answers = await asyncio.gather(*(client.request("POST", "/api/videos", body) for _ in range(count)))
        return sorted(answer.status for answer in answers)

    assert asyncio.run(burst(15)) == [201] * 10 + [429] * 5
    refused = asyncio.run(client.request("POST", "/api/videos", body))
    details = json.loads(refused.body)["error"]["details"]
    assert details == {"used": 10, "limit": 10, "remaining": 0, "resets_at": "2026-12-01T00:00:00.000Z",
                       "cents_used": 500, "cents_limit": 0}  # fmt: skip
    assert refused.headers["retry-after"] == "1"
    instant["now"] = DEC_START
    assert asyncio.run(burst(15)) == [201] * 10 + [429] * 5
    instant["now"] = NOV_END  # a request that read the clock before midnight: counted in December
    assert asyncio.run(burst(1)) == [429]
    quota = json.loads(asyncio.run(client.get("/api/quotas/midnight")).body)
    assert (quota["period"], quota["videos_used"]) == ("2026-12", 10)  # the row is December's already
    instant["now"] = DEC_START + 1
    quota = json.loads(asyncio.run(client.get("/api/quotas/midnight")).body)
    assert (quota["period"], quota["videos_used"]) == ("2026-12", 10)
