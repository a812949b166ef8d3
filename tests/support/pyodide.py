"""Run a Python snippet in the real Pyodide (Node + npm `pyodide`) with src/ importable: how
tests exercise Pyodide-only modules (src/edgejobs/platform/) without the whole local runtime."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.support.runtime import NODE_BIN, ROOT, node_env

RUNNER = ROOT / "tests" / "support" / "pyodide_run.mjs"


def run_in_pyodide(code: str, timeout: float = 120) -> Any:
    """Run `code` (top-level await allowed) in a fresh Pyodide; its last expression must be a
    JSON text, returned decoded. A failing snippet fails with Pyodide's traceback."""
    done = subprocess.run(
        [str(NODE_BIN / "node"), str(RUNNER)],
        input=code,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=node_env(),
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"the snippet failed in Pyodide:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)
