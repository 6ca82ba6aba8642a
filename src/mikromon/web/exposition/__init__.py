"""Prometheus exposition of the fleet: ``/metrics`` (every device, or one with
``?target=<device name>``, Prometheus's multi-target pattern) and ``/metrics/sd``
(HTTP service discovery). Families and their sources: docs/prometheus.md.
"""
