"""Reads never write: a token's last-used time is recorded off the request path,
at most once a minute, so a held database write lock cannot slow an API read."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone


def _writes(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries
            if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]


@pytest.mark.django_db(transaction=True)
def test_token_request_writes_nothing_on_its_connection(admin_token):
    """An API read authenticated by token runs no write statement itself."""
    from mikromon.web.monitor.models.system import flush_token_uses

    with CaptureQueriesContext(connection) as ctx:
        response = Client(HTTP_AUTHORIZATION=f"Token {admin_token}").get("/api/v1/devices")
    assert response.status_code == 200
    assert _writes(ctx.captured_queries) == []
    assert flush_token_uses()


@pytest.mark.django_db(transaction=True)
def test_last_used_written_at_most_once_a_minute(admin_token):
    """Within a minute of the recorded use, further requests queue no write; after
    it, the next request records the new time."""
    from mikromon.web.monitor.models import ApiToken
    from mikromon.web.monitor.models.system import flush_token_uses

    client = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    client.get("/api/v1/")
    assert flush_token_uses()
    first = ApiToken.objects.get().last_used
    assert first is not None
    client.get("/api/v1/")
    assert flush_token_uses()
    assert ApiToken.objects.get().last_used == first
    old = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.update(last_used=old)
    from mikromon.web.monitor.models import system

    system._use_queued.clear()
    client.get("/api/v1/")
    assert flush_token_uses()
    assert ApiToken.objects.get().last_used > old


@pytest.mark.django_db(transaction=True)
def test_held_write_lock_does_not_slow_a_token_read(admin_token, device):
    """With another connection holding SQLite's write lock, a token-authenticated read
    still answers 200: it would otherwise wait out the busy timeout and fail with
    'database is locked'. The queued use is written once the lock is released."""
    from mikromon.web.monitor.models import ApiToken
    from mikromon.web.monitor.models.system import flush_token_uses

    if connection.vendor != "sqlite":
        pytest.skip("the write lock held here is SQLite's")
    path = connection.settings_dict["NAME"]
    connection.close()
    holder = sqlite3.connect(path, timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = Client(HTTP_AUTHORIZATION=f"Token {admin_token}").get(
            f"/api/v1/devices/{device.pk}")
        assert response.status_code == 200, response.content
        assert ApiToken.objects.get().last_used is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert flush_token_uses()
    assert ApiToken.objects.get().last_used is not None
