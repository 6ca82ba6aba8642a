"""The signature of mikromon's JSON webhook: HMAC-SHA256 with the channel's secret.

A request carries two headers:

- ``X-Mikromon-Timestamp``: Unix time of the attempt, whole seconds;
- ``X-Mikromon-Signature``: ``sha256=<hex>``, the HMAC-SHA256 (key: the channel's
  secret, UTF-8) of ``<timestamp>.<raw body>`` (the timestamp's ASCII digits, a
  dot, then the request body bytes exactly as received).

A receiver recomputes the HMAC over the raw body (before parsing the JSON),
compares in constant time, and rejects timestamps more than a few minutes from
its clock, so a captured request cannot be replayed later. Because the
timestamp is inside the signed bytes, it cannot be changed without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Mikromon-Signature"
TIMESTAMP_HEADER = "X-Mikromon-Timestamp"
#: The message's unique key: the same on every retry, so a receiver can drop duplicates.
DELIVERY_HEADER = "X-Mikromon-Delivery"
#: How far a timestamp may be from the receiver's clock, seconds.
DEFAULT_TOLERANCE_S = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    if not secret:
        raise ValueError("the webhook secret is empty")
    signed = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Return the signature headers for ``body``.

    Args:
        body: the exact request body bytes.
        secret: the channel's shared secret.
        timestamp: Unix seconds (default: now).

    Returns:
        ``{"X-Mikromon-Timestamp": "1733500000", "X-Mikromon-Signature": "sha256=<64 hex>"}``.

    Raises:
        ValueError: ``secret`` is empty.
    """
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: "sha256=" + _digest(secret, ts, body)}


def verify(
    body: bytes,
    secret: str,
    *,
    signature: str,
    timestamp: str,
    now: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> None:
    """Check a received webhook; return quietly when it is genuine and fresh.

    Args:
        body: the raw request body, as received.
        secret: the channel's shared secret.
        signature: the ``X-Mikromon-Signature`` header value.
        timestamp: the ``X-Mikromon-Timestamp`` header value.
        now: the receiver's Unix time (default: now).
        tolerance_s: the largest accepted clock difference, seconds.

    Raises:
        ValueError: a header is missing or malformed, the timestamp is outside
            the tolerance (a replay or a wrong clock), or the signature does not match.
    """
    if not timestamp or not timestamp.strip().isdigit():
        raise ValueError(f"bad {TIMESTAMP_HEADER} header {timestamp!r}: Unix seconds expected")
    ts = int(timestamp)
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        raise ValueError(
            f"{TIMESTAMP_HEADER} {ts} is {abs(current - ts):.0f} s from now "
            f"(more than {tolerance_s:.0f} s): replayed or clock skew"
        )
    scheme, _, hexdigest = (signature or "").partition("=")
    if scheme != "sha256" or not hexdigest:
        raise ValueError(f"bad {SIGNATURE_HEADER} header {signature!r}: 'sha256=<hex>' expected")
    if not hmac.compare_digest(hexdigest.strip().lower(), _digest(secret, ts, body)):
        raise ValueError("the signature does not match the body (wrong secret or altered body)")
