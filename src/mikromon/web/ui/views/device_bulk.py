"""The device list page's bulk actions (enable, disable, add or remove a tag,
move to a site: :mod:`mikromon.web.monitor.device_bulk`, the service the API uses
too) and the CSV import (:mod:`mikromon.web.monitor.device_import`, as ``mikromon
device import``): a dry run shown first, written only when confirmed. Admins only.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mikromon.domain.errors import MikromonError
from mikromon.web.control import collector
from mikromon.web.monitor import crypto
from mikromon.web.monitor.device_bulk import BulkInvalid, apply_bulk
from mikromon.web.monitor.device_import import (
    COLUMNS,
    MAX_BYTES,
    ImportFileError,
    ImportResult,
    import_devices,
)
from mikromon.web.ui.permissions import admin_required
from mikromon.web.ui.views.devices import safe_next


@admin_required
@require_POST
def device_bulk(request: HttpRequest) -> HttpResponse:
    """Apply the action bar's action to the ticked devices; back to the list."""
    post = request.POST
    data = {"action": post.get("action", ""), "devices": post.getlist("device"),
            "tag": post.get("tag", ""), "site": post.get("site", "")}
    try:
        result = apply_bulk(data)
    except BulkInvalid as err:
        messages.error(request, f"Nothing changed: {err}")
    else:
        collector.notify_config_changed()
        messages.success(request, f"{result.summary()}.")
    return redirect(safe_next(request, reverse("ui:device_list")))


def _page(request: HttpRequest, result: ImportResult | None = None, token: str = "",
          error: str = "", status: int = 200) -> HttpResponse:
    return render(request, "ui/device_import.html", {
        "result": result, "token": token, "error": error, "columns": COLUMNS,
        "counts": result.counts() if result else None,
    }, status=status)


@admin_required
def device_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST a file: its dry run, with a Confirm button when
    some row is valid. POST ``confirm``: write the checked file (all rows, or with
    ``skip_invalid`` the valid ones)."""
    if request.method != "POST":
        return _page(request)
    if "confirm" in request.POST:
        try:
            # The file travels encrypted: its passwords are never on the page.
            text = crypto.decrypt(request.POST.get("token", ""), what="the checked file")
        except MikromonError:
            return _page(request, error="The checked file could not be read again: "
                         "upload it once more.", status=400)
        try:
            result = import_devices(text, skip_invalid="skip_invalid" in request.POST)
        except ImportFileError as err:
            return _page(request, error=str(err), status=400)
        if not result.written:
            return _page(request, result, error="Nothing written: some rows changed "
                         "since the check.", status=400)
        collector.notify_config_changed()
        done = sum(r.done for r in result.rows)
        messages.success(request, f"Imported {done} device{'s' if done != 1 else ''}.")
        return redirect("ui:device_list")
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, error="Choose a CSV file.", status=400)
    if upload.size is not None and upload.size > MAX_BYTES:
        return _page(request, error=f"The file is larger than {MAX_BYTES // 1048576} MiB.",
                     status=400)
    try:
        text = upload.read().decode("utf-8-sig")
        result = import_devices(text, dry_run=True)
    except UnicodeDecodeError:
        return _page(request, error="The file is not UTF-8 text.", status=400)
    except ImportFileError as err:
        return _page(request, error=str(err), status=400)
    token = crypto.encrypt(text) if len(result.invalid) < len(result.rows) else ""
    return _page(request, result, token, status=400 if result.invalid else 200)
