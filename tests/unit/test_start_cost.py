"""What the Worker's start pays for in Pyodide, kept out of the sources.

Production imports the app at deploy into a memory snapshot, but `make dev`, the local runtime
and every test run import it cold, where some things cost far more than on CPython: creating a
dataclass runs its generated code through `exec` (~5 ms each, against ~1 ms for a NamedTuple and
nothing for a plain class), and `calendar` (not imported by the `workers` SDK) took 0.1-0.2 s.
`make bench` reports the app's import time; docs/performance.md has the figures."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
SLOW_MODULES = {"calendar", "dataclasses"}


def _slow_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [f"import {alias.name}" for alias in node.names if alias.name in SLOW_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module in SLOW_MODULES:
            found.append(f"from {node.module} import ...")
    return found


def test_the_sources_use_no_module_that_is_slow_to_start_in_pyodide() -> None:
    sources = sorted(SRC.rglob("*.py"))
    assert len(sources) > 100  # the walk finds the sources
    offenders = {str(p.relative_to(SRC)): found for p in sources if (found := _slow_imports(p))}
    assert offenders == {}
