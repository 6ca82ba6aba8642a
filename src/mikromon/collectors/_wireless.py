"""What the legacy wireless and the wifi collectors share: counting clients per
interface, including interfaces that have none."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from mikromon.collectors.support import sample
from mikromon.domain.samples import Sample
from mikromon.routeros.base import Row


def client_counts(
    interfaces: Sequence[Row], clients: Sequence[Row], ts: datetime
) -> list[Sample]:
    """Return one ``wireless.clients`` sample per interface (label ``interface``).

    Args:
        interfaces: interface rows (``name``); each gets a sample, 0 without clients.
        clients: registration-table rows (``interface``).
        ts: time of the reply, UTC.
    """
    per_interface = Counter(row["interface"] for row in clients if row.get("interface"))
    names = [row["name"] for row in interfaces if row.get("name")]
    names += sorted(set(per_interface) - set(names))
    return [sample("wireless.clients", per_interface[name], ts, interface=name)
            for name in names]
