import asyncio
import base64
import gzip
import json
import os
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgejobs.core import codec
from edgejobs.core.errors import PayloadTooLarge

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@given(st.dictionaries(st.text(), JSON_VALUES, max_size=8))
def test_any_json_object_round_trips(value: dict) -> None:
    payload = codec.encode_payload_sync(value)
    assert json.loads(codec.decode_payload(payload.stored)) == value
    assert payload.size_bytes == len(payload.canonical)
    assert payload.stored_bytes == len(payload.stored)


@given(st.dictionaries(st.text(), JSON_VALUES, max_size=8))
def test_the_request_path_encodes_as_the_sync_one(value: dict) -> None:
    assert asyncio.run(codec.encode_payload(value)) == codec.encode_payload_sync(value)


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert (
        codec.canonical_json({"b": 1, "a": [1, {"d": None, "c": "é"}]})
        == '{"a":[1,{"c":"é","d":null}],"b":1}'.encode()
    )


def test_etag_depends_on_the_value_not_its_spelling() -> None:
    one = codec.encode_payload_sync({"a": 1, "b": [1.5, "x"]})
    same = codec.encode_payload_sync(json.loads('{ "b": [1.5, "x"], "a": 1 }'))
    other = codec.encode_payload_sync({"a": 2, "b": [1.5, "x"]})
    assert one.etag == same.etag != other.etag
    assert one.etag.startswith('"') and one.etag.endswith('"') and len(one.etag) == 34


def test_unpaired_surrogates_are_kept_with_ascii_escapes() -> None:
    value = json.loads('{"s": "\\ud800 and é"}')
    payload = codec.encode_payload_sync(value)
    assert payload.canonical.isascii()
    assert json.loads(codec.decode_payload(payload.stored)) == value


def test_compression_is_deterministic_gzip() -> None:
    data = b'{"scenes":' + b'"a long repeated prompt",' * 200 + b"1}"
    assert codec.compress(data) == codec.compress(data)  # no timestamp in the header
    assert gzip.decompress(codec.compress(data)) == data
    assert len(codec.compress(data)) < len(data) / 10


def test_row_guard_allows_the_limit_and_refuses_one_byte_more() -> None:
    codec.check_row_size(codec.MAX_STORED_BYTES)
    with pytest.raises(PayloadTooLarge) as caught:
        codec.check_row_size(codec.MAX_STORED_BYTES + 1)
    message = caught.value.message
    assert f"{codec.MAX_STORED_BYTES + 1:,}" in message  # the compressed size
    assert f"{codec.MAX_STORED_BYTES:,}" in message  # the limit
    assert caught.value.status == 413


def test_incompressible_object_over_a_row_is_refused_not_truncated() -> None:
    noise = base64.b64encode(os.urandom(2_400_000)).decode()  # ~3.2 MB of text, ~2.4 MB gzip
    with pytest.raises(PayloadTooLarge):
        codec.encode_payload_sync({"noise": noise})


def test_compressible_object_over_a_row_raw_is_accepted() -> None:
    big = {
        "scenes": [
            {"prompt": "a slow dolly shot across a neon street at night", "n": i} for i in range(60_000)
        ]
    }
    payload = codec.encode_payload_sync(big)
    assert payload.size_bytes > codec.D1_MAX_ROW_BYTES > payload.stored_bytes


TRICKY_TEXT = st.text(alphabet=st.sampled_from('"\\/ab\n\t\x00\x1f\x7féé🎬\u2028'), max_size=8)
TRICKY_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TRICKY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TRICKY_TEXT, children, max_size=4),
    max_leaves=20,
)


@given(TRICKY_VALUES)
def test_canonical_json_is_the_same_whatever_the_source_text(value: object) -> None:
    expected = codec.canonical_json(value)
    for source in (
        json.dumps(value).encode(),  # ASCII, non-ASCII as \u escapes
        json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"),
    ):
        assert codec.canonical_json(value, source) == expected


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        (b'{"a": "b\\n\\"c\\\\"}', True),
        (b'{"a": "\\u00e9"}', False),
        (b'{"a": "\\\\u00e9"}', True),  # an escaped backslash, then the letters u00e9
        (b'{"a": "\\\\\\u00e9"}', False),
        (b'{"a": "\x7f"}', False),
        ('{"a": "é"}'.encode(), False),
    ],
)
def test_plain_ascii_sources(source: bytes, plain: bool) -> None:
    assert codec.plain_ascii(source) is plain


def test_compress_stores_what_python_3_12_and_later_gzip_writes() -> None:
    """The Worker (Python 3.14) has always stored `gzip.compress(data, 5, mtime=0)`: header with
    OS 255, zlib's level-5 deflate, CRC-32 and length. Every Python now stores those bytes."""
    data = b'{"prompt":"a slow dolly shot","n":' + b"1234567890" * 300 + b"}"
    stored = codec.compress(data)
    assert stored[:10] == bytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF])
    assert stored[10:-8] == zlib.compress(data, 5)[2:-4]  # zlib's deflate stream, as it is
    assert gzip.decompress(stored) == data
    assert codec.GZIP_LEVEL == 5  # a new level would change every new write's bytes and stored_bytes
