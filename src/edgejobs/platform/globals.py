"""The JS globals the Worker calls (requests, D1, fetch, Web Crypto), looked up once per
isolate, on first use: each lookup crosses the boundary, and nothing JS is touched at import."""

from __future__ import annotations

from ..core.config import env_names


class JsGlobals:
    """The JS functions the Worker calls (requests, D1, fetch, Web Crypto), looked up once per
    isolate: each lookup crosses the boundary."""

    __slots__ = (
        "abort_after", "fetch", "from_entries", "js_exception", "jsnull", "new_response", "new_uint8_array",
        "setting_names", "stringify", "subtle", "to_js",
    )  # fmt: skip

    def __init__(self) -> None:
        import js  # Pyodide's bridge to JS globals
        from js import JSON, Object, Response, Uint8Array
        from pyodide.ffi import JsException, jsnull, to_js  # type: ignore[attr-defined]  # (jsnull: not in the stubs)

        self.abort_after = js.AbortSignal.timeout
        self.fetch = js.fetch
        self.js_exception = JsException
        self.subtle = js.crypto.subtle
        self.from_entries = Object.fromEntries
        self.jsnull = jsnull
        self.new_response = Response.new
        self.new_uint8_array = Uint8Array.new
        self.stringify = JSON.stringify
        self.to_js = to_js
        self.setting_names = to_js(list(env_names()))  # JSON.stringify's list of properties to read


_globals: JsGlobals | None = None


def js_globals() -> JsGlobals:
    global _globals
    if _globals is None:
        _globals = JsGlobals()
    return _globals
