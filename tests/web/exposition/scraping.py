"""Scraping ``/metrics`` through Django's test client in the exposition tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

#: (sample name, sorted label pairs) -> value.
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _samples(client: Any, **params: Any) -> Iterator[Any]:
    response = client.get("/metrics", params)
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        yield from family.samples


def scrape(client: Any, **params: Any) -> Samples:
    """Every sample of a scrape (query ``params``), keyed by name and labels."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for s in _samples(client, **params)}


def label_sets(client: Any, device: str | None = None) -> dict[str, list[dict[str, str]]]:
    """Sample name -> the label sets of its samples, each with its ``value`` as
    text; only ``device``'s samples (``routerboard_name``) when given."""
    out: dict[str, list[dict[str, str]]] = {}
    for s in _samples(client):
        if device is None or s.labels.get("routerboard_name") == device:
            out.setdefault(s.name, []).append({**s.labels, "value": str(s.value)})
    return out
