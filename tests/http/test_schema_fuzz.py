"""Schema fuzzing: schemathesis against the served `/openapi.json`, every operation, with auth.

Runs schemathesis's own runner (the `schemathesis run` CLI, pinned in uv.lock) against a local
runtime of its own: a fresh D1 that the fuzzer may fill with junk, wipe with `DELETE
/api/veo/jobs?confirm=all` and fill with pending export jobs without disturbing the other tests,
which share the session's runtime. All four phases run (examples, coverage — boundary and
invalid values derived from the document —, fuzzing, stateful — chains of calls through the
links between operations: the document's own, e.g. create → claim → heartbeat → complete, and
inferred ones), in positive and negative mode.

Checks, and why:
- `not_a_server_error`: no 5xx, whatever is sent.
- `status_code_conformance`, `content_type_conformance`, `response_schema_conformance`,
  `response_headers_conformance`: every response is documented: its status, its content type,
  its body's schema, its headers' schemas.
- `negative_data_rejection`: a request the document says is invalid is refused with a 4xx (the
  the API's strict validation: the document's constraints are the ones enforced).
- `unsupported_method`, `allow_header_conformance`: a method the document does not list on a
  path is a 405 whose `Allow` names exactly the documented ones.
- `missing_required_header`, `ignored_auth`: the bearer token is enforced on every operation that
  declares it (without it, or with a wrong one: 401).
- `use_after_free`, `ensure_resource_availability` (stateful): a deleted job is gone, a created
  one is there.
Not run: `positive_data_acceptance` (a schema-valid request is accepted), because some rules
cannot be written in JSON Schema and are refused by design with a documented 4xx: a signed
`cursor`, a body `jobId` that must equal the path's id, `If-Match` with `If-None-Match`,
`8.0` where an integer is wanted (JSON Schema counts it as one, the API's strict types do not),
state-dependent answers such as 412. `object_level_authorization` is not run: users'
isolation has its own tests (tests/http/test_identity.py, tests/unit/test_veo_ownership.py).

It runs twice: with the service token on every operation, and with a user token (a JWT) on
the operations a user token may call plus `POST /api/tokens` (a documented 403 for it).

`make test` runs a modest budget with a fixed seed; `make fuzz` sets EDGEJOBS_FUZZ_EXAMPLES (and
a random seed) for a long run. Against EDGEJOBS_BASE_URL it is skipped unless
EDGEJOBS_FUZZ_REMOTE=1, since it deletes data.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edgejobs.main import REGISTRY
from tests.support.runtime import ROOT, TEST_JWT_SECRET, LocalRuntime, local_runtime
from tests.support.settings import ALLOWED_ORIGIN, BASE_URL, TOKEN
from tests.support.tokens import mint

EXAMPLES = int(os.environ.get("EDGEJOBS_FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("EDGEJOBS_FUZZ_SEED", "20261122")  # "random": schemathesis picks (and prints) one
# One worker: with several, schemathesis's threads call ast.parse concurrently (hypothesis
# describing filter lambdas), which CPython 3.11 does not survive ("AST constructor recursion
# depth mismatch", a spurious Runtime Error in the report).
CONFIG = Path(__file__).with_name("schemathesis.toml")  # the rejection statuses (413 among them)
WORKERS = os.environ.get("EDGEJOBS_FUZZ_WORKERS", "1")
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "allow_header_conformance",
    "missing_required_header",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
]


@pytest.fixture(scope="module")
def target(runtime: LocalRuntime | None) -> Iterator[tuple[str, str, LocalRuntime | None]]:
    """(base URL, token, the runtime when local) of the Worker to fuzz."""
    if runtime is None:
        if os.environ.get("EDGEJOBS_FUZZ_REMOTE") != "1":
            pytest.skip("fuzzing deletes data; set EDGEJOBS_FUZZ_REMOTE=1 to fuzz EDGEJOBS_BASE_URL")
        yield BASE_URL, TOKEN, None
        return
    token = f"fuzz-{secrets.token_urlsafe(24)}"  # distinctive, to look for in the logs afterwards
    vars = {"API_TOKEN": token, "CORS_ORIGINS": ALLOWED_ORIGIN, "JWT_SECRET": TEST_JWT_SECRET}
    with local_runtime(vars=vars) as fuzzed:
        yield fuzzed.url, token, fuzzed


# The operations a user token may call, and POST /api/tokens (403 for one): a path regex.
USER_PATHS = (
    "^(" + "|".join(sorted({re.escape(r.template) for r in REGISTRY.routes if r.users})) + "|/api/tokens)$"
)


@pytest.mark.parametrize("identity", ["service", "user"])
def test_every_operation_conforms_to_the_document(
    target: tuple[str, str, LocalRuntime | None], tmp_path: Path, identity: str
) -> None:
    url, token, fuzzed = target
    only: list[str] = []
    if identity == "user":
        if fuzzed is None:
            pytest.skip("a user token is minted with the local runtime's JWT_SECRET")
        claims = {"sub": "fuzz-user", "exp": int(time.time()) + 7200}
        token = mint("HS256", TEST_JWT_SECRET.encode(), claims)
        only = ["--include-path-regex", USER_PATHS]
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", f"{url}/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--mode", "all",
        "--max-examples", str(EXAMPLES),
        "--workers", WORKERS,
        "--request-timeout", "60",
        "--suppress-health-check", "too_slow",
        "--generation-database", "none",
        "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path),
        *only,
    ]  # fmt: skip
    if SEED != "random":
        command += ["--seed", SEED]
    started = time.monotonic()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600, check=False)
    output = run.stdout + run.stderr
    summary = "\n".join(line for line in output.splitlines() if line.strip())[-1500:]
    print(f"\nschemathesis ({EXAMPLES} examples, {time.monotonic() - started:.0f} s):\n{summary}")
    assert run.returncode == 0, output[-30_000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested and selected[1] == tested[1], summary
    expected = (
        sum(1 for r in REGISTRY.routes if re.match(USER_PATHS, r.template)) if only else int(selected[2])
    )
    assert int(selected[1]) == expected, summary  # every operation (of this identity)
    if fuzzed is not None:
        assert not [line for line in fuzzed.output if token in line], "the token reached the logs"
