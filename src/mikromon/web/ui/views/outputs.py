"""The outputs pages: the list with each output's state (from the collector's
published status), the form (token and password never shown back), deleting,
and a test send. Viewers read the list; changes are for admins. Outputs set by
the environment are listed read-only (:mod:`mikromon.web.control.outputs`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from mikromon.web.control import collector
from mikromon.web.control import outputs as configured_outputs
from mikromon.web.control.models import OutputDestination
from mikromon.web.ui.permissions import admin_required

#: Session key of a test result waiting to be shown.
_TEST_KEY = "mikromon_output_test"


def states(status: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The ``outputs`` entries of a collector status document
    (:meth:`mikromon.outputs.worker.OutputWorker.status`), each with ``failing``
    (a last error, refused or dropped payloads) and ``last_push`` parsed."""
    out = []
    for entry in (status or {}).get("outputs") or []:
        if not isinstance(entry, dict):
            continue
        state = dict(entry)
        push = state.get("last_push")
        state["last_push"] = parse_datetime(push) if isinstance(push, str) else push
        state["failing"] = bool(state.get("last_error") or state.get("rejected_payloads")
                                or state.get("dropped_payloads")
                                or state.get("buffer_dropped_samples"))
        out.append(state)
    return out


@login_required
def output_list(request: HttpRequest) -> HttpResponse:
    """Every output with its state; the result of a test send."""
    view = collector.read(tidy_devices=False, devices=False)
    published = {s["name"]: s for s in states(view.status)}
    rows = configured_outputs.rows(list(published.values()))
    _env, env_error = configured_outputs.env_configs()
    return render(request, "ui/output_list.html", {
        "rows": rows, "test": request.session.pop(_TEST_KEY, None), "env_error": env_error,
    })


def _page(request: HttpRequest, form: Any, output: Any, status: int = 200) -> HttpResponse:
    from django import forms

    for name in ("password", "token"):
        form.fields[name].widget = forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password"})
    return render(request, "ui/output_form.html", {"form": form, "output": output},
                  status=status)


def _post(request: HttpRequest, output: OutputDestination | None) -> HttpResponse:
    form = configured_outputs.OutputForm(request.POST, instance=output)
    if not form.is_valid():
        return _page(request, form, output, status=400)
    saved = form.save()
    messages.success(request, f"Output {saved.name} {'added' if output is None else 'saved'}; "
                     "the collector applies it within a few seconds.")
    return redirect("ui:output_list")


@admin_required
def output_add(request: HttpRequest) -> HttpResponse:
    """Add an output (admins)."""
    if request.method == "POST":
        return _post(request, None)
    return _page(request, configured_outputs.OutputForm(initial={"enabled": True}), None)


@admin_required
def output_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an output (admins); empty token and password keep the stored ones."""
    output = get_object_or_404(OutputDestination, pk=pk)
    if request.method == "POST":
        return _post(request, output)
    return _page(request, configured_outputs.OutputForm(instance=output), output)


@admin_required
@require_POST
def output_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete an output (admins, POST) and its queue folder
    (:func:`mikromon.web.control.outputs.delete`)."""
    output = get_object_or_404(OutputDestination, pk=pk)
    name = output.name
    queue = configured_outputs.delete(output)
    messages.success(request, f"Output {name} deleted; {queue}.")
    return redirect("ui:output_list")


@admin_required
@require_POST
def output_test_env(request: HttpRequest, name: str) -> HttpResponse:
    """Send one small request to the store of the output the environment
    configures under ``name`` (admins, POST; 404 when it configures none); the
    list shows what it answered."""
    from django.http import Http404

    config = configured_outputs.env_config(name)
    if config is None:
        raise Http404(f"the environment configures no output named {name!r}")
    request.session[_TEST_KEY] = {"output": name, **configured_outputs.send_test(config)}
    return redirect("ui:output_list")


@admin_required
@require_POST
def output_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one small request to the output's store (admins, POST); the list shows
    what it answered."""
    output = get_object_or_404(OutputDestination, pk=pk)
    try:
        result = configured_outputs.send_test(configured_outputs.config_of(output))
    except Exception as err:  # a secret that cannot be decrypted
        result = {"ok": False, "detail": str(err), "duration_s": 0.0}
    request.session[_TEST_KEY] = {"output": output.name, **result}
    return redirect("ui:output_list")
