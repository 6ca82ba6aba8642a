"""Users (admins only): list, create with a role, change role, (de)activate, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from mikromon.web.roles import is_admin
from mikromon.web.ui.forms import UserCreateForm, apply_role
from mikromon.web.ui.permissions import admin_required


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    """List users and create new ones."""
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, f"User {user.username} created.")
        return redirect("ui:user_list")
    users = get_user_model().objects.order_by("username")
    return render(request, "ui/user_list.html", {
        "form": form, "users": [(u, is_admin(u)) for u in users]
    }, status=400 if form.errors else 200)


@admin_required
@require_POST
def user_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a user's role or active flag, or delete them (``action`` in the POST)."""
    user = get_object_or_404(get_user_model(), pk=pk)
    action = request.POST.get("action")
    if user.pk == request.user.pk and action in ("viewer", "deactivate", "delete"):
        messages.error(request, "You cannot demote, deactivate or delete yourself.")
        return redirect("ui:user_list")
    if action in ("admin", "viewer"):
        apply_role(user, action)
        role = "an admin" if action == "admin" else "a viewer"
        messages.success(request, f"{user.username} is now {role}.")
    elif action in ("activate", "deactivate"):
        user.is_active = action == "activate"
        user.save(update_fields=["is_active"])
        done = "activated" if user.is_active else "deactivated"
        messages.success(request, f"{user.username} {done}.")
    elif action == "delete":
        name = user.username
        user.delete()
        messages.success(request, f"User {name} deleted.")
    else:
        messages.error(request, "Unknown action.")
    return redirect("ui:user_list")
