import base64

import pytest

from edgejobs.core.errors import ValidationError
from edgejobs.core.pagination import decode_cursor, encode_cursor


def test_cursor_round_trips() -> None:
    cursor = encode_cursor("veo", [1_700_000_000_000, "job-1"], "k")
    assert decode_cursor(cursor, "veo", "k", (int, str)) == [1_700_000_000_000, "job-1"]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),
        lambda c: "x" + c,
        lambda c: "",
        lambda c: "!!!",
        lambda c: c * 40,
    ],
)
def test_tampered_cursor_is_400(mutate) -> None:  # type: ignore[no-untyped-def]
    cursor = encode_cursor("veo", [1, "a"], "k")
    with pytest.raises(ValidationError):
        decode_cursor(mutate(cursor) or "A", "veo", "k", (int, str))


def test_forged_cursor_without_the_key_is_400() -> None:
    forged = base64.urlsafe_b64encode(b'["veo",[1,"a"]]' + b"\x00" * 12).decode()
    with pytest.raises(ValidationError):
        decode_cursor(forged, "veo", "k", (int, str))


def test_cursor_from_another_list_or_key_is_400() -> None:
    cursor = encode_cursor("veo", [1, "a"], "k")
    with pytest.raises(ValidationError):
        decode_cursor(cursor, "export", "k", (int, str))
    with pytest.raises(ValidationError):
        decode_cursor(cursor, "veo", "other", (int, str))
    with pytest.raises(ValidationError):
        decode_cursor(cursor, "veo", "k", (str, str))


@pytest.mark.parametrize("junk", ["\x00", "!", "=", "==", " ", "\n", ".", "+/", "é"])
def test_a_cursor_with_characters_it_never_has_is_400(junk: str) -> None:
    """A cursor is unpadded base64url: anything else in it is tampering, even where a lenient
    base64 decoder would skip it and find the genuine cursor underneath."""
    cursor = encode_cursor("veo", [1, "a"], "k")
    for tampered in (cursor + junk, junk + cursor, cursor[:5] + junk + cursor[5:]):
        with pytest.raises(ValidationError):
            decode_cursor(tampered, "veo", "k", (int, str))
