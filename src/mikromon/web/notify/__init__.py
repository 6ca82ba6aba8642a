"""Notifications (label ``notify``): channels with their routing, the outbox, the
router that turns alert events into messages, and the delivery worker.
See docs/alerting.md, "Notifications"."""
