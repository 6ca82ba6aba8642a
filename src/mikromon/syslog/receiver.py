"""The syslog receiver: UDP and TCP on one port, in the collector's event loop.

Each UDP datagram is one message. A TCP stream carries messages framed by
octet counting (``LEN SP MSG``), by a trailing LF (RFC 6587 §3.4.1 and
§3.4.2), or not at all as RouterOS sends them; see :class:`_Framer`.

Everything is bounded: messages longer than
:data:`~mikromon.syslog.parse.MAX_MESSAGE_BYTES` are dropped (a TCP frame that
long is skipped up to its end), TCP connections beyond
:attr:`SyslogSettings.max_connections` are closed at once, a silent connection
is closed after :attr:`SyslogSettings.idle_timeout_s`, each source address gets
a token bucket (:attr:`SyslogSettings.rate_per_source`), and the parsed
messages are handed on synchronously (the host queues them). Malformed input
and unknown sources are counted (:meth:`SyslogReceiver.stats`) and logged at
most once a minute; nothing a sender does stops the receiver.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from mikromon.syslog.config import SyslogSettings
from mikromon.syslog.parse import MAX_MESSAGE_BYTES, SyslogMessage, SyslogParseError, parse
from mikromon.syslog.sources import AMBIGUOUS, DeviceAddresses, normalize_ip

log = logging.getLogger(__name__)

__all__ = ["Deliver", "SyslogReceiver"]

#: ``deliver(device_id, message, received_utc)``: called for each accepted message.
Deliver = Callable[[int, SyslogMessage, datetime], None]

#: Seconds between two warnings of the same kind.
_WARN_EVERY_S: Final = 60.0
_READ_CHUNK: Final = 65536

_COUNTERS: Final = ("received", "accepted", "malformed", "oversize", "rate_limited",
                    "unknown_source", "ambiguous_source", "connections_refused",
                    "deliver_errors")


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class SyslogReceiver:
    """Listens for syslog on UDP and TCP and hands matched messages on.

    Args:
        settings: port, address and limits.
        addresses: source address -> device (kept current by the host).
        deliver: called, in the event loop, for every accepted message; an
            exception it raises is counted and logged, never stops the receiver.
        clock: monotonic seconds (rate limiting; tests inject their own).

    Call :meth:`start` and :meth:`stop` from the event loop that should run it.
    """

    def __init__(self, settings: SyslogSettings, addresses: DeviceAddresses, deliver: Deliver,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.addresses = addresses
        self._deliver = deliver
        self._clock = clock
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._warned: dict[str, float] = {}
        self.counters: dict[str, int] = dict.fromkeys(_COUNTERS, 0)
        self.port = settings.port

    # -- life -------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the UDP and TCP sockets.

        Raises:
            OSError: the address or port cannot be bound (in use, not local, no
                permission for ports below 1024); nothing stays bound then.
        """
        loop = asyncio.get_running_loop()
        bind = self.settings.bind
        tcp = await asyncio.start_server(self._on_connection, bind, self.settings.port,
                                         reuse_address=True, limit=_READ_CHUNK)
        port = tcp.sockets[0].getsockname()[1]
        try:
            udp, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(bind, port))
        except OSError:
            tcp.close()
            await tcp.wait_closed()
            raise
        self._tcp, self._udp, self.port = tcp, udp, port
        log.info("syslog receiver listening on %s port %d (UDP and TCP)", bind, port)

    async def stop(self) -> None:
        """Close the sockets and every TCP connection."""
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        tcp, self._tcp = self._tcp, None
        if tcp is not None:
            tcp.close()
        for task in list(self._conns):
            task.cancel()
        if self._conns:
            await asyncio.gather(*self._conns, return_exceptions=True)
        if tcp is not None:
            try:
                async with asyncio.timeout(2.0):
                    await tcp.wait_closed()
            except TimeoutError:
                pass

    def stats(self) -> dict[str, Any]:
        """Counters (received, accepted, malformed, oversize, rate_limited,
        unknown_source, ambiguous_source, connections_refused, deliver_errors),
        plus port, bind, tcp_connections and known_addresses."""
        out: dict[str, Any] = dict(self.counters)
        out.update(port=self.port, bind=self.settings.bind, tcp_connections=len(self._conns),
                   known_addresses=len(self.addresses))
        return out

    # -- input ------------------------------------------------------------------------

    def handle(self, data: bytes, source: str) -> None:
        """Process one message (a datagram or a TCP frame) from address ``source``."""
        counters = self.counters
        counters["received"] += 1
        ip = normalize_ip(source) or source
        if len(data) > MAX_MESSAGE_BYTES:
            counters["oversize"] += 1
            self._warn("oversize", "syslog: dropped a message of %d bytes from %s "
                       "(limit %d)", len(data), ip, MAX_MESSAGE_BYTES)
            return
        if not self._take_token(ip):
            counters["rate_limited"] += 1
            self._warn("rate", "syslog: %s sends more than %g messages/s; dropping the excess",
                       ip, self.settings.rate_per_source)
            return
        received = datetime.now(UTC)
        try:
            msg = parse(data, received)
        except SyslogParseError as err:
            counters["malformed"] += 1
            self._warn("malformed", "syslog: dropped a malformed message from %s: %s", ip, err)
            return
        device_id = self.addresses.match(ip, msg.hostname)
        if device_id is None:
            counters["unknown_source"] += 1
            self._warn("unknown", "syslog: message from %s, which is no device's address "
                       "(%d such message(s) so far)", ip, counters["unknown_source"])
            return
        if device_id == AMBIGUOUS:
            counters["ambiguous_source"] += 1
            self._warn("ambiguous", "syslog: several devices have address %s and the "
                       "message's host name %r names none of them; dropped", ip, msg.hostname)
            return
        counters["accepted"] += 1
        try:
            self._deliver(device_id, msg, received)
        except Exception:
            counters["deliver_errors"] += 1
            if self._due("deliver"):
                log.exception("syslog: handing on a message failed; the receiver goes on")

    def _take_token(self, ip: str) -> bool:
        now = self._clock()
        buckets = self._buckets
        bucket = buckets.get(ip)
        if bucket is None:
            if len(buckets) >= self.settings.max_sources:
                buckets.popitem(last=False)
            bucket = buckets[ip] = _Bucket(self.settings.burst, now)
        else:
            buckets.move_to_end(ip)
            refill = (now - bucket.stamp) * self.settings.rate_per_source
            bucket.tokens = min(self.settings.burst, bucket.tokens + refill)
            bucket.stamp = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def _due(self, kind: str) -> bool:
        now = time.monotonic()
        if now - self._warned.get(kind, -_WARN_EVERY_S) < _WARN_EVERY_S:
            return False
        self._warned[kind] = now
        return True

    def _warn(self, kind: str, text: str, *args: Any) -> None:
        if self._due(kind):
            log.warning(text, *args)

    # -- TCP --------------------------------------------------------------------------

    async def _on_connection(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        source = str(peer[0]) if peer else ""
        if len(self._conns) >= self.settings.max_connections:
            self.counters["connections_refused"] += 1
            self._warn("conns", "syslog: refused a TCP connection from %s (%d open, the "
                       "limit)", source, len(self._conns))
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            await self._read_stream(reader, source)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            # stop() closes the connection. Ending quietly: Python 3.11's stream
            # server logs a traceback for a cancelled connection task.
            pass
        finally:
            self._conns.discard(task)
            writer.close()

    async def _read_stream(self, reader: asyncio.StreamReader, source: str) -> None:
        """Read one TCP connection; see :class:`_Framer` for the framing."""
        framer = _Framer(self, source)
        idle = self.settings.idle_timeout_s
        while True:
            unframed = framer.unframed_pending
            try:
                async with asyncio.timeout(_UNFRAMED_FLUSH_S if unframed else idle):
                    chunk = await reader.read(_READ_CHUNK)
            except TimeoutError:
                if not unframed:
                    return  # idle: close
                framer.flush()  # an entry without delimiter, and nothing after it
                continue
            if not chunk:
                framer.flush()
                return
            if not framer.feed(chunk):
                return


#: A TCP entry with no delimiter is taken as complete when nothing follows it
#: within this many seconds (RouterOS's ``default``/``syslog`` formats over TCP).
_UNFRAMED_FLUSH_S: Final = 0.2
_OCTETS: Final = re.compile(rb"([1-9]\d{0,5}) ")
_TS: Final = (rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d"
              rb"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")
#: Where an entry begins: ``<PRI>`` or a time ...
_START: Final = re.compile(rb"<\d{1,3}>|(?:" + _TS + rb") ")
#: ... or, in a stream of ``default`` entries, RouterOS topics with a severity.
_TOPICS_START: Final = re.compile(
    rb"(?:[a-z0-9-]+,)*(?:debug|info|warning|error|critical)(?:,[a-z0-9-]+)* ")
#: ``<PRI>`` + time inside a buffer: the start of the next BSD entry of an
#: undelimited stream.
_EMBEDDED: Final = re.compile(rb"(?<=.)<\d{1,3}>(?=(?:" + _TS + rb")[ .])", re.DOTALL)


class _Framer:
    """Splits one TCP stream into messages (RFC 6587): octet counting (``LEN SP
    MSG``, chosen when a message starts with a length), LF (or CR LF) at the end
    of each message, or none at all, as RouterOS sends its ``default`` and
    ``syslog`` formats (RouterOS manual, logging page, "TCP and TLS"): then an
    entry ends where the next ``<PRI>``+time starts, where a read begins with a
    new entry, or when nothing follows for :data:`_UNFRAMED_FLUSH_S`."""

    def __init__(self, receiver: SyslogReceiver, source: str) -> None:
        self._rx = receiver
        self._source = source
        self._buf = bytearray()
        self._skip = 0  # bytes of an oversize octet-counted frame still to skip
        self._skip_line = False  # discarding an oversize LF-framed line up to its LF
        self._lf_seen = False
        self._framed = False  # LF or octet counting seen on this stream

    @property
    def pending(self) -> bool:
        """Whether an unterminated message waits in the buffer."""
        return bool(self._buf) and not self._skip and not self._skip_line

    @property
    def unframed_pending(self) -> bool:
        """Whether a message waits on a stream that has shown no delimiter yet (a
        stream that uses LF or octet counting waits for them, however slow)."""
        return self.pending and not self._framed

    def flush(self) -> None:
        """Take what waits as one (or, at ``<PRI>`` boundaries, several) messages."""
        if self.pending:
            data = bytes(self._buf)
            self._buf.clear()
            self._emit(data)

    def _emit(self, frame: bytes) -> None:
        start = 0
        for m in _EMBEDDED.finditer(frame):
            self._rx.handle(frame[start:m.start()], self._source)
            start = m.start()
        self._rx.handle(frame[start:], self._source)

    def _bad(self, counter: str, text: str, *args: object) -> None:
        self._rx.counters["received"] += 1
        self._rx.counters[counter] += 1
        self._rx._warn(counter, text, *args)

    def feed(self, chunk: bytes) -> bool:
        """Take a chunk; return ``False`` when the connection must be closed."""
        if self.pending and not self._framed and not _OCTETS.fullmatch(self._buf) and (
            _START.match(chunk)
            or (_TOPICS_START.match(chunk) and _TOPICS_START.match(self._buf))
        ):
            self.flush()  # the last entry had no delimiter: a new one starts here
        buf = self._buf
        buf += chunk
        while buf:
            if self._skip:
                n = min(self._skip, len(buf))
                del buf[:n]
                self._skip -= n
                continue
            if self._skip_line:
                nl = buf.find(b"\n")
                if nl < 0:
                    buf.clear()
                    break
                del buf[:nl + 1]
                self._skip_line = False
                continue
            if buf[0] in (0x0A, 0x0D, 0x00):  # separators between frames
                del buf[:1]
                continue
            counted = _OCTETS.match(buf)
            if counted is not None and len(buf) == counted.end():
                break  # a count whose message has not arrived yet
            if counted is not None and buf[counted.end():counted.end() + 1] == b"<":
                length = int(counted.group(1))
                if length > MAX_MESSAGE_BYTES:
                    self._bad("oversize", "syslog: skipped a %d-byte frame from %s (limit %d)",
                              length, self._source, MAX_MESSAGE_BYTES)
                    del buf[:counted.end()]
                    self._skip = length
                    continue
                end = counted.end() + length
                if len(buf) < end:
                    break
                frame = bytes(buf[counted.end():end])
                del buf[:end]
                self._framed = True
                self._rx.handle(frame, self._source)
                continue
            if buf[0] in b"0123456789" and len(buf) <= 7 and b" " not in buf:
                break  # perhaps an octet count still arriving
            nl = buf.find(b"\n")
            if nl >= 0:
                self._lf_seen = self._framed = True
                frame = bytes(buf[:nl])
                del buf[:nl + 1]
                self._emit(frame)
                continue
            # No delimiter (yet): complete entries before an embedded <PRI>.
            last = None
            for last in _EMBEDDED.finditer(buf):  # noqa: B007 - the last one is used
                pass
            if last is not None:
                self._emit(bytes(buf[:last.start()]))
                del buf[:last.start()]
            if len(buf) > MAX_MESSAGE_BYTES:
                self._bad("oversize", "syslog: dropped an over-long message from %s "
                          "(limit %d bytes)", self._source, MAX_MESSAGE_BYTES)
                buf.clear()
                self._skip_line = self._lf_seen
            break
        return True


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: SyslogReceiver) -> None:
        self._receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            self._receiver.handle(data, str(addr[0]))
        except Exception:  # never let one datagram end the endpoint
            log.exception("syslog: unexpected error handling a datagram")

    def error_received(self, exc: Exception) -> None:
        log.debug("syslog: UDP error %s", exc)
