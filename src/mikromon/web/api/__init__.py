"""The JSON API under ``/api/v1/`` (see docs/api.md): devices, latest values,
time series, inventory tables and the collector. Session or token auth."""
