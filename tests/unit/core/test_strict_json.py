"""The fast strict parse (`parse_json`) against the reference one (`_parse_strict`, every check in
Python): the same value for every text either accepts, the same refusal in the same words for
every text either refuses; and the nesting bound that decides between them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgejobs.core.errors import InvalidJson
from edgejobs.core.strict_json import (
    MAX_INT_DIGITS,
    MAX_JSON_DEPTH,
    _nesting_depth,
    _parse_strict,
    nesting_bound,
    parse_json,
)

# Strings that look like structure: brackets, quotes, backslashes, escapes, non-ASCII.
TRICKY_TEXT = st.text(alphabet=st.sampled_from('[]{}"\\:,/ ab\n\t\x7féé🎬\u2028'), max_size=8)
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TRICKY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TRICKY_TEXT, children, max_size=4),
    max_leaves=25,
)
# Near-JSON: what a mangled or hostile body looks like.
NEAR_JSON = st.text(alphabet=st.sampled_from('[]{}"\\:, 0123456789eE.-+tfnrulas\x00\x7fé'), max_size=40)


def outcome(parse: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "value", parse(body)
    except InvalidJson as refused:
        return "refused", refused.message


def same(a: Any, b: Any) -> bool:
    """Equal, with NaN-free floats compared exactly and dict key order included."""
    return json.dumps(a, sort_keys=False) == json.dumps(b, sort_keys=False) and a == b


def spellings(value: Any) -> list[bytes]:
    return [
        json.dumps(value).encode(),  # ASCII escapes, spaces
        json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"),
        json.dumps(value, indent=1).encode(),
    ]


@settings(max_examples=300)
@given(VALUES)
def test_well_formed_texts_parse_as_the_reference_does(value: Any) -> None:
    for body in spellings(value):
        fast, reference = outcome(parse_json, body), outcome(lambda b: _parse_strict(b.decode()), body)
        if reference[0] == "refused":  # e.g. UTF-8 of a lone surrogate
            assert fast[0] == "refused"
        else:
            assert fast[0] == "value" and same(fast[1], reference[1])


@settings(max_examples=500)
@given(NEAR_JSON)
def test_mangled_texts_get_the_reference_outcome(text: str) -> None:
    body = text.encode("utf-8", "surrogatepass")
    fast, reference = outcome(parse_json, body), outcome(lambda b: _parse_strict(b.decode()), body)
    assert fast[0] == reference[0]
    assert fast[1] == reference[1] if fast[0] == "refused" else same(fast[1], reference[1])


@settings(max_examples=300)
@given(VALUES)
def test_nesting_bound_is_exact_for_well_formed_texts(value: Any) -> None:
    for body in spellings(value):
        assert nesting_bound(body) == _nesting_depth(body.decode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('{"a": "[[[[", "b": [1]}', 1 + 1),
        ('["\\"[[[", [[]]]', 3),
        ('["\\\\", [[]]]', 3),  # an escaped backslash, then a real closing quote
        ('["\\\\\\"[[[", []]', 2),  # escaped backslash, escaped quote: still inside the string
        ('"\\u005b\\u005b"', 0),
        ("[" * 300 + "]" * 300, 300),
        ("[" * 300, 300),
    ],
)
def test_nesting_bound_reads_strings_and_escapes(text: str, depth: int) -> None:
    assert nesting_bound(text.encode()) == depth


def test_depth_hidden_behind_strings_of_brackets_is_still_refused() -> None:
    # Each level holds a string of closers: a count that ignored strings would see no depth.
    body = ('["]]",' * 300 + "1" + "]" * 300).encode()
    assert nesting_bound(body) >= 300
    with pytest.raises(InvalidJson, match="deeper than"):
        parse_json(body)


def test_the_depth_limit_is_kept_exactly() -> None:
    assert parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(InvalidJson, match="deeper than"):
        parse_json(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))


@pytest.mark.parametrize(
    "body",
    [
        b'{"x": 1, "x": 1}',
        b'{"a": {"b": [{"c": 1, "c": 2}]}}',
        b'{"n": 1' + b"0" * 5000 + b"}",
        b'{"x": 1e400}',
        b'{"x": NaN}',
        b'{"x": -Infinity}',
        b"[1,]",
        b'{"x": "\\ud800"',
    ],
)
def test_refusals_are_worded_as_before(body: bytes) -> None:
    with pytest.raises(InvalidJson) as fast:
        parse_json(body)
    with pytest.raises(InvalidJson) as reference:
        _parse_strict(body.decode())
    assert fast.value.message == reference.value.message


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"\xff\xfe",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e400}',
        b'{"a": 1, "a": 2}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_hostile_json_is_invalid_json(body: bytes) -> None:
    with pytest.raises(InvalidJson):
        parse_json(body)


def test_deep_but_allowed_nesting_parses() -> None:
    assert parse_json(b"[" * 200 + b"]" * 200) is not None
    assert parse_json(b'{"s": "[[[[[[[[[[[[[["}') == {"s": "[[[[[[[[[[[[[["}


def test_integers_past_pythons_digit_limit_are_invalid_json_in_our_words() -> None:
    assert parse_json(b"[" + b"9" * MAX_INT_DIGITS + b"]") == [int("9" * MAX_INT_DIGITS)]
    assert parse_json(b"-" + b"9" * MAX_INT_DIGITS) == -int("9" * MAX_INT_DIGITS)
    with pytest.raises(InvalidJson) as caught:
        parse_json(b'{"n": 1' + b"0" * MAX_INT_DIGITS + b"}")
    assert "digits" in caught.value.message and "sys" not in caught.value.message
