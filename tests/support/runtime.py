"""Start and stop the local runtime (tools/runtime/server.mjs) for tests and benchmarks.

Each `LocalRuntime` gets its own fresh D1 (a temporary persist directory with the
migrations applied by wrangler, exactly as `make dev` does) and a free port.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = ROOT / "migrations"
NODE_BIN = ROOT / "node_modules" / ".bin"
READY_MARKER = "EDGEJOBS_READY "
TEST_TOKEN = "test-token"
TEST_JWT_SECRET = "test-jwt-secret-of-at-least-32-bytes"  # the session runtime's JWT_SECRET


def node_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("CI", "true")  # wrangler: never prompt
    env["WRANGLER_SEND_METRICS"] = "false"
    return env


def node_tool(name: str, *args: str, timeout: float, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `node_modules/.bin/<name>` (node, wrangler) in the project root; output captured."""
    return subprocess.run(
        [str(NODE_BIN / name), *args],
        cwd=ROOT,
        env=node_env(),
        check=check,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def apply_migrations(persist_to: Path) -> None:
    node_tool(
        "wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(persist_to),
        timeout=180, check=True,
    )  # fmt: skip


@dataclass
class LocalRuntime:
    """A running local runtime; `.url`, `.ready` (timings), captured `.output` lines."""

    vars: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    persist_to: Path | None = None
    url: str = ""
    ready: dict[str, Any] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    _proc: subprocess.Popen[str] | None = None
    _tmp: str | None = None
    _control: httpx.Client | None = None  # reused: a new httpx client costs ~25 ms (TLS setup)

    def start(self, timeout: float = 120) -> LocalRuntime:
        if self.persist_to is None:
            self._tmp = tempfile.mkdtemp(prefix="edgejobs-d1-")
            self.persist_to = Path(self._tmp)
            apply_migrations(self.persist_to)
        args = [
            str(NODE_BIN / "node"),
            str(ROOT / "tools" / "runtime" / "server.mjs"),
            "--port",
            "0",
            "--persist-to",
            str(self.persist_to),
            "--no-env-file",
            "--no-cron",
            "--test-endpoints",
            *self.extra_args,
        ]
        for name, value in self.vars.items():
            args += ["--var", f"{name}={value}"]
        self._proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=node_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        deadline = time.monotonic() + timeout
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self.output.append(line.rstrip("\n"))
            if line.startswith(READY_MARKER):
                self.ready = json.loads(line[len(READY_MARKER) :])
                self.url = self.ready["url"]
                break
            if time.monotonic() > deadline:
                break
        if not self.url:
            self.stop()
            raise RuntimeError("local runtime did not start:\n" + "\n".join(self.output[-60:]))
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self.output.append(line.rstrip("\n"))

    def logs_since(self, mark: int, until: str | None = None, timeout: float = 10) -> list[str]:
        """Output lines after `mark`; with `until`, first wait (log lines arrive through a
        pipe) until a line containing it has arrived or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while until and time.monotonic() < deadline and not any(until in line for line in self.output[mark:]):
            time.sleep(0.05)
        return self.output[mark:]

    def stop(self) -> int | None:
        code = None
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                code = self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                code = self._proc.wait()
            self._proc = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        return code

    # --- test-only control endpoints (runtime started with --test-endpoints) -----------
    def sql(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Run SQL straight on the runtime's D1 (to plant or inspect rows)."""
        answer = self.control().post(
            f"{self.url}/__runtime/sql", json={"sql": sql, "params": list(params)}, timeout=60
        )
        answer.raise_for_status()
        body = answer.json()
        return body.get("results", body) if isinstance(body, dict) else body

    def set_d1_faults(self, **setting: Any) -> dict[str, Any]:
        """Sets the fault injection (`{}` clears it) and restarts its call counter."""
        answer = self.control().post(f"{self.url}/__runtime/d1-faults", json=setting, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def d1_faults(self) -> dict[str, Any]:
        """The fault setting and how many of the app's D1 calls it has counted and failed."""
        answer = self.control().get(f"{self.url}/__runtime/d1-faults", timeout=30)
        answer.raise_for_status()
        return answer.json()

    def control(self) -> httpx.Client:
        """One client for the control endpoints (thread-safe, keeps its connections)."""
        if self._control is None:
            self._control = httpx.Client()
        return self._control


@contextmanager
def local_runtime(**kwargs: Any) -> Iterator[LocalRuntime]:
    runtime = LocalRuntime(**kwargs).start()
    try:
        yield runtime
    finally:
        runtime.stop()
