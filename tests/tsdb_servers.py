"""A real Prometheus for the tests (a pytest plugin loaded by tests/conftest.py):
Debian's ``prometheus`` package, started on 127.0.0.1 with a temporary
configuration and storage.

``prometheus_server(scrape_configs, *flags)`` starts one that scrapes what
``scrape_configs`` (YAML text, may be empty) says, with extra command-line flags
(``--web.enable-remote-write-receiver``), and stops it afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PROMETHEUS_BIN = os.environ.get("MIKROMON_PROMETHEUS", "prometheus")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Prometheus:
    """A running Prometheus: its URL and its HTTP query API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as reply:
            doc = json.loads(reply.read())
        assert doc["status"] == "success", doc
        return doc["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector of ``expr`` now (``[]``: no data)."""
        return list(self.get("/api/v1/query", query=expr)["result"])

    def targets(self) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/targets")["activeTargets"])

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.2)
        return predicate()


@pytest.fixture
def prometheus_server(tmp_path: Path) -> Iterator[Callable[[str], Any]]:
    """Call with the ``scrape_configs`` YAML; returns a started :class:`Prometheus`."""
    binary = shutil.which(PROMETHEUS_BIN)
    if binary is None:
        pytest.fail(f"{PROMETHEUS_BIN} is not installed: run scripts/bootstrap --test "
                    "(apt package prometheus)")
    started: list[tuple[subprocess.Popen[bytes], Any]] = []

    def start(scrape_configs: str = "", *flags: str) -> Prometheus:
        config = tmp_path / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                          + ("scrape_configs:\n" + scrape_configs if scrape_configs else ""))
        port = free_port()
        log = (tmp_path / "prometheus.log").open("wb")
        proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", *flags],
            stdout=log, stderr=subprocess.STDOUT,
        )
        started.append((proc, log))
        url = f"http://127.0.0.1:{port}"
        end = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as reply:
                    if reply.status == 200:
                        return Prometheus(url)
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > end:
                pytest.fail("prometheus did not start: "
                            + (tmp_path / "prometheus.log").read_text()[-2000:])
            time.sleep(0.2)

    yield start
    for proc, log in started:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _serve(name: str, argv: list[str], ready_url: str, log_path: Path,
           started: list[tuple[subprocess.Popen[bytes], Any]]) -> None:
    """Start ``argv``; wait until ``ready_url`` answers 2xx (else fail the test)."""
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    started.append((proc, log))
    end = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(ready_url, timeout=1) as reply:
                if 200 <= reply.status < 300:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > end:
            pytest.fail(f"{name} did not start: " + log_path.read_text()[-2000:])
        time.sleep(0.2)


def _stop_all(started: list[tuple[subprocess.Popen[bytes], Any]]) -> None:
    for proc, log in started:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _binary(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run scripts/bootstrap --test "
                    f"(apt package {package})")
    return found


@pytest.fixture
def influxdb(tmp_path: Path) -> Iterator[str]:
    """Debian's InfluxDB 1.x on 127.0.0.1 with a database ``mikromon``, usage
    reporting off; yields its base URL."""
    binary = _binary("influxd", "influxdb")
    http_port, rpc_port = free_port(), free_port()
    config = tmp_path / "influxdb.conf"
    config.write_text(
        "reporting-disabled = true\n"
        f'bind-address = "127.0.0.1:{rpc_port}"\n'
        f'[meta]\n  dir = "{tmp_path}/meta"\n'
        f'[data]\n  dir = "{tmp_path}/data"\n  wal-dir = "{tmp_path}/wal"\n'
        f'[http]\n  bind-address = "127.0.0.1:{http_port}"\n  log-enabled = false\n')
    url = f"http://127.0.0.1:{http_port}"
    started: list[tuple[subprocess.Popen[bytes], Any]] = []
    try:
        _serve("influxd", [binary, "-config", str(config)], f"{url}/ping",
               tmp_path / "influxd.log", started)
        query = urllib.parse.urlencode({"q": "CREATE DATABASE mikromon"})
        urllib.request.urlopen(urllib.request.Request(f"{url}/query?{query}", method="POST"),
                               timeout=10).read()
        yield url
    finally:
        _stop_all(started)


@pytest.fixture
def victoria_metrics(tmp_path: Path) -> Iterator[str]:
    """Debian's VictoriaMetrics on 127.0.0.1; yields its base URL."""
    binary = _binary("victoria-metrics", "victoria-metrics")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started: list[tuple[subprocess.Popen[bytes], Any]] = []
    try:
        _serve("victoria-metrics",
               [binary, f"-httpListenAddr=127.0.0.1:{port}",
                f"-storageDataPath={tmp_path / 'vm'}", "-search.latencyOffset=0s"],
               f"{url}/health", tmp_path / "vm.log", started)
        yield url
    finally:
        _stop_all(started)
