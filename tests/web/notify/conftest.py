"""Real receivers for notification tests, all on 127.0.0.1:

- ``smtp_server``: an aiosmtpd SMTP server collecting the mails it receives;
- ``http_receiver``: a stdlib HTTP server in a thread recording every POST, with
  scripted answers (status codes in turn, or hanging until released);
- ``alertmanager``: Debian's ``prometheus-alertmanager`` started with a temporary
  configuration and storage, clustering off (``scripts/bootstrap --test`` installs it);

plus factories for alert rules, alerts and their history rows (what the rule
engine's storage writes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from notify_helpers import make_channel

from tsdb_servers import free_port

ALERTMANAGER_BIN = os.environ.get("MIKROMON_ALERTMANAGER", "prometheus-alertmanager")


# SMTP ----------------------------------------------------------------------


class _MailBox:
    def __init__(self) -> None:
        self.messages: list[object] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.arrived.set()
        return "250 OK"


@dataclass
class SmtpServer:
    """The running SMTP server: ``port``, received ``messages`` (aiosmtpd envelopes)."""

    port: int
    box: _MailBox

    @property
    def messages(self) -> list:
        return self.box.messages

    def url(self, to: str = "ops@example.com") -> str:
        """An Apprise ``mailto://`` URL delivering to this server without TLS or login."""
        return f"mailto://127.0.0.1:{self.port}?from=mikromon@example.com&to={to}"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list:
        end = time.monotonic() + timeout
        while len(self.box.messages) < count and time.monotonic() < end:
            time.sleep(0.02)
        return self.box.messages


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1."""
    from aiosmtpd.controller import Controller

    box = _MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, box)
    finally:
        controller.stop()


# HTTP ----------------------------------------------------------------------


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """A webhook receiver: ``answers`` (status codes used in turn; 200 once empty),
    ``hang`` (while set... while clear, requests hang until released)."""

    port: int
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    hanging: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Received]:
        end = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < end:
            time.sleep(0.02)
        return self.requests


def _handler(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
            if receiver.hanging:
                receiver.release.wait(30)
            self.send_response(status)
            reply = b'{"ok":true}' if status < 300 else b"receiver says no"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def http_receiver():
    """A local HTTP server recording webhook POSTs (stdlib, in a thread)."""
    receiver = HttpReceiver(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def second_receiver():
    """Another HTTP receiver (to show one channel does not hold up another)."""
    receiver = HttpReceiver(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()


# Alertmanager --------------------------------------------------------------

AM_CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
"""


@dataclass
class Alertmanager:
    """The running Alertmanager: ``url`` (base), :meth:`alerts` (its API v2)."""

    url: str

    def alerts(self, **filters: str) -> list[dict]:
        query = "&".join(f"filter={k}%3D%22{v}%22" for k, v in filters.items())
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}", timeout=5) as reply:
            return json.loads(reply.read())

    def wait_for(self, predicate, timeout: float = 10.0, **filters: str) -> list[dict]:
        end = time.monotonic() + timeout
        found: list[dict] = []
        while time.monotonic() < end:
            found = self.alerts(**filters)
            if predicate(found):
                return found
            time.sleep(0.1)
        return found


