"""Rates from API replies: bit rates with SI prefixes and wireless PHY suffixes
(``72.2Mbps-20MHz/1S/SGI``), ethernet link rates and radio signal strength
(``-62@1Mbps``).

Source: shared/ROUTEROS-API.md §7 "Rates/PHY"; the wireless and queue captures.
"""

from __future__ import annotations

import re
from typing import Final

from mikromon.domain.errors import ValueParseError
from mikromon.routeros.values.checks import check_range, to_decimal, value_text
from mikromon.routeros.values.numbers import parse_float

__all__ = [
    "MAX_BITRATE_BPS", "SIGNAL_MAX_DBM", "SIGNAL_MIN_DBM", "parse_bitrate", "parse_link_rate",
    "parse_signal",
]

#: Fastest rate a router's interface carries (400GBASE), bits/s: any rate above it
#: is impossible.
MAX_BITRATE_BPS: Final = 400e9


_RATE: Final = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)(?P<prefix>[kKMGT]?)(?:bps)?(?:-\S+)?", re.ASCII
)
_RATE_FACTOR: Final = {
    "": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
}


def parse_bitrate(text: str) -> float:
    """Parse a rate into bits per second.

    Accepts ``bps``/``kbps``/``Mbps``/``Gbps`` (decimal SI: k = 1000), the bare
    prefixes queues print (``10M``, ``512k``), plain integers (wifi ``tx-rate``,
    monitor-traffic ``rx-bits-per-second``) and a wireless PHY suffix after ``-``
    (``72.2Mbps-20MHz/1S/SGI``, ``1200.9Mbps-80MHz/2S/MCS11``), which is ignored.
    Source: shared/ROUTEROS-API.md §7 "Rates/PHY"; interface_wireless_registration_table.v6.json,
    queue_simple.v7.json, interface_monitor_traffic.v7.json.

    Returns:
        bits/s (float, 0 .. :data:`MAX_BITRATE_BPS`).

    Raises:
        ValueParseError: ``kind="bitrate"`` for anything else, and for rates above
            :data:`MAX_BITRATE_BPS` (no interface carries them).
    """
    body = value_text("bitrate", text)
    match = _RATE.fullmatch(body)
    if not match:
        raise ValueParseError("bitrate", text)
    bps = float(to_decimal("bitrate", match["n"], text) * _RATE_FACTOR[match["prefix"]])
    check_range("bitrate", bps, text, high=MAX_BITRATE_BPS)
    return bps


def parse_link_rate(text: str) -> float:
    """Parse an ethernet link rate into bits per second: ``rate`` of
    ``/interface/ethernet/monitor`` (``10Mbps``, ``100Mbps``, ``1Gbps``,
    ``2.5Gbps``, ``10Gbps``...; interface_ethernet_monitor.v7.json ``"rate": "1Gbps"``;
    help.mikrotik.com "Ethernet": 10 Mbps to 100 Gbps ports). The same forms as
    :func:`parse_bitrate`, which it uses, but a link has a rate above 0.

    Returns:
        bits/s (float, above 0, at most :data:`MAX_BITRATE_BPS`).

    Raises:
        ValueParseError: ``kind="link rate"`` for ``0`` and for anything
            :func:`parse_bitrate` refuses.
    """
    try:
        bps = parse_bitrate(text)
    except ValueParseError as err:
        raise ValueParseError("link rate", text, err.reason) from None
    if bps <= 0:
        raise ValueParseError("link rate", text, "a link rate is above 0")
    return bps


#: Received signal any radio reports, dBm: receivers stop near -120 dBm, and
#: no transmitter lawfully exceeds +36 dBm EIRP.
SIGNAL_MIN_DBM: Final = -150.0
SIGNAL_MAX_DBM: Final = 40.0


def parse_signal(text: str) -> float:
    """Parse a signal strength into dBm: ``-62@1Mbps`` (v6 ``signal-strength``,
    the rate after ``@`` is ignored) or ``-55`` (v7 wifi ``signal``).

    Source: interface_wireless_registration_table.v6.json,
    interface_wifi_registration_table.v7.json.

    Returns:
        dBm (float, :data:`SIGNAL_MIN_DBM` .. :data:`SIGNAL_MAX_DBM`).

    Raises:
        ValueParseError: ``kind="signal"`` for anything else, or out of range.
    """
    body = value_text("signal", text)
    level = body.split("@", 1)[0].strip()
    try:
        result = parse_float(level)
    except ValueParseError:
        raise ValueParseError("signal", text) from None
    check_range("signal", result, text, SIGNAL_MIN_DBM, SIGNAL_MAX_DBM)
    return result

