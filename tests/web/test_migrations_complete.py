"""The migrations describe the models: a model change without its migration would
leave the database behind the code (found here, not on an operator's upgrade)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    """``makemigrations --check`` finds nothing to write for any mikromon app."""
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:  # --check exits 1 when a migration is missing
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}"
                    f" (exit {exit_.code})")
