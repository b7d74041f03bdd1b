"""Background work of the documents app (django.tasks; the database worker runs it in production)."""

from __future__ import annotations

from django.tasks import task


@task
def build_export(export_id: int) -> int:
    """Build the ZIP of a BatchExport; returns the number of minutes written."""
    from chibo.documents.services import run_export

    return run_export(export_id).done
