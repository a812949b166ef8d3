"""A small router: `/api/things/{id}` templates matched segment by segment (a parameter is
one non-empty segment).

A path that matches with another method is a 405 carrying `Allow`; no match is a 404.
As in OpenAPI, a concrete path wins over a templated one: `/jobs/claim` is its own path
(its methods alone count for it), not `/jobs/{id}` with the id `claim`.
Each route also carries its OpenAPI operation, so `/openapi.json` describes exactly
the routes that are served.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from .errors import MethodNotAllowed, NotFound

if TYPE_CHECKING:
    from .http import HttpResponse

Handler = Callable[..., Awaitable["HttpResponse"]]
"""`async def handler(ctx: RequestContext, **path_params) -> HttpResponse`."""


class Route:
    """`method template` served by `handler`, with its OpenAPI operation (which also says what
    the route takes and who may call it)."""

    __slots__ = (
        "handler",
        "method",
        "operation",
        "param_names",
        "public",
        "query_names",
        "segments",
        "takes_body",
        "template",
        "users",
    )

    def __init__(
        self, method: str, template: str, handler: Handler, operation: dict[str, Any] | None = None
    ) -> None:
        self.method = method
        self.template = template
        self.handler = handler
        self.operation: dict[str, Any] = operation or {}
        # `/a/{id}/b` → ("", "a", None, "b"): None where a path parameter goes.
        parts = template.split("/")
        self.segments = tuple(None if s.startswith("{") else s for s in parts)
        self.param_names = tuple(s[1:-1] for s in parts if s.startswith("{"))
        # From the operation, so the app enforces what /openapi.json says: the query parameters
        # it declares (any other is a 400) and whether it takes a body (else a body is a 400).
        declared = self.operation.get("parameters", [])
        self.query_names = frozenset(p["name"] for p in declared if p["in"] == "query")
        self.takes_body = "requestBody" in self.operation
        # `x-user-tokens: true`: a user token may call it too (else only the service token).
        self.users = bool(self.operation.get("x-user-tokens"))
        # `x-public: true`: an `/api/` route that checks its callers itself (a provider's signed
        # webhook), so no bearer token is asked for.
        self.public = bool(self.operation.get("x-public"))

    def __repr__(self) -> str:
        return f"Route({self.method} {self.template})"

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if `path` fits the template, else None."""
        return self.match_parts(path.split("/"))

    def match_parts(self, parts: list[str]) -> dict[str, str] | None:
        """`match` of a path already split at its slashes."""
        if len(parts) != len(self.segments):
            return None
        values = []
        for expected, part in zip(self.segments, parts, strict=True):
            if expected is None:
                if not part:
                    return None
                values.append(part)
            elif part != expected:
                return None
        return dict(zip(self.param_names, values, strict=True))


_KEYED = 3  # segments a route is filed under: "", "api" and the resource ("/api/videos/…")


class Router:
    """Routes filed by their number of segments and their first `_KEYED` ones, so a request
    looks at the few routes that could fit its path, however many the app serves. A template
    with a parameter among those first segments is tried for every path, in its place."""

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self.routes: list[Route] = list(routes)
        self._anywhere: list[Route] = []
        self._filed: dict[tuple[Any, ...], list[Route]] = {}
        for route in self.routes:  # in order: each list keeps the routes' order
            if None in route.segments[:_KEYED]:
                self._anywhere.append(route)
                for filed in self._filed.values():
                    filed.append(route)
            else:
                key = (len(route.segments), *route.segments[:_KEYED])
                self._filed.setdefault(key, list(self._anywhere)).append(route)

    def _candidates(self, path: str) -> list[tuple[Route, dict[str, str]]]:
        """The routes whose template matches `path`, keeping only the most concrete ones
        (fewest path parameters)."""
        parts = path.split("/")
        routes = self._filed.get((len(parts), *parts[:_KEYED]), self._anywhere)
        found = [(route, m) for route in routes if (m := route.match_parts(parts)) is not None]
        if not found:
            return []
        fewest = min(len(route.param_names) for route, _ in found)
        return [(route, m) for route, m in found if len(route.param_names) == fewest]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for `method path` and its path parameters, or 404/405."""
        allowed: set[str] = set()
        for route, found in self._candidates(path):
            if route.method == method:
                return route, found
            allowed.add(route.method)
        if allowed:
            allow = ", ".join(sorted(allowed))
            raise MethodNotAllowed(
                f"{method} is not allowed here; allowed: {allow}.", headers={"allow": allow}
            )
        raise NotFound(f"No route matches {path}.")

    def is_public(self, method: str, path: str) -> bool:
        """Whether `method path` is a public route (False when nothing matches it)."""
        return any(route.public and route.method == method for route, _ in self._candidates(path))

    def allowed_methods(self, path: str) -> list[str]:
        return sorted({route.method for route, _ in self._candidates(path)})
