"""The JS side of D1 (Pyodide only): the runtime's `D1Database` binding driven directly, each
result crossing into Python as one JSON text. `core/db.py` is the only module that calls it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..core.db import SqlValue


class JsD1:
    """The D1 binding as the runtime holds it (a JS `D1Database`), driven directly (Pyodide only).

    Through the SDK's wrapper every result is converted value by value in Python: each row
    rebuilt as a `JsDict` and walked for JS nulls, ~2 ms per 50-row page in Pyodide (`make
    bench`). Here a result crosses as one string, `JSON.stringify` in JS and `json.loads` (C) in
    Python: the same values (NULL → None, a BLOB → list of ints, numbers as the SDK gives them).
    (Crossing as UTF-8 bytes instead, `TextEncoder` over `[result].map(JSON.stringify)`, saved
    ~0.1 ms on a 50-row page but cost ~0.08 ms more on every one-row result: four more calls.)
    Arguments are converted as the SDK does (`python_to_rpc`: None → NULL, bytes → BLOB),
    without its generic checks (~0.1 ms per BLOB, ~0.2 ms per batch)."""

    __slots__ = ("_binding", "_js")

    def __init__(self, js_binding: Any, js: Any) -> None:
        self._binding = js_binding
        self._js = js  # the JS globals it calls (`globals.JsGlobals`)

    def prepare(self, sql: str) -> _JsStatement:
        return _JsStatement(self, self._binding.prepare(sql))

    def decode(self, js_value: Any) -> Any:
        """A JS value (a D1 result, or an array of them) as Python, through JSON."""
        return json.loads(self._js.stringify(js_value))

    def decode_with_blobs(self, js_result: Any, blobs: Sequence[str]) -> Any:
        """`decode` for a result whose `blobs` columns hold BLOBs. As JSON a BLOB is its list of
        byte values, ~3.5 characters per byte to copy and parse (~2 ms for an 8 kB BLOB in
        Pyodide); here each one crosses as one `Uint8Array` (a memory copy) and is set to null in
        the result before the rest crosses as JSON. (`new Uint8Array` takes D1's array of byte
        values and an ArrayBuffer alike.)"""
        js = self._js
        rows = getattr(js_result, "results", None)
        if rows is None or rows is js.jsnull:
            return self.decode(js_result)
        taken: list[dict[str, bytes]] = []
        for i in range(rows.length):
            row, values = rows[i], {}
            for name in blobs:
                value = getattr(row, name, None)
                if value is not None and value is not js.jsnull:
                    values[name] = js.new_uint8_array(value).to_bytes()
                    setattr(row, name, js.jsnull)
            taken.append(values)
        decoded = self.decode(js_result)
        for row_dict, values in zip(decoded["results"], taken, strict=True):
            row_dict.update(values)
        return decoded

    async def batch(self, statements: Sequence[_JsStatement]) -> list[dict[str, Any]]:
        decoded: list[dict[str, Any]] = self.decode(
            await self._binding.batch(self._js.to_js([s.js for s in statements]))
        )
        return decoded


class _JsStatement:
    __slots__ = ("d1", "js")

    def __init__(self, d1: JsD1, js: Any) -> None:
        self.d1 = d1
        self.js = js

    def bind(self, *params: SqlValue) -> _JsStatement:
        js = self.d1._js
        return _JsStatement(
            self.d1,
            self.js.bind(
                *[
                    p if isinstance(p, str | int | float) else js.jsnull if p is None else js.to_js(p)
                    for p in params
                ]
            ),
        )

    async def all(self, blobs: Sequence[str] = ()) -> dict[str, Any]:
        js_result = await self.js.all()
        decoded: dict[str, Any] = (
            self.d1.decode_with_blobs(js_result, blobs) if blobs else self.d1.decode(js_result)
        )
        return decoded
