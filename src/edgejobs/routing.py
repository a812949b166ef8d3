"""A small router: `/api/things/{id}` templates compiled once into regexes.

A path that matches with another method is a 405 carrying `Allow`; no match is a 404.
As in OpenAPI, a concrete path wins over a templated one: `/jobs/claim` is its own path
(its methods alone count for it), not `/jobs/{id}` with the id `claim`.
Each route also carries its OpenAPI operation, so `/openapi.json` describes exactly
the routes that are served.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import MethodNotAllowed, NotFound

if TYPE_CHECKING:
    from .http import HttpResponse

Handler = Callable[..., Awaitable["HttpResponse"]]
"""`async def handler(ctx: RequestContext, **path_params) -> HttpResponse`."""

_PARAM = re.compile(r"\{([a-z_]+)\}")


def compile_template(template: str) -> re.Pattern[str]:
    """`/a/{id}/b` → `^/a/(?P<id>[^/]+)/b$` (literal parts escaped)."""
    parts = _PARAM.split(template)  # literal, name, literal, name, ...
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    operation: dict[str, Any] = field(default_factory=dict, compare=False)
    pattern: re.Pattern[str] = field(init=False, compare=False)
    # From the operation, so the app enforces what /openapi.json says: the query parameters
    # it declares (any other is a 400) and whether it takes a body (else a body is a 400).
    query_names: frozenset[str] = field(init=False, compare=False)
    takes_body: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", compile_template(self.template))
        declared = self.operation.get("parameters", [])
        object.__setattr__(self, "query_names", frozenset(p["name"] for p in declared if p["in"] == "query"))
        object.__setattr__(self, "takes_body", "requestBody" in self.operation)


class Router:
    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self.routes: list[Route] = list(routes)

    def _candidates(self, path: str) -> list[tuple[Route, re.Match[str]]]:
        """The routes whose template matches `path`, keeping only the most concrete ones
        (fewest path parameters)."""
        found = [(route, m) for route in self.routes if (m := route.pattern.match(path)) is not None]
        if not found:
            return []
        fewest = min(len(route.pattern.groupindex) for route, _ in found)
        return [(route, m) for route, m in found if len(route.pattern.groupindex) == fewest]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for `method path` and its path parameters, or 404/405."""
        allowed: set[str] = set()
        for route, found in self._candidates(path):
            if route.method == method:
                return route, found.groupdict()
            allowed.add(route.method)
        if allowed:
            allow = ", ".join(sorted(allowed))
            raise MethodNotAllowed(
                f"{method} is not allowed here; allowed: {allow}.", headers={"allow": allow}
            )
        raise NotFound(f"No route matches {path}.")

    def allowed_methods(self, path: str) -> list[str]:
        return sorted({route.method for route, _ in self._candidates(path)})
