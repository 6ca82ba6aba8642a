"""The mikromon web pages: sign-in, overview, devices, dashboards, events, collector,
users and API tokens. Everything here is behind login; changes need an admin
(see :mod:`mikromon.web.ui.permissions`)."""
