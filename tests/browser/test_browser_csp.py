"""Every page under the Content-Security-Policy in Chromium: no violation reported
(console or ``securitypolicyviolation`` event), and the scripts moved out of the
templates still work (the collector refresh, delete confirmations)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browserkit import CHROMIUM_ARGS, chromium_path, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

#: Records violations from the start of every document (Playwright's init scripts
#: are not subject to the page's CSP).
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' +
                    (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


@pytest.fixture
def csp_page(monkeypatch) -> Iterator[Any]:
    """A Chromium page that enforces the CSP (the shared ``page`` fixture bypasses
    it for wait_for_function); JavaScript errors fail the test."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    errors: list[str] = []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.set_default_timeout(15_000)
        yield page
        context.close()
        chromium.close()
    assert not errors, errors


def _objects():
    from mikromon.web.monitor.models import Device, Event, Site, Tag

    site = Site.objects.create(name="Lab")
    tag = Tag.objects.create(name="core")
    device = Device(name="edge-csp", host="127.0.0.1", port=1, username="monitor", site=site)
    device.set_password("pw-123456")
    device.save()
    device.tags.add(tag)
    from django.utils import timezone

    Event.objects.create(device=device, ts=timezone.now(), kind="down", message="test")
    return device


def test_no_csp_violation_on_any_page(csp_page, live_url, users):
    page = csp_page
    """Sign-in, every page of the site and the admin's load with no CSP violation."""
    device = _objects()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
            else None)
    page.add_init_script(WATCH)
    page.goto(f"{live_url}/accounts/login/")
    sign_in(page, live_url, *users["admin"])
    paths = ["/", "/?group=tag", "/devices/", "/devices/add/", f"/devices/{device.pk}/",
             f"/devices/{device.pk}/edit/", "/events/", "/collector/", "/users/", "/tokens/",
             "/alerts/", "/alerts/history/", "/alerts/rules/", "/alerts/rules/add/",
             "/alerts/silences/", "/alerts/silences/add/", "/alerts/channels/",
             "/alerts/channels/add/",
             "/no-such-page/", "/?group=nope", "/admin/", "/admin/monitor/device/",
             f"/admin/monitor/device/{device.pk}/change/", "/admin/auth/user/",
             "/admin/auth/user/add/"]
    # The interface page (charts.js, interface.js), of a name with a '/'.
    from mikromon.web.monitor.models import Series, labels_key

    Series.objects.create(device=device, key="iface.rx_bps", labels={"interface": "sfp1/1"},
                          labels_key=labels_key([("interface", "sfp1/1")]))
    paths.append(f"/devices/{device.pk}/interfaces/sfp1~2F1/?range=1h")
    violations = {}
    for path in paths:
        response = page.goto(f"{live_url}{path}")
        assert response is not None
        assert "Content-Security-Policy" in {k.title(): v for k, v in
                                             response.headers.items()}
        page.wait_for_load_state("networkidle")
        if path == "/collector/":
            page.wait_for_timeout(2500)  # one refresh of collector.js
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found
    assert not violations, violations
    assert not console, console


def test_delete_asks_first(csp_page, live_url, users):
    page = csp_page
    """The delete button's confirmation (data-confirm, confirm.js): declining keeps
    the device, accepting deletes it."""
    from mikromon.web.monitor.models import Device

    device = _objects()
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{device.pk}/edit/")
    questions: list[str] = []

    def decline(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.click("form[data-confirm] button[type=submit]")
    page.wait_for_timeout(300)
    assert questions == ["Delete edge-csp and everything collected from it?"]
    assert Device.objects.filter(pk=device.pk).exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[data-confirm] button[type=submit]")
    page.wait_for_url(f"{live_url}/devices/")
    assert not Device.objects.filter(pk=device.pk).exists()
