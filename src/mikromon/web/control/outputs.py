"""Configured outputs (:class:`~mikromon.web.control.models.OutputDestination`):
the one form the pages and ``mikromon output`` validate with, what the collector
loads (:func:`configured`), the listed rows with their published state, and the
test send.

Precedence: an output the environment configures (``MIKROMON_REMOTE_WRITE_URL``
names ``remote-write``, ``MIKROMON_INFLUX_URL`` names ``influx``) wins over a
stored row of the same name; it is listed read-only, and the form refuses that
name while the variable is set.
"""

from __future__ import annotations

import logging
import re
import time
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django import forms
from django.db.models.signals import post_delete, post_save

from mikromon.domain.errors import ConfigError
from mikromon.domain.samples import Sample
from mikromon.outputs.worker import (
    ENV_OUTPUTS,
    FORMATS,
    OutputConfig,
    auth_headers,
    configs_from_env,
    http_post,
)
from mikromon.web.control.models import OutputDestination

log = logging.getLogger(__name__)

#: What an output's name may be (it names its queue folder).
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: Environment variable that configures each environment output, by name.
ENV_VARIABLES = {name: f"{prefix}_URL" for name, prefix, _f, _s in ENV_OUTPUTS}


def env_configs(environ: Mapping[str, str] | None = None) -> tuple[list[OutputConfig], str]:
    """The environment's outputs and the error that stopped reading them (``""``)."""
    try:
        return configs_from_env(environ), ""
    except ConfigError as err:
        return [], str(err)


class OutputForm(forms.ModelForm):
    """An output's fields, checked: name (letters, digits, ``-``, ``_``; not one the
    environment sets), URL (http or https with a host), token, or user and
    password together, disk bound (whole megabytes, 1 or more). The token and the
    password are never shown back; left empty on edit they stay as stored, and
    ``clear_auth`` removes both."""

    password = forms.CharField(required=False, strip=False,
                               help_text="basic auth password (stored encrypted)")
    token = forms.CharField(required=False,
                            help_text="bearer token, or InfluxDB 2.x token (stored encrypted)")
    clear_auth = forms.BooleanField(required=False,
                                    help_text="remove the stored user, password and token")
    max_disk_mb = forms.IntegerField(min_value=1, max_value=10_000_000,
                                     help_text="most megabytes queued on disk")

    class Meta:
        model = OutputDestination
        fields = ["name", "format", "url", "username", "password", "token", "clear_auth",
                  "max_disk_mb", "enabled"]

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "").strip()
        if not NAME_RE.match(name):
            raise forms.ValidationError(
                "use 1 to 64 letters, digits, - and _, starting with a letter or digit")
        configs, _error = env_configs()
        if name in {c.name for c in configs}:
            raise forms.ValidationError(
                f"{name!r} is set by {ENV_VARIABLES.get(name, 'the environment')}; "
                "the environment wins for that name, choose another")
        return name

    def clean_url(self) -> str:
        url = str(self.cleaned_data.get("url") or "").strip()
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise forms.ValidationError("must be an http:// or https:// URL with a host")
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("clear_auth"):
            return data
        stored = self.instance if self.instance.pk else None
        user = data.get("username") or ""
        has_password = bool(data.get("password") or (stored and stored.password_encrypted))
        if user and not has_password:
            self.add_error("password", "a user name needs a password")
        elif data.get("password") and not user:
            self.add_error("username", "a password needs a user name")
        return data

    def save(self, commit: bool = True) -> OutputDestination:
        from mikromon.web.monitor.crypto import encrypt

        output = super().save(commit=False)
        data = self.cleaned_data
        if data.get("clear_auth"):
            output.username = ""
            output.password_encrypted = output.token_encrypted = ""
        else:
            if data.get("password"):
                output.password_encrypted = encrypt(data["password"])
            if data.get("token"):
                output.token_encrypted = encrypt(data["token"])
        if commit:
            output.save()
        return output


def config_of(row: OutputDestination) -> OutputConfig:
    """The worker configuration of a stored output (secrets decrypted).

    Raises:
        PasswordDecryptError: a secret cannot be decrypted (other key).
    """
    from mikromon.web.monitor.crypto import decrypt

    what = f"output {row.name!r}"
    token = decrypt(row.token_encrypted, what=f"token of {what}") if row.token_encrypted else ""
    password = (decrypt(row.password_encrypted, what=f"password of {what}")
                if row.password_encrypted else "")
    return OutputConfig(name=row.name, url=row.url, format=row.format,
                        headers=auth_headers(row.format, token=token, user=row.username,
                                             password=password),
                        max_disk_bytes=row.max_disk_mb * 1024 * 1024)


def configured() -> list[OutputConfig]:
    """Every output the collector should run: the environment's, then the enabled
    stored ones not named like them; a stored one whose secret cannot be
    decrypted is logged and left out (the others run).

    Raises:
        ConfigError: an environment variable has a bad value.
        DatabaseError: the table cannot be read.
    """
    out = configs_from_env()
    names = {c.name for c in out}
    for row in OutputDestination.objects.filter(enabled=True).order_by("name"):
        if row.name in names:
            continue
        try:
            out.append(config_of(row))
        except ConfigError as err:
            log.error("output %s left out: %s", row.name, err)
    return out


