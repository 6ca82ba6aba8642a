"""Operating the collector across processes: the desired state an operator asks
for (``mikromon collector start|stop``, the web UI's buttons) and the status the
running collector publishes every second, so that commands run in another
process read what the running collector is doing."""
