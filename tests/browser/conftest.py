"""Browser tests: Debian's Chromium driven by Playwright against the production
ASGI server (uvicorn) with the collector running in-process against emulated routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browserkit import CHROMIUM_ARGS, TIME_SCALE, chromium_path
from playwright.sync_api import expect

expect.set_options(timeout=15_000)


@pytest.fixture
def page(monkeypatch) -> Iterator[Any]:
    """A headless Chromium page 1440 px wide; JavaScript errors fail the test.

    Playwright's sync API keeps an event loop in this thread, which Django takes
    for an async context; the ORM calls these tests make are plain sync calls, so
    Django's guard is lifted for the duration of the test.
    """
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    errors: list[str] = []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        # Playwright's wait_for_function compiles its predicate in the page, which the
        # pages' CSP (no eval) forbids; test_browser_csp.py loads every page without
        # this bypass.
        context = chromium.new_context(viewport={"width": 1440, "height": 900},
                                       bypass_csp=True)
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.set_default_timeout(15_000)
        yield page
        context.close()
        chromium.close()
    assert not errors, errors


@pytest.fixture
def fast_hashing(settings):
    """Cheap password hashing for the web users of these tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def users(transactional_db, fast_hashing, django_user_model):
    """An admin and a viewer with known passwords."""
    from mikromon.web.ui.forms import apply_role

    admin = django_user_model.objects.create_superuser("ops", password="ops-pass-4321")
    viewer = django_user_model.objects.create_user("watcher", password="watch-pass-4321")
    apply_role(viewer, "viewer")
    return {"admin": ("ops", "ops-pass-4321"), "viewer": ("watcher", "watch-pass-4321"),
            "admin_user": admin}


@pytest.fixture
def collector(transactional_db, monkeypatch) -> Iterator[Any]:
    """The process-wide collector service over the test database, started, with a
    small time scale; stopped and forgotten afterwards."""
    from mikromon import schedule
    from mikromon.schedule import instance as instance_module
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    monkeypatch.setenv("MIKROMON_TIME_SCALE", str(TIME_SCALE))
    monkeypatch.setattr(instance_module, "_factory", None)
    monkeypatch.setattr(instance_module, "_instance", None)
    schedule.configure(lambda: schedule.CollectorService(
        DjangoDeviceSource(), DjangoStorage(), DjangoCollectorLock()))
    service = schedule.get_collector()
    service.start()
    yield service
    schedule.reset_collector()


@pytest.fixture
def live_url(transactional_db) -> Iterator[str]:
    """The application served by uvicorn on 127.0.0.1:<free port>."""
    from liveserver import LiveServer

    with LiveServer() as server:
        yield server.url


@pytest.fixture(scope="session")
def router() -> Iterator[Any]:
    """Emulated RouterOS 7 routers on 127.0.0.1 (two, for two devices)."""
    from mikromon.emulator.testing import running_emulators

    with running_emulators(count=2, profile="v7", password="Emu-Pass-7731") as routers:
        yield routers
