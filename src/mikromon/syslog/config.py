"""The syslog receiver's settings, read from the environment.

- ``MIKROMON_SYSLOG_PORT``: the UDP and TCP port to listen on (1..65535); unset,
  empty or ``0``: the receiver is off (the default).
- ``MIKROMON_SYSLOG_BIND``: the address to listen on; default ``127.0.0.1``
  (loopback only: nothing outside the machine reaches it until the operator sets
  the address routers send to, or ``0.0.0.0`` / ``::`` for every address).
- ``MIKROMON_SYSLOG_RATE``: messages per second accepted from one source
  address (default 200; a burst of twice that is allowed); more are dropped and
  counted.
- ``MIKROMON_SYSLOG_MAX_CONNECTIONS``: TCP connections open at once (default 64);
  more are closed at once and counted.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from mikromon.domain.errors import ConfigError

__all__ = ["DEFAULT_BIND", "SyslogSettings"]

DEFAULT_BIND: Final = "127.0.0.1"


@dataclass(frozen=True, slots=True, kw_only=True)
class SyslogSettings:
    """How the syslog receiver listens.

    Attributes:
        port: UDP and TCP port; ``0`` picks a free one (tests; the port chosen is
            :attr:`mikromon.syslog.receiver.SyslogReceiver.port`).
        bind: listening address (an IP literal).
        rate_per_source: messages/s accepted from one source address.
        burst: messages accepted at once from one source above the rate.
        max_connections: TCP connections open at once.
        idle_timeout_s: a TCP connection silent this long is closed, seconds.
        max_sources: source addresses whose rate is tracked (least recent forgotten).
        max_pending: received lines waiting to be stored (oldest dropped beyond).
    """

    port: int
    bind: str = DEFAULT_BIND
    rate_per_source: float = 200.0
    burst: float = 400.0
    max_connections: int = 64
    idle_timeout_s: float = 300.0
    max_sources: int = 10_000
    max_pending: int = 50_000

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"syslog port must be 0..65535, got {self.port}")
        try:
            ipaddress.ip_address(self.bind)
        except ValueError:
            raise ConfigError(f"syslog bind address must be an IP address, got "
                              f"{self.bind!r}") from None
        if self.rate_per_source <= 0 or self.burst < 1:
            raise ConfigError("syslog rate per source must be above 0 and the burst at least 1")
        if self.max_connections < 1:
            raise ConfigError(f"syslog max connections must be at least 1, got "
                              f"{self.max_connections}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SyslogSettings | None:
        """Return the settings from ``MIKROMON_SYSLOG_*`` (module docstring), or
        ``None`` when the receiver is off.

        Raises:
            ConfigError: naming the variable whose value is wrong.
        """
        env = os.environ if environ is None else environ
        raw = env.get("MIKROMON_SYSLOG_PORT", "").strip()
        if raw in ("", "0"):
            return None
        port = _int(raw, "MIKROMON_SYSLOG_PORT")
        if not 1 <= port <= 65535:
            raise ConfigError(f"MIKROMON_SYSLOG_PORT must be 1..65535 (or 0/empty: off), "
                              f"got {raw!r}")
        bind = env.get("MIKROMON_SYSLOG_BIND", "").strip() or DEFAULT_BIND
        try:
            ipaddress.ip_address(bind)
        except ValueError:
            raise ConfigError(f"MIKROMON_SYSLOG_BIND must be an IP address (127.0.0.1, "
                              f"0.0.0.0, ::), got {bind!r}") from None
        rate_raw = env.get("MIKROMON_SYSLOG_RATE", "").strip()
        rate = 200.0
        if rate_raw:
            try:
                rate = float(rate_raw)
            except ValueError:
                rate = -1.0
            if not 0 < rate < 1e9:
                raise ConfigError(f"MIKROMON_SYSLOG_RATE must be a number above 0, got "
                                  f"{rate_raw!r}")
        conns_raw = env.get("MIKROMON_SYSLOG_MAX_CONNECTIONS", "").strip()
        conns = _int(conns_raw, "MIKROMON_SYSLOG_MAX_CONNECTIONS") if conns_raw else 64
        if conns < 1:
            raise ConfigError(f"MIKROMON_SYSLOG_MAX_CONNECTIONS must be at least 1, got "
                              f"{conns_raw!r}")
        return cls(port=port, bind=bind, rate_per_source=rate, burst=max(1.0, 2 * rate),
                   max_connections=conns)


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
