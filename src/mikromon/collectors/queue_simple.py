"""``/queue/simple`` (medium): simple queues, their rates and limits.

Path: ``/queue/simple`` (v6 and v7), proplist :data:`PROPLIST`.
Example row (queue_simple.v7.json, 7.13+)::

    {".id": "*2", "name": "cust-0042", "target": "10.99.0.2/32", "parent": "none",
     "max-limit": "10000000/20000000", "bytes": "211883021/3928771542",
     "packets": "902771/2911443", "dropped": "12/4891", "rate": "820112/9871224",
     "packet-rate": "88/834", "dynamic": "false", "disabled": "false",
     "comment": "plan 10M/20M", ...}

Pairs are ``upload/download`` (the target's upload first); ``max-limit`` and
``rate`` are bits/s, ``0`` meaning unlimited / idle. Each half of each pair is
read on its own: an unreadable or impossible half (a rate above 400 Gbit/s, a
negative or 2^64-near count) gives no sample / ``None`` for that half only and
a ``bad_values`` entry with the pair's text.

Produces (label ``queue`` = name): queue.upload_bps, queue.download_bps (the
router's own rate), queue.upload_pps, queue.download_pps,
queue.upload_max_limit_bps, queue.download_max_limit_bps. Inventory table
``simple_queues`` (key ``name``): name, target, parent, comment, disabled,
dynamic, invalid, and the pairs split into ``max-limit.upload`` /
``max-limit.download``, ``limit-at.*``, ``bytes.*``, ``packets.*``, ``dropped.*``
(ints).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Field, Values, flag, proplist, sample, snapshot
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.errors import ValueParseError
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import ReplyLimit, Row
from mikromon.routeros.values.numbers import parse_counter
from mikromon.routeros.values.rates import parse_bitrate
from mikromon.routeros.values.text import parse_pair

PATH = "/queue/simple"
#: Reply limit: an ISP shapes each subscriber with its own simple queue, so
#: 50,000 rows of 1 KiB.
REPLY_LIMIT = ReplyLimit.for_rows(50_000)
_UD = ("upload", "download")

INVENTORY_FIELDS = (
    Field("name"),
    Field("target"),
    Field("parent"),
    Field("comment"),
    flag("disabled"),
    flag("dynamic"),
    flag("invalid"),
    Field("max-limit", parse_bitrate, parts=_UD, sep="/"),
    Field("limit-at", parse_bitrate, parts=_UD, sep="/"),
    Field("bytes", parse_counter, parts=_UD, sep="/"),
    Field("packets", parse_counter, parts=_UD, sep="/"),
    Field("dropped", parse_counter, parts=_UD, sep="/"),
)
#: field -> metric key prefix; the pair gives ``<prefix>upload`` / ``download``.
SAMPLE_FIELDS = {
    "rate": ("queue.{}_bps", parse_bitrate),
    "packet-rate": ("queue.{}_pps", parse_counter),
    "max-limit": ("queue.{}_max_limit_bps", parse_bitrate),
}
PROPLIST = (*proplist(INVENTORY_FIELDS), "rate", "packet-rate")


def map_samples(
    rows: Sequence[Row], ts: datetime, reader: Values | None = None
) -> list[Sample]:
    """Map queue rows to rate and limit samples, each half of each pair on its own.

    Args:
        rows: ``/queue/simple`` rows.
        ts: time of the reply, UTC.
        reader: records refused values (default: a throw-away one).
    """
    values = reader if reader is not None else Values(PATH, CollectResult())
    out = []
    for row in rows:
        name = row.get("name")
        if not name:
            continue
        for field, (pattern, parse) in SAMPLE_FIELDS.items():
            raw = row.get(field)
            if raw is None:
                continue
            try:
                halves = parse_pair(raw, "/")
            except ValueParseError as err:
                values.bad(field, raw, str(err), name)
                continue
            reason = ""
            for side, text in zip(_UD, halves, strict=True):
                try:
                    value = parse(text)
                except ValueParseError as err:
                    reason = reason or str(err)
                    continue
                out.append(sample(pattern.format(side), value, ts, queue=name))
            if reason:
                values.bad(field, raw, reason, name)
    return out


class QueueSimpleCollector(PrintCollector):
    """Reads the simple queues each medium poll."""

    name = "queue_simple"
    tier = Tier.MEDIUM
    views = (TableView("simple_queues", "Queues", (PATH,),
                       ("name", "target", "max-limit", "limit-at", "bytes", "packets",
                        "dropped"), bytes=("bytes",), bits_per_second=("max-limit", "limit-at"),
                       tab=Tab("queues", "Queues")),)

    path = PATH
    proplist = PROPLIST
    reply_limit = REPLY_LIMIT

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Map the queues; see the module docstring."""
        ts = ctx.clock()
        result.samples = map_samples(rows, ts, Values(PATH, result))
        result.inventory.append(snapshot("simple_queues", rows, INVENTORY_FIELDS, ("name",), ts,
                                         reader=Values(PATH, result)))
