"""Request bodies parsed strictly: UTF-8, no NaN or Infinity, no duplicate keys, no number
beyond a double, bounded nesting; every refusal says what is wrong in one message per kind."""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import InvalidJson
from .validation import clip

MAX_JSON_DEPTH = 256
# Python's own limit for int(str) (sys.get_int_max_str_digits()): longer is refused by us,
# with our message, before int() would refuse it with its own (which names sys internals).
MAX_INT_DIGITS = 4300


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _bounded_int(text: str) -> int:
    if len(text) - text.startswith("-") > MAX_INT_DIGITS:
        raise ValueError(f"an integer has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {clip(key)!r}")
        obj[key] = value
    return obj


def _object_if_unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`_unique_object` at C speed: the dict is built in C, and only a shorter dict (a repeated
    key) falls back to naming the key."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        return _unique_object(pairs)
    return obj


def _nesting_depth(text: str) -> int:
    """Deepest `[`/`{` nesting outside strings (only run when it could matter)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif char in "]}":
            depth -= 1
    return deepest


# Every byte but brackets and quotes, deleted; `{` and `}` folded into `[` and `]`.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_FOLD_BRACES = bytes.maketrans(b"{}", b"[]")


def _without_escaped_quotes(body: bytes) -> bytes:
    """`body` less its escaped backslashes and quotes (`\\\\`, `\\"`), paired left to right as
    JSON pairs them; other escapes keep their letter. Neither byte occurs inside a multi-byte
    UTF-8 character. (Searching for the two-byte escapes costs more in Pyodide than cutting at
    each backslash, of which a text has few.)"""
    parts = body.split(b"\\")
    kept = [parts[0]]
    i = 1
    while i < len(parts):
        part = parts[i]
        if not part:  # two backslashes in a row: an escaped backslash; what follows is plain
            kept.append(parts[i + 1] if i + 1 < len(parts) else b"")
            i += 2
        else:
            kept.append(part[1:] if part[0] == 0x22 else part)  # 0x22: an escaped quote
            i += 1
    return b"".join(kept)


def nesting_bound(body: bytes) -> int:
    """At least the deepest `[`/`{` nesting outside strings of a UTF-8 JSON text, found with a
    few passes in C (`_nesting_depth` walks the text in Python: ~20 ms for 280 kB in Pyodide).

    Escaped quotes go first, then every byte but brackets and quotes. An adjacent pair of
    quotes leaves every bracket on the same side of a string, so empty pairs go; the few
    strings left that hold brackets are cut out. Each round then deletes the adjacent `[]`
    pairs, which lowers the deepest nesting by at most one: rounds plus the openers left over
    is a bound (exact for a well-formed text). Past a stray backslash it may err either way,
    but a parser stops there."""
    if b"\\" in body:
        body = _without_escaped_quotes(body)
    marks = body.translate(_FOLD_BRACES, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in marks:
        marks = b"".join(marks.split(b'"')[::2])
    rounds = 0
    while rounds <= MAX_JSON_DEPTH:
        shorter = marks.replace(b"[]", b"")
        if len(shorter) == len(marks):
            break
        marks = shorter
        rounds += 1
    return rounds + marks.count(b"[")


def parse_json(body: bytes) -> Any:
    """Parse a request body strictly: UTF-8, no NaN/Infinity, no duplicate keys,
    no number beyond a double, bounded nesting.

    A text that cannot nest too deep is parsed with the checks that cost nothing when they
    pass; anything it refuses (or a text that might nest too deep) goes through `_parse_strict`,
    which says what is wrong, in the same words whichever path found it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"The request body is not valid UTF-8 (byte {exc.start}).") from None
    if nesting_bound(body) <= MAX_JSON_DEPTH:
        try:
            return json.loads(
                text,
                object_pairs_hook=_object_if_unique,
                parse_constant=_reject_constant,
                parse_float=_finite_float,
            )
        except (ValueError, RecursionError):
            pass  # refused (a repeated key, an integer past int()'s limit, bad JSON): say why below
    return _parse_strict(text)


def _parse_strict(text: str) -> Any:
    """Every check in Python, one error message per kind of refusal."""
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _nesting_depth(text) > MAX_JSON_DEPTH:
        raise InvalidJson(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_object,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InvalidJson(f"The request body is not valid JSON: {exc}.") from None
