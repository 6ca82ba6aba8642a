"""The base of mikromon's Django app configurations.

An app's ``apps.py`` subclasses :class:`MikromonAppConfig` through this module
(``appconfig.MikromonAppConfig``), never by importing the class by name: Django
picks an app's configuration as the one ``AppConfig`` subclass named in its
``apps.py``, and a second name there would leave it to guess.
"""

from __future__ import annotations

import importlib

from django.apps import AppConfig


class MikromonAppConfig(AppConfig):
    """An app of mikromon: 64-bit automatic primary keys, and the signal handlers
    of the module named by :attr:`connects` connected when the app is ready."""

    default_auto_field = "django.db.models.BigAutoField"
    #: Dotted name of a module whose ``connect()`` :meth:`ready` calls ("": none).
    connects = ""

    def ready(self) -> None:
        """Connect the signal handlers of :attr:`connects`."""
        if self.connects:
            importlib.import_module(self.connects).connect()
