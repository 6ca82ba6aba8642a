"""Static files: browser libraries from ``node_modules`` and serving in production.

Browser libraries (uPlot) are npm packages (``package.json`` at the repository
root, installed by ``npm ci`` in ``scripts/bootstrap``); nothing third-party is
committed. :class:`NodeModulesFinder` exposes only the distribution folder of
each package in :data:`VENDOR` under ``static/vendor/<package>/``, so that
``collectstatic`` and the production server see a handful of files, not the
whole ``node_modules`` tree.

``node_modules`` is looked up in this order: ``$MIKROMON_NODE_MODULES``, the
repository root of an editable install (three folders above the ``mikromon``
package), the current directory.

:class:`StaticFilesMiddleware` is WhiteNoise serving straight from the finders
(no ``collectstatic`` step needed), so ``mikromon serve`` under uvicorn serves
the pages' CSS and JavaScript with caching headers; a collected ``STATIC_ROOT``
is served too when it exists.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import FileSystemFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage
from django.http import HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

from mikromon import config

#: npm package -> folder inside it whose files are served (as ``vendor/<package>/...``).
VENDOR: dict[str, str] = {"uplot": "dist"}


def node_modules_dir() -> Path | None:
    """Return the ``node_modules`` folder holding the browser libraries, or ``None``."""
    env = config.text("MIKROMON_NODE_MODULES")
    candidates = [Path(env)] if env else []
    repo_root = Path(__file__).resolve().parents[4]
    candidates += [repo_root / "node_modules", Path.cwd() / "node_modules"]
    for candidate in candidates:
        if all((candidate / package / sub).is_dir() for package, sub in VENDOR.items()):
            return candidate
    return None


class NodeModulesFinder(FileSystemFinder):
    """A static files finder for the npm packages in :data:`VENDOR`."""

    def __init__(self, app_names: Any = None, *args: Any, **kwargs: Any) -> None:
        self.locations = []
        self.storages = {}
        root = node_modules_dir()
        if root is not None:
            for package, sub in VENDOR.items():
                prefix = f"vendor/{package}"
                location = str(root / package / sub)
                self.locations.append((prefix, location))
                storage = FileSystemStorage(location=location)
                # Django's finders serve a storage's files under its ``prefix``
                # (FileSystemFinder sets it the same way); django-stubs omit it.
                storage.prefix = prefix  # type: ignore[attr-defined]
                self.storages[location] = storage

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        """Report missing npm packages (the pages' charts would not load)."""
        if node_modules_dir() is None:
            return [Error(MISSING_LIBRARIES, hint=MISSING_LIBRARIES_FIX, id="mikromon_ui.E001")]
        return []


#: What is wrong, and how to fix it, when :func:`node_modules_dir` finds nothing
#: (the system check ``mikromon_ui.E001`` and the log of ``serve``/``demo``).
MISSING_LIBRARIES = (
    f"browser libraries not installed: {', '.join(VENDOR)} not found in node_modules"
)
MISSING_LIBRARIES_FIX = (
    "run `npm ci` in the repository root (scripts/bootstrap does it) or set "
    "MIKROMON_NODE_MODULES to a node_modules folder holding them"
)


def log_missing_libraries(log: logging.Logger) -> bool:
    """Log an error when the browser libraries are missing; return whether they are.

    ``serve`` and ``demo`` call it at start and keep serving: every page works
    without them except the charts, which then say "charts unavailable" (charts.js).
    """
    if node_modules_dir() is not None:
        return False
    log.error("%s: the pages' charts will be empty until it is fixed; %s, then restart",
              MISSING_LIBRARIES, MISSING_LIBRARIES_FIX)
    return True


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise serving from the static files finders, plus ``STATIC_ROOT`` when
    it was collected (a missing ``STATIC_ROOT`` is not an error)."""

    def __init__(self, get_response: Any = None, settings: Any = None) -> None:
        from django.conf import settings as django_settings

        conf = settings if settings is not None else django_settings
        if not hasattr(conf, "WHITENOISE_USE_FINDERS"):
            conf = _WithFinders(conf)
        super().__init__(get_response, settings=conf)

    @staticmethod
    def serve(static_file: Any, request: Any) -> HttpResponse:
        """Answer with the whole file in memory (our files are small), so that the
        ASGI server needs no synchronous file iterator; headers as WhiteNoise sets
        them (caching, ETag, Last-Modified, 304 and HEAD handling)."""
        response = static_file.get_response(request.method, request.META)
        body = b""
        if response.file is not None:
            with response.file as handle:
                body = handle.read()
        http_response = HttpResponse(body, status=int(response.status))
        del http_response["Content-Type"]
        for key, value in response.headers:
            http_response[key] = value
        return http_response

    def add_files(self, root: str, prefix: str | None = None) -> None:
        """Add ``root`` when it exists; skip it quietly otherwise."""
        if self.autorefresh or os.path.isdir(root):
            super().add_files(root, prefix)


class _WithFinders:
    """Settings proxy that turns ``WHITENOISE_USE_FINDERS`` on by default."""

    def __init__(self, wrapped: Any) -> None:
        self._wrapped = wrapped

    def __getattr__(self, name: str) -> Any:
        if name == "WHITENOISE_USE_FINDERS":
            return True
        return getattr(self._wrapped, name)
