"""Where notifications go: Apprise URLs, mikromon's signed JSON webhook, and
Prometheus Alertmanager (API v2).

Every channel is synchronous and bounded in time: :meth:`Channel.send` returns a
short receipt (``"HTTP 200"``) or raises :class:`DeliveryError`; it never waits
longer than about its ``timeout_s`` for a connection or a reply. The caller (the
delivery worker) runs each channel in its own thread, so a slow receiver holds
up only its own channel.

Sources: Apprise's URL syntax and ``Apprise.notify`` result (apprise 1.9+/2.x
documentation); Alertmanager's ``POST /api/v2/alerts`` (its OpenAPI
``api/v2/openapi.yaml``: a list of ``postableAlert`` with ``labels``,
``annotations``, ``startsAt``, ``endsAt``, ``generatorURL``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from mikromon.notify.message import Notification, NotificationKind, iso
from mikromon.notify.signing import DELIVERY_HEADER, sign

#: Seconds a channel waits for a connection or a reply unless configured otherwise.
DEFAULT_TIMEOUT_S = 10.0
#: How long a test alert stays open in Alertmanager.
TEST_ALERT_TTL = timedelta(minutes=1)
USER_AGENT = "mikromon-notify/1"


class ChannelKind(StrEnum):
    """The kinds of channel."""

    APPRISE = "apprise"
    WEBHOOK = "webhook"
    ALERTMANAGER = "alertmanager"


class DeliveryError(Exception):
    """A message could not be delivered.

    Attributes:
        retryable: ``False`` when trying again cannot help (the receiver rejected
            the message as malformed: HTTP 400/404/405/413/422), so it fails at once.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    """A destination for notifications."""

    kind: ChannelKind
    timeout_s: float

    def send(self, notification: Notification) -> str:
        """Deliver ``notification``; return a short receipt.

        Raises:
            DeliveryError: not delivered (with the receiver's reason).
        """
        ...

    def describe(self) -> str:
        """The target with its secrets masked (safe to show and log)."""
        ...


def _check_timeout(timeout_s: float) -> float:
    if not 0 < timeout_s <= 300:
        raise ValueError(f"timeout must be between 0 and 300 seconds, not {timeout_s}")
    return float(timeout_s)


def check_http_url(url: str, *, what: str = "URL") -> str:
    """Return ``url`` stripped when it is an absolute http(s) URL with a host.

    Raises:
        ValueError: naming what is wrong with it.
    """
    url = (url or "").strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            f"the {what} must start with http:// or https:// (got {mask_http_url(url)!r})"
        )
    if not parts.hostname:
        raise ValueError(f"the {what} has no host name (got {mask_http_url(url)!r})")
    return url


