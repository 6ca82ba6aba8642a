"""Outputs: the collector's samples pushed to time-series stores made for long
history (Prometheus remote write 1.0: Prometheus, VictoriaMetrics, Mimir, Thanos).

- :mod:`.disk_queue`: a durable, bounded FIFO of payloads in a folder; what is
  accepted survives a restart, and the oldest payloads are dropped (and counted)
  past the bound.
- :mod:`.remote_write`: the remote-write 1.0 request (protobuf, snappy) of a batch
  of samples, named as ``/metrics`` names them.
- :mod:`.worker`: one thread per output that batches samples into its queue and
  sends the queue's payloads in order, retrying with backoff.

No Django here: the web application builds outputs from its settings.
"""
