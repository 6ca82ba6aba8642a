"""DeviceConfig: everything the collector needs to poll one router."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from mikromon.domain.errors import ConfigError
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier


class TlsVerify(StrEnum):
    """How API-SSL (8729) checks the router.

    ``verify``: certificate verified against the system CAs (the default).
    ``no-verify``: a certificate is required but not verified (self-signed).
    ``anonymous-dh``: the router has no certificate and offers only anonymous
    Diffie-Hellman ciphers (``/ip service set api-ssl certificate=none``).
    """

    VERIFY = "verify"
    NO_VERIFY = "no-verify"
    ANONYMOUS_DH = "anonymous-dh"


#: One label of a host name (RFC 1123 section 2.1): letters, digits and hyphens,
#: 1 to 63 characters, no hyphen at either end.
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
#: Longest host name (RFC 1123 section 2.1), without a trailing dot.
_HOST_MAX = 253
_HOST_HELP = "give a host name (router.example.net), an IPv4 address or an IPv6 address"


def validate_host(text: str) -> str:
    """Check the address of a router's API service and return it normalised.

    Accepted: a host name made of RFC 1123 labels (letters, digits, ``-``; each 1-63
    characters, no ``-`` at either end; at most 253 characters; one trailing dot
    allowed), an IPv4 address in dotted decimal, or an IPv6 address, optionally in
    brackets (``[::1]``), optionally with a zone (``fe80::1%eth0``). Spaces around
    the text and the brackets are removed; nothing else is changed. No DNS lookup
    is made.

    Args:
        text: the host as typed.

    Returns:
        The host to connect to (``"[::1]"`` -> ``"::1"``).

    Raises:
        ConfigError: naming the host and what is wrong with it (empty, a port
            appended, an invalid IPv4/IPv6 address, a character or label that a
            host name cannot have, too long).
    """
    host = (text or "").strip()
    if not host:
        raise ConfigError(f"host is empty: {_HOST_HELP}")
    if "://" in host:
        raise _not_a_host(text, "give it without http:// or a port")
    if host.startswith("[") or host.endswith("]"):
        inner = host[1:-1] if host.startswith("[") and host.endswith("]") else ""
        if inner and _is_ipv6(inner):
            return inner
        if host.startswith("[") and "]:" in host:
            raise _not_a_host(text, "give it without a port; give the port in its own field")
        raise _not_a_host(text, "brackets are only for an IPv6 address, like [2001:db8::1]")
    if ":" in host:
        if _is_ipv6(host):
            return host
        name, _, port = host.rpartition(":")
        if port.isdigit() and name and ":" not in name:
            raise _not_a_host(text, "give it without a port; give the port in its own field")
        raise _not_a_host(text, "an IPv6 address looks like 2001:db8::1")
    labels = (host[:-1] if host.endswith(".") else host).split(".")
    if all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ConfigError(
                f"host {text!r} is not a valid IPv4 address "
                "(four numbers 0-255 without leading zeros, like 192.0.2.1)"
            ) from None
        return host
    if len(host.rstrip(".")) > _HOST_MAX:
        raise ConfigError(f"host name is longer than {_HOST_MAX} characters")
    bad = next((ch for ch in host if not (ch.isascii() and (ch.isalnum() or ch in "-."))), None)
    if bad is not None:
        what = "a space" if bad.isspace() else repr(bad)
        raise _not_a_host(text, f"{what} is not allowed: letters a-z, digits, '-' and '.' "
                                "only")
    for label in labels:
        if not label:
            raise ConfigError(f"host {text!r} has an empty part between dots")
        if len(label) > 63:
            raise ConfigError(f"host {text!r}: the part {label[:20]!r}... is longer than 63 "
                              "characters")
        if not _HOST_LABEL.match(label):
            raise ConfigError(f"host {text!r}: the part {label!r} starts or ends with '-'")
    return host


def endpoint(host: str, port: int) -> str:
    """Return ``host:port`` as written in messages and pages, an IPv6 address in
    brackets (RFC 3986 section 3.2.2): ``endpoint("2001:db8::1", 8728)`` ->
    ``"[2001:db8::1]:8728"``, ``endpoint("router.example.net", 8729)`` ->
    ``"router.example.net:8729"``.

    Args:
        host: host name, IPv4 or IPv6 address (brackets optional; a zone such as
            ``%eth0`` is kept).
        port: TCP port.
    """
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"


def _not_a_host(text: str, why: str) -> ConfigError:
    """The error for text that is no host at all (a URL, host:port, spaces...)."""
    return ConfigError(f"host {text!r} is not a host name or IP address ({why})")


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceConfig:
    """One router as the collector sees it.

    Attributes:
        id: stable identifier (the database primary key).
        name: operator's name for the device; used in messages and logs.
        host: address or host name of the router's API service.
        port: TCP port (8728 plain, 8729 API-SSL by default).
        username: API user (needs the ``api`` and ``read`` policies).
        password: API password; never part of ``repr`` or logs.
        use_ssl: connect with API-SSL (TLS).
        tls_verify: certificate handling when ``use_ssl``.
        encoding: text encoding of the router's strings (``utf-8``, ``cp1251``, ...).
        enabled: whether the collector polls this device.
        intervals: tier -> interval in seconds (the web device model enforces the
            minimums).
        connect_timeout: seconds allowed for TCP/TLS connect and login.
        command_timeout: seconds allowed for one whole command's reply.
    """

    id: int
    name: str
    host: str
    port: int = 8728
    username: str
    password: str = field(repr=False)
    use_ssl: bool = False
    tls_verify: TlsVerify = TlsVerify.VERIFY
    encoding: str = "utf-8"
    enabled: bool = True
    intervals: Mapping[Tier, float] = field(
        default_factory=lambda: MappingProxyType(dict(DEFAULT_INTERVALS))
    )
    connect_timeout: float = 10.0
    command_timeout: float = 20.0

    @property
    def label(self) -> str:
        """The device as named in messages: its name, or :attr:`endpoint`."""
        return self.name or self.endpoint

    @property
    def endpoint(self) -> str:
        """``host:port``, an IPv6 host in brackets (see :func:`endpoint`)."""
        return endpoint(self.host, self.port)

    def config_hash(self) -> str:
        """A digest of every field that changes how the device is polled.

        Two configs with equal hashes poll identically; the service restarts a
        device's collector when its hash changes. The password contributes only
        through a one-way digest.
        """
        parts = [
            str(self.id), self.name, self.host, str(self.port), self.username,
            hashlib.sha256(self.password.encode("utf-8")).hexdigest(),
            str(self.use_ssl), self.tls_verify.value, self.encoding, str(self.enabled),
            ",".join(f"{t.value}={self.intervals.get(t)}" for t in Tier),
            f"{self.connect_timeout}", f"{self.command_timeout}",
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