@pytest.fixture(scope="session")
def alertmanager(tmp_path_factory):
    """Debian's prometheus-alertmanager on 127.0.0.1, clustering off."""
    binary = shutil.which(ALERTMANAGER_BIN)
    if binary is None:
        pytest.fail(f"{ALERTMANAGER_BIN} is not installed: run scripts/bootstrap --test "
                    "(apt package prometheus-alertmanager)")
    tmp: Path = tmp_path_factory.mktemp("alertmanager")
    (tmp / "alertmanager.yml").write_text(AM_CONFIG)
    port = free_port()
    log = (tmp / "alertmanager.log").open("wb")
    proc = subprocess.Popen(
        [binary, f"--config.file={tmp / 'alertmanager.yml'}", f"--storage.path={tmp / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as reply:
                if reply.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill()
            log.close()
            pytest.fail("prometheus-alertmanager did not start: "
                        + (tmp / "alertmanager.log").read_text()[-2000:])
        time.sleep(0.1)
    try:
        yield Alertmanager(url)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# Alert data ------------------------------------------------------------------


class AlertFactory:
    """Writes rules, alerts and alert history rows as the rule engine's storage does."""

    def __init__(self) -> None:
        from mikromon.web.monitor.models import Site

        self.site = Site.objects.create(name="Berlin")
        self.devices: dict[str, object] = {}
        self.rules: dict[str, object] = {}

    def device(self, name: str = "edge-1", *, site=True, tags=()):
        from mikromon.web.monitor.models import Device, Tag

        if name not in self.devices:
            dev = Device(name=name, host="127.0.0.1", port=8728, username="monitor",
                         site=self.site if site is True else site or None)
            dev.set_password("pw")
            dev.save()
            for tag in tags:
                dev.tags.add(Tag.objects.get_or_create(name=tag)[0])
            self.devices[name] = dev
        return self.devices[name]

    def rule(self, name: str = "CPU above 90 %", severity: str = "high"):
        from mikromon.web.alerts.models import AlertRule

        if name not in self.rules:
            # A default rule of that name (e.g. "Device unreachable") is reused.
            self.rules[name], _ = AlertRule.objects.update_or_create(
                name=name, defaults={"severity": severity, "threshold": 90.0},
                create_defaults={"kind": "threshold", "severity": severity,
                                 "metric": "system.cpu.load_pct", "comparison": ">",
                                 "threshold": 90.0, "recovery": 87.0, "for_seconds": 300},
            )
        return self.rules[name]

    def fire(self, device, rule, *, value: float = 95.5, at: datetime | None = None,
             flapping: bool = False, subject: str = ""):
        """Create (or reuse) the open alert and append a ``firing`` event; return the alert."""
        from mikromon.web.alerts.models import Alert, AlertEvent

        at = at or datetime.now(UTC)
        since = at - timedelta(minutes=5)
        alert = Alert.objects.filter(rule=rule, device=device, subject=subject,
                                     state__in=("pending", "firing")).first()
        message = (f"{rule.name}: {device.name} CPU load {value:g} % above {rule.threshold:g} % "
                   f"since {since:%H:%M:%S} UTC")
        if alert is None:
            alert = Alert.objects.create(rule=rule, device=device, subject=subject,
                                         state="firing", severity=rule.severity,
                                         started_at=since, fired_at=at, value=value,
                                         threshold=rule.threshold, message=message,
                                         flapping=flapping)
        else:
            Alert.objects.filter(pk=alert.pk).update(state="firing", fired_at=at, value=value,
                                                     flapping=flapping)
            alert.refresh_from_db()
        AlertEvent.objects.create(alert=alert, rule=rule, device=device, subject=subject, ts=at,
                                  state="firing", severity=rule.severity, value=value,
                                  threshold=rule.threshold, message=message, flapping=flapping)
        return alert

    def resolve(self, alert, *, value: float = 40.0, at: datetime | None = None,
                flapping: bool = False):
        from mikromon.web.alerts.models import Alert, AlertEvent

        at = at or datetime.now(UTC)
        Alert.objects.filter(pk=alert.pk).update(state="resolved", resolved_at=at, value=value)
        alert.refresh_from_db()
        AlertEvent.objects.create(alert=alert, rule=alert.rule, device=alert.device,
                                  subject=alert.subject, ts=at, state="resolved",
                                  severity=alert.severity, value=value,
                                  threshold=alert.threshold,
                                  message=f"{alert.rule.name}: {alert.device.name} recovered",
                                  flapping=flapping)

    def acknowledge(self, alert, at: datetime | None = None):
        from mikromon.web.alerts.models import Alert, AlertEvent

        at = at or datetime.now(UTC)
        Alert.objects.filter(pk=alert.pk).update(acknowledged_at=at, ack_comment="on it")
        AlertEvent.objects.create(alert=alert, rule=alert.rule, device=alert.device,
                                  subject=alert.subject, ts=at, state="acknowledged",
                                  severity=alert.severity, message="acknowledged")


@pytest.fixture
def alerts(db, settings):
    """An :class:`AlertFactory`; ``MIKROMON_BASE_URL`` is ``https://mon.example.net``."""
    settings.MIKROMON_BASE_URL = "https://mon.example.net"
    return AlertFactory()


@pytest.fixture
def make_channel_fn(db):
    """:func:`make_channel`, as a fixture."""
    return make_channel
