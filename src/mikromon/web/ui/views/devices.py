"""Device list, device form (Connection and Collection Intervals tabs), delete,
test connection, and the collector start/stop actions (whose buttons are on the
collector page and, for Start, in the collector-stopped banner)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mikromon.domain.errors import ConfigError
from mikromon.web.control import collector
from mikromon.web.monitor import device_filters
from mikromon.web.monitor.choices import DeviceStateChoices
from mikromon.web.monitor.models import Device
from mikromon.web.ui.forms import DeviceForm
from mikromon.web.ui.permissions import admin_required
from mikromon.web.ui.probe import ProbeResult, run_probe
from mikromon.web.ui.views.listing import page_of

#: Devices per page of the device list.
PER_PAGE = 50
#: The table's columns: (sort key, heading).
COLUMNS = [
    ("state", "State"), ("name", "Name"), ("host", "Host"), ("identity", "Identity"),
    ("board", "Board"), ("version", "RouterOS"), ("cpu", "CPU"), ("memory", "Memory"),
    ("uptime", "Uptime"), ("last_seen", "Last seen"), ("site", "Site"),
]

#: Session key prefix of a test result waiting to be shown.
_PROBE_KEY = "mikromon_probe_"


def filtered_devices(request: HttpRequest) -> tuple[QuerySet[Device], dict[str, str], list[str]]:
    """Return devices filtered and sorted by the query string
    (:mod:`mikromon.web.monitor.device_filters`), the parameters, and what is wrong
    with them (one message per bad value, naming the parameter; a bad value filters
    nothing). The rows carry the summary values and ``contact_ts``."""
    params = device_filters.read_params(request.GET)
    errors: list[str] = []
    qs = device_filters.filter_devices(Device.objects.all(), params, errors)
    qs = device_filters.with_contact_ts(
        qs.select_related("site").prefetch_related("tags").with_summary())
    qs, params["sort"] = device_filters.sort_devices(qs, params["sort"], errors)
    return qs, params, errors


def state_counts() -> dict[str, int]:
    """Return state -> number of devices in it."""
    rows = Device.objects.order_by().values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


def safe_next(request: HttpRequest, default: str) -> str:
    """Return the POSTed ``next`` URL when it points into this site, else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def device_list(request: HttpRequest) -> HttpResponse:
    """The devices table with state, facts and current load: filtered, sorted and
    paged on the server (``?q=&state=&site=&tag=&version=&board=&sort=&page=``)."""
    devices, params, errors = filtered_devices(request)
    page = page_of(request, devices, PER_PAGE, errors)
    counts = state_counts()
    return render(request, "ui/device_list.html", {
        "page": page,
        "devices": page.object_list,
        "params": params,
        "filtered": any(params[k] for k in device_filters.FILTERS),
        "errors": errors,
        "states": DeviceStateChoices.choices,
        **device_filters.filter_choices(),
        "total": sum(counts.values()),
        "state_counts": counts,
        "collector_running": collector.collector_running(),
        "columns": COLUMNS,
    }, status=400 if errors else 200)


def _form_page(request: HttpRequest, form: DeviceForm, device: Device | None,
               status: int = 200) -> HttpResponse:
    probe = None
    if device is not None:
        probe = request.session.pop(f"{_PROBE_KEY}{device.pk}", None)
    return render(request, "ui/device_form.html", {
        "form": form,
        "device": device,
        "probe": probe,
        "collector_running": collector.collector_running(),
    }, status=status)


def _saved(request: HttpRequest, form: DeviceForm, created: bool) -> HttpResponse:
    device = form.save()
    collector.notify_config_changed()
    text = f"Device {device.name} {'added' if created else 'saved'}."
    if form.port_moved:
        old, new = form.port_moved
        transport = "API-SSL" if device.use_ssl else "plain API"
        text += f" Port {old} changed to {new} (the {transport} default)."
    messages.success(request, text)
    if "save_and_test" in request.POST:
        _store_probe(request, device, run_probe_for(device))
    return redirect("ui:device_edit", pk=device.pk)


@admin_required
def device_add(request: HttpRequest) -> HttpResponse:
    """Add a device (admins)."""
    if request.method == "POST":
        form = DeviceForm(request.POST)
        if form.is_valid():
            return _saved(request, form, created=True)
        return _form_page(request, form, None, status=400)
    return _form_page(request, DeviceForm(), None)


@admin_required
def device_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a device's connection and collection intervals (admins)."""
    device = get_object_or_404(Device.objects.with_contact(), pk=pk)
    if request.method == "POST":
        # The form validates a copy: a rejected edit (a taken name) must not rename the
        # device shown in the heading, breadcrumb and title.
        form = DeviceForm(request.POST, instance=Device.objects.get(pk=device.pk))
        if form.is_valid():
            return _saved(request, form, created=False)
        return _form_page(request, form, device, status=400)
    return _form_page(request, DeviceForm(instance=device), device)


@admin_required
@require_POST
def device_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a device and everything collected from it (admins, POST)."""
    device = get_object_or_404(Device, pk=pk)
    name = device.name
    device.delete()
    collector.notify_config_changed()
    messages.success(request, f"Device {name} and its data were deleted.")
    return redirect("ui:device_list")


def run_probe_for(device: Device) -> ProbeResult:
    """Run a test poll of ``device``'s saved settings."""
    try:
        config = device.to_config()
    except ConfigError as err:
        return ProbeResult(ok=False, title="Configuration error", detail=[str(err)])
    return run_probe(config)


def _store_probe(request: HttpRequest, device: Device, result: ProbeResult) -> None:
    request.session[f"{_PROBE_KEY}{device.pk}"] = result.as_dict()


@admin_required
@require_POST
def device_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Test connection: one realtime poll of the saved settings (admins, POST)."""
    device = get_object_or_404(Device, pk=pk)
    _store_probe(request, device, run_probe_for(device))
    return redirect(safe_next(request, reverse("ui:device_edit", args=[pk])))


@admin_required
@require_POST
def collector_start(request: HttpRequest) -> HttpResponse:
    """Start the collector (admins, POST) and return to the page that asked."""
    try:
        collector.set_running(True, by=request.user.get_username())
        messages.success(request, "Collector started.")
    except RuntimeError as err:
        messages.error(request, f"The collector did not start: {err}")
    return redirect(safe_next(request, reverse("ui:collector")))


@admin_required
@require_POST
def collector_stop(request: HttpRequest) -> HttpResponse:
    """Stop the collector (admins, POST) and return to the page that asked."""
    collector.set_running(False, by=request.user.get_username())
    messages.success(request, "Collector stopped.")
    return redirect(safe_next(request, reverse("ui:collector")))
