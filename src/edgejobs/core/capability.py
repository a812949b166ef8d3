"""A capability declares everything it adds to the service in one place, and `main.py`
lists the capabilities: nothing else central changes when one is added.

    CAPABILITY = Capability(
        "export_jobs",
        routes=ROUTES,            # its routes, each with its OpenAPI operation
        schemas=SCHEMAS,          # the OpenAPI component schemas its operations name
        tasks=(CronTask(...),),   # what it does on each cron run (chunk budget in chunks.py)
        settings=(Setting(...),), # its vars and secrets, with defaults
        after_write=hook,         # optional: work to do after any request that wrote rows
    )
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .chunks import CronTask
from .config import Setting, declare
from .routing import Route

if TYPE_CHECKING:
    from .context import RequestContext

AfterWrite = Callable[["RequestContext"], Awaitable[Coroutine[Any, Any, None] | None]]
"""`await hook(ctx)` after a request that wrote rows answered (status < 400): quick checks in
the request, and a coroutine to run after the response (`waitUntil`), or None."""


class Capability:
    """Declaring a capability declares its settings: `Config` knows them as soon as the
    capability's package is imported, with or without a registry. (A plain class, not a
    dataclass: creating a dataclass costs ~5 ms of the Worker's start in Pyodide.)"""

    __slots__ = ("after_write", "name", "routes", "schemas", "settings", "tasks")

    def __init__(
        self,
        name: str,
        routes: Sequence[Route] = (),
        schemas: Mapping[str, Any] | None = None,
        tasks: Sequence[CronTask] = (),
        settings: Sequence[Setting] = (),
        after_write: AfterWrite | None = None,
    ) -> None:
        self.name = name
        self.routes = routes
        self.schemas: Mapping[str, Any] = schemas or {}
        self.tasks = tasks
        self.settings = settings
        self.after_write = after_write
        declare(settings)


class Registry:
    """What the capabilities add up to: every route, schema and cron task (repairs of live work
    first, then the rest, each in the order the capabilities are listed)."""

    __slots__ = ("capabilities", "routes", "schemas", "tasks")

    def __init__(self, capabilities: Iterable[Capability]) -> None:
        self.capabilities = tuple(capabilities)
        self.routes: list[Route] = []
        self.schemas: dict[str, Any] = {}
        tasks: list[CronTask] = []
        seen_routes: set[tuple[str, str]] = set()
        for capability in self.capabilities:
            for route in capability.routes:
                key = (route.method, route.template)
                if key in seen_routes:
                    raise ValueError(f"{capability.name}: route {route.method} {route.template} is taken")
                seen_routes.add(key)
                self.routes.append(route)
            for name, schema in capability.schemas.items():
                if self.schemas.get(name, schema) is not schema:
                    raise ValueError(f"{capability.name}: schema {name!r} is declared twice")
                self.schemas[name] = schema
            tasks += capability.tasks
        names = [task.name for task in tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"cron task names must be unique: {names}")
        self.tasks = [t for t in tasks if t.repairs] + [t for t in tasks if not t.repairs]
