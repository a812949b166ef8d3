"""The key that signs list cursors: CURSOR_SECRET when set, else derived from the service
token; with CURSOR_SECRET, rotating API_TOKEN leaves every cursor valid."""

from __future__ import annotations

import pytest

from edgejobs.core.config import Config
from edgejobs.core.context import cursor_key
from edgejobs.core.errors import ValidationError
from edgejobs.core.pagination import decode_cursor, encode_cursor
from tests.support.client import InProcessClient


def test_cursor_secret_is_the_key_when_set() -> None:
    assert cursor_key(Config(api_token="a", cursor_secret="s")) == "s"
    assert cursor_key(Config(api_token="b", cursor_secret="s")) == "s"


def test_without_it_the_key_is_derived_from_the_token_and_is_not_the_token() -> None:
    derived = cursor_key(Config(api_token="a"))
    assert derived == cursor_key(Config(api_token="a"))
    assert derived not in ("a", "") and len(derived) == 64
    assert cursor_key(Config(api_token="b")) != derived


def test_a_cursor_signed_under_one_key_is_refused_under_another() -> None:
    cursor = encode_cursor("veo", [1, "a"], cursor_key(Config(api_token="a")))
    assert decode_cursor(cursor, "veo", cursor_key(Config(api_token="a", cursor_secret="")), (int, str))
    with pytest.raises(ValidationError):
        decode_cursor(cursor, "veo", cursor_key(Config(api_token="b")), (int, str))


async def page_two_after_rotating_the_token(vars: dict[str, str]) -> int:
    """Status of the second page of a list, asked for after API_TOKEN changed."""
    client = InProcessClient(vars=vars)
    for n in range(3):
        response = await client.request("PUT", f"/api/veo/jobs/job-{n}", {"status": "completed"})
        assert response.status == 201, response.body
    first = await client.get("/api/veo/jobs", params={"limit": "2"})
    cursor = client.json(first)["next_cursor"]
    assert first.status == 200 and cursor
    client.vars["API_TOKEN"] = "rotated-token"
    return (await client.get("/api/veo/jobs", params={"limit": "2", "cursor": cursor})).status


async def test_with_cursor_secret_a_cursor_outlives_a_token_rotation() -> None:
    assert await page_two_after_rotating_the_token({"API_TOKEN": "old-token", "CURSOR_SECRET": "cs"}) == 200


async def test_without_cursor_secret_a_token_rotation_invalidates_cursors() -> None:
    assert await page_two_after_rotating_the_token({"API_TOKEN": "old-token"}) == 400
