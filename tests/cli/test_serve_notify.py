"""``mikromon serve`` runs the notification worker: an alert event written to the
database while it runs reaches a webhook on 127.0.0.1, and the worker stops with
the process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cli_processes import start_server, subprocess_env

pytestmark = pytest.mark.slow

WRITE_ALERT = """
import django, sys
django.setup()
from django.utils import timezone
from mikromon.web.alerts.models import Alert, AlertEvent, AlertRule
from mikromon.web.monitor.models import Device
from mikromon.web.notify.models import NotificationChannel
channel = NotificationChannel(name="hook", kind="webhook", group_window_s=0, min_severity="info")
channel.set_url(sys.argv[1]); channel.set_secret("k"); channel.save()
dev = Device(name="edge-9", host="127.0.0.1", port=1, username="u", enabled=False)
dev.set_password("p"); dev.save()
rule = AlertRule.objects.get(name="Device unreachable")  # a default rule
now = timezone.now()
alert = Alert.objects.create(rule=rule, device=dev, state="firing", severity="critical",
                             started_at=now, fired_at=now, message="edge-9 is down")
AlertEvent.objects.create(alert=alert, rule=rule, device=dev, ts=now, state="firing",
                          severity="critical", message="edge-9 is down")
"""


def test_serve_delivers_alert_events_and_stops_its_worker(tmp_path, servers) -> None:
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        server = start_server("serve", "--port", "0", data_dir=tmp_path)
        servers.append(server)
        # The log arrives through its own pipe: wait for the line, not just the URL.
        server.wait_for_stderr("notification worker started", 10)
        env = subprocess_env(tmp_path, DJANGO_SETTINGS_MODULE="mikromon.web.settings")
        url = f"http://127.0.0.1:{hook.server_address[1]}/hook"
        subprocess.run([sys.executable, "-c", WRITE_ALERT, url], env=env, check=True,
                       timeout=60, capture_output=True)
        deadline = time.monotonic() + 20
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [a["device"] for a in received[0]["alerts"]] == ["edge-9"]
        assert server.stop(signal.SIGTERM) == 0, server.stderr[-3000:]
        assert "notification worker stopped" in server.stderr
    finally:
        hook.shutdown()
        hook.server_close()
