"""Every environment variable mikromon reads: declared, read and checked here.

:data:`VARIABLES` lists them with their kind, default and meaning (the table in
docs/operations.md, "Environment variables", shows the same; a test keeps the two
equal). The readers (:func:`text`, :func:`flag`, :func:`whole`, :func:`number`,
:func:`names`, :func:`choice`, :func:`address`) take a variable's name, read it from the
environment (or a mapping passed in), and raise :class:`ConfigError` naming the
variable and what it must be when the value does not fit its kind. Nothing else
in the package reads ``MIKROMON_*`` variables: the Django settings
(mikromon.web.settings) and the collector service ask this module.

Values a command line gives (``serve --time-scale``) are passed in with
:func:`use_time_scale`, never by writing ``os.environ``.

No Django, no IO beyond reading the environment: the core (mikromon.schedule) and
any embedding host may import it.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from mikromon.domain.errors import ConfigError


class Kind(StrEnum):
    """What a variable holds, and so how it is checked."""

    #: Any text (stripped); a path, a URL or a key.
    TEXT = "text"
    #: On or off: ``1/true/yes/on`` or ``0/false/no/off`` (any case).
    FLAG = "flag"
    #: A whole number of at least the variable's ``minimum``.
    WHOLE = "whole"
    #: A finite number greater than 0.
    NUMBER = "number"
    #: Comma-separated items (blanks dropped).
    NAMES = "names"
    #: One of the variable's ``choices`` (any case).
    CHOICE = "choice"
    #: An IP address literal (``127.0.0.1``, ``::``).
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Variable:
    """One environment variable.

    Attributes:
        name: ``MIKROMON_...``.
        kind: how it is read and checked.
        default: the value when unset or blank, as text ('' = none).
        meaning: one line for operators.
        minimum: the smallest value of a ``WHOLE``.
        maximum: the largest value of a ``WHOLE`` (``None``: no bound).
        choices: the allowed values of a ``CHOICE``.
    """

    name: str
    kind: Kind
    default: str
    meaning: str
    minimum: int = 0
    maximum: int | None = None
    choices: tuple[str, ...] = ()


def _v(name: str, kind: Kind, default: str, meaning: str, *, minimum: int = 0,
       maximum: int | None = None, choices: tuple[str, ...] = ()) -> Variable:
    return Variable(f"MIKROMON_{name}", kind, default, meaning, minimum, maximum, choices)


_RETENTION = [
    ("RAW", "7", "raw points"),
    ("5M", "90", "5-minute rollups"),
    ("1H", "730", "1-hour rollups"),
    ("1D", "1825", "1-day rollups"),
    ("GONE", "30", "inventory rows the router no longer reports"),
    ("LOG", "90", "router log lines"),
    ("EVENT", "365", "events"),
    ("ALERT", "365", "resolved alerts and their history"),
]

#: Every variable, by name.
VARIABLES: Final[Mapping[str, Variable]] = {v.name: v for v in (
    _v("DATA_DIR", Kind.TEXT, "data", "data folder (database, keys)"),
    _v("DATABASE_URL", Kind.TEXT, "", "postgresql://... or sqlite:///...; "
       "default SQLite in the data folder"),
    _v("SECRET_KEY", Kind.TEXT, "", "Django secret key; default <data>/secret_key"),
    _v("FERNET_KEY", Kind.TEXT, "", "key(s) encrypting router passwords, comma-separated; "
       "default <data>/fernet.key"),
    _v("BASE_URL", Kind.TEXT, "", "address people open mikromon at (links in notifications)"),
    _v("DEBUG", Kind.FLAG, "off", "Django debug pages"),
    _v("ALLOWED_HOSTS", Kind.NAMES, "localhost,127.0.0.1,[::1]",
       "host names the web application answers to"),
    _v("CSRF_TRUSTED_ORIGINS", Kind.NAMES, "", "origins trusted behind an HTTPS proxy"),
    _v("SECURE_COOKIES", Kind.FLAG, "off", "cookies only over HTTPS"),
    _v("METRICS_ANONYMOUS", Kind.FLAG, "off", "/metrics and /metrics/sd answer without "
       "credentials"),
    _v("METRICS_DHCP_LEASES", Kind.FLAG, "off", "/metrics gives one "
       "mktxp_dhcp_lease_info sample per bound DHCP lease"),
    _v("METRICS_WIRELESS_CLIENTS", Kind.FLAG, "off", "/metrics gives mktxp's "
       "per-client wireless families (mktxp_wlan_clients_*)"),
    _v("SESSION_HOURS", Kind.NUMBER, "8", "sign-in lifetime, hours"),
    _v("SIGNIN_FAILURES_PER_USER", Kind.WHOLE, "5", "wrong passwords per user name "
       "within the window", minimum=1),
    _v("SIGNIN_FAILURES_PER_ADDRESS", Kind.WHOLE, "20", "wrong passwords per client "
       "address within the window", minimum=1),
    _v("TOKEN_FAILURES_PER_ADDRESS", Kind.WHOLE, "20", "unknown API tokens per client "
       "address within the window", minimum=1),
    _v("SIGNIN_WINDOW_MINUTES", Kind.NUMBER, "15", "the window of the sign-in limits"),
    _v("CONN_MAX_AGE", Kind.WHOLE, "0", "seconds database connections are reused"),
    _v("SQLITE_BUSY_TIMEOUT_MS", Kind.WHOLE, "20000", "SQLite: how long a write waits "
       "for another process's write lock, ms"),
    *(_v(f"RETENTION_{key}_DAYS", Kind.NUMBER, days, f"days {what} are kept")
      for key, days, what in _RETENTION),
    _v("STATIC_ROOT", Kind.TEXT, "", "target of collectstatic; default <data>/staticfiles"),
    _v("NODE_MODULES", Kind.TEXT, "", "where the browser libraries were installed"),
    _v("WRITER", Kind.CHOICE, "auto", "where the collector's database writes run "
       "(auto: a child process from 500 enabled devices on 2 CPUs or more)",
       choices=("auto", "thread", "process")),
    _v("COMPACTION", Kind.FLAG, "on", "the maintenance compacts samples older than 2 h "
       "into compressed chunks (docs/storage.md)"),
    _v("WEB_WORKERS", Kind.WHOLE, "0", "web worker processes of `mikromon serve` "
       "(0: one per core, 1 to 4)", maximum=64),
    _v("COLLECTORS", Kind.WHOLE, "1", "collector processes of `mikromon serve` sharing the "
       "fleet (2 or more: as members, see COLLECTOR_MEMBERS)", minimum=1, maximum=64),
    _v("COLLECTOR_MEMBERS", Kind.FLAG, "off", "this collector shares the fleet with other "
       "collectors of the database (on every host; on by itself with COLLECTORS of 2 or more)"),
    _v("MEMBER_TTL", Kind.NUMBER, "15", "seconds without heartbeat after which a collector "
       "member's devices are taken over"),
    _v("EVENT_LOOP", Kind.CHOICE, "auto", "the event loop of the collector and the emulated "
       "routers: uvloop where installed (auto), uvloop, or asyncio's own",
       choices=("auto", "uvloop", "asyncio")),
    _v("TIME_SCALE", Kind.NUMBER, "1", "tests only: multiplies every interval and backoff"),
    *(v for prefix, store, scheme in (
        ("REMOTE_WRITE", "Prometheus remote-write store", "bearer"),
        ("INFLUX", "InfluxDB (or VictoriaMetrics) line-protocol store", "InfluxDB 2.x"))
      for v in (
        _v(f"{prefix}_URL", Kind.TEXT, "", f"write URL of the {store} samples are pushed to"),
        _v(f"{prefix}_TOKEN", Kind.TEXT, "", f"{scheme} token of that store"),
        _v(f"{prefix}_USERNAME", Kind.TEXT, "", "basic-auth user of that store"),
        _v(f"{prefix}_PASSWORD", Kind.TEXT, "", "basic-auth password of that store"),
        _v(f"{prefix}_MAX_DISK_MB", Kind.WHOLE, "2048", "most megabytes of unsent samples "
           "kept on disk for that store", minimum=1))),
    _v("SYSLOG_PORT", Kind.WHOLE, "0", "the syslog receiver's UDP and TCP port (0: off)",
       maximum=65535),
    _v("SYSLOG_BIND", Kind.ADDRESS, "127.0.0.1", "the address the syslog receiver listens on"),
    _v("SYSLOG_RATE", Kind.NUMBER, "200", "syslog lines per second accepted from one router"),
    _v("SYSLOG_MAX_CONNECTIONS", Kind.WHOLE, "64", "syslog TCP connections open at once",
       minimum=1),
)}

#: The time scale given by the command line (:func:`use_time_scale`), else ``None``.
_time_scale_given: float | None = None


def _raw(name: str, kind: Kind, environ: Mapping[str, str] | None) -> tuple[Variable, str]:
    """Return the variable ``name`` (which must be of ``kind``) and its text, stripped;
    the declared default when unset or blank."""
    var = VARIABLES[name]
    if var.kind is not kind:
        raise TypeError(f"{name} is a {var.kind.value} variable, not {kind.value}")
    env = os.environ if environ is None else environ
    value = env.get(name, "").strip()
    return var, value or var.default


def _bad(name: str, value: str, must: str) -> ConfigError:
    return ConfigError(f"{name}={value!r}: must be {must}")


def text(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Return the text variable ``name`` (stripped; its default when unset or blank)."""
    return _raw(name, Kind.TEXT, environ)[1]


