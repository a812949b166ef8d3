"""Fixtures of the export job tests (test_exports*.py)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.exports import Jobs


@pytest.fixture
def jobs(client: httpx.Client) -> Iterator[Jobs]:
    """Makes export jobs for one test; cancels those still pending or processing after it."""
    made = Jobs(client)
    yield made
    made.cleanup()


@pytest.fixture
def runner() -> Callable[[], str]:
    """A new runner id on each call."""
    return lambda: f"runner-{secrets.token_hex(4)}"
