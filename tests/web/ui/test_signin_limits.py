"""Sign-in limits: per user name and per address, on our sign-in page and the
admin's; bad API tokens per address."""

from __future__ import annotations

import pytest
from django.test import Client

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def _fail(client: Client, path: str, username: str, times: int) -> list[int]:
    return [client.post(path, {"username": username, "password": "wrong-guess"}).status_code
            for _ in range(times)]


@pytest.fixture
def limits(settings):
    settings.MIKROMON_RATE_LIMITS = {
        "signin_per_user": (5, 900.0),
        "signin_per_address": (8, 900.0),
        "token_per_address": (6, 900.0),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", [LOGIN, ADMIN_LOGIN])
def test_user_name_paused_after_failures(path, admin, limits):
    """After 5 wrong passwords for one name the next attempt (even the right
    password) answers 429 with Retry-After and a message naming the user name."""
    client = Client()
    assert _fail(client, path, "alice", 5) == [200] * 5
    response = client.post(path, {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 800
    text = response.content.decode()
    assert "Too many failed sign-ins" in text
    assert "alice" in text
    assert "Try again in 15 minutes" in text
    # Another name from the same address may still sign in.
    other = client.post(path, {"username": "ALICE ", "password": "x"})
    assert other.status_code == 429  # the same name, case and spaces aside


@pytest.mark.django_db
def test_address_paused_across_user_names(admin, limits):
    """Guessing across many names from one address hits the per-address limit."""
    client = Client(REMOTE_ADDR="192.0.2.7")
    for i in range(8):
        assert _fail(client, LOGIN, f"user{i}", 1) == [200]
    response = client.post(LOGIN, {"username": "alice", "password": "alice-pass-123"})
    assert response.status_code == 429
    assert "192.0.2.7" in response.content.decode()
    # Another address is not affected.
    fine = Client(REMOTE_ADDR="192.0.2.8").post(
        LOGIN, {"username": "alice", "password": "alice-pass-123"})
    assert fine.status_code == 302


@pytest.mark.django_db
def test_success_clears_the_user_count(admin, limits):
    client = Client()
    _fail(client, LOGIN, "alice", 4)
    assert client.post(LOGIN, {"username": "alice",
                               "password": "alice-pass-123"}).status_code == 302
    client.post("/accounts/logout/")
    assert _fail(client, LOGIN, "alice", 4) == [200] * 4


@pytest.mark.django_db
def test_bad_api_tokens_limited_per_address(admin_token, limits):
    """Unknown tokens answer 401 until the limit, then 429 (JSON, Retry-After) for
    that address, even with a good token; other addresses are unaffected."""
    bad = Client(HTTP_AUTHORIZATION="Token nope", REMOTE_ADDR="198.51.100.1")
    assert [bad.get("/api/v1/").status_code for _ in range(6)] == [401] * 6
    response = bad.get("/api/v1/")
    assert response.status_code == 429
    assert "too many invalid API tokens from 198.51.100.1" in response.json()["error"]
    assert int(response["Retry-After"]) > 0
    good_same = Client(HTTP_AUTHORIZATION=f"Token {admin_token}", REMOTE_ADDR="198.51.100.1")
    assert good_same.get("/api/v1/").status_code == 429
    good_other = Client(HTTP_AUTHORIZATION=f"Token {admin_token}", REMOTE_ADDR="198.51.100.2")
    assert good_other.get("/api/v1/").status_code == 200


@pytest.mark.django_db
def test_default_limits_stop_two_hundred_guesses(admin):
    """With the shipped settings, 200 wrong passwords in a row do not all get the
    normal answer."""
    statuses = _fail(Client(), LOGIN, "alice", 200)
    assert statuses.count(200) <= 5
    assert statuses[-1] == 429
