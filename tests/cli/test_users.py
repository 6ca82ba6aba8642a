"""``mikromon createadmin`` and ``mikromon token``: web users and API tokens."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """Hash passwords cheaply: these tests check roles and flows, not hashing cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def strong(tmp_path):
    path = tmp_path / "pw"
    path.write_text("Correct-Horse-42\n", encoding="utf-8")
    return str(path)


def test_createadmin_creates_a_superuser(cli, strong) -> None:
    from django.contrib.auth import get_user_model

    result = cli("createadmin", "alice", "--password-file", strong)
    assert result.code == 0, result.err
    assert "created admin 'alice'" in result.out
    user = get_user_model().objects.get(username="alice")
    assert user.is_superuser
    assert user.is_staff
    assert user.is_active
    assert user.check_password("Correct-Horse-42")


def test_createadmin_viewer_is_read_only(cli, strong) -> None:
    from django.contrib.auth import get_user_model

    from mikromon.web.roles import VIEWERS_GROUP, is_admin

    assert cli("createadmin", "val", "--viewer", "--password-file", strong).code == 0
    user = get_user_model().objects.get(username="val")
    assert not is_admin(user)
    assert list(user.groups.values_list("name", flat=True)) == [VIEWERS_GROUP]


def test_createadmin_existing_user_needs_update(cli, strong, tmp_path) -> None:
    """An existing user is refused unless --update, which changes password and role."""
    from django.contrib.auth import get_user_model

    assert cli("createadmin", "alice", "--viewer", "--password-file", strong).code == 0
    result = cli("createadmin", "alice", "--password-file", strong)
    assert result.code == 2
    assert "already exists" in result.err
    other = tmp_path / "other"
    other.write_text("Another-Pass-77", encoding="utf-8")
    result = cli("createadmin", "alice", "--update", "--password-file", str(other))
    assert result.code == 0
    assert "updated admin 'alice'" in result.out
    user = get_user_model().objects.get(username="alice")
    assert user.is_superuser
    assert user.check_password("Another-Pass-77")
    assert not user.groups.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "too short"), ("password123", "too common"), ("12345678901", "entirely numeric")],
)
def test_createadmin_weak_password_creates_nobody(cli, tmp_path, password, message) -> None:
    from django.contrib.auth import get_user_model

    path = tmp_path / "pw"
    path.write_text(password, encoding="utf-8")
    result = cli("createadmin", "bob", "--password-file", str(path))
    assert result.code == 2
    assert message in result.err
    assert not get_user_model().objects.filter(username="bob").exists()
    result = cli("createadmin", "bob", "--password-file", str(path), "--skip-password-checks")
    assert result.code == 0


def test_createadmin_bad_username(cli, strong) -> None:
    result = cli("createadmin", "no spaces allowed", "--password-file", strong)
    assert result.code == 2
    assert "username" in result.err.lower()


def test_createadmin_without_password_source(cli) -> None:
    """Without a terminal, a file or a variable there is no password: exit 2."""
    result = cli("createadmin", "bob")
    assert result.code == 2
    assert "no password given" in result.err


def test_token_lifecycle(cli, strong) -> None:
    """create prints the token once (only its hash is stored); list and revoke."""
    from mikromon.web.monitor.models import ApiToken

    assert cli("createadmin", "alice", "--password-file", strong).code == 0
    result = cli("token", "create", "alice", "--name", "grafana")
    assert result.code == 0, result.err
    raw = result.out.strip()
    assert len(raw) >= 40
    assert "shown only now" in result.err
    token = ApiToken.authenticate(raw)
    assert token is not None
    assert token.user.username == "alice"
    assert raw not in token.key_hash

    listed = json.loads(cli("token", "list", "--json").out)
    assert [(t["user"], t["name"], t["prefix"]) for t in listed] == [
        ("alice", "grafana", raw[:8])
    ]
    assert raw not in cli("token", "list").out
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", listed[0]["created_at"])
    from django.utils import timezone

    ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
    used = json.loads(cli("token", "list", "--json").out)[0]["last_used"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", used)

    duplicate = cli("token", "create", "alice", "--name", "grafana")
    assert duplicate.code == 2
    assert "already has a token named 'grafana'" in duplicate.err

    assert cli("token", "revoke", "alice", "grafana").code == 0
    assert ApiToken.authenticate(raw) is None
    again = cli("token", "revoke", "alice", "grafana")
    assert again.code == 2
    assert "no token named" in again.err


def test_token_for_unknown_user(cli) -> None:
    result = cli("token", "create", "ghost")
    assert result.code == 2
    assert "no user named 'ghost'" in result.err


def test_token_create_names_the_token_scheme(cli, db) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("alice", password="x" * 12)
    result = cli("token", "create", "alice")
    assert result.code == 0, result.err
    assert "Authorization: Token" in result.out + result.err
    assert "Bearer" not in result.out + result.err
