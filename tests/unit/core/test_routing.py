import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _scan(routes: list[Route], method: str, path: str) -> tuple[str, object]:
    """What a router answers, found by trying every route in order: the reference."""
    found = [(route, m) for route in routes if (m := route.match(path)) is not None]
    fewest = min((len(route.param_names) for route, _ in found), default=0)
    found = [(route, m) for route, m in found if len(route.param_names) == fewest]
    for route, params in found:
        if route.method == method:
            return ("route", (route.template, route.method, params))
    return ("405", sorted({route.method for route, _ in found})) if found else ("404", None)


def _answer(router: Router, method: str, path: str) -> tuple[str, object]:
    try:
        route, params = router.match(method, path)
    except MethodNotAllowed as exc:
        return ("405", exc.headers["allow"].split(", "))
    except NotFound:
        return ("404", None)
    return ("route", (route.template, route.method, params))


_EXTRA = [  # templates with a parameter early in the path, which the app has none of
    Route("GET", "/{anything}", _handler),
    Route("GET", "/api/{kind}/{id}", _handler),
    Route("POST", "/api/{kind}/{id}/{action}", _handler),
    Route("DELETE", "/api/videos/{id}/{action}", _handler),
]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_router_answers_as_trying_every_route_would(data: st.DataObject) -> None:
    """The router looks only at the routes a path's length and leading segments allow; for
    every path (the app's own templates filled in, mangled, or made up) it answers as the
    reference that tries every route in order."""
    from edgejobs.main import REGISTRY

    routes = list(REGISTRY.routes)
    for extra in data.draw(st.lists(st.sampled_from(_EXTRA), unique=True)):  # anywhere in the list
        routes.insert(data.draw(st.integers(0, len(routes))), extra)
    segment = st.sampled_from(["api", "videos", "export-jobs", "claim", "events", "x", "", "nothing"])
    template = data.draw(st.sampled_from([r.template for r in routes]))
    # A template with its parameters filled in and, now and then, a literal segment changed.
    parts = [data.draw(st.sampled_from(["abc", "", "claim", "me", "nothing"] if p.startswith("{")
                                       else [p, p, p, "nothing"]))
             for p in template.split("/")]  # fmt: skip
    if data.draw(st.booleans()):
        parts = data.draw(st.lists(segment, min_size=1, max_size=6))
    path = "/".join(parts)
    method = data.draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    router = Router(routes)
    assert _answer(router, method, path) == _scan(routes, method, path)
    assert router.is_public(method, path) == any(
        route.public and route.method == method for route in routes if route.match(path) is not None
        and len(route.param_names) == min(len(r.param_names) for r in routes if r.match(path) is not None)
    )  # fmt: skip


def test_a_template_with_an_early_parameter_is_tried_wherever_it_stands() -> None:
    from edgejobs.main import REGISTRY

    for extra, method, paths in (
        (_EXTRA[2], "POST", ["/api/videos/abc/nothing", "/api/nothing/abc/run", "/api/videos/abc/cancel"]),
        (_EXTRA[0], "GET", ["/nothing", "/health", "/openapi.json"]),
    ):
        for position in (0, len(REGISTRY.routes) // 2, len(REGISTRY.routes)):
            routes = list(REGISTRY.routes)
            routes.insert(position, extra)
            for path in paths:
                assert _answer(Router(routes), method, path) == _scan(routes, method, path), (position, path)
    assert _answer(Router([*REGISTRY.routes, _EXTRA[2]]), "POST", "/api/videos/abc/nothing")[0] == "route"


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
