"""The Worker's side of the JS boundary (Pyodide only; the HTTP tests run it in the local
runtime): the runtime's request into the app's `HttpRequest`, the app's `HttpResponse` into a
JS `Response`, and the JS env into the app's `Env`.

Each crossing between Python and JS costs microseconds in Pyodide, and the SDK's generic
wrappers make many (its `Response` checks and converts every header one by one; its env wrapper
probes the JS class of every value read). Here each conversion is one bulk call: a request's
headers cross as one JSON text, JS builds the response from one options object, and the
settings cross as one JSON text, parsed again only when it changes (`make bench`, "Handler
overhead"). Nothing JS is touched at import: the JS globals are looked up once per isolate, on
first use.
"""

from __future__ import annotations

import json
from typing import Any

from ..core.app import Env
from ..core.config import config_from_json
from ..core.http import HttpRequest, HttpResponse
from ..core.services import Services, WaitUntil
from .d1 import JsD1
from .fetch import js_transport
from .globals import js_globals
from .hmac_sign import webcrypto_hmac_sha256
from .webcrypto import verify_signature


def request_from_js(js_request: Any) -> HttpRequest:
    """The runtime's `Request`. Its headers as JS iterates them: names lower-case, a repeated
    header's values joined by ", "; the method as sent (the SDK's enum refuses unusual verbs)."""
    js = js_globals()
    headers = json.loads(js.stringify(js.from_entries(js_request.headers)))

    async def read_body() -> bytes:  # called at most once: HttpRequest keeps the bytes
        return (await js_request.arrayBuffer()).to_bytes()

    return HttpRequest(js_request.method, js_request.url, headers, read_body)


def response_to_js(answer: HttpResponse) -> Any:
    """A JS `Response`, which the runtime takes as it is."""
    js = js_globals()
    init = js.to_js({"status": answer.status, "headers": answer.headers}, dict_converter=js.from_entries)
    # A 204/304 must have a null body, not an empty one.
    return js.new_response(js.to_js(answer.body) if answer.body else None, init)


def env_from_js(js_env: Any, wait_until: WaitUntil | None = None) -> Env:
    """The app's view of a JS env: its D1 binding `DB`, and its settings read in one crossing;
    `wait_until`: the event's `ctx.waitUntil`."""
    js = js_globals()
    settings = js.stringify(js_env, js.setting_names)
    return Env(
        JsD1(js_env.DB, js),
        lambda: config_from_json(settings),
        verify_signature=verify_signature,
        transport=js_transport,
        services=Services(js_transport, webcrypto_hmac_sha256, wait_until),
    )
