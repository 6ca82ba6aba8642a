"""Running ``mikromon`` as a subprocess for the command tests: to completion
(:func:`run_mikromon`) or as a server (:func:`start_server`, serve/demo with
``--port 0``, ready once it prints its URL)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)/")
#: How a subprocess runs the command (no console script needed).
MIKROMON = [sys.executable, "-c", "from mikromon.cli import main; raise SystemExit(main())"]


def subprocess_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a ``mikromon`` subprocess using ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROMON_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["MIKROMON_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_mikromon(
    *args: str,
    data_dir: Path,
    timeout: float = 60,
    stdin: str | None = None,
    cwd: Path | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m mikromon.cli ARGS`` to completion (in ``cwd`` if given)."""
    return subprocess.run(
        [*MIKROMON, *args],
        cwd=cwd,
        env=subprocess_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )


@dataclass
class Server:
    """A running ``mikromon serve``/``demo`` subprocess with its output collected."""

    proc: subprocess.Popen[str]
    data_dir: Path
    url: str = ""
    out_lines: list[str] = field(default_factory=list)
    err_lines: list[str] = field(default_factory=list)
    _ready: threading.Event = field(default_factory=threading.Event)

    @property
    def stdout(self) -> str:
        return "".join(self.out_lines)

    @property
    def stderr(self) -> str:
        return "".join(self.err_lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``sig`` and wait for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._drain()

    def _drain(self) -> None:
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def wait_for_stderr(self, pattern: str, timeout: float) -> re.Match[str]:
        """Wait until the log has a line matching ``pattern``; fail after ``timeout`` s."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = regex.search(self.stderr)
            if match:
                return match
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no log line matching {pattern!r}; log:\n{self.stderr[-4000:]}")


def _pump(stream, sink: list[str], on_line=None) -> None:
    for line in iter(stream.readline, ""):
        sink.append(line)
        if on_line is not None:
            on_line(line)


def spawn(*args: str, data_dir: Path, cwd: Path | None = None, **env: str) -> Server:
    """Start ``mikromon ARGS`` in the background (in ``cwd`` if given), collecting its
    output."""
    proc = subprocess.Popen(
        [*MIKROMON, *args],
        cwd=cwd,
        env=subprocess_env(data_dir, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    server = Server(proc, data_dir)

    def on_out(line: str) -> None:
        match = URL_RE.search(line)
        if match and not server.url:
            server.url = match.group(0)
            server._ready.set()

    threading.Thread(target=_pump, args=(proc.stdout, server.out_lines, on_out),
                     daemon=True).start()
    threading.Thread(target=_pump, args=(proc.stderr, server.err_lines), daemon=True).start()
    return server


def start_server(
    *args: str, data_dir: Path, timeout: float = 90, cwd: Path | None = None, **env: str
) -> Server:
    """Start ``mikromon ARGS`` (serve or demo with ``--port 0``) and wait for its URL.

    Raises:
        AssertionError: it exited or printed no URL within ``timeout`` seconds.
    """
    server = spawn(*args, data_dir=data_dir, cwd=cwd, **env)
    proc = server.proc
    deadline = time.monotonic() + timeout
    while not server._ready.wait(0.1):
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
            raise AssertionError(
                f"mikromon {' '.join(args)} did not start (exit {proc.returncode}):\n"
                f"{server.stdout}\n{server.stderr[-4000:]}"
            )
    return server


def import_routers(data_dir: Path, routers, password: str, **env: str) -> None:
    """Add emulated ``routers`` (:class:`mikromon.emulator.testing.EmulatorHandle`)
    as devices ``r0``, ``r1`` ... (user ``mon``, ``password``) with ``mikromon
    device import``; fail with its error output when it fails."""
    csv = data_dir / "devices.csv"
    csv.write_text("name,host,port,username,password\n" + "".join(
        f"r{i},127.0.0.1,{r.port},mon,{password}\n" for i, r in enumerate(routers)),
        encoding="utf-8")
    imported = run_mikromon("device", "import", str(csv), data_dir=data_dir, **env)
    assert imported.returncode == 0, imported.stderr
