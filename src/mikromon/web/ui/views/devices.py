"""Device list, device form (Connection and Collection Intervals tabs), delete,
test connection, and the collector start/stop actions (whose buttons are on the
collector page and, for Start, in the collector-stopped banner)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mikromon.domain.errors import ConfigError
from mikromon.domain.formatting import unknown_choice
from mikromon.web.control import collector
from mikromon.web.monitor.choices import DeviceStateChoices
from mikromon.web.monitor.models import Device, Site, Tag
from mikromon.web.params import ParamError, parse_id
from mikromon.web.ui.forms import DeviceForm
from mikromon.web.ui.permissions import admin_required
from mikromon.web.ui.probe import ProbeResult, run_probe

#: ``?sort=`` value -> ordering field (a leading ``-`` reverses).
SORTS = {
    "name": "name",
    "state": "state",
    "host": "host",
    "identity": "identity",
    "board": "board",
    "version": "ros_version",
    "cpu": "cpu_pct",
    "memory": "memory_pct",
    "uptime": "uptime_s",
    "last_seen": "contact_ts",
    "site": "site__name",
}

#: Session key prefix of a test result waiting to be shown.
_PROBE_KEY = "mikromon_probe_"


def filtered_devices(request: HttpRequest) -> tuple[QuerySet[Device], dict[str, str], list[str]]:
    """Return devices filtered and sorted by the query string, the filter values, and
    what is wrong with them (one message per bad value, naming the parameter; a
    bad value filters nothing).

    ``q`` searches name, host, identity, board and version; ``state``, ``site``
    (id, or ``none``) and ``tag`` (id) filter; ``sort`` is a key of :data:`SORTS`,
    ``-`` first for descending (``last_seen`` sorts by the newest contact, the
    column's value). Missing values sort last.
    """
    qs = Device.objects.select_related("site").prefetch_related("tags").with_summary()
    # The newest contact, as the page shows it (Device.last_contact); Coalesce
    # because a NULL makes GREATEST NULL on SQLite.
    qs = qs.annotate(contact_ts=Greatest(Coalesce("last_seen", "data_ts"),
                                         Coalesce("data_ts", "last_seen")))
    params = {k: request.GET.get(k, "").strip() for k in ("q", "state", "site", "tag", "sort")}
    errors: list[str] = []
    if params["q"]:
        q = params["q"]
        qs = qs.filter(
            Q(name__icontains=q) | Q(host__icontains=q) | Q(identity__icontains=q)
            | Q(board__icontains=q) | Q(ros_version__icontains=q) | Q(notes__icontains=q)
        )
    if params["state"] in DeviceStateChoices.values:
        qs = qs.filter(state=params["state"])
    elif params["state"]:
        errors.append(unknown_choice("state", params["state"], DeviceStateChoices.values))
    if params["site"] == "none":
        qs = qs.filter(site__isnull=True)
    elif params["site"]:
        try:
            qs = qs.filter(site_id=parse_id("site", params["site"]))
        except ParamError:
            errors.append(f"'site' must be a site id or 'none' (got {params['site'][:40]!r})")
    if params["tag"]:
        try:
            qs = qs.filter(tags__id=parse_id("tag", params["tag"])).distinct()
        except ParamError:
            errors.append(f"'tag' must be a tag id (got {params['tag'][:40]!r})")
    sort = params["sort"] or "name"
    if sort.lstrip("-") not in SORTS:
        errors.append(unknown_choice("sort", sort, list(SORTS)))
        sort = "name"
    field = SORTS[sort.lstrip("-")]
    expr = F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(
        nulls_last=True)
    return qs.order_by(expr, "name"), params, errors


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
    """The devices table with state, facts and current load; filter and sort."""
    matching, params, errors = filtered_devices(request)
    devices = list(matching)
    counts = state_counts()
    return render(request, "ui/device_list.html", {
        "devices": devices,
        "params": params,
        "errors": errors,
        "states": DeviceStateChoices.choices,
        "sites": Site.objects.order_by("name"),
        "tags": Tag.objects.order_by("name"),
        "total": sum(counts.values()),
        "state_counts": counts,
        "collector_running": collector.collector_running(),
        "columns": [
            ("state", "State"), ("name", "Name"), ("host", "Host"), ("identity", "Identity"),
            ("board", "Board"), ("version", "RouterOS"), ("cpu", "CPU"), ("memory", "Memory"),
            ("uptime", "Uptime"), ("last_seen", "Last seen"), ("site", "Site"),
        ],
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
