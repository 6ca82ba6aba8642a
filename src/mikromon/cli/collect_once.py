"""``mikromon collect-once``: poll one router once per tier and print what came back.

No database, no configuration: a quick way to see what mikromon reads from a
router (and whether it can log in at all). The realtime tier is read twice,
:data:`RATE_GAP` seconds apart, so interface bit rates show.

Exit codes (the table of :mod:`mikromon.cli._common`): 0 read (collector
failures are listed but do not change it), 2 bad options or password input,
4 router unreachable or not answering, 5 the router refused the user name or
password.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Final

from mikromon import event_loop
from mikromon.cli._common import (
    EXIT_AUTH,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    Subparsers,
    add_command,
    fail,
)
from mikromon.cli._django import CommandError
from mikromon.cli._password import add_password_options, read_password
from mikromon.collectors.poll import PollSession, poll_session
from mikromon.domain.catalog import lookup
from mikromon.domain.devices import DeviceConfig, TlsVerify, endpoint
from mikromon.domain.errors import AuthenticationFailed, DeviceError, DeviceUnreachable
from mikromon.domain.formatting import unit_value, utc_iso
from mikromon.domain.inventory import CollectResult, DeviceFacts
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.pipeline.rates import RateCalculator

#: Seconds between the two realtime reads (what the bit rates average over).
RATE_GAP: Final = 1.0
#: Rows of each inventory table shown in the text output.
SHOWN_ROWS: Final = 3


def register(subparsers: Subparsers) -> None:
    """Add the ``collect-once`` sub-command."""
    parser = add_command(
        subparsers, "collect-once", handle,
        help="poll one router once and print what each tier reads",
        description="Connect to one router, run each tier's collectors once and print the "
        "samples, inventory tables, device facts and missing paths. The realtime tier is "
        f"read twice, {RATE_GAP:g} s apart, so interface bit rates show. "
        f"Exit codes: {EXIT_UNREACHABLE} router unreachable, {EXIT_AUTH} login refused "
        "(the table for every command: docs/operations.md).",
    )
    parser.add_argument("--host", required=True, help="router address (API service)")
    parser.add_argument("--port", type=int, help="API port (default 8728, 8729 with --ssl)")
    parser.add_argument("--username", required=True, help="API user (policies: api, read)")
    add_password_options(parser)
    parser.add_argument("--ssl", action="store_true", help="use API-SSL (TLS)")
    parser.add_argument(
        "--tls-verify", choices=[m.value for m in TlsVerify], default=None,
        help="certificate handling with --ssl (default: verify); needs --ssl",
    )
    parser.add_argument("--encoding", default="utf-8",
                        help="codepage of the router's text when not UTF-8 (default utf-8)")
    parser.add_argument("--tier", choices=["all", *(t.value for t in Tier)], default="all",
                        help="which tier to read (default: all five)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds allowed to connect and for each command (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


@dataclass(slots=True)
class Poll:
    """What one run read: the router's context and each tier's result."""

    device: str
    version: tuple[int, ...] = ()
    tiers: dict[Tier, CollectResult] = field(default_factory=dict)
    facts: DeviceFacts | None = None


def handle(args: argparse.Namespace) -> int:
    """Run the command; return the exit code."""
    if args.timeout <= 0:
        return fail("--timeout must be more than 0 seconds", EXIT_USAGE)
    if args.tls_verify is not None and not args.ssl:
        return fail(f"--tls-verify {args.tls_verify} needs --ssl: TLS verification applies "
                    "to API-SSL only", EXIT_USAGE)
    try:
        password = read_password(args, prompt=f"Password for {args.username}@{args.host}: ")
    except CommandError as err:
        return fail(err.message, err.code)
    port = args.port or (8729 if args.ssl else 8728)
    config = DeviceConfig(
        id=0, name=endpoint(args.host, port), host=args.host, port=port,
        username=args.username, password=password or "", use_ssl=args.ssl,
        tls_verify=TlsVerify(args.tls_verify or TlsVerify.VERIFY.value),
        encoding=args.encoding,
        connect_timeout=args.timeout, command_timeout=args.timeout,
    )
    tiers = list(Tier) if args.tier == "all" else [Tier(args.tier)]
    try:
        poll = event_loop.run(collect(config, tiers))
    except AuthenticationFailed as err:
        return fail(f"login refused: {err}", EXIT_AUTH)
    except DeviceUnreachable as err:
        return fail(f"router not reachable: {err}", EXIT_UNREACHABLE)
    except DeviceError as err:
        return fail(str(err), EXIT_UNREACHABLE)
    out = sys.stdout
    if args.json:
        json.dump(to_json(poll), out, indent=2)
        out.write("\n")
    else:
        out.write(render(poll))
    return 0


async def collect(config: DeviceConfig, tiers: list[Tier]) -> Poll:
    """Log in, learn the version, run ``tiers`` once (realtime twice) and log out
    (:func:`mikromon.collectors.poll.poll_session`).

    Raises:
        DeviceError: connecting, logging in or a broken session.
    """
    async with poll_session(config) as session:
        poll = Poll(device=config.label, version=session.ctx.version)
        facts = CollectResult()
        for tier in tiers:
            if tier is Tier.REALTIME:
                result = await _realtime(session)
            else:
                result = await session.run(tier)
            poll.tiers[tier] = result
            facts.merge(CollectResult(facts=result.facts))
        poll.facts = facts.facts
        return poll


async def _realtime(session: PollSession) -> CollectResult:
    """Read the realtime tier twice and add the rates between the two reads."""
    rates = RateCalculator()
    first = await session.run(Tier.REALTIME)
    rates.update(first.rate_inputs(), first.facts.uptime_s if first.facts else None)
    await asyncio.sleep(RATE_GAP)  # the interval the rates average over
    second = await session.run(Tier.REALTIME)
    uptime = second.facts.uptime_s if second.facts else None
    second.samples.extend(rates.update(second.rate_inputs(), uptime))
    second.absent = sorted(set(first.absent) | set(second.absent))
    return second


# --- output ------------------------------------------------------------------------------


def _unit(key: str) -> str:
    try:
        return lookup(key).unit
    except KeyError:
        return ""


def _labels(sample: Sample) -> str:
    return ",".join(f"{k}={v}" for k, v in sample.labels)


def _sample_lines(samples: list[Sample]) -> list[str]:
    """Unlabelled samples one per line; labelled ones as a table per metric family
    (rows: label values, columns: the metrics)."""
    lines: list[str] = []
    plain = sorted((s for s in samples if not s.labels), key=lambda s: s.key)
    if plain:
        width = max(len(s.key) for s in plain)
        lines += [f"  {s.key:<{width}}  {unit_value(s.value, _unit(s.key))}" for s in plain]
    families: dict[tuple[str, tuple[str, ...]], list[Sample]] = {}
    for s in samples:
        if s.labels:
            names = (s.key.rsplit(".", 1)[0], tuple(k for k, _ in s.labels))
            families.setdefault(names, []).append(s)
    for (family, label_names), members in sorted(families.items()):
        columns = sorted({s.key.rsplit(".", 1)[1] for s in members})
        cells: dict[str, dict[str, str]] = {}
        for s in members:
            row = cells.setdefault(",".join(v for _, v in s.labels), {})
            row[s.key.rsplit(".", 1)[1]] = unit_value(s.value, _unit(s.key))
        header = [",".join(label_names), *columns]
        table = [header] + [[name, *(row.get(c, "-") for c in columns)]
                            for name, row in sorted(cells.items())]
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        lines.append(f"  {family}:")
        lines += ["    " + "  ".join(cell.rjust(w) if i else cell.ljust(w)
                                     for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
                  for r in table]
    return lines


def render(poll: Poll) -> str:
    """Return ``poll`` as readable text: one section per tier, then the facts."""
    lines = [f"mikromon collect-once {poll.device}"]
    facts = asdict(poll.facts) if poll.facts is not None else {}
    for tier, result in poll.tiers.items():
        note = f" (read twice, {RATE_GAP:g} s apart)" if tier is Tier.REALTIME else ""
        lines += ["", f"== {tier.value}{note}"]
        lines += _sample_lines(result.samples)
        readings = result.readings()
        if readings:
            series = {c.labels for c in readings}
            lines.append(f"  counters: {len(readings)} readings over {len(series)} series")
        for snap in result.inventory:
            lines.append(f"  table {snap.table}: {len(snap.rows)} rows "
                         f"(key {', '.join(snap.key_fields)})")
            for row in list(snap.rows)[:SHOWN_ROWS]:
                shown = " ".join(f"{k}={v}" for k, v in row.items() if v not in (None, ""))
                lines.append(f"    {shown}")
            if len(snap.rows) > SHOWN_ROWS:
                lines.append(f"    ... {len(snap.rows) - SHOWN_ROWS} more")
        if result.absent:
            lines.append(f"  absent on this router: {', '.join(result.absent)}")
        for failure in result.failures:
            lines.append(f"  FAILED {failure}")
        for bad in result.bad_values:
            of_row = f" of {bad.row}" if bad.row else ""
            lines.append(
                f"  UNREADABLE {bad.path} {bad.field}{of_row}: {bad.raw!r} ({bad.reason})")
        if not (result.samples or readings or result.inventory or result.absent
                or result.failures or result.bad_values):
            lines.append("  (nothing)")
    lines += ["", "== facts"]
    lines += [f"  {name}: {value}" for name, value in facts.items() if value is not None]
    return "\n".join(lines) + "\n"


def to_json(poll: Poll) -> dict[str, object]:
    """Return ``poll`` as JSON-ready data (every inventory row, not only the first)."""
    return {
        "device": poll.device,
        "version": list(poll.version),
        "facts": asdict(poll.facts) if poll.facts is not None else None,
        "tiers": {
            tier.value: {
                "samples": [
                    {"key": s.key, "labels": dict(s.labels), "value": s.value,
                     "unit": _unit(s.key), "ts": utc_iso(s.ts)}
                    for s in result.samples
                ],
                "counters": [
                    {"key": c.key, "labels": dict(c.labels), "value": c.value,
                     "identity": c.identity, "ts": utc_iso(c.ts)}
                    for c in result.readings()
                ],
                "inventory": [
                    {"table": snap.table, "key_fields": list(snap.key_fields),
                     "append_only": snap.append_only, "ts": utc_iso(snap.ts),
                     "rows": [dict(row) for row in snap.rows]}
                    for snap in result.inventory
                ],
                "absent": list(result.absent),
                "failures": list(result.failures),
                "bad_values": [asdict(bad) for bad in result.bad_values],
            }
            for tier, result in poll.tiers.items()
        },
    }
