"""Abandoned import previews are cancelled (CCCD tokens dropped); old batches lose their rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from chibo.members.models import ImportBatch

pytestmark = pytest.mark.django_db


def batch(world, status, age, cccd=True):  # type: ignore[no-untyped-def]
    values = {"full_name": "Trần Thị Lan", **({"cccd": "gAAAA-token"} if cccd else {})}
    b = ImportBatch.objects.create(
        created_by=world.secretary, file_name="a.csv", file_format="csv", status=status,
        rows=[{"line": 2, "values": values}], row_count=1,
    )
    ImportBatch.objects.filter(pk=b.pk).update(created_at=timezone.now() - age)
    return b


def test_prune_cancels_abandoned_previews_and_clears_old_rows(world, capsys):
    old_pending = batch(world, ImportBatch.Status.PENDING, dt.timedelta(hours=30))
    fresh_pending = batch(world, ImportBatch.Status.PENDING, dt.timedelta(hours=2))
    old_applied = batch(world, ImportBatch.Status.APPLIED, dt.timedelta(days=40), cccd=False)
    recent_applied = batch(world, ImportBatch.Status.APPLIED, dt.timedelta(days=3), cccd=False)
    call_command("prune_imports")
    for b in (old_pending, fresh_pending, old_applied, recent_applied):
        b.refresh_from_db()
    assert old_pending.status == ImportBatch.Status.CANCELLED
    assert "cccd" not in old_pending.rows[0]["values"]
    assert fresh_pending.status == ImportBatch.Status.PENDING
    assert fresh_pending.rows[0]["values"]["cccd"] == "gAAAA-token"
    assert old_applied.rows == [] and old_applied.row_count == 1
    assert recent_applied.rows != []
    assert "Đã hủy 1 bản xem trước" in capsys.readouterr().out


def test_pruning_respects_the_settings(world, settings):
    settings.CHIBO_IMPORT_PREVIEW_HOURS = 48
    pending = batch(world, ImportBatch.Status.PENDING, dt.timedelta(hours=30))
    call_command("prune_imports")
    pending.refresh_from_db()
    assert pending.status == ImportBatch.Status.PENDING
