"""A small router: `/api/things/{id}` templates compiled once into regexes.

A path that matches with another method is a 405 carrying `Allow`; no match is a 404.
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", compile_template(self.template))


class Router:
    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self.routes: list[Route] = list(routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for `method path` and its path parameters, or 404/405."""
        allowed: set[str] = set()
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
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
        return sorted({r.method for r in self.routes if r.pattern.match(path)})
