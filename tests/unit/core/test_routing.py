import pytest

from edgejobs.core.errors import MethodNotAllowed, NotFound
from edgejobs.core.routing import Route, Router


async def _handler(ctx: object, **params: str) -> None:  # pragma: no cover - never called
    return None


def router() -> Router:
    return Router(
        [
            Route("GET", "/api/things", _handler),
            Route("GET", "/api/things/{thing_id}", _handler),
            Route("DELETE", "/api/things/{thing_id}", _handler),
            Route("POST", "/api/things/{thing_id}/run", _handler),
        ]
    )


def test_path_parameters_are_extracted() -> None:
    route, params = router().match("GET", "/api/things/abc-1")
    assert route.template == "/api/things/{thing_id}"
    assert params == {"thing_id": "abc-1"}


def test_wrong_method_is_405_with_allow() -> None:
    with pytest.raises(MethodNotAllowed) as caught:
        router().match("PUT", "/api/things/x")
    assert caught.value.headers["allow"] == "DELETE, GET"


def test_no_match_is_404() -> None:
    for path in [
        "/api/thing",
        "/api/things/a/b",
        "/api/things/x/run/extra",
        "/",
        "/api/things/",
        "/api//run",
    ]:
        with pytest.raises(NotFound):
            router().match("GET", path)


def test_literal_parts_match_exactly() -> None:
    route = Route("GET", "/openapi.json", _handler)
    assert route.match("/openapi.json") == {}
    for path in ("/openapiXjson", "/openapi.json/", "/OPENAPI.json", "openapi.json"):
        assert route.match(path) is None
    assert Route("GET", "/a/{x}/b/{y}", _handler).match("/a/1/b/two") == {"x": "1", "y": "two"}


def test_a_literal_path_wins_over_a_template() -> None:
    """As OpenAPI matches them: `/things/claim` is its own path, not `/things/{thing_id}`, so
    another method on it is a 405 naming only its own methods."""
    routes = Router(
        [
            Route("GET", "/api/things/{thing_id}", _handler),
            Route("PATCH", "/api/things/{thing_id}", _handler),
            Route("POST", "/api/things/claim", _handler),
        ]
    )
    route, params = routes.match("POST", "/api/things/claim")
    assert (route.template, params) == ("/api/things/claim", {})
    for method in ("GET", "PATCH", "DELETE"):
        with pytest.raises(MethodNotAllowed) as caught:
            routes.match(method, "/api/things/claim")
        assert caught.value.headers["allow"] == "POST"
    assert routes.allowed_methods("/api/things/claim") == ["POST"]
    assert routes.match("PATCH", "/api/things/other")[1] == {"thing_id": "other"}
    assert routes.allowed_methods("/api/things/other") == ["GET", "PATCH"]


async def test_request_body_is_read_once_and_kept() -> None:
    from edgejobs.core.http import HttpRequest

    calls = []

    async def reader() -> bytes:
        calls.append(1)
        if len(calls) > 1:
            raise OSError("Body already used")  # what the runtime's stream does
        return b"{}"

    request = HttpRequest("POST", "http://x/api/y", {}, reader)
    assert await request.read_body() == b"{}"
    assert await request.read_body() == b"{}"
    assert len(calls) == 1


def test_public_routes_are_known_by_method_and_path() -> None:
    public = Router(
        [
            Route("POST", "/api/hooks/{token}", _handler, {"x-public": True}),
            Route("GET", "/api/hooks/{token}", _handler),
        ]
    )
    assert public.is_public("POST", "/api/hooks/abc")
    assert not public.is_public("GET", "/api/hooks/abc")  # the same path, another method
    assert not public.is_public("POST", "/api/hooks/abc/more")  # nothing matches
    assert not router().is_public("GET", "/api/things")