def mask_http_url(url: str) -> str:
    """``url`` with its password and query values replaced by ``****``."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user = parts.username or ""
        host = netloc.rpartition("@")[2]
        netloc = f"{user}:****@{host}"
    query = "&".join(
        f"{name}=****" for name, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _post_json(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> str:
    """POST ``body`` as JSON; return ``"HTTP <status>"`` for a 2xx reply.

    Raises:
        DeliveryError: connection refused or reset, timeout, or a non-2xx reply
            (4xx other than 408/425/429 is not retryable).
    """
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in headers.items():
        request.add_header(name, value)
    where = mask_http_url(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            reply.read(65536)
            return f"HTTP {reply.status}"
    except urllib.error.HTTPError as err:
        detail = err.read(300).decode("utf-8", "replace").strip()
        retryable = not (400 <= err.code < 500 and err.code not in (408, 425, 429))
        raise DeliveryError(
            f"{where} answered HTTP {err.code} {err.reason}" + (f": {detail}" if detail else ""),
            retryable=retryable,
        ) from None
    except TimeoutError:
        raise DeliveryError(f"{where} did not answer within {timeout_s:g} s") from None
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, TimeoutError):
            raise DeliveryError(f"{where} did not answer within {timeout_s:g} s") from None
        raise DeliveryError(f"cannot reach {where}: {reason}") from None
    except OSError as err:
        raise DeliveryError(f"cannot reach {where}: {err}") from None


class WebhookChannel:
    """mikromon's JSON webhook, signed with HMAC-SHA256 (:mod:`mikromon.notify.signing`).

    The body is :meth:`Notification.to_json`; the headers carry the message key
    (``X-Mikromon-Delivery``), the timestamp and the signature.

    Args:
        url: the receiver, http(s).
        secret: the shared secret (required: an unsigned webhook is an Apprise ``json://`` URL).
        timeout_s: connect and read timeout, seconds (0 < t <= 300).

    Raises:
        ValueError: bad URL, empty secret or timeout out of range.
    """

    kind = ChannelKind.WEBHOOK

    def __init__(self, url: str, secret: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.url = check_http_url(url, what="webhook URL")
        if not secret:
            raise ValueError("the webhook needs a secret to sign its requests")
        self._secret = secret
        self.timeout_s = _check_timeout(timeout_s)

    def body(self, notification: Notification) -> bytes:
        """The exact bytes sent (compact JSON, UTF-8)."""
        return json.dumps(notification.to_json(), separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")

    def send(self, notification: Notification) -> str:
        """POST the signed JSON document. Raises :class:`DeliveryError`."""
        body = self.body(notification)
        headers = sign(body, self._secret)
        headers[DELIVERY_HEADER] = notification.key
        return _post_json(self.url, body, headers, self.timeout_s)

    def describe(self) -> str:
        """The URL, password and query values masked."""
        return mask_http_url(self.url)


class AlertmanagerChannel:
    """Prometheus Alertmanager, API v2 (``POST <base>/api/v2/alerts``).

    Each item becomes one alert. Labels: ``alertname`` (the rule), ``severity``,
    ``device``, ``site`` and ``subject`` (when not empty), ``mikromon_rule_id``,
    ``mikromon_device_id``; Alertmanager identifies an alert by its labels, so a
    repeated or retried post updates the same alert instead of adding one.
    Annotations: ``summary``, ``description``, ``value``, ``threshold``. A resolved
    alert is posted with ``endsAt`` (its resolution time); a firing one without,
    so Alertmanager resolves it by itself after its ``resolve_timeout`` unless it
    is posted again (the channel's repeat interval).

    Args:
        url: Alertmanager's base URL (``http://host:9093``; ``/api/v2/alerts`` is added
            unless present).
        timeout_s: connect and read timeout, seconds.

    Raises:
        ValueError: bad URL or timeout.
    """

    kind = ChannelKind.ALERTMANAGER

    def __init__(self, url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        base = check_http_url(url, what="Alertmanager URL").rstrip("/")
        self.url = base if base.endswith("/api/v2/alerts") else base + "/api/v2/alerts"
        self.timeout_s = _check_timeout(timeout_s)

    @staticmethod
    def alerts(notification: Notification) -> list[dict[str, Any]]:
        """The ``postableAlert`` list for ``notification``."""
        if notification.kind == NotificationKind.TEST:
            now = datetime.now(UTC)
            return [{
                "labels": {"alertname": "MikromonTest", "severity": "info",
                           "mikromon_message": notification.key},
                "annotations": {"summary": notification.title(),
                                "description": notification.text()},
                "startsAt": iso(now),
                "endsAt": iso(now + TEST_ALERT_TTL),
            }]
        out = []
        for item in notification.items:
            labels = {
                "alertname": item.rule_name,
                "severity": item.severity,
                "device": item.device_name,
                "site": item.site,
                "subject": item.subject,
                "mikromon_rule_id": str(item.rule_id),
                "mikromon_device_id": str(item.device_id),
            }
            annotations = {
                "summary": f"{item.rule_name} on {item.where()}",
                "description": item.message,
                "value": "" if item.value is None else f"{item.value:g}",
                "threshold": "" if item.threshold is None else f"{item.threshold:g}",
            }
            alert: dict[str, Any] = {
                "labels": {k: v for k, v in labels.items() if v},
                "annotations": {k: v for k, v in annotations.items() if v},
                "startsAt": iso(item.since),
            }
            if item.state == "resolved":
                alert["endsAt"] = iso(max(item.ts, item.since))
            if item.url:
                alert["generatorURL"] = item.url
            out.append(alert)
        return out

    def send(self, notification: Notification) -> str:
        """POST the alerts. Raises :class:`DeliveryError`."""
        body = json.dumps(self.alerts(notification), ensure_ascii=False).encode("utf-8")
        return _post_json(self.url, body, {}, self.timeout_s)

    def describe(self) -> str:
        """The base URL, password and query values masked."""
        return mask_http_url(self.url)


def _apprise() -> Any:
    import apprise

    return apprise


def check_apprise_url(url: str) -> Any:
    """Return the Apprise plugin object for ``url``.

    Raises:
        ValueError: Apprise does not recognise the URL (unknown scheme or bad syntax).
    """
    url = (url or "").strip()
    plugin = _apprise().Apprise.instantiate(url) if url else None
    if plugin is None:
        scheme = url.partition("://")[0] if "://" in url else ""
        raise ValueError(
            f"Apprise does not recognise the URL scheme {scheme + '://' if scheme else '(none)'} "
            "or the URL is incomplete (e.g. "
            "mailtos://user:password@example.com?to=ops@example.com, "
            "tgram://bottoken/chatid, slack://..., ntfy://topic)"
        )
    return plugin


class AppriseChannel:
    """Any service Apprise knows, by one URL (``mailtos://``, ``tgram://``,
    ``slack://``, ``msteams://``, ``discord://``, ``pover://``, ``ntfy://``,
    ``matrix://``, ``json://``, ``form://``...).

    Args:
        url: the Apprise URL (it may hold passwords and tokens: store it encrypted).
        timeout_s: the longest the whole notify call may take, seconds.

    Raises:
        ValueError: Apprise does not recognise the URL, or timeout out of range.
    """

    kind = ChannelKind.APPRISE

    def __init__(self, url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._url = url.strip()
        self._masked = str(check_apprise_url(self._url).url(privacy=True))
        self.timeout_s = _check_timeout(timeout_s)

    def send(self, notification: Notification) -> str:
        """Notify through Apprise. Raises :class:`DeliveryError` with Apprise's reason."""
        apprise = _apprise()
        notifier = apprise.Apprise()
        if not notifier.add(self._url):
            raise DeliveryError(f"Apprise rejected the URL {self._masked}", retryable=False)
        if notification.kind == NotificationKind.RESOLVED:
            notify_type = apprise.NotifyType.SUCCESS
        elif notification.kind == NotificationKind.TEST or notification.severity == "info":
            notify_type = apprise.NotifyType.INFO
        elif notification.severity == "warning":
            notify_type = apprise.NotifyType.WARNING
        else:
            notify_type = apprise.NotifyType.FAILURE
        result = notifier.notify(
            body=notification.text(),
            title=notification.title(),
            notify_type=notify_type,
            body_format=apprise.NotifyFormat.TEXT,
            timeout=self.timeout_s,
        )
        if result:
            return "delivered"
        reasons: list[str] = []
        for service in result:
            for attempt in service:
                reasons.extend(entry.message for entry in attempt
                               if entry.level in ("WARNING", "ERROR", "CRITICAL"))
        status = getattr(getattr(result, "status", None), "name", "FAILURE").lower()
        detail = "; ".join(dict.fromkeys(reasons)) or status
        raise DeliveryError(f"{self._masked}: {detail}")

    def describe(self) -> str:
        """The URL as Apprise shows it with privacy on (passwords and tokens masked)."""
        return self._masked


def build_channel(
    kind: str, *, url: str = "", secret: str = "", timeout_s: float = DEFAULT_TIMEOUT_S
) -> Channel:
    """Build a channel from its stored settings.

    Args:
        kind: ``apprise``, ``webhook`` or ``alertmanager``.
        url: the Apprise URL, the webhook URL or Alertmanager's base URL.
        secret: the webhook's HMAC secret (other kinds ignore it).
        timeout_s: per-send timeout, seconds.

    Raises:
        ValueError: unknown kind or bad settings, naming what is wrong.
    """
    if kind == ChannelKind.APPRISE:
        return AppriseChannel(url, timeout_s=timeout_s)
    if kind == ChannelKind.WEBHOOK:
        return WebhookChannel(url, secret, timeout_s=timeout_s)
    if kind == ChannelKind.ALERTMANAGER:
        return AlertmanagerChannel(url, timeout_s=timeout_s)
    raise ValueError(f"unknown channel kind {kind!r} (known: {', '.join(ChannelKind)})")
