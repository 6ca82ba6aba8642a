"""Sign-in and sign-out."""

from __future__ import annotations

from django.contrib.auth import views as auth_views


class SignInView(auth_views.LoginView):
    """The sign-in page (Django's LoginView with our template)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires) and return to the sign-in page."""

    next_page = "login"
