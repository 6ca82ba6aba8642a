"""Parsers for the strings RouterOS puts in API replies, one module per kind of value.

* :mod:`~mikromon.routeros.values.durations`: durations and elapsed times.
* :mod:`~mikromon.routeros.values.numbers`: booleans, integers, counters, MTUs,
  AS numbers, decimals, sizes, percentages, sensor readings.
* :mod:`~mikromon.routeros.values.rates`: bit rates, link rates, signal strength.
* :mod:`~mikromon.routeros.values.versions`: RouterOS versions.
* :mod:`~mikromon.routeros.values.dates`: dates, times and GMT offsets.
* :mod:`~mikromon.routeros.values.text`: text in the device's codepage, two-part values.
* :mod:`~mikromon.routeros.values.checks`: what they all share (length and range checks).

Every value in a RouterOS API reply is text (shared/ROUTEROS-API.md §7, "Value
rendering"): numbers without units or digit grouping, booleans as ``true``/``false``,
durations as ``1w4d23h26m9s``, rates with units, pairs joined by ``,`` or ``/``.
The functions here turn one such string into a Python value, or raise
:class:`~mikromon.domain.errors.ValueParseError` naming the kind and the text.
They never raise anything else, whatever the input.

Formats and where they were seen (capture files are in shared/routeros-captures/):

* durations: ``1w4d23h26m9s`` (system_resource.v6.json ``uptime``), ``53m10s720ms``
  (routing_bgp_session.v7.json), ``170ms``, ``14ms612us`` (ping times), ``0s``,
  old ``HH:MM:SS`` forms (``01:22:53`` in the API doc's OID example, socialwifi's
  ``[Nw][Nd]HH:MM:SS[.frac]``), a leading ``-`` (DinoTools' duration parser).
* booleans: ``true``/``false`` from the API, ``yes``/``no`` from the CLI and old
  versions (interface.v6.json ``running``).
* sizes: plain byte counts from the API; ``64.0MiB`` / ``512KiB`` in terminal output.
* rates: ``1Gbps``, ``72.2Mbps-20MHz/1S/SGI`` (interface_wireless_registration_table.v6.json
  ``tx-rate``), ``1200.9Mbps-80MHz/2S/MCS11``, queue limits ``10M``, wifi plain ints.
* versions: ``7.20.5 (stable)`` (system_resource.v7.json), ``6.48.6 (long-term)``
  (system_resource.v6.json), ``7.18beta2``.
* pairs: ``bytes=6689896,2094536`` (wireless), ``max-limit=10000000/20000000``
  (queue_simple.v7.json).
* signal: ``-51@1Mbps`` (v6 ``signal-strength``), ``-55`` (v7 ``signal``).
* dates: ``jul/09/2023 07:18:33`` (v6 and v7 < 7.10), ``Dec/03/2021 12:15:05``
  (``build-time``), ``2024-10-08 11:14:27`` (v7.10+).
* text: RouterOS stores bytes without a charset; Winbox writes the PC's codepage
  (librouteros issue #30): UTF-8 first, then the device's codepage.

Impossible values are refused like unreadable ones (``ValueParseError`` with a
``reason``), so that no stored series ever holds them: counters and sizes from
2^63 up (a ``-1`` read as unsigned, "near 2^64"), negative counters and sizes,
percentages outside 0..100, bit rates above :data:`MAX_BITRATE_BPS`, elapsed
times below zero, sensor readings outside :data:`SENSOR_RANGES`.
"""
