"""ASGI entry point: ``uvicorn mikromon.web.asgi:application``.

Reads ``MIKROMON_DATA_DIR`` / ``MIKROMON_DATABASE_URL`` like every other entry point.
"""

from __future__ import annotations

from django.core.asgi import get_asgi_application

from mikromon.web import bootstrap

bootstrap.setup()
application = get_asgi_application()
