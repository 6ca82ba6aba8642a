"""Models of the monitor app (re-exported here; defined by topic in sub-modules)."""

from mikromon.web.monitor.models.devices import (
    API_PORT,
    API_SSL_PORT,
    INTERVAL_FIELDS,
    ConfigVersion,
    Device,
    Site,
    Tag,
    default_port,
)
from mikromon.web.monitor.models.inventory import (
    Event,
    InventoryItem,
    InventorySync,
    InventoryTerm,
    LogEntry,
)
from mikromon.web.monitor.models.metrics import (
    ROLLUP_STEPS,
    MetricCatalog,
    MetricChunk,
    MetricLatest,
    MetricPoint,
    MetricRollup,
    ReportDayRates,
    ReportSummary,
    Series,
    labels_key,
)
from mikromon.web.monitor.models.system import (
    ApiToken,
    CollectorLease,
    MaintenanceState,
    hash_token,
)

__all__ = [
    "API_PORT",
    "API_SSL_PORT",
    "INTERVAL_FIELDS",
    "ROLLUP_STEPS",
    "ApiToken",
    "CollectorLease",
    "ConfigVersion",
    "Device",
    "Event",
    "InventoryItem",
    "InventorySync",
    "InventoryTerm",
    "LogEntry",
    "MaintenanceState",
    "MetricCatalog",
    "MetricChunk",
    "MetricLatest",
    "MetricPoint",
    "MetricRollup",
    "ReportDayRates",
    "ReportSummary",
    "Series",
    "Site",
    "Tag",
    "default_port",
    "hash_token",
    "labels_key",
]
