import base64
import gzip
import json
import os

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
    payload = codec.encode_payload(value)
    assert json.loads(codec.decode_payload(payload.stored)) == value
    assert payload.size_bytes == len(payload.canonical)
    assert payload.stored_bytes == len(payload.stored)


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert (
        codec.canonical_json({"b": 1, "a": [1, {"d": None, "c": "é"}]})
        == '{"a":[1,{"c":"é","d":null}],"b":1}'.encode()
    )


def test_etag_depends_on_the_value_not_its_spelling() -> None:
    one = codec.encode_payload({"a": 1, "b": [1.5, "x"]})
    same = codec.encode_payload(json.loads('{ "b": [1.5, "x"], "a": 1 }'))
    other = codec.encode_payload({"a": 2, "b": [1.5, "x"]})
    assert one.etag == same.etag != other.etag
    assert one.etag.startswith('"') and one.etag.endswith('"') and len(one.etag) == 34


def test_unpaired_surrogates_are_kept_with_ascii_escapes() -> None:
    value = json.loads('{"s": "\\ud800 and é"}')
    payload = codec.encode_payload(value)
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
        codec.encode_payload({"noise": noise})


def test_compressible_object_over_a_row_raw_is_accepted() -> None:
    big = {
        "scenes": [
            {"prompt": "a slow dolly shot across a neon street at night", "n": i} for i in range(60_000)
        ]
    }
    payload = codec.encode_payload(big)
    assert payload.size_bytes > codec.D1_MAX_ROW_BYTES > payload.stored_bytes
