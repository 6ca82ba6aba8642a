"""DeviceConfig: everything the collector needs to poll one router."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from mikromon.domain.errors import ConfigError
from mikromon.domain.tiers import DEFAULT_INTERVALS, MINIMUM_INTERVALS, Tier


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


def validate_intervals(intervals: Mapping[Tier, float]) -> None:
    """Check every tier's interval against its minimum.

    Raises:
        ConfigError: naming the first tier whose interval is missing or too small.
    """
    for tier in Tier:
        value = intervals.get(tier)
        if value is None:
            raise ConfigError(f"{tier.value} interval is missing")
        if value < MINIMUM_INTERVALS[tier]:
            raise ConfigError(
                f"{tier.value} interval must be at least {MINIMUM_INTERVALS[tier]} s "
                f"(got {value:g} s)"
            )


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
        intervals: tier -> interval in seconds (validated against the minimums).
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
        """The device as named in messages: its name, or ``host:port``."""
        return self.name or f"{self.host}:{self.port}"

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
