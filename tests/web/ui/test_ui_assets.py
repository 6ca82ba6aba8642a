"""Static files: our CSS/JS and the npm libraries are served by the application
itself (no CDN), with the production settings; the icon at /favicon.ico."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client


def test_uplot_comes_from_node_modules():
    """The finder exposes only uPlot's dist folder under vendor/uplot/."""
    path = finders.find("vendor/uplot/uPlot.iife.min.js")
    assert path is not None
    assert "node_modules" in path
    assert finders.find("vendor/uplot/package.json") is None


@pytest.mark.django_db
def test_static_files_served_with_debug_off(client, settings):
    """WhiteNoise serves CSS, our scripts and uPlot in production mode (DEBUG off)."""
    assert settings.DEBUG is False
    for path, kind in (("/static/mikromon/app.css", "text/css"),
                       ("/static/mikromon/dashboard.js", "javascript"),
                       ("/static/vendor/uplot/uPlot.iife.min.js", "javascript")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert kind in response["Content-Type"]


@pytest.mark.django_db
def test_pages_reference_no_external_host(admin_web):
    """No page loads anything from another host."""
    from mikromon.web.monitor.models import Device

    dev = Device.objects.create(name="d", host="127.0.0.1", username="u")
    for path in ("/", "/devices/", f"/devices/{dev.pk}/", f"/devices/{dev.pk}/edit/",
                 "/collector/", "/events/"):
        body = admin_web.get(path).content.decode()
        refs = re.findall(r'(?:src|href)="([^"]+)"', body)
        assert refs
        external = [r for r in refs if re.match(r"^(https?:)?//", r)]
        assert not external, (path, external)


def test_missing_node_modules_is_a_check_error(monkeypatch, tmp_path):
    """Without `npm ci` the system check names the fix."""
    from mikromon.web.ui import assets

    monkeypatch.setenv("MIKROMON_NODE_MODULES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(assets.Path, "resolve", lambda self: tmp_path / "a" / "b" / "c" / "d" / "e")
    errors = assets.NodeModulesFinder().check()
    assert errors
    assert "npm ci" in errors[0].hint


@pytest.mark.django_db
def test_favicon_ico_answers():
    """/favicon.ico (asked for by browsers on pages without an icon link, e.g. JSON)
    leads to our icon, without signing in."""
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"].endswith("/static/mikromon/favicon.svg")
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
