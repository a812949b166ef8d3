"""The README's signature-verification snippets, run as written against the Standard Webhooks
test vector: the Python one here, the JavaScript one in Node (Web Crypto)."""

from __future__ import annotations

import json
import re
import subprocess

from tests.support.runtime import NODE_BIN, ROOT
from tests.support.webhooks import (
    VECTOR_BODY,
    VECTOR_ID,
    VECTOR_SECRET,
    VECTOR_SIGNATURE,
    VECTOR_TIMESTAMP,
)

README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Webhooks") :]
HEADERS = {"webhook-id": VECTOR_ID, "webhook-timestamp": str(VECTOR_TIMESTAMP)}


def _block(language: str) -> str:
    found = re.search(rf"```{language}\n(.*?)```", SECTION, re.DOTALL)
    assert found, f"no {language} block in the README's Webhooks section"
    return found.group(1)


def test_the_python_snippet() -> None:
    namespace: dict[str, object] = {}
    exec(_block("python"), namespace)  # the README's own code
    verify = namespace["verify_webhook"]
    signed = {**HEADERS, "webhook-signature": f"v1,bm9wZQ== {VECTOR_SIGNATURE}"}
    assert verify(VECTOR_SECRET, signed, VECTOR_BODY, now=VECTOR_TIMESTAMP + 10)  # type: ignore[operator]
    assert not verify(VECTOR_SECRET, signed, VECTOR_BODY + b" ", now=VECTOR_TIMESTAMP)  # type: ignore[operator]
    assert not verify(VECTOR_SECRET, signed, VECTOR_BODY, now=VECTOR_TIMESTAMP + 301)  # type: ignore[operator]


def test_the_javascript_snippet() -> None:
    checks = [
        (VECTOR_SIGNATURE, VECTOR_BODY.decode(), VECTOR_TIMESTAMP, True),
        (f"v1,bm9wZQ== {VECTOR_SIGNATURE}", VECTOR_BODY.decode(), VECTOR_TIMESTAMP + 10, True),
        (VECTOR_SIGNATURE, VECTOR_BODY.decode() + " ", VECTOR_TIMESTAMP, False),
        (VECTOR_SIGNATURE, VECTOR_BODY.decode(), VECTOR_TIMESTAMP + 301, False),
    ]
    script = (
        _block("js")
        + f"""
const checks = {json.dumps(checks)};
const results = [];
for (const [signature, body, now, _] of checks) {{
  const headers = new Headers({{...{json.dumps(HEADERS)}, "webhook-signature": signature}});
  results.push(await verifyWebhook({json.dumps(VECTOR_SECRET)}, headers, body, now));
}}
console.log(JSON.stringify(results));
"""
    )
    done = subprocess.run(
        [str(NODE_BIN / "node"), "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [expected for *_, expected in checks]
