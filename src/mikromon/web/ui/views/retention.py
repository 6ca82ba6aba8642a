"""The retention settings page (admins): how long the raw points of each
collection tier and each rollup level are kept, over the environment's defaults
(:mod:`mikromon.web.control.retention`). Reached from the collector page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from mikromon.domain.retention import RetentionError
from mikromon.web.control import retention
from mikromon.web.ui.permissions import admin_required


@admin_required
def retention_page(request: HttpRequest) -> HttpResponse:
    """Show the retentions in force (GET) or store changed ones (POST; 400 with
    each problem next to its field)."""
    current = retention.effective()
    status = 200
    if request.method == "POST":
        form = retention.RetentionForm(request.POST, current=current)
        if form.is_valid():
            try:
                form.save(by=request.user.get_username())
            except RetentionError as err:  # changed meanwhile by someone else
                for key, message in err.problems.items():
                    form.add_error(key if key in form.fields else None, message)
            else:
                messages.success(request, "Retention saved; the maintenance applies it at "
                                          "its next run (within a minute while the "
                                          "collector runs).")
                return redirect("ui:retention")
        status = 400
    else:
        form = retention.RetentionForm(current=current)
    return render(request, "ui/retention.html", {
        "form": form, "doc": retention.document(current),
    }, status=status)
