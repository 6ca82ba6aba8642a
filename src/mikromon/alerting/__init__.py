"""Alerting core (no Django): rules, the evaluation engine, default rules, and the
queue that feeds the engine from the collector. Storage goes through
:class:`mikromon.storage.protocols.AlertStore`."""
