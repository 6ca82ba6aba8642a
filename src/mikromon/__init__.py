"""mikromon: monitoring for fleets of MikroTik RouterOS routers.

Data flows one way::

    device config ──► schedule ──► routeros ──► collectors ──► pipeline ──► storage
    (web UI / CLI)    (tiers)      (librouteros) (rows ->       (rates)     (database:
                                                 samples,                    points, latest,
                                                 inventory)                  inventory)

Everything but :mod:`mikromon.web` is framework-free: it never imports Django, and
reaches storage only through the Protocols in :mod:`mikromon.storage.protocols`.
"""

__version__ = "0.1.0"
