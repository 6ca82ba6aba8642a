"""The ``alerts`` Django app: alert rules, per-device overrides, alerts, their
history (``AlertEvent``), silences, and the SQL implementation of the rule
engine's store (:class:`mikromon.storage.protocols.AlertStore`)."""