def given(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Return the variable ``name`` when it is set and not blank (stripped), else
    ``None`` (not its default: for callers that tell "set" from "unset")."""
    if name not in VARIABLES:
        raise KeyError(name)
    env = os.environ if environ is None else environ
    return env.get(name, "").strip() or None


def flag(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """Return the on/off variable ``name``.

    Raises:
        ConfigError: naming the variable, for a word other than 1/true/yes/on or
            0/false/no/off.
    """
    _, value = _raw(name, Kind.FLAG, environ)
    word = value.lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise _bad(name, value, "one of 1, true, yes, on (or 0, false, no, off)")


def whole(name: str, environ: Mapping[str, str] | None = None) -> int:
    """Return the whole-number variable ``name`` (at least its ``minimum``).

    Raises:
        ConfigError: naming the variable, for anything else (``7x``, ``1.5``, ``-1``).
    """
    var, value = _raw(name, Kind.WHOLE, environ)
    whole_number = value.isascii() and value.isdigit()
    if var.maximum is not None and not (whole_number and
                                        var.minimum <= int(value) <= var.maximum):
        raise _bad(name, value, f"a whole number from {var.minimum} to {var.maximum}")
    if not whole_number or int(value) < var.minimum:
        raise _bad(name, value, f"a whole number of at least {var.minimum}")
    return int(value)


def number(name: str, environ: Mapping[str, str] | None = None) -> float:
    """Return the number variable ``name``: finite and greater than 0.

    Raises:
        ConfigError: naming the variable, for anything else (``7x``, ``0``, ``nan``).
    """
    _, value = _raw(name, Kind.NUMBER, environ)
    try:
        result = float(value)
    except ValueError:
        result = math.nan
    if not value.isascii() or not math.isfinite(result) or result <= 0:
        raise _bad(name, value, "a number greater than 0")
    return result


def names(name: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Return the comma-separated variable ``name`` as a list (blank items dropped).
    Set but blank: the declared default."""
    return [item.strip() for item in _raw(name, Kind.NAMES, environ)[1].split(",")
            if item.strip()]


def choice(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Return the variable ``name``, one of its ``choices`` (lower case).

    Raises:
        ConfigError: naming the variable and the choices, for any other value.
    """
    var, value = _raw(name, Kind.CHOICE, environ)
    if value.lower() not in var.choices:
        raise _bad(name, value, one_of(var.choices))
    return value.lower()


def one_of(choices: Sequence[str]) -> str:
    """``"auto, thread or process"``: ``choices`` as an error message lists them."""
    return f"{', '.join(choices[:-1])} or {choices[-1]}" if len(choices) > 1 else choices[0]


def address(name: str, environ: Mapping[str, str] | None = None) -> str:
    """Return the IP address variable ``name`` (an IPv4 or IPv6 literal).

    Raises:
        ConfigError: naming the variable, for anything else (a host name).
    """
    _, value = _raw(name, Kind.ADDRESS, environ)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise _bad(name, value, "an IP address (127.0.0.1, 0.0.0.0, ::)") from None
    return value


def use_time_scale(value: float | None) -> None:
    """Make ``value`` this process's time scale (``serve --time-scale``), over
    ``MIKROMON_TIME_SCALE``; ``None`` returns to the variable.

    Raises:
        ConfigError: ``value`` is not a finite number greater than 0.
    """
    global _time_scale_given
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ConfigError(f"the time scale must be a number greater than 0, not {value!r}")
    _time_scale_given = value


def time_scale(environ: Mapping[str, str] | None = None) -> float:
    """Return the factor applied to every collection interval and backoff: the one
    given by :func:`use_time_scale`, else ``MIKROMON_TIME_SCALE`` (default 1).

    Raises:
        ConfigError: ``MIKROMON_TIME_SCALE`` is not a number greater than 0.
    """
    if _time_scale_given is not None and environ is None:
        return _time_scale_given
    return number("MIKROMON_TIME_SCALE", environ)


#: Whether ``mikromon collector join`` made this process a collector member.
_joined_members = False


def join_collector_members() -> None:
    """Make this process's collector a member sharing the fleet (``mikromon
    collector join``), whatever ``MIKROMON_COLLECTOR_MEMBERS`` says."""
    global _joined_members
    _joined_members = True


def collector_members(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process's collector shares the fleet with the other collectors
    of the database: :func:`join_collector_members` was called,
    ``MIKROMON_COLLECTOR_MEMBERS`` is on, or ``MIKROMON_COLLECTORS`` is 2 or more.

    Raises:
        ConfigError: either variable is malformed.
    """
    return (_joined_members or flag("MIKROMON_COLLECTOR_MEMBERS", environ)
            or whole("MIKROMON_COLLECTORS", environ) > 1)


def child_environment(*, import_from: str = "", **changes: str) -> dict[str, str]:
    """Return a copy of this process's environment with ``changes`` made (the
    environment of a child process, e.g. ``mikromon serve``'s collector and web
    workers, which read their settings from it). ``import_from``: a folder put
    first on the child's ``PYTHONPATH``. Reads nothing but passes everything on."""
    env = dict(os.environ)
    env.update(changes)
    if import_from:
        rest = env.get("PYTHONPATH", "")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (import_from, rest) if p)
    return env
