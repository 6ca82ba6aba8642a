"""Alerting core (no Django): rules, the evaluation engine, default rules, and the
sink that feeds the engine from the collector. Storage goes through
:class:`mikromon.sinks.base.AlertStore`."""
