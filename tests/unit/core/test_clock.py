"""The clock seam: `iso_ms` renders every stored time (its fast path must agree with datetime)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgejobs.core.clock import iso_ms


def reference(epoch_ms: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_ms)
    return moment.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


@given(st.integers(min_value=0, max_value=253_402_300_799_999))
def test_iso_ms_is_iso_8601_utc_with_milliseconds(epoch_ms: int) -> None:
    assert iso_ms(epoch_ms) == reference(epoch_ms)


def test_iso_ms_edges() -> None:
    assert iso_ms(None) is None
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"
    assert iso_ms(1_763_792_598_123) == "2025-11-22T06:23:18.123Z"
    assert iso_ms(253_402_300_799_999) == "9999-12-31T23:59:59.999Z"
    with pytest.raises(ValueError):  # past year 9999, as datetime always did
        iso_ms(2**53 - 1)
