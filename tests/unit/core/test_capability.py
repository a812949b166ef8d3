"""The registry of capabilities: what they add up to, and the clashes it refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from edgejobs.core import config
from edgejobs.core.capability import Capability, Registry
from edgejobs.core.chunks import Budget, CronTask, TaskOutcome
from edgejobs.core.config import SETTINGS, Config, Setting
from edgejobs.core.db import Database
from edgejobs.core.routing import Route


async def handler(ctx: object, **params: str) -> None:  # pragma: no cover - never called
    return None


async def task(db: Database, config: Config, now: int, budget: Budget) -> TaskOutcome:  # pragma: no cover
    return TaskOutcome()


def route(method: str, template: str) -> Route:
    return Route(method, template, handler, {"summary": template})


def test_routes_schemas_and_tasks_add_up_in_the_listed_order() -> None:
    one = Capability("one", routes=[route("GET", "/one")], schemas={"One": {"type": "object"}})
    two = Capability("two", routes=[route("GET", "/two"), route("POST", "/two")], schemas={"Two": {}})
    registry = Registry([one, two])
    assert [(r.method, r.template) for r in registry.routes] == [
        ("GET", "/one"),
        ("GET", "/two"),
        ("POST", "/two"),
    ]
    assert list(registry.schemas) == ["One", "Two"]
    assert registry.capabilities == (one, two)


def test_repairs_run_before_the_other_tasks() -> None:
    first = Capability("first", tasks=[CronTask("cleanup_a", task), CronTask("repair_a", task, repairs=True)])
    second = Capability(
        "second", tasks=[CronTask("cleanup_b", task), CronTask("repair_b", task, repairs=True)]
    )
    names = [t.name for t in Registry([first, second]).tasks]
    assert names == ["repair_a", "repair_b", "cleanup_a", "cleanup_b"]


def test_a_route_taken_twice_is_refused() -> None:
    one = Capability("one", routes=[route("GET", "/things/{id}")])
    two = Capability("two", routes=[route("GET", "/things/{id}")])
    with pytest.raises(ValueError, match=re.escape("two: route GET /things/{id} is taken")):
        Registry([one, two])
    Registry([one, Capability("three", routes=[route("DELETE", "/things/{id}")])])  # another method


def test_a_schema_name_declared_twice_differently_is_refused() -> None:
    schema: dict[str, Any] = {"type": "object"}
    Registry([Capability("one", schemas={"Thing": schema}), Capability("two", schemas={"Thing": schema})])
    with pytest.raises(ValueError, match="two: schema 'Thing' is declared twice"):
        Registry([Capability("one", schemas={"Thing": schema}), Capability("two", schemas={"Thing": {}})])


def test_a_task_name_used_twice_is_refused() -> None:
    one = Capability("one", tasks=[CronTask("expire", task)])
    two = Capability("two", tasks=[CronTask("expire", task, repairs=True)])
    with pytest.raises(ValueError, match="unique"):
        Registry([one, two])


def test_declaring_a_capability_declares_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "SETTINGS", dict(SETTINGS))  # this test's declaration stays here
    setting = Setting("capability_test_widgets", 7)
    assert "capability_test_widgets" not in config.SETTINGS
    Capability("widgets", settings=[setting])  # no registry needed
    assert config.SETTINGS["capability_test_widgets"] == setting
    assert Config().capability_test_widgets == 7
    assert Config.from_env({"CAPABILITY_TEST_WIDGETS": "9"}.get).capability_test_widgets == 9
