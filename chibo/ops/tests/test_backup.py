"""backup → empty database → restore gives back every row and every file exactly."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tarfile
import tempfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from chibo.accounts.models import User
from chibo.audit.models import AuditEntry
from chibo.meetings import documents, services
from chibo.meetings.models import DocumentKind, Meeting
from chibo.members.models import Member
from chibo.ops.backup import dump, export_digest
from chibo.ops.province import ProvinceGenerator

pytestmark = pytest.mark.django_db(transaction=True)


def build(world) -> Meeting:
    ProvinceGenerator(cells=2, years=1, seed=31, until=dt.date(2026, 10, 31), accounts=True, password="khôi-phục-1").run()
    m = services.create_meeting(actor=world.secretary, cell=world.cell1, kind="regular",
                                scheduled_at=dt.datetime(2026, 12, 5, 19, 30, tzinfo=dt.UTC))
    documents.add_document(actor=world.secretary, meeting=m, kind=DocumentKind.DRAFT_RESOLUTION,
                           title="Dự thảo nghị quyết tháng 12",
                           upload=SimpleUploadedFile("nq.pdf", b"%PDF-1.4\n% chibo\n%%EOF\n", "application/pdf"))
    member = world.member_same.member
    member.set_cccd("001234567890")
    member.save()
    return m


def _rows() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.jsonl"
        dump(data)
        return data.read_text(encoding="utf-8").splitlines()


def test_round_trip_of_all_rows_and_files(world, tmp_path):
    meeting = build(world)
    # times keep every digit: Django's JSON cuts them to milliseconds (…38.000500 came back as …38)
    exact = dt.datetime(2026, 3, 14, 12, 0, 38, 500, tzinfo=dt.UTC)
    Meeting.objects.filter(pk=meeting.pk).update(scheduled_at=exact, started_at=exact + dt.timedelta(microseconds=123456))
    before = export_digest()
    assert before["rows"] > 1000 and len(before["files"]) >= 3
    archive = tmp_path / "b.tar.gz"
    out = io.StringIO()
    call_command("backup", "--output", str(archive), stdout=out)
    assert "Đã sao lưu" in out.getvalue()

    # A new machine: empty database, empty storage.
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(django_settings.MEDIA_ROOT)
    assert export_digest() != before

    cache.set("chibo:live-parts:1:1:x", "kept before the restore")  # a version the restored rows may hold again
    call_command("restore", str(archive), stdout=out)
    assert cache.get("chibo:live-parts:1:1:x") is None  # the shared cache is emptied
    after = export_digest()
    if after != before:  # say which rows differ (the digest alone does not)
        restored = set(_rows())
        with tarfile.open(archive) as tar:
            saved = set(tar.extractfile("data.jsonl").read().decode().splitlines())  # type: ignore[union-attr]
        pytest.fail(f"rows changed by the round trip: {sorted(saved - restored)[:3]} → {sorted(restored - saved)[:3]}")
    restored = Meeting.objects.get(pk=meeting.pk)
    assert (restored.scheduled_at, restored.started_at) == (exact, exact + dt.timedelta(microseconds=123456))
    # Encrypted fields still decrypt; append-only audit is intact; sequences continue after the restored pks.
    assert Member.objects.get(pk=world.member_same.member.pk).cccd == "001234567890"
    assert AuditEntry.objects.filter(changes__has_key="gen_province").count() == 1
    new = User.objects.create_user(username="sau-khoi-phuc", password="x-very-long-1")
    assert new.pk > max(User.objects.exclude(pk=new.pk).values_list("pk", flat=True))


def test_restore_refuses_bad_archives_and_a_database_with_data(world, tmp_path, settings):
    build(world)
    archive = tmp_path / "b.tar.gz"
    call_command("backup", "--output", str(archive), verbosity=0)
    digest = export_digest()
    with pytest.raises(CommandError, match="đã có dữ liệu chibo"):
        call_command("restore", str(archive))
    # A corrupted archive (one file byte changed) is refused before anything is touched.
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            body = src.extractfile(member).read()
            if member.name.startswith("files/"):
                body = body[:-2] + b"X\n"
            dst.addfile(member, io.BytesIO(body))
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(CommandError, match="không khớp mã kiểm tra"):
        call_command("restore", str(bad))
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not a tarball")
    with pytest.raises(CommandError, match="Không đọc được tệp sao lưu"):
        call_command("restore", str(garbage))
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as dst:
        for name, body in (("manifest.json", json.dumps({"format": 1}).encode()), ("data.jsonl", b""),
                           ("../escape.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            dst.addfile(info, io.BytesIO(body))
    with pytest.raises(CommandError, match="không an toàn"):
        call_command("restore", str(evil))
    # Another field key: refused (CCCD would be unreadable).
    settings.FIELD_ENCRYPTION_KEY = "another-key"
    with pytest.raises(CommandError, match="CHIBO_FIELD_KEY"):
        call_command("restore", str(archive))
    assert digest["rows"] > 0 and not User.objects.exists()
