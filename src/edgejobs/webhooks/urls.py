"""Which URLs a webhook may be sent to.

`https://` to a public host. Plain `http://` only to loopback (127.0.0.0/8, ::1, localhost),
and only with WEBHOOK_ALLOW_HTTP=true (local development and tests). Never credentials in the
URL (they would sit in logs and lists). Never a private-network host otherwise: an IP literal
that is private, loopback, link-local, shared, reserved, multicast or unspecified, or a name
that only resolves inside a network (`localhost`, `*.local`, `*.internal`, a single label).
Names are not resolved here (a Worker cannot); Cloudflare's `fetch` does not reach private
addresses in production either.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ..core.errors import ValidationError

MAX_URL_LENGTH = 2048
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp")


def _refuse(reason: str) -> ValidationError:
    return ValidationError(f"Field 'url' {reason}.", field="url")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback(host: str) -> bool:
    address = _ip(host)
    return (
        address.is_loopback if address is not None else host in ("localhost",) or host.endswith(".localhost")
    )


def _is_private(host: str) -> bool:
    address = _ip(host)
    if address is not None:
        return not address.is_global or address.is_multicast
    if "." not in host or host.endswith(_INTERNAL_SUFFIXES) or host == "localhost":
        return True
    labels = host.split(".")
    # A name made of digits only (`10.1`, `0x7f.1`): forms some resolvers read as addresses.
    return all(label.isdigit() or label.startswith("0x") for label in labels if label)


def check_url(value: object, allow_http: bool) -> str:
    """The URL, or a 400 naming `url` and the rule it breaks."""
    if not isinstance(value, str) or not value.strip():
        raise _refuse("must be a URL")
    if len(value) > MAX_URL_LENGTH:  # as sent (the schema's maxLength), before trimming
        raise _refuse(f"must be at most {MAX_URL_LENGTH} characters")
    url = value.strip()
    if any(ord(c) <= 0x20 or ord(c) == 0x7F or ord(c) > 0x7E for c in url):
        raise _refuse("must be an ASCII URL without spaces or control characters (percent-encode the rest)")
    try:
        parts = urlsplit(url)
        port = parts.port  # a bad port raises here
    except ValueError:
        raise _refuse("is not a valid URL") from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("https", "http") or not host:
        raise _refuse("must be an https:// URL with a host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _refuse("must not contain credentials (user:password@)")
    if parts.fragment:
        raise _refuse("must not have a #fragment")
    if port == 0:
        raise _refuse("has an invalid port")
    loopback = is_loopback(host)
    if loopback:
        if not allow_http:
            raise _refuse(
                "must not point at this machine (loopback); set WEBHOOK_ALLOW_HTTP=true for local tests"
            )
        return url
    if parts.scheme != "https":
        raise _refuse("must use https:// (plain http:// only to loopback with WEBHOOK_ALLOW_HTTP=true)")
    if _is_private(host):
        raise _refuse(
            f"must point at a public host, not {host[:64]!r} (a private, internal or reserved address)"
        )
    return url
