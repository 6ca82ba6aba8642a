"""Exporters: mikromon's stored values in the formats other tools read.

- :mod:`.mktxp`: the metric families of mktxp (the RouterOS Prometheus exporter
  most Grafana dashboards are built on), mapped from mikromon's metric catalog.
- :mod:`.prometheus`: a ``prometheus_client`` collector that builds those
  families, and mikromon's own ``mikromon_`` families, from a fleet snapshot.

Nothing here sends a router command or imports Django: the web application reads
the snapshot from the database (:mod:`mikromon.web.exposition`).
"""
