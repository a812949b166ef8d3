"""Who is asking: the service principal from the bearer token; a locked API without a token."""

from __future__ import annotations

import pytest

from edgejobs.core.auth import SERVICE_PRINCIPAL, authenticate, bearer_token
from edgejobs.core.config import Config
from edgejobs.core.errors import Unauthorized
from edgejobs.core.http import HttpRequest


def request(authorization: str | None) -> HttpRequest:
    headers = {} if authorization is None else {"authorization": authorization}
    return HttpRequest("GET", "http://edge.test/api/veo/jobs", headers)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER  abc ", "abc"),
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic abc", None),
        ("abc", None),
        (None, None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(request(header)) == token


async def test_the_service_token_gives_the_service_principal() -> None:
    principal = await authenticate(request("Bearer s3cret"), Config(api_token="s3cret"))
    assert principal == SERVICE_PRINCIPAL and principal.is_service and principal.sub is None


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer wrong", "Bearer s3cret2", "Bearer s3cre", "Basic s3cret"]
)
async def test_anything_else_is_401(header: str | None) -> None:
    with pytest.raises(Unauthorized) as caught:
        await authenticate(request(header), Config(api_token="s3cret"))
    assert "s3cret" not in caught.value.message


async def test_without_an_api_token_the_api_is_locked_and_says_how_to_open_it() -> None:
    for header in ("Bearer ", "Bearer anything", None):
        with pytest.raises(Unauthorized, match="API_TOKEN"):
            await authenticate(request(header), Config(api_token=""))
