import pytest

from edgejobs.core.errors import InvalidJson, ValidationError
from edgejobs.core.strict_json import parse_json
from edgejobs.core.validation import check_query, check_str, get_int, query_int, reject_unknown


def test_integers_are_strict() -> None:
    with pytest.raises(ValidationError):
        get_int({"n": True}, "n")
    with pytest.raises(ValidationError):
        get_int({"n": 1.0}, "n")
    with pytest.raises(ValidationError, match="between 0 and 10"):
        get_int({"n": 11}, "n", minimum=0, maximum=10)
    assert get_int({}, "n", default=3) == 3


def test_strings_are_stripped_capped_and_named() -> None:
    assert check_str("  a  ", "k") == "a"
    with pytest.raises(ValidationError) as caught:
        check_str("x" * 11, "key", max_length=10)
    assert caught.value.field == "key"
    with pytest.raises(ValidationError):
        check_str("   ", "key")
    with pytest.raises(ValidationError):
        check_str("a\x00b", "key")


def test_unknown_fields_are_rejected_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        reject_unknown({"a": 1, "zz": 2}, ["a"])
    assert caught.value.field == "zz"


@pytest.mark.parametrize("raw", ["-1", "abc", "1e3", "0", "201", "9" * 40])
def test_query_integers_are_bounded(raw: str) -> None:
    with pytest.raises(ValidationError):
        query_int({"limit": raw}, "limit", default=50, minimum=1, maximum=200)


def test_errors_quote_at_most_a_little_of_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        reject_unknown({"k" * 100_000: 1}, ["a"])
    assert caught.value.field is not None and len(caught.value.field) <= 64
    assert len(caught.value.message) < 200
    with pytest.raises(ValidationError) as caught:
        get_int({"n": 10**400}, "n", minimum=0, maximum=10)
    assert len(caught.value.message) < 200
    with pytest.raises(InvalidJson) as caught:
        parse_json(b'{"' + b"d" * 100_000 + b'": 1, "' + b"d" * 100_000 + b'": 2}')
    assert len(caught.value.message) < 200


def test_query_names_only_declared_parameters_once() -> None:
    check_query(["limit", "cursor"], {"limit", "cursor", "status"})
    check_query([], set())
    for keys, field in ((["limit", "lmit"], "lmit"), (["limit", "limit"], "limit"), ([""], ""), (["x"], "x")):
        with pytest.raises(ValidationError) as caught:
            check_query(keys, {"limit"})
        assert caught.value.field == field
