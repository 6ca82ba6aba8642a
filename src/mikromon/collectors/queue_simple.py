"""``/queue/simple`` (medium): simple queues, their rates and limits.

Path: ``/queue/simple`` (v6 and v7), proplist :data:`PROPLIST`.
Example row (queue_simple.v7.json, 7.13+)::

    {".id": "*2", "name": "cust-0042", "target": "10.99.0.2/32", "parent": "none",
     "max-limit": "10000000/20000000", "bytes": "211883021/3928771542",
     "packets": "902771/2911443", "dropped": "12/4891", "rate": "820112/9871224",
     "packet-rate": "88/834", "dynamic": "false", "disabled": "false",
     "comment": "plan 10M/20M", ...}

Pairs are ``upload/download`` (the target's upload first); ``max-limit`` and
``rate`` are bits/s, ``0`` meaning unlimited / idle.

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
from mikromon.collectors.support import Field, flag, proplist, read, sample, snapshot
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import ReplyLimit, RouterOSClient, Row
from mikromon.routeros.values import parse_bitrate, parse_int, parse_pair

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
    Field("bytes", parse_int, parts=_UD, sep="/"),
    Field("packets", parse_int, parts=_UD, sep="/"),
    Field("dropped", parse_int, parts=_UD, sep="/"),
)
#: field -> metric key prefix; the pair gives ``<prefix>upload`` / ``download``.
SAMPLE_FIELDS = {
    "rate": ("queue.{}_bps", parse_bitrate),
    "packet-rate": ("queue.{}_pps", parse_int),
    "max-limit": ("queue.{}_max_limit_bps", parse_bitrate),
}
PROPLIST = (*proplist(INVENTORY_FIELDS), "rate", "packet-rate")


def map_samples(rows: Sequence[Row], ts: datetime) -> list[Sample]:
    """Map queue rows to rate and limit samples.

    Raises:
        ValueParseError: a rate or limit is not a number pair.
    """
    out = []
    for row in rows:
        name = row.get("name")
        if not name:
            continue
        for field, (pattern, parse) in SAMPLE_FIELDS.items():
            if field not in row:
                continue
            up, down = parse_pair(row[field], "/")
            out.append(sample(pattern.format("upload"), parse(up), ts, queue=name))
            out.append(sample(pattern.format("download"), parse(down), ts, queue=name))
    return out


class QueueSimpleCollector:
    """Reads the simple queues each medium poll."""

    name = "queue_simple"
    tier = Tier.MEDIUM

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the queues; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
            ValueParseError: a rate or limit is not a number pair.
        """
        result = CollectResult()
        rows = await read(client, ctx, result, PATH, PROPLIST, limit=REPLY_LIMIT)
        if rows is not None:
            ts = ctx.clock()
            result.samples = map_samples(rows, ts)
            result.inventory.append(
                snapshot("simple_queues", rows, INVENTORY_FIELDS, ("name",), ts)
            )
        return result
