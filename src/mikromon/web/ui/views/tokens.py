"""API tokens. Admins create tokens for any user (a token acts as its user: a
viewer's token only reads) and revoke them; viewers see their own tokens.

A new token is shown once, right after it is created; the database keeps its
SHA-256 hash and its first 8 characters (shown in lists to tell tokens apart).
"""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from mikromon.web.monitor.models import ApiToken
from mikromon.web.roles import is_admin
from mikromon.web.ui.forms import TokenForm
from mikromon.web.ui.permissions import admin_required, forbidden

_NEW_KEY = "mikromon_new_token"


def token_list(request: HttpRequest) -> HttpResponse:
    """List tokens (admins: all, viewers: their own); admins create one by POST."""
    admin = is_admin(request.user)
    if request.method == "POST" and not admin:
        return forbidden(request, "Only admins may create API tokens.")
    form = TokenForm(request.POST or None, initial={"user": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = ApiToken.issue(form.cleaned_data["user"], form.cleaned_data["name"])
        except IntegrityError:
            form.add_error("name", "This user already has a token with this name.")
        else:
            request.session[_NEW_KEY] = {"name": token.name, "user": token.user.username,
                                         "key": raw}
            return redirect("ui:token_list")
    tokens = ApiToken.objects.select_related("user").order_by("user__username", "name")
    if not admin:
        user = request.user
        tokens = tokens.filter(user=user) if user.is_authenticated else tokens.none()
    return render(request, "ui/token_list.html", {
        "form": form,
        "tokens": tokens,
        "new_token": request.session.pop(_NEW_KEY, None),
    }, status=400 if form.errors else 200)


@admin_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a token (admins)."""
    token = get_object_or_404(ApiToken, pk=pk)
    token.delete()
    messages.success(request, f"Token {token.name} of {token.user.username} revoked.")
    return redirect("ui:token_list")
