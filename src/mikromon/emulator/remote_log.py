"""The emulated router's remote logging action: syslog lines as RouterOS sends them.

A real router configured with ``/system logging action add target=remote
remote=<host> remote-port=<port>`` (and a ``/system logging`` rule pointing at
it) sends each log line as one syslog message; see :mod:`mikromon.syslog.parse`
for the shapes and their sources. Formats produced here:

* ``default``: ``topics message`` (no priority, time or host name);
* ``syslog``: ``<PRI>Mmm dd hh:mm:ss identity message`` (BSD syslog; before
  RouterOS 7.18 ``bsd-syslog=yes``), the topics left out as the router does.
  PRI is facility ``daemon`` (3, the default ``syslog-facility``) times 8 plus
  the severity from the topics (``syslog-severity=auto``: debug 7, info 6,
  warning 4, error 3; ``error,critical`` gives 3).

As the RouterOS manual's logging page says, UDP carries one entry per datagram,
and over TCP ``default`` and ``syslog`` entries follow each other with no
delimiter; the emulator sends them so (``framing="none"``), or ends each with
LF (``"lf"``) or prefixes its length (``"octets"``) like other senders.

Only loopback destinations are accepted; the socket is bound to the router's
own address, so the receiver sees the router's address as the source.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from mikromon.emulator.loopback import ensure_loopback

__all__ = ["FORMATS", "FRAMINGS", "PROTOCOLS", "RemoteAction", "format_message", "send"]

FORMATS: Final = ("default", "syslog")
#: How TCP messages are delimited: none (RouterOS), LF, or an octet count.
FRAMINGS: Final = ("none", "lf", "octets")
PROTOCOLS: Final = ("udp", "tcp")
#: RouterOS's default ``syslog-facility``: daemon.
FACILITY_DAEMON: Final = 3
#: Topic -> syslog severity, in order of precedence (RouterOS manual, "Message formats").
_SEVERITY_NUMBER: Final = (("error", 3), ("warning", 4), ("info", 6), ("debug", 7),
                           ("critical", 2))
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                  "Nov", "Dec")
#: Seconds allowed to connect and send over TCP.
TCP_TIMEOUT_S: Final = 2.0


def format_message(topics: str, message: str, *, fmt: str = "default", identity: str = "MikroTik",
                   now: datetime | None = None, facility: int = FACILITY_DAEMON) -> bytes:
    """Return one syslog message as a router would send it.

    Args:
        topics: ``system,error,critical`` (the severity topic sets the PRI).
        message: the log text.
        fmt: ``default`` or ``syslog`` (module docstring).
        identity: the host name of the ``syslog`` format.
        now: the router's local time (``syslog``; default: now).
        facility: syslog facility number.

    Raises:
        ValueError: unknown format, empty topics or message.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown syslog format {fmt!r} (one of {', '.join(FORMATS)})")
    topic_list = [t for t in topics.split(",") if t]
    if not topic_list or not message:
        raise ValueError("a syslog line needs topics and a message")
    if fmt == "default":
        return f"{','.join(topic_list)} {message}".encode()
    severity = next((n for t, n in _SEVERITY_NUMBER if t in topic_list), 6)
    pri = facility * 8 + severity
    now = now or datetime.now()  # noqa: DTZ005 - the router's local time, as it sends it
    stamp = f"{_MONTHS[now.month - 1]} {now.day:2d} {now:%H:%M:%S}"
    return f"<{pri}>{stamp} {identity} {message}".encode()


def send(data: bytes, host: str, port: int, *, protocol: str = "udp", source: str = "127.0.0.1",
         framing: str = "none") -> None:
    """Send one syslog message to ``host``:``port`` from ``source`` (TCP: one
    connection per message, delimited by ``framing``).

    Raises:
        ValueError: a non-loopback destination, unknown protocol or framing.
        OSError: the message could not be sent (TCP: nobody listening).
    """
    host = ensure_loopback(host)
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown syslog protocol {protocol!r} (udp or tcp)")
    if not 0 < port < 65536:
        raise ValueError(f"syslog port must be 1..65535, got {port}")
    if framing not in FRAMINGS:
        raise ValueError(f"unknown TCP framing {framing!r} (one of {', '.join(FRAMINGS)})")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    bind = source if (":" in source) == (family == socket.AF_INET6) else host
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    with socket.socket(family, kind) as sock:
        sock.bind((bind, 0))
        if protocol == "udp":
            sock.sendto(data, (host, port))
            return
        sock.settimeout(TCP_TIMEOUT_S)
        sock.connect((host, port))
        if framing == "lf":
            data += b"\n"
        elif framing == "octets":
            data = f"{len(data)} ".encode() + data
        sock.sendall(data)


@dataclass(frozen=True, slots=True)
class RemoteAction:
    """A configured remote logging action (``target=remote``).

    Attributes:
        host, port: where it sends (loopback only).
        protocol: ``udp`` or ``tcp``.
        fmt: ``default`` or ``syslog``.
    """

    host: str
    port: int
    protocol: str = "udp"
    fmt: str = "default"

    def __post_init__(self) -> None:
        ensure_loopback(self.host)
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"unknown syslog protocol {self.protocol!r} (udp or tcp)")
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown syslog format {self.fmt!r} (one of {', '.join(FORMATS)})")
        if not 0 < self.port < 65536:
            raise ValueError(f"syslog port must be 1..65535, got {self.port}")