def safe_url(url: str) -> str:
    """``url`` without a user or password in it."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def rows(states: list[Any] | None = None) -> list[dict[str, Any]]:
    """The listed outputs: the environment's (``env`` names the variable, read-only),
    then the stored ones; each with ``state`` (its entry of the collector's
    ``status["outputs"]``, ``None`` when not running) and ``auth`` (in words)."""
    by_name = {s.get("name"): s for s in states or [] if isinstance(s, dict)}
    configs, _error = env_configs()
    out: list[dict[str, Any]] = []
    for c in configs:
        out.append({"pk": None, "name": c.name, "format": c.format, "url": safe_url(c.url),
                    "auth": _auth_words(c.headers.get("Authorization", "")),
                    "max_disk_mb": c.max_disk_bytes // (1024 * 1024), "enabled": True,
                    "env": ENV_VARIABLES.get(c.name, ""), "state": by_name.get(c.name)})
    env_names = {c.name for c in configs}
    for row in OutputDestination.objects.order_by("name"):
        auth = ("token" if row.token_encrypted else
                f"user {row.username}" if row.username else "none")
        out.append({"pk": row.pk, "name": row.name, "format": row.format,
                    "url": safe_url(row.url), "auth": auth, "max_disk_mb": row.max_disk_mb,
                    "enabled": row.enabled, "env": "",
                    "overridden": row.name in env_names,
                    "state": by_name.get(row.name) if row.name not in env_names else None})
    return out


def _auth_words(header: str) -> str:
    scheme = header.split(" ", 1)[0]
    return {"Bearer": "token", "Token": "token", "Basic": "user and password"}.get(scheme, "none")


def send_test(config: OutputConfig, *, send: Any = None, timeout_s: float = 5.0
              ) -> dict[str, Any]:
    """Send one small request (one sample, ``mikromon_output_test`` = 1, device
    ``mikromon-output-test``) to ``config``'s store and say what it answered.

    Returns:
        ``{"ok": bool, "detail": str, "duration_s": float}``; ok when the store
        answered 2xx. Never raises for the store's trouble.
    """
    encode, headers = FORMATS[config.format]
    sample = Sample("mikromon.output_test", 1.0, datetime.now(UTC))
    _count, body = encode([("mikromon-output-test", "127.0.0.1", sample)])
    started = time.monotonic()
    try:
        status = (send or http_post)(config.url, body, {**headers, **config.headers}, timeout_s)
    except OSError as err:
        return {"ok": False, "detail": f"no answer: {err}",
                "duration_s": round(time.monotonic() - started, 3)}
    ok = 200 <= status < 300
    detail = f"HTTP {status}: " + ("accepted" if ok else "refused" if status < 500
                                   else "the store failed")
    return {"ok": ok, "detail": detail, "duration_s": round(time.monotonic() - started, 3)}


def env_config(name: str) -> OutputConfig | None:
    """The output the environment configures under ``name`` (it wins over a stored
    one of that name), else ``None`` (also when the environment has a bad value:
    :func:`env_configs` says which)."""
    configs, _error = env_configs()
    return next((c for c in configs if c.name == name), None)


def kept_names() -> set[str]:
    """The names of the outputs that exist, whose queues stay on disk: the
    environment's and every stored one, enabled or not (the collector removes the
    queue of an output it stopped that is not among them:
    :class:`~mikromon.outputs.manager.OutputSet`).

    Raises:
        ConfigError: an environment variable has a bad value (then keep them all).
        DatabaseError: the table cannot be read.
    """
    return ({c.name for c in configs_from_env()}
            | set(OutputDestination.objects.values_list("name", flat=True)))


def delete(row: OutputDestination) -> str:
    """Delete the stored output ``row`` and its queue folder (what it had not sent
    is lost); return what became of the queue, in words.

    A collector running the output stops it within a few seconds and then removes
    the folder itself (removing it under a running worker would break its writes);
    otherwise it is removed here. The folder stays when the environment configures
    an output of the same name (it uses the folder), or when it cannot be removed
    (said in the words returned, and logged).
    """
    from django.conf import settings

    from mikromon.outputs.manager import remove_queue
    from mikromon.web.control import collector

    name = row.name
    row.delete()
    configs, error = env_configs()
    if error or name in {c.name for c in configs}:
        return "its queue folder stays (the environment configures that name)"
    view = collector.read(tidy_devices=False, devices=False)
    running = {o.get("name") for o in view.status.get("outputs") or [] if isinstance(o, dict)}
    if view.running and name in running:
        return "the collector removes its queue folder when it stops it"
    try:
        removed = remove_queue(Path(settings.DATA_DIR), name)
    except (OSError, ValueError) as err:
        log.error("output %s deleted; its queue folder cannot be removed: %s", name, err)
        return f"its queue folder could not be removed: {err}"
    return "its queue folder was removed" if removed else "it had no queue folder"


def find(name_or_id: str) -> OutputDestination | None:
    """The stored output named ``name_or_id`` (or with that id), else ``None``."""
    row = OutputDestination.objects.filter(name=name_or_id).first()
    if row is None and name_or_id.isdigit():
        row = OutputDestination.objects.filter(pk=int(name_or_id)).first()
    return row


def _bump(sender: type, **kwargs: Any) -> None:
    from mikromon.web.monitor.models import ConfigVersion

    ConfigVersion.bump(using=kwargs.get("using") or "default")


def connect() -> None:
    """Saving or deleting an output bumps the configuration version, so the running
    collector rebuilds its outputs within a few seconds (idempotent)."""
    uid = "mikromon.control.outputs.config_version"
    post_save.connect(_bump, sender=OutputDestination, dispatch_uid=f"{uid}.save")
    post_delete.connect(_bump, sender=OutputDestination, dispatch_uid=f"{uid}.delete")
