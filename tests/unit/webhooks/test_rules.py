"""Webhook URL rules, event names and patterns, the retry schedule."""

from __future__ import annotations

import pytest

from edgejobs.core.errors import ValidationError
from edgejobs.webhooks import RETRY_SCHEDULE, retry_schedule
from edgejobs.webhooks.events import event_type, matches, parse_patterns
from edgejobs.webhooks.sender import Attempt, outcome_statements, retry_delay_ms
from edgejobs.webhooks.urls import check_url


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/in", "https://example.com:8443/a?b=c", "https://203.0.114.9/x",
     "https://[2606:4700::1111]/x"],
)  # fmt: skip
def test_public_https_urls_are_taken(url: str) -> None:
    assert check_url(url, allow_http=False) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/in", "https"),
        ("ftp://example.com/", "https"),
        ("https://user:pw@example.com/", "credentials"),
        ("https://user@example.com/", "credentials"),
        ("https://127.0.0.1/x", "loopback"),
        ("http://localhost:8080/x", "loopback"),
        ("https://[::1]/x", "loopback"),
        ("https://10.0.0.5/x", "public host"),
        ("https://192.168.1.1/x", "public host"),
        ("https://172.16.0.1/x", "public host"),
        ("https://169.254.169.254/latest/meta-data", "public host"),
        ("https://100.64.0.1/x", "public host"),
        ("https://[fd00::1]/x", "public host"),
        ("https://[::ffff:10.0.0.1]/x", "public host"),
        ("https://0.0.0.0/x", "public host"),
        ("https://224.0.0.1/x", "public host"),
        ("https://intranet/x", "public host"),
        ("https://printer.local/x", "public host"),
        ("https://db.internal/x", "public host"),
        ("https://example.com/a#frag", "fragment"),
        ("https://example.com:99999/", "valid URL"),
        ("https:///nohost", "host"),
        ("https://exa mple.com/", "ASCII"),
        ("https://example.com/\u00e9", "ASCII"),
        ("", "URL"),
        ("https://example.com/" + "a" * 2100, "at most"),
    ],
)
def test_refused_urls_name_the_rule(url: str, why: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_url(url, allow_http=False)
    assert refused.value.field == "url" and why in refused.value.message


def test_http_only_to_loopback_and_only_when_allowed() -> None:
    assert check_url("http://127.0.0.1:9000/hook", allow_http=True) == "http://127.0.0.1:9000/hook"
    assert check_url("http://localhost/hook", allow_http=True)
    with pytest.raises(ValidationError):
        check_url("http://example.com/hook", allow_http=True)
    with pytest.raises(ValidationError):
        check_url("http://10.1.2.3/hook", allow_http=True)


def test_event_types_and_patterns() -> None:
    assert event_type("export", "completed") == "export_job.completed"
    assert event_type("video", "status_changed") == "video.status_changed"  # a kind not listed yet
    assert matches(["*"], "video.status_changed")
    assert matches(["export_job.*"], "export_job.failed") and not matches(["export_job.*"], "video.created")
    assert matches(["export_job.failed"], "export_job.failed") and not matches(
        ["export_job.failed"], "export_job.f"
    )
    assert parse_patterns(["export_job.*", "*", "export_job.*"]) == ["export_job.*", "*"]


@pytest.mark.parametrize(
    "value",
    [[], "export_job.*", ["export_job.complete"], ["nope.*"], ["Export_job.*"], ["a.b.c"], [1], ["*"] * 51],
)
def test_bad_event_lists_are_refused(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_patterns(value)
    assert refused.value.field == "events"


def test_the_retry_schedule() -> None:
    assert RETRY_SCHEDULE == (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    assert retry_delay_ms(RETRY_SCHEDULE, 1, 0.5) == 5_000
    assert retry_delay_ms(RETRY_SCHEDULE, 2, 0.0) == 270_000  # -10%
    assert 95_039_000 < (retry_delay_ms(RETRY_SCHEDULE, 9, 0.99999) or 0) <= 95_040_000  # +10%
    assert retry_delay_ms(RETRY_SCHEDULE, 10, 0.5) is None  # nine retries, then failed
    assert retry_schedule("1, 2,3", "X") == (1, 2, 3)
    for bad in ("", "0", "a", ",".join(["1"] * 21), "700000"):
        with pytest.raises(ValueError):
            retry_schedule(bad, "WEBHOOK_RETRY_SCHEDULE")


def _outcome(attempts: int, attempt: Attempt) -> dict[str, object]:
    delivery = {"id": "d", "subscription_id": "s", "attempts": attempts}
    statements = outcome_statements(delivery, attempt, 1_000, 2_000, RETRY_SCHEDULE, 0.5)
    _sql, params = statements[0]
    return {"params": params, "disables": len(statements) == 2}


def test_outcomes() -> None:
    delivered = _outcome(0, Attempt(204, None))
    assert "delivered" in delivered["params"] and not delivered["disables"]  # type: ignore[operator]
    assert _outcome(0, Attempt(410, "HTTP 410"))["disables"]
    retry = _outcome(0, Attempt(302, "HTTP 302"))  # a redirect is a failure
    assert "pending" in retry["params"] and 6_000 in retry["params"]  # type: ignore[operator]
    last = _outcome(9, Attempt(None, "timeout"))
    assert "failed" in last["params"]  # type: ignore[operator]


def test_the_length_limit_applies_to_the_url_as_sent_before_trimming() -> None:
    """The schema's maxLength counts what was sent; padding must not slip a URL past it."""
    from edgejobs.webhooks.urls import MAX_URL_LENGTH

    url = "https://hooks.example.com/x"
    assert check_url(url + " " * (MAX_URL_LENGTH - len(url)), False) == url
    with pytest.raises(ValidationError):
        check_url(url + "\f" * (MAX_URL_LENGTH - len(url) + 1), False)
